import { encodeHistogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { CrashResult, LatencySummary, Result, ScenarioResult, StepResult } from "../result/schema.js";

/**
 * Hand-built results for the tests of what reads result.json (report, charts, compare, gate, merge):
 * every figure is set here, so each output traces back to it. Two kinds of scenario: the renderers'
 * (writeScenario, lagScenario, crashScenario: AWS's claims with figures like a real run's) and the
 * gate's (scenarioResult, rateStep: round figures whose per-second samples are easy to reason about).
 */

export function histogramOf(valuesUs: readonly number[]): string {
  const histogram = newLatencyHistogram();
  for (const value of valuesUs) histogram.recordValue(value);
  return encodeHistogram(histogram);
}

const verdict = (outcome: ScenarioResult["verdict"]["outcome"], ratio: number | null, text: string) => ({
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
const summary = (p50: number, p99: number, count: number) =>
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
        verdict: verdict("met", 1.45 / 2000, "lag p50 1.45 ms: no more than the MySQL 5.6."),
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

export interface PerSecond {
  writesPerSec?: number[];
  readsPerSec?: number[];
  txnPerSec?: number[];
  txnP99?: number[];
}

/** One interval per second; a series not given is 0 (rates) or absent (txn latency). */
export function intervals(series: PerSecond): ScenarioResult["intervals"] {
  const n = Math.max(
    series.writesPerSec?.length ?? 0,
    series.readsPerSec?.length ?? 0,
    series.txnPerSec?.length ?? 0,
    series.txnP99?.length ?? 0,
  );
  return Array.from({ length: n }, (_, t): ScenarioResult["intervals"][number] => {
    const p99 = series.txnP99?.[t];
    return {
      t,
      readsPerSec: series.readsPerSec?.[t] ?? 0,
      writesPerSec: series.writesPerSec?.[t] ?? 0,
      txnPerSec: series.txnPerSec?.[t] ?? 0,
      errors: 0,
      latencyMs: p99 === undefined ? {} : { txn: { p50: p99 / 2, p99, max: p99 * 1.5 } },
      histograms: {},
      generator: {
        utilizationMax: 0.5,
        delayP99MaxMs: 1,
        inFlight: 0,
        backlog: 0,
        clientCpuMs: null,
        clientBound: false,
      },
    };
  });
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

/** A fixed-rate step: `achieved` of `target` per second, lag p99 per replica, update latency p99. */
export function rateStep(
  target: number,
  achieved: number,
  lagP99ByReplica: Record<string, number | null>,
  overrides: Partial<StepResult> = {},
): StepResult {
  const count = achieved * 10;
  const lagMs: StepResult["lagMs"] = {};
  for (const [name, p99] of Object.entries(lagP99ByReplica)) {
    lagMs[name] =
      p99 === null
        ? { p50: null, p90: null, p99: null, max: null, samples: 0 }
        : { p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2, samples: 1000 };
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
 * For compare: one aurora-write scenario of a whole second per figure of `writesPerSec`, with no
 * reads, transactions or latency to compare besides, on a target of `flavor` (MySQL 8.0.36 by its
 * version, so a MySQL or MariaDB `a` makes a baseline for AWS's claim).
 */
export function writesResult(writesPerSec: number[], flavor = "mysql"): Result {
  const base = resultOf([
    scenarioResult({
      id: "aurora-write",
      title: "aurora-write",
      measuredMs: writesPerSec.length * 1000,
      connections: { opened: 100, aliveAtEnd: 100 },
      throughput: {
        writesPerSec: writesPerSec.reduce((sum, value) => sum + value, 0) / writesPerSec.length,
        readsPerSec: 0,
        txnPerSec: 0,
      },
      latencyMs: {},
      intervals: intervals({ writesPerSec }),
    }),
  ]);
  return {
    ...base,
    environment: {
      ...base.environment,
      target: {
        ...base.environment.target,
        url: `mysql://bench:***@${flavor}:3306/sbtest`,
        flavor,
        version: "8.0.36",
      },
    },
  };
}
