import { describe, expect, it } from "vitest";
import { seededRandom } from "../workload/random.js";
import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  mergeEncoded,
  newLatencyHistogram,
  summarizeMs,
} from "./histogram.js";

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

/** Latencies in microseconds: mostly around 1-5 ms, some slow outliers up to seconds. */
function latencies(seed: number, n: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const r = random();
    if (r < 0.01) return 1 + Math.floor(random() * 5_000_000);
    return 100 + Math.floor(random() * random() * 5000);
  });
}

function recorded(values: readonly number[]): Histogram {
  const histogram = newLatencyHistogram();
  for (const value of values) histogram.recordValue(value);
  return histogram;
}

/**
 * What a histogram tells about its values, at bucket resolution. (maxValue is left out: a histogram
 * that recorded the values knows the exact max, one decoded from its encoding only the max's bucket;
 * percentile 100 gives the max at bucket resolution for both.)
 */
function shape(histogram: Histogram) {
  return {
    totalCount: histogram.totalCount,
    min: histogram.minNonZeroValue,
    mean: histogram.mean,
    percentiles: PERCENTILES.map((p) => histogram.getValueAtPercentile(p)),
  };
}

describe("latency histograms", () => {
  it("keep 3 significant digits", () => {
    const histogram = recorded([123_456]);
    const value = histogram.getValueAtPercentile(50);
    expect(Math.abs(value - 123_456) / 123_456).toBeLessThan(0.001);
    expect(histogram.totalCount).toBe(1);
  });

  it("record values past one hour instead of clipping them", () => {
    const twoHoursUs = 7_200_000_000;
    const histogram = recorded([10, twoHoursUs]);
    expect(histogram.totalCount).toBe(2);
    expect(Math.abs(histogram.maxValue - twoHoursUs) / twoHoursUs).toBeLessThan(0.001);
    const decoded = decodeHistogram(encodeHistogram(histogram));
    expect(decoded.totalCount).toBe(2);
    expect(decoded.getValueAtPercentile(100)).toBe(histogram.getValueAtPercentile(100));
    expect(Math.abs(decoded.maxValue - twoHoursUs) / twoHoursUs).toBeLessThan(0.001);
  });

  it("survive an encode/decode round trip exactly", () => {
    const histogram = recorded(latencies(1, 20_000));
    const encoded = encodeHistogram(histogram);
    expect(typeof encoded).toBe("string");
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const decoded = decodeHistogram(encoded);
    expect(shape(decoded)).toEqual(shape(histogram));
    expect(Math.abs(decoded.maxValue - histogram.maxValue) / histogram.maxValue).toBeLessThan(0.001);
    // And again: the encoding is stable.
    expect(encodeHistogram(decoded)).toBe(encoded);
  });

  it("round-trip an empty histogram", () => {
    const decoded = decodeHistogram(encodeHistogram(newLatencyHistogram()));
    expect(decoded.totalCount).toBe(0);
  });

  it("merge encoded histograms into exactly what one histogram of all values holds", () => {
    const parts = [
      latencies(2, 5000),
      latencies(3, 12_000),
      latencies(4, 300),
      [1, 2, 3],
      latencies(5, 8000),
    ];
    const merged = mergeEncoded(parts.map((values) => encodeHistogram(recorded(values))));
    const all = recorded(parts.flat());
    expect(merged.totalCount).toBe(parts.flat().length);
    expect(shape(merged)).toEqual(shape(all));
    expect(merged.maxValue).toBe(mergeEncoded([encodeHistogram(all)]).maxValue);
    // Every bucket, not just the sampled percentiles.
    expect(encodeHistogram(merged)).toBe(encodeHistogram(all));
  });

  it("merge nothing into an empty histogram", () => {
    expect(mergeEncoded([]).totalCount).toBe(0);
  });
});

describe("summarizeMs", () => {
  it("reports percentiles and max in milliseconds, and the count", () => {
    // 1..1000 ms, one value each.
    const histogram = recorded(Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000));
    const summary = summarizeMs(histogram);
    expect(summary.count).toBe(1000);
    expect(summary.p50).toBeCloseTo(500, 0);
    expect(summary.p90).toBeCloseTo(900, 0);
    expect(summary.p95).toBeCloseTo(950, 0);
    expect(summary.p99).toBeCloseTo(990, 0);
    expect(summary.p999).toBeCloseTo(999, 0);
    expect(summary.max).toBeCloseTo(1000, 0);
    expect(summary.p50).toBe(histogram.getValueAtPercentile(50) / 1000);
    expect(summary.max).toBe(histogram.maxValue / 1000);
  });

  it("reports zeros for an empty histogram", () => {
    expect(summarizeMs(newLatencyHistogram())).toEqual({
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      p999: 0,
      max: 0,
      count: 0,
    });
  });
});
