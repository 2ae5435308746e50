import { describe, expect, it } from "vitest";
import { decodeHistogram } from "../metrics/histogram.js";
import type { IntervalMessage } from "../metrics/interval.js";
import { IntervalRecorder } from "./recorder.js";

const START = 1_700_000_000_000;

function setup(opCount = 2, intervalMs = 1000, workerIndex = 3) {
  const emitted: IntervalMessage[] = [];
  const recorder = new IntervalRecorder(opCount, intervalMs, workerIndex, (m) => emitted.push(m));
  return { recorder, emitted };
}

function counts(message: IntervalMessage | undefined): number[] {
  if (!message) throw new Error("no message");
  return message.ops.map((op) => op.count);
}

function latencies(message: IntervalMessage | undefined, op: number): { count: number; max: number } | null {
  const encoded = message?.ops[op]?.histogram;
  if (!encoded) return null;
  const histogram = decodeHistogram(encoded);
  return { count: histogram.totalCount, max: histogram.getValueAtPercentile(100) };
}

describe("IntervalRecorder", () => {
  it("emits nothing until an interval closes", () => {
    const { recorder, emitted } = setup();
    recorder.startPhase("measured", START);
    recorder.ok(0, 500, 1, START);
    recorder.ok(1, 700, 2, START + 999);
    recorder.tick(START + 999);
    expect(emitted).toEqual([]);
  });

  it("puts samples in the interval of their completion time", () => {
    const { recorder, emitted } = setup();
    recorder.startPhase("measured", START);
    recorder.ok(0, 500, 1, START + 10);
    recorder.ok(0, 600, 1, START + 999);
    recorder.ok(1, 900, 5, START + 1000); // exactly on the boundary: the next interval
    recorder.ok(0, 800, 1, START + 1999);
    recorder.ok(1, 950, 1, START + 2000);
    expect(emitted).toHaveLength(2);
    expect(emitted[0]).toMatchObject({ type: "interval", workerIndex: 3, phase: "measured", index: 0 });
    expect(counts(emitted[0])).toEqual([2, 0]);
    expect(emitted[0]?.ops[0]?.rows).toBe(2);
    expect(emitted[0]?.ops[1]).toEqual({ count: 0, errors: 0, rows: 0, histogram: null });
    expect(emitted[1]?.index).toBe(1);
    expect(counts(emitted[1])).toEqual([1, 1]);
    expect(emitted[1]?.ops[1]?.rows).toBe(5);
    recorder.flush();
    expect(emitted[2]?.index).toBe(2);
    expect(counts(emitted[2])).toEqual([0, 1]);
  });

  it("records latencies in each interval's own histogram, reset after emitting", () => {
    const { recorder, emitted } = setup(1);
    recorder.startPhase("measured", START);
    recorder.ok(0, 1000, 0, START + 1);
    recorder.ok(0, 3000, 0, START + 2);
    recorder.ok(0, 200, 0, START + 1500);
    recorder.flush();
    expect(latencies(emitted[0], 0)?.count).toBe(2);
    expect(Math.abs((latencies(emitted[0], 0)?.max ?? 0) - 3000)).toBeLessThanOrEqual(3);
    expect(latencies(emitted[1], 0)?.count).toBe(1);
    expect(Math.abs((latencies(emitted[1], 0)?.max ?? 0) - 200)).toBeLessThanOrEqual(1);
  });

  it("records a latency of 0 as 1 microsecond", () => {
    const { recorder, emitted } = setup(1);
    recorder.startPhase("measured", START);
    recorder.ok(0, 0, 0, START);
    recorder.flush();
    const histogram = decodeHistogram(emitted[0]?.ops[0]?.histogram ?? "");
    expect(histogram.totalCount).toBe(1);
    expect(histogram.minNonZeroValue).toBe(1);
  });

  it("on a gap of several intervals, emits the current one and jumps to the interval of the sample", () => {
    const { recorder, emitted } = setup(1);
    recorder.startPhase("measured", START);
    recorder.ok(0, 100, 1, START + 500);
    recorder.ok(0, 100, 1, START + 4200); // intervals 1..3 had nothing
    expect(emitted.map((m) => [m.index, m.ops[0]?.count])).toEqual([[0, 1]]);
    recorder.ok(0, 100, 1, START + 4999);
    recorder.ok(0, 100, 1, START + 5000);
    expect(emitted.map((m) => [m.index, m.ops[0]?.count])).toEqual([
      [0, 1],
      [4, 2],
    ]);
    recorder.flush();
    expect(emitted.map((m) => [m.index, m.ops[0]?.count])).toEqual([
      [0, 1],
      [4, 2],
      [5, 1],
    ]);
  });

  it("tick closes a quiet interval on time, so an empty interval is still reported", () => {
    const { recorder, emitted } = setup(1);
    recorder.startPhase("measured", START);
    recorder.tick(START + 1000);
    expect(emitted.map((m) => [m.index, m.ops[0]?.count])).toEqual([[0, 0]]);
    recorder.tick(START + 1500); // still interval 1
    expect(emitted).toHaveLength(1);
    recorder.ok(0, 10, 0, START + 1600);
    recorder.tick(START + 3100);
    expect(emitted.map((m) => [m.index, m.ops[0]?.count])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // After the tick, the recorder is in interval 3.
    recorder.ok(0, 10, 0, START + 3200);
    recorder.flush();
    expect(emitted.at(-1)?.index).toBe(3);
  });

  it("flush emits a partial interval only when it holds something", () => {
    const { recorder, emitted } = setup(1);
    recorder.startPhase("measured", START);
    recorder.flush();
    expect(emitted).toEqual([]);
    recorder.ok(0, 10, 1, START + 200);
    recorder.flush();
    expect(emitted.map((m) => [m.index, m.ops[0]?.count])).toEqual([[0, 1]]);
    recorder.flush(); // nothing new
    expect(emitted).toHaveLength(1);
  });

  it("counts errors per op and per code, without latency samples", () => {
    const { recorder, emitted } = setup(3);
    recorder.startPhase("measured", START);
    recorder.error(0, "1213", START + 1);
    recorder.error(0, "1213", START + 2);
    recorder.error(2, "1205", START + 3);
    recorder.ok(1, 100, 1, START + 4);
    recorder.error(1, "2013", START + 1100);
    recorder.flush();
    expect(emitted).toHaveLength(2);
    expect(emitted[0]?.ops.map((op) => op.errors)).toEqual([2, 0, 1]);
    expect(emitted[0]?.ops.map((op) => op.count)).toEqual([0, 1, 0]);
    expect(emitted[0]?.ops[0]?.histogram).toBeNull();
    expect(emitted[0]?.errorsByCode).toEqual({ "1213": 2, "1205": 1 });
    // Counters start again from zero in the next interval.
    expect(emitted[1]?.ops.map((op) => op.errors)).toEqual([0, 1, 0]);
    expect(emitted[1]?.errorsByCode).toEqual({ "2013": 1 });
  });

  it("an error alone makes flush emit", () => {
    const { recorder, emitted } = setup(1);
    recorder.startPhase("warmup", START);
    recorder.error(0, "1040", START + 5);
    recorder.flush();
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ phase: "warmup", index: 0, errorsByCode: { "1040": 1 } });
  });

  it("starts each phase at interval 0 from its own start time, with the phase's name", () => {
    const { recorder, emitted } = setup(1, 500);
    recorder.startPhase("warmup", START);
    recorder.ok(0, 10, 0, START + 100);
    recorder.ok(0, 10, 0, START + 600);
    recorder.flush();
    const measuredStart = START + 10_000;
    recorder.startPhase("measured", measuredStart);
    recorder.flush(); // nothing recorded since the phase started
    recorder.ok(0, 10, 0, measuredStart + 499);
    recorder.ok(0, 10, 0, measuredStart + 1250);
    recorder.flush();
    expect(emitted.map((m) => [m.phase, m.index, m.ops[0]?.count])).toEqual([
      ["warmup", 0, 1],
      ["warmup", 1, 1],
      ["measured", 0, 1],
      ["measured", 2, 1],
    ]);
  });

  it("uses the interval length it was given", () => {
    const { recorder, emitted } = setup(1, 250);
    recorder.startPhase("measured", START);
    recorder.ok(0, 10, 0, START + 249);
    recorder.ok(0, 10, 0, START + 250);
    recorder.ok(0, 10, 0, START + 999);
    recorder.flush();
    expect(emitted.map((m) => [m.index, m.ops[0]?.count])).toEqual([
      [0, 1],
      [1, 1],
      [3, 1],
    ]);
  });
});
