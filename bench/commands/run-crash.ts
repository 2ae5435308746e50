import { type DatasetOutcome, ensureDataset, tableName } from "../dataset/sbtest.js";
import { type LoadOutcome, runLoad } from "../executor/load.js";
import type { HotPath } from "../executor/protocol.js";
import {
  auroraCrash,
  type CrashOutcome,
  type CrashPlan,
  commandCrash,
  galeraFailover,
  sandboxCrash,
} from "../fault/crash.js";
import { histogramOf } from "../metrics/aggregate.js";
import { countOps } from "../result/counting.js";
import { analyseCrash, type SecondFigures } from "../result/crash-analysis.js";
import { backToFullAfterReturnMs, crashClaimVerdicts, warmColdComparison } from "../result/crash-verdict.js";
import { buildScenarioResult, connectionsOf, unmeasuredScenarioResult } from "../result/scenario-result.js";
import type { CrashResult, Result, ScenarioResult } from "../result/schema.js";
import { describeMeasuredEnvironment } from "../run/environment.js";
import { ProgressLine } from "../run/progress-line.js";
import { sharesMachine } from "../run/workers.js";
import type { GaleraCluster } from "../sandbox/galera.js";
import type { Sandbox } from "../sandbox/server.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import type { Workload } from "../scenario/schema.js";
import { identityToVerify, loadConnection, openAdminConnection } from "../target/connection.js";
import type { ServerFacts } from "../target/facts.js";
import type { TargetSpec } from "../target/url.js";
import { UsageError } from "../util/errors.js";
import { formatMs, formatRate } from "../util/format.js";
import { runAt } from "../util/timer.js";
import { statementKind } from "../workload/kinds.js";

/**
 * Lost connections are retried at least this often during a crash run, so the first commit after
 * the target is back is seen within this bound (the usual 5 s backoff would hide seconds of it).
 */
export const CRASH_RECONNECT_MAX_MS = 200;
/** Pauses between commits this long or longer are kept; the outage is the longest after the crash. */
const COMMIT_GAP_MS = 20;
/** Resolution of the recovery time: commits are counted per tick. */
const COMMIT_TICK_MS = 100;

export interface CrashRunContext {
  scenario: ResolvedScenario;
  target: TargetSpec;
  facts: ServerFacts;
  /** The sandbox the tool started, crashed with SIGKILL and restarted. */
  sandbox?: Sandbox;
  /** A Galera sandbox: the node taking writes is killed and the load fails over. */
  galera?: GaleraCluster;
  /** --crash-command and --restart-command. */
  commands?: { crash: string; restart?: string };
  workers: number;
  hotPath: HotPath;
  seed: number;
  signal: AbortSignal;
  client: Result["environment"]["client"];
  secrets: string[];
  unreachableAfterMs?: number;
  log: (line: string) => void;
  onProgress: (partial: ScenarioResult) => void;
}

/**
 * How this target can be crashed, one plan per crash: the user's commands (once), else the
 * sandbox (SIGKILL and restart, per cache), else Aurora's ALTER SYSTEM CRASH (per cache).
 * Anything else cannot be crashed from here: a usage error that says what to give.
 */
export function crashPlans(
  ctx: Pick<
    CrashRunContext,
    "scenario" | "target" | "facts" | "sandbox" | "galera" | "commands" | "secrets" | "log"
  >,
): CrashPlan[] {
  const crash = ctx.scenario.crash;
  if (!crash) throw new Error(`${ctx.scenario.id} is not a crash scenario`);
  if (ctx.commands) return [commandCrash(ctx.commands.crash, ctx.commands.restart, ctx.secrets)];
  if (ctx.galera) {
    if (ctx.galera.nodes.length < 3) {
      throw new UsageError(
        `${ctx.scenario.id}: a Galera cluster of ${ctx.galera.nodes.length} nodes loses its quorum when one is killed; give --replicas 2 or more (3 nodes)`,
      );
    }
    // One failover: the cache that matters is the surviving node's, warm by construction.
    return [galeraFailover(ctx.galera, ctx.log)];
  }
  const sandbox = ctx.sandbox;
  if (sandbox) return crash.caches.map((cache) => sandboxCrash(sandbox, cache, ctx.log));
  if (ctx.facts.flavor === "aurora-mysql")
    return crash.caches.map((cache) => auroraCrash(ctx.target, cache, ctx.secrets));
  throw new UsageError(
    `${ctx.scenario.id}: ${ctx.target.displayUrl} is ${ctx.facts.flavor} ${ctx.facts.version}, neither the sandbox nor Aurora; give --crash-command '<shell command that crashes it>' (and --restart-command if it does not come back by itself)`,
  );
}

/** Transactions that delete and insert the same rows (sysbench's write mix), or touch no row count, keep counts. */
export function keepsRowCounts(workload: Workload): boolean {
  if (workload.transaction === false) return false;
  let inserts = 0;
  let deletes = 0;
  for (const step of workload.steps) {
    for (const statement of step.statements) {
      const kind = statementKind(statement.sql);
      const times = step.repeat ?? 1;
      if (kind === "insert") inserts += times;
      if (kind === "delete") deletes += times;
    }
  }
  return inserts === deletes;
}

async function countRows(target: TargetSpec, tables: number): Promise<number> {
  const conn = await openAdminConnection(target);
  try {
    let rows = 0;
    for (let i = 1; i <= tables; i++) {
      const [result] = await conn.query(`SELECT COUNT(*) AS n FROM ${tableName(i)}`);
      rows += Number((result as { n: number }[])[0]?.n ?? 0);
    }
    return rows;
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

/** The measured phase, second by second, as the crash analysis reads it. */
function secondsOf(loop: LoadOutcome, transactional: boolean): SecondFigures[] {
  const measured = loop.measured;
  if (!measured) return [];
  return measured.aggregate.ordered().map((interval) => {
    const counts = countOps(interval.ops, loop.ops, transactional);
    const txn = interval.ops[loop.ops.txn];
    const { lost, reconnected } = connectionsOf(interval.health);
    return {
      writes: counts.writes,
      txns: counts.txns,
      txnHistogram: txn ? histogramOf(txn) : null,
      errorsByCode: interval.errorsByCode,
      lost,
      reconnected,
    };
  });
}

/**
 * A crash scenario: for each planned crash, a run of its own (warm-up, then the measured phase with
 * the crash at crash.at into it), measured through the outage and the recovery. The load never
 * stops for the crash: lost connections are retried every CRASH_RECONNECT_MAX_MS at most and rejoin.
 */
export async function runCrashScenario(ctx: CrashRunContext): Promise<ScenarioResult> {
  const { scenario, log } = ctx;
  const crash = scenario.crash;
  if (!crash) throw new Error(`${scenario.id} is not a crash scenario`);
  const plans = crashPlans(ctx);
  log(
    `${scenario.id}: ${plans.length} crash${plans.length === 1 ? "" : "es"} (${plans.map((p) => `${p.method}, ${p.cache}`).join("; ")}) at ${formatMs(crash.atMs)} into ${formatMs(scenario.load.durationMs)} of ${scenario.load.connections} connections, ${scenario.dataset.tables} tables x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows`,
  );
  const serverOnClientMachine = !!ctx.sandbox || !!ctx.galera || sharesMachine(ctx.target);
  const measuredEnvironment = describeMeasuredEnvironment(
    ctx.client,
    {
      flavor: ctx.facts.flavor,
      version: ctx.facts.version,
      sandbox: !!ctx.sandbox || !!ctx.galera,
      sameMachine: sharesMachine(ctx.target),
    },
    scenario.load.connections,
    Math.min(ctx.workers, scenario.load.connections),
  );
  const dataset = await ensureDataset({
    shape: scenario.dataset,
    open: () => openAdminConnection(ctx.target),
    log,
    signal: ctx.signal,
  });
  const crashes: CrashResult[] = [];
  let last: ScenarioResult | undefined;
  let status: ScenarioResult["status"] = "complete";
  const problems: string[] = [];

  const assemble = (): ScenarioResult => {
    const base =
      last ??
      unmeasuredScenarioResult({ scenario, status, dataset, measuredEnvironment, serverOnClientMachine });
    const verdicts = crashes.flatMap((c) => c.claims.map((claim) => ({ crash: c, claim })));
    const rank = {
      "not-met": 0,
      incomplete: 1,
      scaled: 2,
      "client-bound": 3,
      met: 4,
      "no-claim": 5,
      "not-measured": 6,
    };
    const headline = [...verdicts].sort(
      (a, b) => rank[a.claim.verdict.outcome] - rank[b.claim.verdict.outcome],
    )[0];
    const comparison = warmColdComparison(crashes);
    const verdict = headline
      ? {
          ...headline.claim.verdict,
          text: `${headline.crash.cache} crash: ${headline.claim.verdict.text}${comparison ? ` ${comparison}` : ""}`,
          warnings: [...problems, ...headline.claim.verdict.warnings],
        }
      : { ...base.verdict, warnings: [...problems, ...base.verdict.warnings] };
    return { ...base, status, verdict, crashes };
  };

  for (const [index, plan] of plans.entries()) {
    if (ctx.signal.aborted) break;
    const entry = await runOneCrash(ctx, plan, dataset, measuredEnvironment, serverOnClientMachine, index);
    last = entry.built;
    crashes.push(entry.crash);
    log(crashLine(entry.crash));
    // Interrupted first: a crash the interrupt came before is not a failed crash.
    if (entry.built.status === "interrupted" && !entry.reached) {
      status = "interrupted";
      break;
    }
    if (entry.built.status === "failed" || entry.crash.failure) {
      status = "failed";
      problems.push(entry.crash.failure ?? entry.built.verdict.warnings.join("; "));
      break;
    }
    if (entry.built.status === "interrupted") {
      status = "interrupted";
      break;
    }
    ctx.onProgress(assemble());
  }
  if (ctx.signal.aborted && status === "complete") status = "interrupted";
  return assemble();
}

async function runOneCrash(
  ctx: CrashRunContext,
  plan: CrashPlan,
  dataset: DatasetOutcome,
  measuredEnvironment: string,
  serverOnClientMachine: boolean,
  index: number,
): Promise<{ built: ScenarioResult; crash: CrashResult; reached: boolean }> {
  const { scenario } = ctx;
  const crash = scenario.crash as NonNullable<ResolvedScenario["crash"]>;
  const transactional = scenario.workload.transaction !== false;
  const live = new ProgressLine();
  const label = `${scenario.id} (${plan.cache})`;
  const checkRows = keepsRowCounts(scenario.workload);
  const rowsBefore = await countRows(ctx.target, scenario.dataset.tables);
  let cancelCrash: () => void = () => {};
  let crashing: Promise<CrashOutcome> | undefined;
  let loop: LoadOutcome;
  try {
    loop = await runLoad({
      workload: scenario.workload,
      dataset: scenario.dataset,
      ...loadConnection(ctx.target),
      connections: scenario.load.connections,
      workers: Math.max(1, Math.min(ctx.workers, scenario.load.connections)),
      warmupMs: scenario.load.warmupMs,
      durationMs: scenario.load.durationMs,
      seed: ctx.seed + index,
      signal: ctx.signal,
      secrets: ctx.secrets,
      hotPath: ctx.hotPath,
      reconnectMaxMs: CRASH_RECONNECT_MAX_MS,
      commitTimeline: { gapMs: COMMIT_GAP_MS, tickMs: COMMIT_TICK_MS },
      ...(ctx.unreachableAfterMs !== undefined ? { unreachableAfterMs: ctx.unreachableAfterMs } : {}),
      ...(identityToVerify(ctx.target) ? { verifyHost: identityToVerify(ctx.target) } : {}),
      onInterval: (phase, interval, ops) => live.interval(label, phase, interval, ops, transactional),
      onPhaseStart: (phase, startEpochMs) => {
        if (phase !== "measured") return;
        cancelCrash = runAt(startEpochMs + crash.atMs, () => {
          // Interrupted while the phase drains: the target is not crashed after the user said stop.
          if (ctx.signal.aborted) return;
          crashing = plan.run();
        });
      },
    });
  } finally {
    cancelCrash();
  }
  // The crash (and a restart) may still be under way when an interrupted phase ends.
  const outcome = crashing ? await (crashing as Promise<CrashOutcome>) : null;
  live.message("");
  const notes = ["server counters are not compared across a crash: a restart resets them"];
  if (loop.failure) notes.push(`the load stopped early: ${loop.failure}`);
  const built = buildScenarioResult({
    scenario,
    status: loop.failure ? "failed" : loop.interrupted ? "interrupted" : "complete",
    notes,
    serverOnClientMachine,
    dataset,
    loop,
    counterDelta: null,
    clientCost: null,
    measuredEnvironment,
  });
  const measured = loop.measured;
  const failure = outcome
    ? outcome.failure
    : loop.interrupted
      ? "interrupted before the crash"
      : "the crash never ran";
  const analysis = analyseCrash({
    crashAtEpochMs: outcome?.crashAtEpochMs ?? (measured?.startEpochMs ?? 0) + crash.atMs,
    phaseStartEpochMs: measured?.startEpochMs ?? 0,
    phaseEndEpochMs: measured?.endEpochMs ?? 0,
    scheduledMs: scenario.load.durationMs,
    windowMs: crash.windowMs,
    seconds: secondsOf(loop, transactional),
    commits: measured?.commits ?? null,
  });
  let integrity: CrashResult["integrity"] = null;
  if (outcome && !outcome.failure && !loop.failure) {
    const rowsAfter = await countRows(ctx.target, scenario.dataset.tables).catch(() => null);
    if (rowsAfter !== null) {
      integrity = {
        tables: scenario.dataset.tables,
        rowsBefore,
        rowsAfter,
        ok: checkRows ? rowsAfter === rowsBefore : null,
      };
      if (integrity.ok === false) {
        notes.push(
          `row counts changed across the crash: ${rowsBefore} before, ${rowsAfter} after; transactions were not atomic through it`,
        );
      }
    }
  }
  const claims = crashClaimVerdicts({
    claims: crash.claims,
    cache: plan.cache,
    analysis,
    failure,
    status: built.status,
    scaled: scenario.quick
      ? ["--quick: a short run on a small dataset", ...scenario.scaled]
      : scenario.scaled,
    measuredEnvironment,
    warnings: integrity?.ok === false ? [notes.at(-1) as string] : [],
  });
  const result: CrashResult = {
    method: plan.method,
    cache: plan.cache,
    description: plan.description,
    at: new Date(outcome?.crashAtEpochMs ?? (measured?.startEpochMs ?? 0) + crash.atMs).toISOString(),
    atMs: analysis.atMs,
    // A crash that never ran has no downtime, recovery or windows, not zero ones.
    downtimeMs: outcome ? analysis.downtimeMs : null,
    outage: outcome ? analysis.outage : null,
    recoveryMs: outcome ? analysis.recoveryMs : null,
    recoveryShare: analysis.recoveryShare,
    restartMs: outcome?.restartMs ?? null,
    before: analysis.before,
    after: outcome ? analysis.after : null,
    errors: analysis.errors,
    connectionsLost: analysis.connectionsLost,
    reconnected: analysis.reconnected,
    tickMs: analysis.tickMs,
    commitsPerTick:
      measured?.commits?.ticks.slice(0, Math.ceil(scenario.load.durationMs / COMMIT_TICK_MS)) ?? [],
    intervals: built.intervals.map((interval) => ({
      t: interval.t,
      writesPerSec: interval.writesPerSec,
      txnPerSec: interval.txnPerSec,
      p99Ms: interval.latencyMs.txn?.p99 ?? null,
      errors: interval.errors,
      lost: interval.connections?.lost ?? 0,
      reconnected: interval.connections?.reconnected ?? 0,
    })),
    steps: (outcome?.steps ?? []).map((s) => ({
      name: s.name,
      action: s.action,
      startedAt: new Date(s.startedAtEpochMs).toISOString(),
      durationMs: s.durationMs,
      ok: s.ok,
      exitCode: s.exitCode,
      output: s.output,
    })),
    failure,
    integrity,
    claims,
    notes: [...analysis.notes, ...(integrity?.ok === false ? [notes.at(-1) as string] : [])],
  };
  return { built, crash: result, reached: outcome !== null };
}

function crashLine(crash: CrashResult): string {
  if (crash.steps.length === 0 && crash.failure)
    return `crash (${crash.method}, ${crash.cache}): not reached: ${crash.failure}`;
  const show = (ms: number | null) => (ms === null ? "never" : formatMs(ms));
  const rate = (w: CrashResult["before"]) =>
    w ? `${formatRate(w.writesPerSec)} writes/s, p99 ${w.p99Ms === null ? "-" : formatMs(w.p99Ms)}` : "-";
  const errors = Object.entries(crash.errors)
    .map(([code, n]) => `${code} x${n}`)
    .join(", ");
  return `crash (${crash.method}, ${crash.cache}): downtime ${show(crash.downtimeMs)}, back to 90% after ${show(crash.recoveryMs)} (${show(backToFullAfterReturnMs(crash))} after the first commit)${crash.restartMs !== null ? `, server restart ${formatMs(crash.restartMs)}` : ""}; before ${rate(crash.before)}; after ${rate(crash.after)}${errors ? `; errors ${errors}` : ""}${crash.failure ? `; FAILED: ${crash.failure}` : ""}`;
}
