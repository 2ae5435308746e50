import type { LiveContext, LiveSecond, ServerSecond } from "../live/second.js";
import type { IntervalAggregate, OpAggregate } from "../metrics/aggregate.js";
import { type Histogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { PhaseName, WorkerHealth } from "../metrics/interval.js";
import { liveSecondOf } from "../run/live-second.js";
import type { OpTable } from "../workload/program.js";

/**
 * Seconds with known contents for the live outputs' tests: histograms filled with chosen values,
 * and result.json's figures computed from them the way a run computes them.
 */

/** A transactional workload's op table: two statements, then the bookkeeping ops. */
export const TEST_OPS: OpTable = {
  names: ["point_select", "update_index", "begin", "commit", "rollback", "txn"],
  kinds: ["select", "update", undefined, undefined, undefined, undefined],
  begin: 2,
  commit: 3,
  rollback: 4,
  txn: 5,
  intended: -1,
  lateness: -1,
  prepare: -1,
};

export const TEST_CONTEXT: LiveContext = {
  scenario: "aurora-read",
  label: 'aurora-read @ 16 connections, "hot"',
  targetRatePerSec: null,
  client: 0,
};

export function recordedUs(values: readonly number[]): Histogram {
  const histogram = newLatencyHistogram();
  for (const value of values) histogram.recordValue(value);
  return histogram;
}

export interface TestSecondSpec {
  t: number;
  phase?: PhaseName;
  startEpochMs: number;
  spanMs?: number;
  /** Latencies in microseconds per op name; ops not named completed nothing. */
  samplesUs: Record<string, readonly number[]>;
  /** Errors by code, counted against the first op. */
  errorsByCode?: Record<string, number>;
  health?: Partial<WorkerHealth>;
  clientCpuMs?: number | null;
  server?: ServerSecond | null;
  context?: Partial<LiveContext>;
}

export function testSecond(spec: TestSecondSpec): LiveSecond {
  const spanMs = spec.spanMs ?? 1000;
  const errorsByCode = spec.errorsByCode ?? {};
  const errors = Object.values(errorsByCode).reduce((sum, n) => sum + n, 0);
  const ops: OpAggregate[] = TEST_OPS.names.map((name, i) => {
    const values = spec.samplesUs[name] ?? [];
    return {
      count: values.length,
      errors: i === 0 ? errors : 0,
      rows: values.length,
      histogram: values.length > 0 ? recordedUs(values) : null,
      encoded: null,
    };
  });
  const health: WorkerHealth = {
    utilization: 0.42,
    delayP99Ms: 1.5,
    delayMaxMs: 3.25,
    inFlight: 7,
    backlog: 3,
    alive: 16,
    lost: 0,
    reconnected: 0,
    spanMs,
    ...spec.health,
  };
  const interval: IntervalAggregate = {
    index: spec.t,
    ops,
    errorsByCode: { ...errorsByCode },
    health: [health],
  };
  return liveSecondOf(
    {
      phase: spec.phase ?? "measured",
      interval,
      ops: TEST_OPS,
      phaseStartEpochMs: spec.startEpochMs - spec.t * 1000,
      intervalMs: 1000,
      spanMs,
      clientCpuMs: spec.clientCpuMs ?? null,
      workers: 1,
      afterPhase: false,
    },
    { ...TEST_CONTEXT, ...spec.context },
    true,
    spec.server ?? null,
  );
}
