import type { IntervalMessage, OpInterval } from "../executor/protocol.js";
import { decodeHistogram, encodeHistogram, type Histogram, newLatencyHistogram } from "./histogram.js";

export interface OpAggregate {
  count: number;
  errors: number;
  rows: number;
  /** Null until the first successful sample. */
  histogram: Histogram | null;
}

export interface IntervalAggregate {
  index: number;
  ops: OpAggregate[];
  errorsByCode: Record<string, number>;
}

function emptyOps(opCount: number): OpAggregate[] {
  return Array.from({ length: opCount }, () => ({ count: 0, errors: 0, rows: 0, histogram: null }));
}

function addOp(into: OpAggregate, from: OpInterval): void {
  into.count += from.count;
  into.errors += from.errors;
  into.rows += from.rows;
  if (from.histogram) {
    if (!into.histogram) into.histogram = newLatencyHistogram();
    into.histogram.add(decodeHistogram(from.histogram));
  }
}

export function addErrors(into: Record<string, number>, from: Record<string, number>): void {
  for (const [code, count] of Object.entries(from)) into[code] = (into[code] ?? 0) + count;
}

/**
 * One phase's samples from every worker, merged per interval: histograms are added, never averaged,
 * so any percentile of any span is exact to the histogram's resolution.
 */
export class PhaseAggregate {
  readonly intervals = new Map<number, IntervalAggregate>();

  constructor(readonly opCount: number) {}

  add(message: IntervalMessage): IntervalAggregate {
    let interval = this.intervals.get(message.index);
    if (!interval) {
      interval = { index: message.index, ops: emptyOps(this.opCount), errorsByCode: {} };
      this.intervals.set(message.index, interval);
    }
    message.ops.forEach((op, i) => {
      const into = interval.ops[i];
      if (into) addOp(into, op);
    });
    addErrors(interval.errorsByCode, message.errorsByCode);
    return interval;
  }

  /** Intervals in time order, gaps filled with empty ones (a second with no completion is a real zero). */
  ordered(): IntervalAggregate[] {
    if (this.intervals.size === 0) return [];
    const last = Math.max(...this.intervals.keys());
    const out: IntervalAggregate[] = [];
    for (let index = 0; index <= last; index++) {
      out.push(this.intervals.get(index) ?? { index, ops: emptyOps(this.opCount), errorsByCode: {} });
    }
    return out;
  }

  totals(): { ops: OpAggregate[]; errorsByCode: Record<string, number> } {
    const ops = emptyOps(this.opCount);
    const errorsByCode: Record<string, number> = {};
    for (const interval of this.intervals.values()) {
      interval.ops.forEach((op, i) => {
        const into = ops[i] as OpAggregate;
        into.count += op.count;
        into.errors += op.errors;
        into.rows += op.rows;
        if (op.histogram) {
          if (!into.histogram) into.histogram = newLatencyHistogram();
          into.histogram.add(op.histogram);
        }
      });
      addErrors(errorsByCode, interval.errorsByCode);
    }
    return { ops, errorsByCode };
  }
}

export function encodeOrNull(histogram: Histogram | null): string | null {
  return histogram && histogram.totalCount > 0 ? encodeHistogram(histogram) : null;
}
