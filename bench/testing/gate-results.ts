import type { LatencySummary, Result, ScenarioResult, StepResult } from "../result/schema.js";

/**
 * Minimal hand-built results for the gate's tests. The default scenario: 10 measured seconds,
 * 1,000 writes/s and 250 txn/s (samples alternating 995/1,005 and 248/252), no reads, statements
 * update 5,000 + insert 5,000 + begin 2,500 + commit 2,500 = 15,000 sent, no errors, txn p99 20 ms
 * (per second alternating 19/21 ms).
 */

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
export function step(
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

export function result(scenarios: ScenarioResult[], overrides: Partial<Result> = {}): Result {
  return {
    schemaVersion: 1,
    tool: { name: "reinvent-bench", version: "0.1.0" },
    status: "complete",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    command: ["reinvent-bench", "run", "writes"],
    environment: {
      client: {
        hostname: "test",
        cpus: 2,
        cpuModel: "test",
        memoryBytes: 1,
        os: "linux",
        node: "v20",
        driver: { name: "mysql2", version: "3" },
      },
      target: { url: "mysql://test", version: "10.11", flavor: "mariadb", variables: {}, sandbox: null },
    },
    scenarios,
    ...overrides,
  };
}
