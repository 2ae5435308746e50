import { describe, expect, it } from "vitest";
import { addErrors, encodedOf, histogramOf, PhaseAggregate } from "./aggregate.js";
import { decodeHistogram, encodeHistogram, type Histogram, newLatencyHistogram } from "./histogram.js";
import type { IntervalMessage, OpInterval } from "./interval.js";

const PERCENTILES = [0, 10, 50, 90, 99, 99.9, 100];

function recorded(values: readonly number[]): Histogram {
  const histogram = newLatencyHistogram();
  for (const value of values) histogram.recordValue(value);
  return histogram;
}

function op(values: readonly number[], errors = 0, rows = values.length): OpInterval {
  return {
    count: values.length,
    errors,
    rows,
    histogram: values.length > 0 ? encodeHistogram(recorded(values)) : null,
  };
}

function message(
  index: number,
  ops: OpInterval[],
  errorsByCode: Record<string, number> = {},
  workerIndex = 0,
): IntervalMessage {
  return {
    type: "interval",
    workerIndex,
    phase: "measured",
    index,
    ops,
    errorsByCode,
    health: { utilization: 0.5, delayP99Ms: 1, delayMaxMs: 2, inFlight: 0, backlog: 0, spanMs: 1000 },
  };
}

function percentiles(histogram: Histogram | null): number[] {
  if (!histogram) throw new Error("no histogram");
  return PERCENTILES.map((p) => histogram.getValueAtPercentile(p));
}

describe("PhaseAggregate", () => {
  it("merges the messages of several workers for one interval", () => {
    const aggregate = new PhaseAggregate(2);
    aggregate.add(message(0, [op([100, 200, 300], 1, 3), op([])], { "1213": 1 }, 0));
    const interval = aggregate.add(
      message(0, [op([400, 5000], 2, 10), op([7, 8], 0, 0)], { "1213": 2, "1205": 1 }, 1),
    );
    expect(interval.index).toBe(0);
    expect(aggregate.intervals.size).toBe(1);
    expect(interval.ops[0]).toMatchObject({ count: 5, errors: 3, rows: 13 });
    expect(interval.ops[1]).toMatchObject({ count: 2, errors: 0, rows: 0 });
    expect(interval.errorsByCode).toEqual({ "1213": 3, "1205": 1 });
    expect(interval.ops[0]?.histogram?.totalCount).toBe(5);
    expect(percentiles(interval.ops[0]?.histogram ?? null)).toEqual(
      percentiles(recorded([100, 200, 300, 400, 5000])),
    );
  });

  it("leaves the histogram null for an op without successful samples", () => {
    const aggregate = new PhaseAggregate(2);
    const interval = aggregate.add(message(0, [op([], 4, 0), op([10])]));
    expect(interval.ops[0]).toEqual({ count: 0, errors: 4, rows: 0, histogram: null, encoded: null });
    expect(interval.ops[1]?.histogram?.totalCount).toBe(1);
  });

  it("ignores ops beyond its op count", () => {
    const aggregate = new PhaseAggregate(1);
    const interval = aggregate.add(message(0, [op([1]), op([2, 3])]));
    expect(interval.ops).toHaveLength(1);
    expect(interval.ops[0]?.count).toBe(1);
  });

  it("orders intervals by time and fills gaps with empty ones", () => {
    const aggregate = new PhaseAggregate(2);
    aggregate.add(message(3, [op([30]), op([])], { x: 1 }));
    aggregate.add(message(0, [op([1, 2]), op([])]));
    aggregate.add(message(5, [op([]), op([50])]));
    const ordered = aggregate.ordered();
    expect(ordered.map((interval) => interval.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ordered.map((interval) => interval.ops.map((o) => o.count))).toEqual([
      [2, 0],
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 0],
      [0, 1],
    ]);
    for (const gap of [ordered[1], ordered[2], ordered[4]]) {
      expect(gap).toEqual({
        index: gap?.index,
        ops: [
          { count: 0, errors: 0, rows: 0, histogram: null, encoded: null },
          { count: 0, errors: 0, rows: 0, histogram: null, encoded: null },
        ],
        errorsByCode: {},
        health: [],
      });
    }
    expect(ordered[3]?.errorsByCode).toEqual({ x: 1 });
    // Filling gaps does not add them to the stored intervals.
    expect(aggregate.intervals.size).toBe(3);
  });

  it("starts the ordered list at interval 0 even when the first message is later", () => {
    const aggregate = new PhaseAggregate(1);
    aggregate.add(message(2, [op([5])]));
    expect(aggregate.ordered().map((interval) => [interval.index, interval.ops[0]?.count])).toEqual([
      [0, 0],
      [1, 0],
      [2, 1],
    ]);
  });

  it("orders nothing when nothing was added", () => {
    expect(new PhaseAggregate(3).ordered()).toEqual([]);
    const totals = new PhaseAggregate(2).totals();
    expect(totals).toEqual({
      ops: [
        { count: 0, errors: 0, rows: 0, histogram: null, encoded: null },
        { count: 0, errors: 0, rows: 0, histogram: null, encoded: null },
      ],
      errorsByCode: {},
    });
  });

  it("totals are the sums of every interval, histograms merged exactly", () => {
    const aggregate = new PhaseAggregate(3);
    const values = {
      a0: [100, 120, 130],
      a1: [90, 4000],
      a4: [1_000_000],
      b0: [55],
      b4: [66, 77, 88],
    };
    aggregate.add(message(0, [op(values.a0, 1, 3), op(values.b0, 0, 1), op([], 2, 0)], { "1213": 1 }, 0));
    aggregate.add(message(1, [op(values.a1, 0, 2), op([]), op([])], {}, 1));
    aggregate.add(
      message(4, [op(values.a4, 5, 1), op(values.b4, 1, 30), op([])], { "1213": 2, "2013": 4 }, 0),
    );
    aggregate.add(message(4, [op([]), op([]), op([], 1, 0)], { "2013": 1 }, 1));

    const totals = aggregate.totals();
    expect(totals.ops.map(({ count, errors, rows }) => ({ count, errors, rows }))).toEqual([
      { count: 6, errors: 6, rows: 6 },
      { count: 4, errors: 1, rows: 31 },
      { count: 0, errors: 3, rows: 0 },
    ]);
    expect(totals.errorsByCode).toEqual({ "1213": 3, "2013": 5 });
    expect(totals.ops[2]?.histogram).toBeNull();

    const allA = recorded([...values.a0, ...values.a1, ...values.a4]);
    const allB = recorded([...values.b0, ...values.b4]);
    expect(totals.ops[0]?.histogram?.totalCount).toBe(6);
    expect(percentiles(totals.ops[0]?.histogram ?? null)).toEqual(percentiles(allA));
    expect(percentiles(totals.ops[1]?.histogram ?? null)).toEqual(percentiles(allB));

    // The totals equal the sum over ordered(), gaps included.
    const ordered = aggregate.ordered();
    expect(ordered).toHaveLength(5);
    for (let i = 0; i < 3; i++) {
      expect(ordered.reduce((sum, interval) => sum + (interval.ops[i]?.count ?? 0), 0)).toBe(
        totals.ops[i]?.count,
      );
      expect(ordered.reduce((sum, interval) => sum + (interval.ops[i]?.errors ?? 0), 0)).toBe(
        totals.ops[i]?.errors,
      );
      expect(ordered.reduce((sum, interval) => sum + (interval.ops[i]?.rows ?? 0), 0)).toBe(
        totals.ops[i]?.rows,
      );
    }
  });

  it("totals do not change the stored intervals", () => {
    const aggregate = new PhaseAggregate(1);
    aggregate.add(message(0, [op([10, 20])]));
    aggregate.add(message(1, [op([30])]));
    aggregate.totals();
    const totals = aggregate.totals();
    expect(totals.ops[0]?.count).toBe(3);
    expect(aggregate.intervals.get(0)?.ops[0]?.count).toBe(2);
    expect(aggregate.intervals.get(0)?.ops[0]?.histogram?.totalCount).toBe(2);
  });
});

describe("addErrors", () => {
  it("adds counts per code", () => {
    const into: Record<string, number> = { a: 1 };
    addErrors(into, { a: 2, b: 3 });
    addErrors(into, {});
    addErrors(into, { b: 1 });
    expect(into).toEqual({ a: 3, b: 4 });
  });
});

describe("encodedOf and histogramOf", () => {
  it("encode an aggregate with samples and give null otherwise", () => {
    const empty = { count: 0, errors: 0, rows: 0, histogram: null, encoded: null };
    expect(encodedOf(empty)).toBeNull();
    expect(histogramOf(empty)).toBeNull();
    expect(encodedOf({ ...empty, histogram: newLatencyHistogram() })).toBeNull();
    const encoded = encodedOf({ ...empty, count: 3, histogram: recorded([10, 20, 30]) });
    expect(decodeHistogram(encoded as string).totalCount).toBe(3);
    expect(histogramOf({ ...empty, count: 3, encoded })?.totalCount).toBe(3);
  });
});

describe("compaction", () => {
  it("keeps counts and percentiles when intervals are compacted, and takes late reports", () => {
    const aggregate = new PhaseAggregate(1);
    aggregate.add(message(0, [op([100, 200, 300])]));
    aggregate.add(message(1, [op([1000])]));
    aggregate.compactBefore(1);
    const first = aggregate.intervals.get(0)?.ops[0];
    expect(first?.histogram).toBeNull();
    expect(histogramOf(first as never)?.getValueAtPercentile(50)).toBe(200);
    // A worker reporting interval 0 late is merged into the compacted interval.
    aggregate.add(message(0, [op([400])], {}, 1));
    expect(histogramOf(aggregate.intervals.get(0)?.ops[0] as never)?.totalCount).toBe(4);
    expect(aggregate.totals().ops[0]?.histogram?.totalCount).toBe(5);
  });
});
