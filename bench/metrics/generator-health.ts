import type { WorkerHealth } from "./interval.js";

/**
 * When the load generator, not the database, sets the pace. A worker whose event loop is busy more
 * than this share of an interval cannot pick up replies as they arrive; a loop this late (p99) delays
 * every reply it handles. Either way the interval measures the client.
 */
export const CLIENT_BOUND_UTILIZATION = 0.9;
export const CLIENT_BOUND_DELAY_MS = 5;
/** A scenario whose measured phase has more than this share of client-bound seconds gets no database verdict. */
export const CLIENT_BOUND_SHARE = 0.1;

export interface IntervalGeneratorHealth {
  /** Busiest worker's event-loop utilization, 0..1. */
  utilizationMax: number;
  /** Worst worker's event-loop delay p99, in milliseconds. */
  delayP99MaxMs: number;
  /** Statements outstanding at the interval's end, over all workers. */
  inFlight: number;
  /** Open loop: ops waiting for a free connection at the interval's end, over all workers. */
  backlog: number;
  /** CPU time the whole client process used in the interval (all threads), milliseconds; null if not sampled. */
  clientCpuMs: number | null;
  clientBound: boolean;
}

/** Samples shorter than this (the tail of a phase, mostly draining) are too short to judge the client by. */
export const MIN_SPAN_MS = 500;

/**
 * `expectedReports`: workers that should have reported this second. One that did not was too stalled
 * to close its interval (it jumped past it), which is the clearest sign of a client-bound second.
 */
export function intervalHealth(
  reports: readonly WorkerHealth[],
  clientCpuMs: number | null = null,
  expectedReports = 0,
): IntervalGeneratorHealth {
  let utilizationMax = 0;
  let delayP99MaxMs = 0;
  let inFlight = 0;
  let backlog = 0;
  for (const report of reports) {
    inFlight += report.inFlight;
    backlog += report.backlog ?? 0;
    if (report.spanMs < MIN_SPAN_MS) continue;
    utilizationMax = Math.max(utilizationMax, report.utilization);
    delayP99MaxMs = Math.max(delayP99MaxMs, report.delayP99Ms);
  }
  return {
    utilizationMax,
    delayP99MaxMs,
    inFlight,
    backlog,
    clientCpuMs,
    clientBound:
      utilizationMax > CLIENT_BOUND_UTILIZATION ||
      delayP99MaxMs > CLIENT_BOUND_DELAY_MS ||
      reports.length < expectedReports,
  };
}

export interface PhaseGeneratorHealth {
  intervals: number;
  clientBoundIntervals: number;
  utilizationMean: number;
  utilizationMax: number;
  delayP99MaxMs: number;
  /** Mean CPU cores the whole client process kept busy (CPU ms per interval / 1,000); null if not sampled. */
  clientCpuCores: number | null;
  /** True when more than CLIENT_BOUND_SHARE of the intervals were client-bound. */
  clientBound: boolean;
}

export function phaseHealth(intervals: readonly IntervalGeneratorHealth[]): PhaseGeneratorHealth {
  const n = intervals.length;
  const clientBoundIntervals = intervals.filter((i) => i.clientBound).length;
  return {
    intervals: n,
    clientBoundIntervals,
    utilizationMean: n === 0 ? 0 : intervals.reduce((sum, i) => sum + i.utilizationMax, 0) / n,
    utilizationMax: Math.max(0, ...intervals.map((i) => i.utilizationMax)),
    delayP99MaxMs: Math.max(0, ...intervals.map((i) => i.delayP99MaxMs)),
    clientCpuCores: meanCores(intervals),
    clientBound: n > 0 && clientBoundIntervals / n > CLIENT_BOUND_SHARE,
  };
}

function meanCores(intervals: readonly IntervalGeneratorHealth[]): number | null {
  const sampled = intervals.map((i) => i.clientCpuMs).filter((ms): ms is number => ms !== null);
  if (sampled.length === 0) return null;
  return sampled.reduce((sum, ms) => sum + ms, 0) / sampled.length / 1000;
}
