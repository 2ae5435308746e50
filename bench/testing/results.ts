import { encodeHistogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { CrashResult, Result, ScenarioResult, StepResult } from "../result/schema.js";

/** Hand-built results for renderer tests: every figure is set here, so each output traces back to it. */

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

const summary = (p50: number, p99: number, count: number) => ({
  p50,
  p90: p50,
  p95: p99,
  p99,
  p999: p99,
  max: p99,
  count,
});

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

export function resultOf(scenarios: ScenarioResult[]): Result {
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
  };
}
