import { join } from "node:path";
import { type DatasetOutcome, ensureDataset } from "../dataset/sbtest.js";
import { type LoadOutcome, runLoad } from "../executor/load.js";
import type { HotPath } from "../executor/protocol.js";
import { DEFAULT_BACKLOG_MS } from "../executor/schedule.js";
import {
  type CatchUpOutcome,
  channelWithoutGtid,
  type ReplicaKind,
  waitForReplicas,
} from "../probe/catch-up.js";
import { type LagProbe, type LagProbeResult, startLagProbe } from "../probe/lag.js";
import { lagClaimVerdicts } from "../result/lag-verdict.js";
import { buildScenarioResult, type ClientCost, unmeasuredScenarioResult } from "../result/scenario-result.js";
import type { ReplicationResult, Result, ScenarioResult, StepResult } from "../result/schema.js";
import { buildStepResult } from "../result/step-result.js";
import { ClientCostMeter } from "../run/client-cost.js";
import { describeMeasuredEnvironment } from "../run/environment.js";
import { ProgressLine } from "../run/progress-line.js";
import { defaultOpenLoopWorkers, sharesMachine } from "../run/workers.js";
import { findServerBinary } from "../sandbox/find.js";
import { startGaleraSandbox } from "../sandbox/galera-sandbox.js";
import { defaultSandboxDir } from "../sandbox/server.js";
import type { Engine } from "../sandbox/targets.js";
import { type ReplicaTopology, startReplicaTopology } from "../sandbox/topology.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import {
  type AdminConnection,
  identityToVerify,
  loadConnection,
  openAdminConnection,
} from "../target/connection.js";
import {
  type Counters,
  counterDeltaOrNote,
  readCountersOrNote,
  readServerFacts,
  type ServerFacts,
} from "../target/facts.js";
import { inspectTarget, type TargetInspection } from "../target/inspect.js";
import { preflightServer } from "../target/preflight.js";
import { assertReplicating } from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";

/** How long replicas may take to apply what the primary committed before a step starts. */
const CATCH_UP_TIMEOUT_SEC = 300;

export interface LagRunContext {
  scenario: ResolvedScenario;
  /** Given servers (--target and --replica); absent: the sandbox starts a topology. */
  given?: { primary: TargetSpec; replicas: TargetSpec[] };
  /** A fixed-rate scenario without replication runs on the run's one server (sandbox or --target). */
  single?: { target: TargetSpec; facts: ServerFacts; sandbox: boolean };
  /** --sandbox-dir: the topology goes in a folder inside it. */
  sandboxDir?: string;
  /** The sandbox's engine: binlog replicas of a MariaDB primary, or the other nodes of a Galera cluster. */
  engine?: Engine;
  /** --workers; undefined: one per core for the connections, fewer at low rates (defaultOpenLoopWorkers). */
  workers: number | undefined;
  hotPath: HotPath;
  seed: number;
  signal: AbortSignal;
  client: Result["environment"]["client"];
  secrets: string[];
  log: (line: string) => void;
  /** Called with the scenario's result so far after each step, so result.json can be saved. */
  onProgress: (partial: ScenarioResult) => void;
  /** --unreachable-after. */
  unreachableAfterMs?: number;
}

interface Servers {
  primary: TargetSpec;
  replicas: { name: string; target: TargetSpec }[];
  facts: ServerFacts;
  /** Null: one server, no replicas, no lag probe. */
  replication: ReplicationResult | null;
  /** How the replicas follow the primary, which decides how a catch-up is checked. */
  kind: ReplicaKind;
  /** False when a binlog replica follows by file and position: catch-up waits on the position. */
  replicasUseGtid: boolean;
  sandbox: boolean;
  stop: () => Promise<void>;
}

async function openServers(ctx: LagRunContext): Promise<Servers> {
  const replication = ctx.scenario.replication;
  if (!replication) {
    if (!ctx.single) throw new Error(`${ctx.scenario.id}: no server to run on`);
    const { target, facts, sandbox } = ctx.single;
    return {
      primary: target,
      replicas: [],
      facts,
      sandbox,
      replication: null,
      kind: "binlog",
      replicasUseGtid: true,
      stop: async () => {},
    };
  }
  if (ctx.given) {
    const { primary, replicas } = ctx.given;
    const checks = await assertReplicating(primary, replicas);
    const { facts, inspection } = await describePrimary(primary);
    const named = replicas.map((target, i) => ({ name: `replica-${i + 1}`, target }));
    ctx.log(
      `replication: ${replicas.length} replica(s) of ${primary.displayUrl} running (${checks.map((c) => `${c.replica} by ${c.checkedBy.join("+") || "host"}`).join(", ")})`,
    );
    return {
      primary,
      replicas: named,
      facts,
      sandbox: false,
      kind: checks[0]?.kind ?? "binlog",
      replicasUseGtid: !checks.some((c) => c.channel && channelWithoutGtid(c.channel.gtid)),
      replication: {
        source: "given",
        primary: primary.displayUrl,
        replicas: named.map((r) => ({ name: r.name, url: r.target.displayUrl })),
        settings: checks.map((c) => ({
          replica: c.replica,
          kind: c.kind,
          checkedBy: c.checkedBy,
          channel: c.channel,
          ...(c.member ? { member: c.member } : {}),
        })),
        startupMs: null,
        inspection,
      },
      stop: async () => {},
    };
  }
  if (ctx.engine === "galera") return openGaleraServers(ctx, replication.replicas);
  const binary = await findServerBinary();
  const dir = ctx.sandboxDir
    ? join(ctx.sandboxDir, `topology-${replication.replicas}`)
    : `${defaultSandboxDir(binary)}-topology-${replication.replicas}`;
  const topology: ReplicaTopology = await startReplicaTopology({
    dir,
    replicas: replication.replicas,
    sizing: {
      connections: ctx.scenario.load.connections + 16,
      tables: ctx.scenario.dataset.tables,
      tableSize: ctx.scenario.dataset.tableSize,
    },
    log: (line) => ctx.log(`sandbox ${line}`),
    settings: {
      ...(replication.parallelApplyThreads !== undefined
        ? { parallelApplyThreads: replication.parallelApplyThreads }
        : {}),
      ...(replication.parallelMode !== undefined ? { parallelMode: replication.parallelMode } : {}),
      ...(replication.replicaBinlog !== undefined ? { replicaBinlog: replication.replicaBinlog } : {}),
      ...(replication.primary ? { primary: replication.primary } : {}),
      ...(replication.replicasDurability ? { replicas: replication.replicasDurability } : {}),
    },
  });
  try {
    const { facts, inspection } = await describePrimary(topology.primary, "mariadb");
    return {
      primary: topology.primary,
      replicas: topology.replicas,
      facts,
      sandbox: true,
      kind: "binlog",
      replicasUseGtid: true,
      replication: {
        source: "sandbox",
        primary: topology.primary.displayUrl,
        replicas: topology.replicas.map((r) => ({ name: r.name, url: r.target.displayUrl })),
        settings: topology.settings,
        startupMs: topology.startupMs,
        inspection,
      },
      stop: () => topology.stop(),
    };
  } catch (error) {
    await topology.stop();
    throw error;
  }
}

/**
 * A Galera sandbox: the load and the heartbeats go to node 1, lag is read on the others. Their
 * figure is visibility by sequence as for binlog replicas, read with wsrep_sync_wait off.
 */
async function openGaleraServers(ctx: LagRunContext, replicas: number): Promise<Servers> {
  const galera = await startGaleraSandbox({
    nodes: 1 + replicas,
    sizing: {
      connections: ctx.scenario.load.connections + 16,
      tables: ctx.scenario.dataset.tables,
      tableSize: ctx.scenario.dataset.tableSize,
    },
    ...(ctx.sandboxDir ? { parentDir: ctx.sandboxDir } : {}),
    log: (line) => ctx.log(`sandbox ${line}`),
  });
  try {
    const [first, ...others] = galera.cluster.nodes;
    if (!first) throw new Error("a Galera cluster with no node");
    const named = others.map((node) => ({ name: node.name, target: node.target }));
    const { facts, inspection } = await describePrimary(first.target, "galera");
    return {
      primary: first.target,
      replicas: named,
      facts,
      sandbox: true,
      kind: "galera",
      replicasUseGtid: true,
      replication: {
        source: "sandbox",
        engine: "galera",
        primary: first.target.displayUrl,
        replicas: named.map((r) => ({ name: r.name, url: r.target.displayUrl })),
        settings: { ...galera.cluster.settings, clusterUuid: galera.cluster.clusterUuid },
        startupMs: galera.cluster.startupMs,
        inspection,
      },
      stop: () => galera.stop(),
    };
  } catch (error) {
    await galera.stop();
    throw error;
  }
}

/** The primary's facts and what doctor would say of it, over one connection. */
function describePrimary(
  target: TargetSpec,
  sandbox?: "mariadb" | "galera",
): Promise<{ facts: ServerFacts; inspection: TargetInspection }> {
  return withAdmin(target, async (conn) => {
    const facts = await readServerFacts(conn);
    const inspection = await inspectTarget(conn, {
      database: target.database,
      facts,
      ...(sandbox ? { sandbox } : {}),
    });
    return { facts, inspection };
  });
}

async function withAdmin<T>(target: TargetSpec, fn: (conn: AdminConnection) => Promise<T>): Promise<T> {
  const conn = await openAdminConnection(target, false);
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

async function catchUp(servers: Servers, signal: AbortSignal): Promise<CatchUpOutcome | null> {
  if (servers.replicas.length === 0) return null;
  const primary = await openAdminConnection(servers.primary, false);
  const replicas = await Promise.all(
    servers.replicas.map(async (r) => ({ name: r.name, conn: await openAdminConnection(r.target, false) })),
  );
  try {
    return await waitForReplicas({
      primary,
      replicas,
      facts: servers.facts,
      kind: servers.kind,
      replicasUseGtid: servers.replicasUseGtid,
      database: servers.primary.database,
      timeoutSec: CATCH_UP_TIMEOUT_SEC,
      signal,
    });
  } finally {
    await Promise.all([primary, ...replicas.map((r) => r.conn)].map((c) => c.end()));
  }
}

/**
 * A fixed-rate scenario: transactions at each rate of the scenario on an absolute schedule, one
 * step per rate. With replication (replica-lag): on a primary and replicas (started by the sandbox
 * or given), with the lag probe on every replica over each step's measured window; replicas catch
 * up between steps, so each step starts from zero lag. Without: on the run's one server.
 */
export async function runLagScenario(ctx: LagRunContext): Promise<ScenarioResult> {
  const { scenario, log } = ctx;
  const rates = scenario.load.ratesPerSec ?? [];
  const replication = scenario.replication;
  if (rates.length === 0) throw new Error(`${scenario.id} is not a fixed-rate scenario`);
  const replicaCount = !replication ? 0 : ctx.given ? ctx.given.replicas.length : replication.replicas;
  log(
    `${scenario.id}: steps at ${rates.map((r) => formatRate(r)).join(", ")} updates/s, ${replicaCount} replica${replicaCount === 1 ? "" : "s"}, ${scenario.load.connections} connections, ${scenario.dataset.tables} tables x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows, warm-up ${scenario.load.warmupMs / 1000} s, measured ${scenario.load.durationMs / 1000} s per step`,
  );
  const servers = await openServers(ctx);
  const steps: StepResult[] = [];
  let last: ScenarioResult | undefined;
  let status: ScenarioResult["status"] = "complete";
  const notes: string[] = [];
  let dataset: DatasetOutcome | null = null;
  let probe: LagProbe | undefined;
  const serverOnClientMachine = servers.sandbox || sharesMachine(servers.primary);
  const measuredEnvironment = `${describeMeasuredEnvironment(
    ctx.client,
    {
      flavor: servers.facts.flavor,
      version: servers.facts.version,
      sandbox: servers.sandbox,
      sameMachine: sharesMachine(servers.primary),
    },
    scenario.load.connections,
    Math.min(
      ctx.workers ?? defaultOpenLoopWorkers(Math.max(...rates), undefined, serverOnClientMachine),
      scenario.load.connections,
    ),
  )}${replicaCount === 0 ? "" : `; ${replicaCount} replica${replicaCount === 1 ? "" : "s"}${servers.sandbox ? " on the same machine" : ""}`}`;

  const assemble = (): ScenarioResult => {
    const base =
      last ??
      unmeasuredScenarioResult({
        scenario,
        status,
        dataset,
        measuredEnvironment,
        notes,
        serverOnClientMachine,
      });
    const claims = lagClaimVerdicts({
      claims: scenario.claims ?? [],
      steps,
      replicas: replicaCount,
      status,
      measuredEnvironment,
      serverOnClientMachine,
      warnings: notes,
    });
    const headline = claims.find((c) => c.measured !== null) ?? claims[0];
    return {
      ...base,
      status,
      dataset,
      steps,
      ...(replication ? { claims } : {}),
      ...(servers.replication ? { replication: servers.replication } : {}),
      ...(headline
        ? { verdict: { ...headline.verdict, text: `${headline.id}: ${headline.verdict.text}` } }
        : {}),
    };
  };

  try {
    preflightServer(servers.facts, scenario.load.connections + 8, servers.primary.displayUrl);
    dataset = await ensureDataset({
      shape: scenario.dataset,
      open: () => openAdminConnection(servers.primary),
      log,
      signal: ctx.signal,
    });
    for (const ratePerSec of rates) {
      if (ctx.signal.aborted) break;
      const caughtUp = await catchUp(servers, ctx.signal);
      const caughtUpBeforeMs = caughtUp?.waitedMs ?? null;
      if (caughtUp && caughtUp.waitedMs > 1000) {
        log(
          `${scenario.id}: replicas caught up (by ${caughtUp.method}) in ${formatMs(caughtUp.waitedMs)} before the ${formatRate(ratePerSec)}/s step`,
        );
      }
      const step = await runStep(
        ctx,
        servers,
        ratePerSec,
        measuredEnvironment,
        serverOnClientMachine,
        dataset,
        (p) => {
          probe = p;
        },
      );
      probe = undefined;
      if (step.loop.failure)
        notes.push(`the load stopped early at ${formatRate(ratePerSec)}/s: ${step.loop.failure}`);
      for (const problem of probeProblems(step.lag)) notes.push(`at ${formatRate(ratePerSec)}/s: ${problem}`);
      last = step.built;
      steps.push(
        buildStepResult({
          targetRatePerSec: ratePerSec,
          built: step.built,
          schedule: step.loop.measured?.schedule ?? null,
          backlogMs: DEFAULT_BACKLOG_MS,
          transactionName: transactionName(scenario),
          lag: step.lag,
          caughtUpBeforeMs,
          caughtUpBy: caughtUp?.method ?? null,
        }),
      );
      log(stepLine(steps.at(-1) as StepResult));
      if (step.loop.failure) {
        status = "failed";
        break;
      }
      if (step.loop.interrupted) {
        status = "interrupted";
        break;
      }
      ctx.onProgress(assemble());
    }
    if (ctx.signal.aborted && status === "complete") status = "interrupted";
    return assemble();
  } catch (error) {
    if (ctx.signal.aborted) {
      status = "interrupted";
      return assemble();
    }
    throw error;
  } finally {
    await (probe as LagProbe | undefined)?.stop().catch(() => undefined);
    await servers.stop();
  }
}

/** What interrupted the lag probe during a step: its lag figures then cover part of the step only. */
export function probeProblems(lag: LagProbeResult | null): string[] {
  if (!lag) return [];
  const out: string[] = [];
  if (lag.heartbeat.errors.length > 0)
    out.push(
      `heartbeats stopped (${lag.heartbeat.errors[0]}); lag covers only the part of the step before that`,
    );
  for (const replica of lag.replicas) {
    if (replica.errors.length === 0) continue;
    const reopened = replica.reconnects > 0 ? `, ${replica.reconnects} probe connection(s) reopened` : "";
    out.push(`lag probe on ${replica.name}: ${replica.errors[0]}${reopened}`);
  }
  return out;
}

/** A one-statement autocommit workload's transaction is that statement; otherwise "txn". */
function transactionName(scenario: ResolvedScenario): string {
  const statements = scenario.workload.steps.flatMap((s) => s.statements);
  const only = statements[0];
  return scenario.workload.transaction === false && statements.length === 1 && only ? only.name : "txn";
}

function stepLine(step: StepResult): string {
  const lags = Object.entries(step.lagMs)
    .map(
      ([name, l]) =>
        `${name} p50 ${l.p50 === null ? "-" : formatMs(l.p50)}, p99 ${l.p99 === null ? "-" : formatMs(l.p99)}`,
    )
    .join("; ");
  const share = step.targetRatePerSec > 0 ? step.achievedRatePerSec / step.targetRatePerSec : 0;
  const kept = step.sustained
    ? ""
    : ` (NOT sustained: ${(share * 100).toFixed(0)}% of the target, ${formatCount(step.dropped)} dropped, ${formatCount(step.discarded)} unsent)`;
  return `step ${formatRate(step.targetRatePerSec)}/s: achieved ${formatRate(step.achievedRatePerSec)}/s${kept}; lag ${lags || "no samples"}`;
}

async function runStep(
  ctx: LagRunContext,
  servers: Servers,
  ratePerSec: number,
  measuredEnvironment: string,
  serverOnClientMachine: boolean,
  dataset: DatasetOutcome,
  onProbe: (probe: LagProbe | undefined) => void,
): Promise<{ loop: LoadOutcome; built: ScenarioResult; lag: LagProbeResult | null }> {
  const { scenario } = ctx;
  const live = new ProgressLine();
  const label = `${scenario.id} @${formatRate(ratePerSec)}/s`;
  const admin = await openAdminConnection(servers.primary);
  const notes: string[] = [];
  const meter = new ClientCostMeter(ctx.hotPath);
  let before: Counters | undefined;
  let delta: Counters | null = null;
  let cost: ClientCost | null = null;
  let probe: LagProbe | undefined;
  let lag: LagProbeResult | null = null;
  const stopProbe = async () => {
    if (!probe) return;
    const running = probe;
    probe = undefined;
    onProbe(undefined);
    lag = await running.stop();
  };
  try {
    const loop = await runLoad({
      workload: scenario.workload,
      dataset: scenario.dataset,
      ...loadConnection(servers.primary),
      connections: scenario.load.connections,
      workers: Math.max(
        1,
        Math.min(
          ctx.workers ?? defaultOpenLoopWorkers(ratePerSec, undefined, serverOnClientMachine),
          scenario.load.connections,
        ),
      ),
      warmupMs: scenario.load.warmupMs,
      durationMs: scenario.load.durationMs,
      seed: ctx.seed,
      signal: ctx.signal,
      secrets: ctx.secrets,
      hotPath: ctx.hotPath,
      openLoop: { ratePerSec },
      ...(ctx.unreachableAfterMs !== undefined ? { unreachableAfterMs: ctx.unreachableAfterMs } : {}),
      ...(identityToVerify(servers.primary) ? { verifyHost: identityToVerify(servers.primary) } : {}),
      onInterval: (phase, interval, ops) => live.interval(label, phase, interval, ops, false),
      atBoundary: async (boundary) => {
        if (boundary === "before-measured") {
          // The probe starts first, so its own setup statements fall before the counter window.
          if (servers.replicas.length > 0) {
            probe = await startLagProbe({ primary: servers.primary, replicas: servers.replicas });
            onProbe(probe);
          }
          before = await readCountersOrNote(admin, notes);
          meter.start();
        } else if (boundary === "after-measured") {
          cost = meter.stop();
          const after = before ? await readCountersOrNote(admin, notes) : undefined;
          await stopProbe();
          if (before && after) {
            delta = counterDeltaOrNote(before, after, notes);
            // The probe's heartbeats are the only other updates on the primary in the window.
            const written = (lag as LagProbeResult | null)?.heartbeat.written ?? 0;
            if (delta?.Com_update !== undefined) delta.Com_update = Math.max(0, delta.Com_update - written);
          }
        }
      },
    });
    await stopProbe();
    live.message("");
    const built = buildScenarioResult({
      scenario,
      status: loop.failure ? "failed" : loop.interrupted ? "interrupted" : "complete",
      notes,
      serverOnClientMachine,
      dataset,
      loop,
      counterDelta: delta,
      clientCost: cost,
      measuredEnvironment,
    });
    return { loop, built, lag };
  } finally {
    meter.stop();
    await stopProbe().catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}
