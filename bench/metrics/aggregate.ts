import { decodeHistogram, encodeHistogram, type Histogram, newLatencyHistogram } from "./histogram.js";
import type { IntervalMessage, OpInterval, WorkerHealth } from "./interval.js";

export interface OpAggregate {
  count: number;
  errors: number;
  rows: number;
  /** Live histogram; null until the first sample, and after the interval is compacted. */
  histogram: Histogram | null;
  /** The compacted form of an interval's histogram (HdrHistogram compressed base64). */
  encoded: string | null;
}

export interface IntervalAggregate {
  index: number;
  ops: OpAggregate[];
  errorsByCode: Record<string, number>;
  /** One entry per worker report for this interval. */
  health: WorkerHealth[];
}

function emptyOps(opCount: number): OpAggregate[] {
  return Array.from({ length: opCount }, () => ({
    count: 0,
    errors: 0,
    rows: 0,
    histogram: null,
    encoded: null,
  }));
}

/** The histogram of an aggregate, decoding a compacted one. Null when it holds no sample. */
export function histogramOf(op: OpAggregate): Histogram | null {
  if (op.histogram) return op.histogram;
  return op.encoded ? decodeHistogram(op.encoded) : null;
}

export function encodedOf(op: OpAggregate): string | null {
  if (op.encoded && !op.histogram) return op.encoded;
  return op.histogram && op.histogram.totalCount > 0 ? encodeHistogram(op.histogram) : null;
}

function addOp(into: OpAggregate, from: OpInterval, decoded: Histogram | null): void {
  into.count += from.count;
  into.errors += from.errors;
  into.rows += from.rows;
  if (!decoded) return;
  if (!into.histogram) {
    into.histogram = into.encoded ? decodeHistogram(into.encoded) : newLatencyHistogram();
    into.encoded = null;
  }
  into.histogram.add(decoded);
}

export function addErrors(into: Record<string, number>, from: Record<string, number>): void {
  for (const [code, count] of Object.entries(from)) into[code] = (into[code] ?? 0) + count;
}

/**
 * One phase's samples from every worker, merged per interval and in total: histograms are added,
 * never averaged, so any percentile of any span is exact to the histogram's resolution. Intervals
 * that are complete are compacted to their encoded form, so memory stays flat over a long run.
 */
export class PhaseAggregate {
  readonly intervals = new Map<number, IntervalAggregate>();
  /** CPU time of the whole client process per interval, in milliseconds (all threads). */
  readonly clientCpuMs = new Map<number, number>();
  /** Share of all the machine's cores idle per interval, 0..1. */
  readonly machineIdleShare = new Map<number, number>();
  private readonly totalOps: OpAggregate[];
  private readonly totalErrors: Record<string, number> = {};

  constructor(readonly opCount: number) {
    this.totalOps = emptyOps(opCount);
  }

  add(message: IntervalMessage): IntervalAggregate {
    let interval = this.intervals.get(message.index);
    if (!interval) {
      interval = { index: message.index, ops: emptyOps(this.opCount), errorsByCode: {}, health: [] };
      this.intervals.set(message.index, interval);
    }
    message.ops.forEach((op, i) => {
      const decoded = op.histogram ? decodeHistogram(op.histogram) : null;
      const into = interval.ops[i];
      const total = this.totalOps[i];
      if (into) addOp(into, op, decoded);
      if (total) addOp(total, op, decoded);
    });
    addErrors(interval.errorsByCode, message.errorsByCode);
    addErrors(this.totalErrors, message.errorsByCode);
    interval.health.push(message.health);
    return interval;
  }

  /** Encodes the histograms of intervals before `index` and drops their live form. */
  compactBefore(index: number): void {
    for (const interval of this.intervals.values()) {
      if (interval.index >= index) continue;
      for (const op of interval.ops) {
        if (!op.histogram) continue;
        op.encoded = op.histogram.totalCount > 0 ? encodeHistogram(op.histogram) : null;
        op.histogram = null;
      }
    }
  }

  /** Intervals in time order, gaps filled with empty ones (a second with no completion is a real zero). */
  ordered(): IntervalAggregate[] {
    if (this.intervals.size === 0) return [];
    const last = Math.max(...this.intervals.keys());
    const out: IntervalAggregate[] = [];
    for (let index = 0; index <= last; index++) {
      out.push(
        this.intervals.get(index) ?? { index, ops: emptyOps(this.opCount), errorsByCode: {}, health: [] },
      );
    }
    return out;
  }

  totals(): { ops: OpAggregate[]; errorsByCode: Record<string, number> } {
    return { ops: this.totalOps, errorsByCode: this.totalErrors };
  }
}
