import { type DatasetOutcome, ensureDataset, tableName } from "../../dataset/sbtest.js";
import type { LoadOutcome } from "../../executor/load.js";
import {
  auroraCrash,
  type CrashOutcome,
  type CrashPlan,
  commandCrash,
  galeraFailover,
  sandboxCrash,
} from "../../fault/crash.js";
import { histogramOf } from "../../metrics/aggregate.js";
import { countOps } from "../../result/counting.js";
import { analyseCrash, type SecondFigures } from "../../result/crash-analysis.js";
import { backToFullAfterReturnMs, crashClaimVerdicts, crashHeadline } from "../../result/crash-verdict.js";
import { connectionsOf, unmeasuredScenarioResult } from "../../result/scenario-result.js";
import type { CrashResult, ScenarioResult } from "../../result/schema.js";
import type { ResolvedScenario } from "../../scenario/resolve.js";
import { openAdminConnection, withAdmin } from "../../target/connection.js";
import type { TargetSpec } from "../../target/url.js";
import { UsageError } from "../../util/errors.js";
import { formatMs, formatRate } from "../../util/format.js";
import { runAt } from "../../util/timer.js";
import { statementKind } from "../../workload/kinds.js";
import { protocolOf, protocolWords } from "../../workload/protocol.js";
import type { Workload } from "../../workload/schema.js";
import { isSandboxed, oneServerEnvironment, oneServerOf, oneServerWorkers } from "../one-server.js";
import type { RunOptions } from "../options.js";
import type { OneServer, RunContext, Runner } from "../runner.js";
import { loadEndNotes, runTrial } from "../trial.js";
import { sharesMachine } from "../workers.js";

/**
 * Lost connections are retried at least this often during a crash run, so the first commit after
 * the target is back is seen within this bound (the usual 5 s backoff would hide seconds of it).
 */
export const CRASH_RECONNECT_MAX_MS = 200;
/**
 * How long the target may be away during a crash before the load gives up (unless
 * --unreachable-after says otherwise): InnoDB's crash recovery after a long write run applies
 * hundreds of thousands of pages (34 s measured on the 2-core sandbox), so the usual 30 s would end
 * the phase mid-restart. The same bound as a restart command's.
 */
export const CRASH_OUTAGE_MS = 300_000;
/** Pauses between commits this long or longer are kept; the outage is the longest after the crash. */
const COMMIT_GAP_MS = 20;
/** Resolution of the recovery time: commits are counted per tick. */
const COMMIT_TICK_MS = 100;

/**
 * How this target can be crashed, one plan per crash: the user's commands (once), else the
 * sandbox (SIGKILL and restart, per cache), else Aurora's ALTER SYSTEM CRASH (per cache).
 * Anything else cannot be crashed from here: a usage error that says what to give.
 */
export function crashPlans(
  scenario: ResolvedScenario,
  server: OneServer,
  settings: Pick<RunOptions, "crashCommand" | "restartCommand">,
  secrets: string[],
  log: (line: string) => void,
): CrashPlan[] {
  const crash = scenario.crash;
  if (!crash) throw new Error(`${scenario.id} is not a crash scenario`);
  if (settings.crashCommand) return [commandCrash(settings.crashCommand, settings.restartCommand, secrets)];
  const galera = server.galera?.cluster;
  if (galera) {
    if (galera.nodes.length < 3) {
      throw new UsageError(
        `${scenario.id}: a Galera cluster of ${galera.nodes.length} nodes loses its quorum when one is killed; give --replicas 2 or more (3 nodes)`,
      );
    }
    // One failover: the cache that matters is the surviving node's, warm by construction.
    return [galeraFailover(galera, log)];
  }
  const sandbox = server.sandbox;
  if (sandbox) return crash.caches.map((cache) => sandboxCrash(sandbox, cache, log));
  const { target, facts } = server;
  if (facts.flavor === "aurora-mysql")
    return crash.caches.map((cache) => auroraCrash(target, cache, secrets));
  throw new UsageError(
    `${scenario.id}: ${target.displayUrl} is ${facts.flavor} ${facts.version}, neither the sandbox nor Aurora; give --crash-command '<shell command that crashes it>' (and --restart-command if it does not come back by itself)`,
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

function countRows(target: TargetSpec, tables: number): Promise<number> {
  return withAdmin(
    target,
    async (conn) => {
      let rows = 0;
      for (let i = 1; i <= tables; i++) {
        const [result] = await conn.query(`SELECT COUNT(*) AS n FROM ${tableName(i)}`);
        rows += Number((result as { n: number }[])[0]?.n ?? 0);
      }
      return rows;
    },
    true,
  );
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

export interface CrashTrialOutcome {
  built: ScenarioResult;
  crash: CrashResult;
  /** The crash ran (false: the run was interrupted, or failed, before its time). */
  reached: boolean;
}

async function runOneCrash(
  scenario: ResolvedScenario,
  plan: CrashPlan,
  index: number,
  setup: CrashSetup,
  ctx: RunContext,
): Promise<CrashTrialOutcome> {
  const crash = scenario.crash as NonNullable<ResolvedScenario["crash"]>;
  const transactional = scenario.workload.transaction !== false;
  const target = setup.server.target;
  const { dataset, measuredEnvironment } = setup;
  const checkRows = keepsRowCounts(scenario.workload);
  const rowsBefore = await countRows(target, scenario.dataset.tables);
  let cancelCrash: () => void = () => {};
  let crashing: Promise<CrashOutcome> | undefined;
  const notes = ["server counters are not compared across a crash: a restart resets them"];
  let trial: Awaited<ReturnType<typeof runTrial>>;
  try {
    trial = await runTrial(
      {
        scenario,
        target,
        dataset,
        label: `${scenario.id} (${plan.cache})`,
        workers: setup.workers,
        seed: ctx.seed + index,
        counters: false,
        reconnectMaxMs: CRASH_RECONNECT_MAX_MS,
        expectedOutageMs: CRASH_OUTAGE_MS,
        commitTimeline: { gapMs: COMMIT_GAP_MS, tickMs: COMMIT_TICK_MS },
        serverOnClientMachine: setup.serverOnClientMachine,
        measuredEnvironment,
        hooks: {
          onPhaseStart: (phase, startEpochMs) => {
            if (phase !== "measured") return;
            cancelCrash = runAt(startEpochMs + crash.atMs, () => {
              // Interrupted while the phase drains: the target is not crashed after the user said stop.
              if (ctx.signal.aborted) return;
              crashing = plan.run();
            });
          },
        },
        afterLoad: (loop) => [...notes, ...loadEndNotes(loop, { abandoned: false })],
      },
      ctx,
    );
  } finally {
    cancelCrash();
  }
  const { loop, built } = trial;
  // The crash (and a restart) may still be under way when an interrupted phase ends.
  const outcome = crashing ? await (crashing as Promise<CrashOutcome>) : null;
  if (loop.failure) notes.push(`the load stopped early: ${loop.failure}`);
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
    const rowsAfter = await countRows(target, scenario.dataset.tables).catch(() => null);
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

interface CrashSetup {
  server: OneServer;
  dataset: DatasetOutcome | null;
  plans: CrashPlan[];
  workers: number;
  measuredEnvironment: string;
  serverOnClientMachine: boolean;
}

/**
 * A crash scenario's result from its crashes so far: the last run's figures with every crash, and
 * the worst claim verdict as the headline (with the warm/cold comparison); pure.
 */
export function assembleCrashes(
  scenario: ResolvedScenario,
  setup: Pick<CrashSetup, "dataset" | "measuredEnvironment" | "serverOnClientMachine">,
  outcomes: readonly CrashTrialOutcome[],
  status: ScenarioResult["status"],
): ScenarioResult {
  const last = outcomes.at(-1);
  const base =
    last?.built ??
    unmeasuredScenarioResult({
      scenario,
      status,
      dataset: setup.dataset,
      measuredEnvironment: setup.measuredEnvironment,
      serverOnClientMachine: setup.serverOnClientMachine,
    });
  // The problem that stopped the scenario: a crash that did not go as planned, or its load failing.
  const problems =
    last && status === "failed" && crashFailed(last)
      ? [last.crash.failure ?? last.built.verdict.warnings.join("; ")]
      : [];
  const crashes = outcomes.map((o) => o.crash);
  return { ...base, status, verdict: crashHeadline(crashes, problems, base.verdict), crashes };
}

function crashFailed(outcome: CrashTrialOutcome): boolean {
  return outcome.built.status === "failed" || outcome.crash.failure !== null;
}

/**
 * crash: for each planned crash, a run of its own (warm-up, then the measured phase with the crash
 * at crash.at into it), measured through the outage and the recovery. The load never stops for the
 * crash: lost connections are retried every CRASH_RECONNECT_MAX_MS at most and rejoin.
 */
export const crashRunner: Runner<CrashSetup, CrashPlan, CrashTrialOutcome> = {
  kind: "crash",
  flags: [
    {
      flag: "--crash-command",
      given: (s) => s.crashCommand !== undefined,
      does: "crashes the target (crash-recovery does)",
    },
  ],
  splitRefusal: () => "crashes the target",
  checkSettings: (scenarios, settings) => {
    const replicas = settings.overrides.replicas;
    if (settings.engine === "galera" && (replicas ?? 2) < 2) {
      throw new UsageError(
        `--replicas: ${scenarios.map((s) => s.id).join(", ")} kills a Galera node, and a cluster of ${1 + (replicas ?? 0)} loses its quorum then; give --replicas 2 or more`,
      );
    }
    if (settings.crashCommand && !settings.target) {
      throw new UsageError(
        "--crash-command: the sandbox is crashed by the tool itself; give --target too to crash another server",
      );
    }
  },
  servers: () => "one",
  check: (scenario, server, settings) => {
    crashPlans(scenario, server, settings, [], () => {});
  },
  open: async (scenario, ctx) => {
    const crash = scenario.crash;
    if (!crash) throw new Error(`${scenario.id} is not a crash scenario`);
    const server = oneServerOf(ctx);
    const plans = crashPlans(scenario, server, ctx.settings, ctx.secrets, ctx.log);
    ctx.log(
      `${scenario.id}: ${plans.length} crash${plans.length === 1 ? "" : "es"} (${plans.map((p) => `${p.method}, ${p.cache}`).join("; ")}) at ${formatMs(crash.atMs)} into ${formatMs(scenario.load.durationMs)} of ${scenario.load.connections} connections, ${scenario.dataset.tables} tables x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows, ${protocolWords(protocolOf(scenario.workload))}`,
    );
    const workers = oneServerWorkers(ctx, server);
    const dataset = await ensureDataset({
      shape: scenario.dataset,
      open: () => openAdminConnection(server.target),
      log: ctx.log,
      signal: ctx.signal,
    });
    return {
      server,
      dataset,
      plans,
      workers,
      measuredEnvironment: oneServerEnvironment(
        ctx,
        server,
        scenario,
        Math.min(workers, scenario.load.connections),
      ),
      serverOnClientMachine: isSandboxed(server) || sharesMachine(server.target),
      stop: async () => {},
    };
  },
  trials: (_scenario, setup) => setup.plans,
  runTrial: async ({ scenario, trial, index, setup }, ctx) => {
    const outcome = await runOneCrash(scenario, trial, index, setup, ctx);
    ctx.log(crashLine(outcome.crash));
    return outcome;
  },
  ends: (outcome) => {
    // Interrupted first: a crash the interrupt came before is not a failed crash.
    if (outcome.built.status === "interrupted" && !outcome.reached) return { status: "interrupted" };
    if (crashFailed(outcome)) return { status: "failed" };
    if (outcome.built.status === "interrupted") return { status: "interrupted" };
    return undefined;
  },
  assemble: ({ scenario, setup, outcomes, status }) => assembleCrashes(scenario, setup, outcomes, status),
};
