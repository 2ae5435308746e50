import { encodeHistogram, newLatencyHistogram } from "../metrics/histogram.js";
import type {
  CrashResult,
  LatencySummary,
  PointResult,
  Result,
  ScenarioResult,
  StepResult,
  SweepResult,
} from "../result/schema.js";

/**
 * Hand-built results for the tests of what reads result.json (report, charts, compare, gate, merge):
 * every figure is set here, so each output traces back to it. Two kinds of scenario: the renderers'
 * (writeScenario, lagScenario, crashScenario: AWS's claims with figures like a real run's) and the
 * gate's and compare's (scenarioResult, perSecondScenario, rateStep: round figures whose per-second
 * samples are easy to reason about). Results around them: resultOf, resultOn (a named target),
 * writesResult, clientResult (one client of a run of several). Sweeps: sweepPoint, sweptScenario.
 */

export function histogramOf(valuesUs: readonly number[]): string {
  const histogram = newLatencyHistogram();
  for (const value of valuesUs) histogram.recordValue(value);
  return encodeHistogram(histogram);
}

/** A verdict of `outcome` as a claim on an r3.8xlarge measured on the test machine gives it. */
export const verdict = (
  outcome: ScenarioResult["verdict"]["outcome"],
  ratio: number | null,
  text: string,
): ScenarioResult["verdict"] => ({
  outcome,
  ratioToClaim: ratio,
  text,
  scaled: [],
  warnings: [],
  claimEnvironment: "r3.8xlarge",
  measuredEnvironment: "test machine",
});

/** A latency summary around `p99`: p50 half of it, p90 70%, p95 80%, p99.9 120%, max 150%. */
export function latency(p99: number, count: number, others: Partial<LatencySummary> = {}): LatencySummary {
  return {
    p50: p99 / 2,
    p90: p99 * 0.7,
    p95: p99 * 0.8,
    p99,
    p999: p99 * 1.2,
    max: p99 * 1.5,
    count,
    ...others,
  };
}

/** A latency summary of two levels: p50 and p90 at `p50`, everything from p95 up at `p99`. */
export const summary = (p50: number, p99: number, count: number): LatencySummary =>
  latency(p99, count, { p50, p90: p50, p95: p99, p999: p99, max: p99 });

export function writeScenario(overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    id: "aurora-write",
    title: "Aurora write claim",
    status: "complete",
    claim: {
      id: "write",
      metric: "writesPerSec",
      value: 100_000,
      unit: "writes/s",
      quote: "100K writes",
      source: "re:Invent",
      hardware: { server: "r3.8xlarge", clients: "4 x r3.8xlarge" },
      method: { clients: 4, connectionsPerClient: 1000, tables: 250, tableSize: 25000, duration: "600s" },
    },
    measured: { metric: "writesPerSec", value: 14_705 },
    verdict: verdict("client-bound", 0.14705, "Client-bound: the load generator was the bottleneck."),
    config: {
      dataset: { tables: 250, tableSize: 25000 },
      load: { clients: 4, connectionsPerClient: 1000, warmupMs: 10_000, durationMs: 60_000 },
      quick: false,
    },
    dataset: null,
    measuredFrom: "2026-11-22T04:00:00.000Z",
    measuredTo: "2026-11-22T04:01:00.000Z",
    measuredMs: 60_000,
    connections: { opened: 4000, aliveAtEnd: 4000 },
    counts: { reads: 0, writes: 882_300, txns: 220_575, errors: 3, rollbacks: 3, rows: 882_300 },
    throughput: { readsPerSec: 0, writesPerSec: 14_705, txnPerSec: 3676.25 },
    latencyMs: { update_index: summary(179, 571, 220_575), txn: summary(1068, 1615, 220_575) },
    errors: { "1213": 3 },
    serverCounters: null,
    warmup: null,
    intervals: [0, 1, 2].map((t) => ({
      t,
      readsPerSec: 0,
      writesPerSec: 14_000 + t * 100,
      txnPerSec: 3500 + t * 25,
      errors: 0,
      latencyMs: {},
      histograms: {},
      generator: {
        utilizationMax: 0.5,
        delayP99MaxMs: 1,
        inFlight: 10,
        backlog: 0,
        clientCpuMs: 500,
        clientBound: false,
      },
    })),
    histograms: { txn: histogramOf([1000, 2000, 3000, 4000, 100_000]) },
    client: null,
    generator: null,
    ...overrides,
  };
}

export function lagStep(
  ratePerSec: number,
  lagP50Ms: number,
  overrides: Partial<StepResult> = {},
): StepResult {
  return {
    targetRatePerSec: ratePerSec,
    achievedRatePerSec: ratePerSec,
    scheduled: ratePerSec * 30,
    started: ratePerSec * 30,
    dropped: 0,
    discarded: 0,
    maxBacklog: 1,
    backlogMs: 10_000,
    sustained: true,
    measuredFrom: "2026-11-22T04:02:00.000Z",
    measuredTo: "2026-11-22T04:02:30.000Z",
    measuredMs: 30_000,
    latencyMs: { update: summary(1.95, 8.64, ratePerSec * 30) },
    serviceTimeMs: { update: summary(1.5, 7.55, ratePerSec * 30), txn: summary(1.5, 7.55, ratePerSec * 30) },
    sendLatenessMs: summary(0.4, 1.69, ratePerSec * 30),
    errors: {},
    counts: { reads: 0, writes: ratePerSec * 30, txns: ratePerSec * 30, errors: 0, rollbacks: 0, rows: 0 },
    serverCounters: null,
    intervals: [],
    histograms: { update: histogramOf([1000, 1500, 2000]), intended: histogramOf([1200, 1800, 9000]) },
    generator: null,
    lagMs: {
      "replica-1": { p50: lagP50Ms, p90: lagP50Ms * 2, p99: lagP50Ms * 7, max: lagP50Ms * 20, samples: 2989 },
    },
    lag: {
      heartbeatIntervalMs: 10,
      heartbeatsWritten: 3000,
      heartbeatCommitMs: { p50: 1, p99: 3, max: 5 },
      heartbeatErrors: [],
      matchWindowMs: 60_000,
      replicas: [
        {
          name: "replica-1",
          lagMs: { p50: lagP50Ms, p90: lagP50Ms * 2, p99: lagP50Ms * 7, max: lagP50Ms * 20, samples: 2989 },
          histogram: histogramOf([1450]),
          perSecond: [
            { second: 0, count: 100, p50Ms: lagP50Ms, p99Ms: lagP50Ms * 7, maxMs: lagP50Ms * 20 },
            { second: 1, count: 100, p50Ms: lagP50Ms * 1.1, p99Ms: lagP50Ms * 6, maxMs: lagP50Ms * 9 },
          ],
          unseen: 0,
          overWindow: 0,
          beforeAck: 0,
          foreign: 0,
          polls: 30_000,
          pollIntervalMs: 1.2,
          pollIntervalP99Ms: 2,
          roundTripMs: 0.3,
          resolutionMs: 1.35,
          serverReported: [{ tMs: 1000, secondsBehind: 0, auroraLagMs: null }],
          errors: [],
        },
      ],
    },
    caughtUpBeforeMs: 12,
    ...overrides,
  };
}

export function lagScenario(): ScenarioResult {
  const steps = [
    lagStep(2000, 1.45),
    lagStep(13_800, 3320, {
      achievedRatePerSec: 4758,
      sustained: false,
      dropped: 131_874,
      discarded: 129_405,
    }),
  ];
  return writeScenario({
    id: "replica-lag",
    title: "Aurora replica lag",
    claim: null,
    measured: null,
    steps,
    claims: [
      {
        id: "lag-mysql",
        metric: "lagMs",
        statistic: "p50",
        value: 2000,
        unit: "ms",
        ratePerSec: 2000,
        replicas: 1,
        system: "mysql",
        quote: "~2 s",
        source: "re:Invent",
        hardware: "r3.8xlarge",
        measured: { stepRatePerSec: 2000, achievedRatePerSec: 2000, replica: "replica-1", valueMs: 1.45 },
        // A baseline: AWS's MySQL 5.6, set beside the target, never met by it.
        verdict: verdict(
          "baseline",
          1.45 / 2000,
          "MySQL 5.6 (as AWS measured it): 2000 ms at 2,000 updates/s with 1 replica; this target: p50 1.45 ms on replica-1 at 2,000 updates/s, 1,400x lower.",
        ),
      },
      {
        id: "lag-aurora",
        metric: "lagMs",
        statistic: "p50",
        value: 7.2,
        unit: "ms",
        ratePerSec: 13_800,
        replicas: 1,
        system: "aurora",
        quote: "7.2 ms",
        source: "re:Invent",
        hardware: "r3.8xlarge",
        measured: { stepRatePerSec: 13_800, achievedRatePerSec: 4758, replica: "replica-1", valueMs: 3320 },
        verdict: verdict("not-met", 3320 / 7.2, "The primary did not sustain 13,800 updates/s."),
      },
    ],
  });
}

/** One crash as the crash runner records it: every figure set here. */
export function crashEntry(
  cache: CrashResult["cache"],
  downtimeMs: number,
  recoveryMs: number,
  outcome: ScenarioResult["verdict"]["outcome"] = "met",
): CrashResult {
  const window = (fromMs: number, writesPerSec: number, p99Ms: number) => ({
    fromMs,
    toMs: fromMs + 10_000,
    writesPerSec,
    txnPerSec: writesPerSec / 4,
    p99Ms,
  });
  return {
    method: "sandbox-kill",
    cache,
    description: `SIGKILL of the sandbox server, ${cache} restart`,
    at: "2026-11-22T04:00:20.000Z",
    atMs: 20_000,
    downtimeMs,
    outage: { fromMs: 19_995, toMs: 19_995 + downtimeMs },
    recoveryMs,
    recoveryShare: 0.9,
    restartMs: downtimeMs - 100,
    before: window(10_000, 20_000, 7.5),
    after: window(22_000, 18_000, 9.25),
    errors: { PROTOCOL_CONNECTION_LOST: 16 },
    connectionsLost: 16,
    reconnected: 16,
    tickMs: 100,
    // 5,000 commits/s (500 per tick) until the crash at tick 200, none for 15 ticks, then back.
    commitsPerTick: Array.from({ length: 300 }, (_, i) => (i >= 200 && i < 215 ? 0 : 500)),
    intervals: [],
    steps: [
      {
        name: "kill",
        action: "kill -KILL 4242",
        startedAt: "2026-11-22T04:00:20.000Z",
        durationMs: 11,
        ok: true,
        exitCode: null,
        output: "killed",
      },
    ],
    failure: null,
    integrity: { tables: 8, rowsBefore: 80_000, rowsAfter: 80_000, ok: true },
    claims: [
      {
        id: "crash",
        metric: "downtimeMs",
        value: 10_000,
        quote: "instant crash recovery",
        source: "SIGMOD 2017",
        measuredMs: downtimeMs,
        verdict: verdict(outcome, downtimeMs / 10_000, `downtime ${downtimeMs} ms`),
      },
    ],
    notes: [],
  };
}

export function crashScenario(): ScenarioResult {
  return writeScenario({
    id: "crash-recovery",
    title: "Aurora crash claims",
    claim: null,
    measured: null,
    crashes: [crashEntry("warm", 520, 600), crashEntry("cold", 1420, 12_500, "not-met")],
  });
}

/** Alternates `center - spread`, `center + spread` for `n` seconds. */
export function alternating(center: number, spread: number, n = 10): number[] {
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? center - spread : center + spread));
}

/** Per-second latency of one operation: p50 and p99 (and max, default p99) of each second. */
export interface LatencyPerSecond {
  p50: number[];
  p99: number[];
  max?: number[];
}

export interface PerSecond {
  writesPerSec?: number[];
  readsPerSec?: number[];
  txnPerSec?: number[];
  /** The txn p99 of each second, with p50 half of it and max 1.5 times it. */
  txnP99?: number[];
  /** Per operation: each second's percentiles (a txn here takes the place of `txnP99`'s). */
  latencyMs?: Record<string, LatencyPerSecond>;
}

/** The per-second latency of each operation of `series`: `txnP99` spelt out, then `latencyMs`. */
function latencySeries(series: PerSecond): Record<string, LatencyPerSecond> {
  const txn = series.txnP99;
  return {
    ...(txn ? { txn: { p50: txn.map((p99) => p99 / 2), p99: txn, max: txn.map((p99) => p99 * 1.5) } } : {}),
    ...series.latencyMs,
  };
}

/** The number of seconds of `series`: its longest series. */
function secondsOf(series: PerSecond): number {
  return Math.max(
    series.writesPerSec?.length ?? 0,
    series.readsPerSec?.length ?? 0,
    series.txnPerSec?.length ?? 0,
    ...Object.values(latencySeries(series)).map((op) => op.p99.length),
  );
}

/**
 * One interval per second; a rate not given is 0, and an operation has latency in the seconds it
 * has both a p50 and a p99 for.
 */
export function intervals(series: PerSecond): ScenarioResult["intervals"] {
  const latencies = Object.entries(latencySeries(series));
  return Array.from({ length: secondsOf(series) }, (_, t): ScenarioResult["intervals"][number] => ({
    t,
    readsPerSec: series.readsPerSec?.[t] ?? 0,
    writesPerSec: series.writesPerSec?.[t] ?? 0,
    txnPerSec: series.txnPerSec?.[t] ?? 0,
    errors: 0,
    latencyMs: Object.fromEntries(
      latencies.flatMap(([op, { p50, p99, max }]) => {
        const at = { p50: p50[t], p99: p99[t] };
        if (at.p50 === undefined || at.p99 === undefined) return [];
        return [[op, { p50: at.p50, p99: at.p99, max: max?.[t] ?? at.p99 }]];
      }),
    ),
    histograms: {},
    generator: {
      utilizationMax: 0.5,
      delayP99MaxMs: 1,
      inFlight: 0,
      backlog: 0,
      clientCpuMs: null,
      clientBound: false,
    },
  }));
}

/**
 * The gate's scenario, with no claim: 10 measured seconds, 1,000 writes/s and 250 txn/s (samples
 * alternating 995/1,005 and 248/252), no reads, statements update 5,000 + insert 5,000 + begin
 * 2,500 + commit 2,500 = 15,000 sent, no errors, txn p99 20 ms (per second alternating 19/21 ms).
 * `thresholds` go into its config, as a scenario file gives them.
 */
export function scenarioResult(
  overrides: Partial<ScenarioResult> = {},
  thresholds?: string[],
): ScenarioResult {
  return {
    id: "writes",
    title: "Writes",
    status: "complete",
    claim: null,
    measured: null,
    verdict: {
      outcome: "no-claim",
      ratioToClaim: null,
      text: "",
      scaled: [],
      warnings: [],
      claimEnvironment: "",
      measuredEnvironment: "",
    },
    config: { id: "writes", ...(thresholds ? { thresholds } : {}) },
    dataset: null,
    measuredFrom: "2026-01-01T00:00:00.000Z",
    measuredTo: "2026-01-01T00:00:10.000Z",
    measuredMs: 10_000,
    connections: { opened: 8, aliveAtEnd: 8 },
    counts: { reads: 0, writes: 10_000, txns: 2_500, errors: 0, rollbacks: 0, rows: 10_000 },
    throughput: { readsPerSec: 0, writesPerSec: 1000, txnPerSec: 250 },
    latencyMs: {
      update: latency(5, 5_000),
      insert: latency(4, 5_000),
      begin: latency(0.5, 2_500),
      commit: latency(3, 2_500),
      txn: latency(20, 2_500),
    },
    errors: {},
    serverCounters: null,
    warmup: null,
    intervals: intervals({
      writesPerSec: alternating(1000, 5),
      txnPerSec: alternating(250, 2),
      txnP99: alternating(20, 1),
    }),
    histograms: {},
    client: null,
    generator: null,
    ...overrides,
  };
}

/**
 * A fixed-rate step: `achieved` of `target` per second, lag per replica, update latency p99. A
 * replica's lag is its p99 (p50 a quarter of it, p90 half, max twice), its p50 and p99 (p90 and max
 * at p99), or null: no samples.
 */
export function rateStep(
  target: number,
  achieved: number,
  lagByReplica: Record<string, number | { p50: number; p99: number } | null>,
  overrides: Partial<StepResult> = {},
): StepResult {
  const count = achieved * 10;
  const lagMs: StepResult["lagMs"] = {};
  for (const [name, lag] of Object.entries(lagByReplica)) {
    if (lag === null) lagMs[name] = { p50: null, p90: null, p99: null, max: null, samples: 0 };
    else if (typeof lag === "number")
      lagMs[name] = { p50: lag / 4, p90: lag / 2, p99: lag, max: lag * 2, samples: 1000 };
    else lagMs[name] = { p50: lag.p50, p90: lag.p99, p99: lag.p99, max: lag.p99, samples: 1000 };
  }
  return {
    targetRatePerSec: target,
    achievedRatePerSec: achieved,
    scheduled: target * 10,
    started: count,
    dropped: 0,
    discarded: 0,
    maxBacklog: 0,
    backlogMs: 10_000,
    sustained: achieved >= target * 0.95,
    measuredFrom: "2026-01-01T00:00:00.000Z",
    measuredTo: "2026-01-01T00:00:10.000Z",
    measuredMs: 10_000,
    latencyMs: { update: latency(8, count) },
    serviceTimeMs: { update: latency(6, count), txn: latency(6, count) },
    sendLatenessMs: null,
    errors: {},
    counts: { reads: 0, writes: count, txns: count, errors: 0, rollbacks: 0, rows: count },
    serverCounters: null,
    intervals: [],
    histograms: {},
    generator: null,
    lagMs,
    lag: null,
    caughtUpBeforeMs: null,
    ...overrides,
  };
}

/** A whole result around `scenarios`: a run of the tool against a MariaDB on 127.0.0.1. */
export function resultOf(scenarios: ScenarioResult[], overrides: Partial<Result> = {}): Result {
  return {
    schemaVersion: 1,
    tool: { name: "reinvent-bench", version: "0.1.0" },
    status: "complete",
    startedAt: "2026-11-22T04:00:00.000Z",
    finishedAt: "2026-11-22T04:04:00.000Z",
    command: ["run", "aurora-claims"],
    environment: {
      client: {
        hostname: "testhost",
        cpus: 2,
        cpuModel: "Test CPU",
        memoryBytes: 24 * 1024 ** 3,
        os: "linux",
        node: "v20.20.0",
        driver: { name: "mysql2", version: "3.24.6" },
      },
      target: {
        url: "mysql://bench:***@127.0.0.1:3306/sbtest",
        version: "10.11.19-MariaDB",
        flavor: "mariadb",
        variables: { innodb_flush_log_at_trx_commit: "1", sync_binlog: "0" },
        sandbox: null,
      },
    },
    scenarios,
    ...overrides,
  };
}

/**
 * A result of `scenarios` run against `mysql://bench:***@{host}:3306/sbtest`, a `flavor` `version`
 * (default MySQL 8.0.36, so that it makes a baseline for AWS's claim).
 */
export function resultOn(
  host: string,
  scenarios: ScenarioResult[],
  target: { flavor?: string; version?: string } = {},
): Result {
  const base = resultOf(scenarios);
  return {
    ...base,
    environment: {
      ...base.environment,
      target: {
        ...base.environment.target,
        url: `mysql://bench:***@${host}:3306/sbtest`,
        flavor: target.flavor ?? "mysql",
        version: target.version ?? "8.0.36",
      },
    },
  };
}

const mean = (values: readonly number[] = []) =>
  values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * For compare: the gate's scenario measured for one whole second per value of `series`, on 100
 * connections, its throughput each rate's mean and its latency each operation's mean p50 and p99 (a
 * two-level summary, see `summary`, of one count per second). `overrides` go last.
 */
export function perSecondScenario(
  id: string,
  series: PerSecond,
  overrides: Partial<ScenarioResult> = {},
): ScenarioResult {
  const seconds = secondsOf(series);
  return scenarioResult({
    id,
    title: id,
    measuredMs: seconds * 1000,
    connections: { opened: 100, aliveAtEnd: 100 },
    throughput: {
      writesPerSec: mean(series.writesPerSec),
      readsPerSec: mean(series.readsPerSec),
      txnPerSec: mean(series.txnPerSec),
    },
    latencyMs: Object.fromEntries(
      Object.entries(latencySeries(series)).map(([op, l]) => [
        op,
        summary(mean(l.p50), mean(l.p99), seconds),
      ]),
    ),
    intervals: intervals(series),
    ...overrides,
  });
}

/**
 * For compare: one aurora-write scenario of a whole second per figure of `writesPerSec`, with no
 * reads, transactions or latency to compare besides, on a target of `flavor` (MySQL 8.0.36 by its
 * version, so a MySQL or MariaDB `a` makes a baseline for AWS's claim).
 */
export function writesResult(writesPerSec: number[], flavor = "mysql"): Result {
  return resultOn(flavor, [perSecondScenario("aurora-write", { writesPerSec })], { flavor });
}

/**
 * Client `index`'s result of run r1 of `count` clients (host h{index}): the write scenario, its txn
 * histogram of `latenciesUs` and its measured phase starting `index` ms after client 0's.
 */
export function clientResult(
  index: number,
  count = 2,
  latenciesUs: readonly number[] = [1000],
  clients: Partial<NonNullable<Result["clients"]>> = {},
): Result {
  const scenario = writeScenario({
    histograms: { txn: histogramOf(latenciesUs) },
    measuredFrom: new Date(Date.parse("2026-11-22T04:00:00.000Z") + index).toISOString(),
  });
  return {
    ...resultOf([scenario]),
    clients: { count, index, runId: "r1", hosts: [`h${index}`], ...clients },
  };
}

/** What a sweep point measured: its transactions per second, its txn p99, and whether the client was the bottleneck. */
export interface PointFigures {
  txnPerSec: number;
  txnP99Ms: number;
  clientBound?: boolean;
}

/**
 * One point of a sweep at `value` of `parameter`, over 10 measured seconds on `value` connections:
 * `txnPerSec` with writes 4 times it and no reads (as the gate's scenario), latency of update (p99 a
 * quarter of the txn's) and txn (p99 `txnP99Ms`), see `latency`. `overrides` go last.
 */
export function sweepPoint(
  parameter: PointResult["parameter"],
  value: number,
  figures: PointFigures,
  overrides: Partial<PointResult> = {},
): PointResult {
  const txns = figures.txnPerSec * 10;
  const clientBound = figures.clientBound ?? false;
  return {
    parameter,
    value,
    status: "complete",
    connections: value,
    dataset: null,
    measuredMs: 10_000,
    counts: { reads: 0, writes: txns * 4, txns, errors: 0, rollbacks: 0, rows: txns * 4 },
    throughput: { readsPerSec: 0, writesPerSec: figures.txnPerSec * 4, txnPerSec: figures.txnPerSec },
    latencyMs: { update: latency(figures.txnP99Ms / 4, txns * 2), txn: latency(figures.txnP99Ms, txns) },
    errors: {},
    serverCounters: null,
    histograms: {},
    client: null,
    generator: {
      intervals: 10,
      clientBoundIntervals: clientBound ? 9 : 0,
      utilizationMean: clientBound ? 0.95 : 0.5,
      utilizationMax: clientBound ? 1 : 0.6,
      delayP99MaxMs: 1,
      clientCpuCores: 1,
      clientBound,
    },
    verdict: scenarioResult().verdict,
    ...overrides,
  };
}

/**
 * The gate's scenario `id` run as a sweep of `points` (all over one parameter, the first's): the
 * summary's values are the points' own, its metric txnPerSec, its peak the point of most, with no
 * fall past it and no fit; `sweep` overrides the summary (a published table, another metric). The
 * scenario's own figures are the peak point's, as a sweep's result has them. `overrides` go last.
 */
export function sweptScenario(
  id: string,
  points: PointResult[],
  sweep: Partial<SweepResult> = {},
  overrides: Partial<ScenarioResult> = {},
): ScenarioResult {
  const metric = (sweep.metric ?? "txnPerSec") as keyof PointResult["throughput"];
  const peak = points.reduce<PointResult | undefined>(
    (best, p) => (!best || p.throughput[metric] > best.throughput[metric] ? p : best),
    undefined,
  );
  return scenarioResult({
    id,
    title: id,
    ...(peak
      ? {
          connections: { opened: peak.connections, aliveAtEnd: peak.connections },
          counts: peak.counts,
          throughput: peak.throughput,
          latencyMs: peak.latencyMs,
          generator: peak.generator,
        }
      : {}),
    points,
    sweep: {
      parameter: points[0]?.parameter ?? "connections",
      values: points.map((p) => p.value),
      metric,
      peak: peak ? { value: peak.value, throughputPerSec: peak.throughput[metric] } : null,
      pastPeak: [],
      usl: null,
      ...sweep,
    },
    ...overrides,
  });
}

/** How one replica of a lag step was timed, as the probe records it. */
export interface ReplicaMethod {
  name: string;
  method: "gtid-wait" | "poll";
  methodReason: string;
  resolutionMs: number;
}

/**
 * `step` with one probe replica per entry, each a copy of the step's first replica with its own
 * name, method, reason and resolution (a GTID wait has no poll interval; waits are left null).
 */
export function lagStepWithMethods(step: StepResult, replicas: readonly ReplicaMethod[]): StepResult {
  const lag = step.lag;
  const first = lag?.replicas[0];
  if (!lag || !first) throw new Error("lagStepWithMethods: the step has no probe replica to copy");
  return {
    ...step,
    lagMs: Object.fromEntries(replicas.map((r) => [r.name, first.lagMs])),
    lag: {
      ...lag,
      replicas: replicas.map((r) => ({
        ...first,
        ...r,
        pollIntervalMs: r.method === "poll" ? first.pollIntervalMs : null,
        pollIntervalP99Ms: r.method === "poll" ? first.pollIntervalP99Ms : null,
        waits: null,
      })),
    },
  };
}

/** The replication record of a run on given servers, with the --lag-method asked for. */
export function givenReplication(
  replicas: readonly string[],
  lagMethod: "auto" | "gtid-wait" | "poll" = "auto",
): NonNullable<ScenarioResult["replication"]> {
  return {
    source: "given",
    primary: "mysql://bench:***@10.0.0.1:3306/sbtest",
    replicas: replicas.map((name, i) => ({ name, url: `mysql://bench:***@10.0.0.${i + 2}:3306/sbtest` })),
    lagMethod,
    settings: [],
    startupMs: null,
  };
}

/** A replica timed by GTID wait, as auto chooses it on a MariaDB replica following by GTID. */
export const WAITED_REPLICA: ReplicaMethod = {
  name: "replica-1",
  method: "gtid-wait",
  methodReason: "MASTER_GTID_WAIT (its channel: Using_Gtid Slave_Pos)",
  resolutionMs: 0.05,
};

/** A replica auto polled: it follows by file and position, with no GTID to wait for. */
export const POLLED_REPLICA: ReplicaMethod = {
  name: "replica-2",
  method: "poll",
  methodReason: "its channel follows by file and position (Using_Gtid No); reads the heartbeat row instead",
  resolutionMs: 1.35,
};

/** lagScenario with one 2,000/s step timed on `replicas` (default: one waited, one polled) under `asked`. */
export function lagMethodScenario(
  asked: "auto" | "gtid-wait" | "poll",
  replicas: readonly ReplicaMethod[] = [WAITED_REPLICA, POLLED_REPLICA],
): ScenarioResult {
  return {
    ...lagScenario(),
    steps: [lagStepWithMethods(lagStep(2000, 1.45), replicas)],
    replication: givenReplication(
      replicas.map((r) => r.name),
      asked,
    ),
  };
}

/** The server's figures of one second: only the names given, as a server reports some and not others. */
export interface ServerSecondFigures {
  ratesPerSec?: Record<string, number>;
  gauges?: Record<string, number>;
}

/**
 * `intervals` with the server's figures of second t taken from `seconds[t]` (undefined: that second
 * was not read, as after a failed read), each read on time: at the second's end, over 1,000 ms, in 2 ms.
 */
export function withServerFigures(
  intervals: ScenarioResult["intervals"],
  seconds: readonly (ServerSecondFigures | undefined)[],
  phaseStartEpochMs = Date.parse("2026-11-22T04:00:00.000Z"),
): ScenarioResult["intervals"] {
  return intervals.map((interval) => {
    const figures = seconds[interval.t];
    if (!figures) return interval;
    return {
      ...interval,
      server: {
        readEpochMs: phaseStartEpochMs + (interval.t + 1) * 1000,
        spanMs: 1000,
        readMs: 2,
        ratesPerSec: { ...figures.ratesPerSec },
        gauges: { ...figures.gauges },
      },
    };
  });
}
