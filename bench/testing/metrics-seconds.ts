import type { LiveContext, LiveSecond, ServerSecond } from "../live/second.js";
import type { IntervalAggregate, OpAggregate } from "../metrics/aggregate.js";
import { newLatencyHistogram } from "../metrics/histogram.js";
import type { PhaseName, WorkerHealth } from "../metrics/interval.js";
import { liveSecondOf } from "../run/live-second.js";
import type { OpTable } from "../workload/program.js";

/**
 * Seconds with figures chosen in advance, for checking what the metrics endpoint makes of them:
 * latencies are recorded into real HDR histograms, and the entry is built as the run builds it.
 */

/** A transactional workload of one SELECT: the ops a real op table has, in its order. */
export const ONE_SELECT_OPS: OpTable = {
  names: ["point_select", "begin", "commit", "rollback", "txn"],
  kinds: ["select", undefined, undefined, undefined, undefined],
  begin: 1,
  commit: 2,
  rollback: 3,
  txn: 4,
  intended: -1,
  lateness: -1,
  prepare: -1,
};

export interface SyntheticOp {
  /** Latencies of the successes, microseconds, as [value, how many times]. */
  latenciesUs?: [number, number][];
  errors?: number;
}

export interface SyntheticSecond {
  context: LiveContext;
  phase: PhaseName;
  /** The second of the phase (intervals[].t). */
  t: number;
  ops: Record<string, SyntheticOp>;
  errorsByCode?: Record<string, number>;
  health?: Partial<WorkerHealth>;
  server?: Pick<ServerSecond, "gauges" | "ratesPerSec"> | null;
  table?: OpTable;
  startEpochMs?: number;
}

function opAggregate(op: SyntheticOp | undefined): OpAggregate {
  const latencies = op?.latenciesUs ?? [];
  const histogram = newLatencyHistogram();
  let count = 0;
  for (const [valueUs, times] of latencies) {
    histogram.recordValueWithCount(valueUs, times);
    count += times;
  }
  return { count, errors: op?.errors ?? 0, rows: 0, histogram: count > 0 ? histogram : null, encoded: null };
}

export function syntheticSecond(spec: SyntheticSecond): LiveSecond {
  const table = spec.table ?? ONE_SELECT_OPS;
  const health: WorkerHealth = {
    utilization: 0.2,
    delayP99Ms: 1,
    delayMaxMs: 2,
    inFlight: 0,
    backlog: 0,
    alive: 0,
    lost: 0,
    reconnected: 0,
    spanMs: 1000,
    ...spec.health,
  };
  const interval: IntervalAggregate = {
    index: spec.t,
    ops: table.names.map((name) => opAggregate(spec.ops[name])),
    errorsByCode: { ...spec.errorsByCode },
    health: [health],
  };
  const startEpochMs = spec.startEpochMs ?? 1_700_000_000_000 + spec.t * 1000;
  const server = spec.server
    ? { t: spec.t, phase: spec.phase, readEpochMs: startEpochMs + health.spanMs, ...spec.server }
    : null;
  return liveSecondOf(
    {
      phase: spec.phase,
      interval,
      ops: table,
      phaseStartEpochMs: startEpochMs - spec.t * 1000,
      intervalMs: 1000,
      spanMs: health.spanMs,
      clientCpuMs: null,
      workers: 1,
      afterPhase: false,
    },
    spec.context,
    true,
    server,
  );
}
