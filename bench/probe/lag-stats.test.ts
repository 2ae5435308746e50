import { describe, expect, it } from "vitest";
import { decodeHistogram } from "../metrics/histogram.js";
import { PerSecondSeries, PollTiming, ReplicaLagStats } from "./lag-stats.js";

describe("PerSecondSeries", () => {
  it("gives exact count, p50, p99 and max per second, and keeps the open second open", () => {
    const series = new PerSecondSeries();
    for (let i = 1; i <= 100; i++) series.add(0, i * 1000);
    series.add(2, 7000);
    expect(series.rows()).toEqual([
      { second: 0, count: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 },
      { second: 2, count: 1, p50Ms: 7, p99Ms: 7, maxMs: 7 },
    ]);
    series.add(2, 9000);
    expect(series.rows()[1]).toEqual({ second: 2, count: 2, p50Ms: 7, p99Ms: 9, maxMs: 9 });
  });

  it("counts a sample for an earlier second in the open one rather than losing it", () => {
    const series = new PerSecondSeries();
    series.add(3, 1000);
    series.add(1, 2000);
    expect(series.rows()).toEqual([{ second: 3, count: 2, p50Ms: 1, p99Ms: 2, maxMs: 2 }]);
  });
});

describe("ReplicaLagStats", () => {
  it("records lags in microseconds, negative ones as 0, by the second of the ack", () => {
    const stats = new ReplicaLagStats(1000);
    stats.add(1000, 5);
    stats.add(1500, -0.2);
    stats.add(2100, 250.5);
    expect(stats.beforeAck).toBe(1);
    expect(stats.samples).toBe(3);
    // HDR figures are exact to 0.1% (3 significant digits).
    const summary = stats.summary();
    expect(summary.samples).toBe(3);
    expect(summary.p50).toBeCloseTo(5, 1);
    expect(summary.max).toBeCloseTo(250.5, 0);
    expect(stats.perSecond()).toEqual([
      { second: 0, count: 2, p50Ms: 0, p99Ms: 5, maxMs: 5 },
      { second: 1, count: 1, p50Ms: 250.5, p99Ms: 250.5, maxMs: 250.5 },
    ]);
    const decoded = decodeHistogram(stats.encoded());
    expect(decoded.totalCount).toBe(3);
    expect(decoded.maxValue).toBeGreaterThanOrEqual(250_400);
  });

  it("has no figures without samples", () => {
    expect(new ReplicaLagStats(0).summary()).toEqual({
      p50: null,
      p90: null,
      p99: null,
      max: null,
      samples: 0,
    });
  });
});

describe("PollTiming", () => {
  it("measures the mean interval between sends, the median round trip and the resolution", () => {
    const timing = new PollTiming();
    expect(timing.summary().resolutionMs).toBeNull();
    for (let i = 0; i < 5; i++) timing.record(10 + i * 1.5, 10 + i * 1.5 + (i === 4 ? 3 : 0.4));
    const s = timing.summary();
    expect(s.polls).toBe(5);
    expect(s.pollIntervalMs).toBe(1.5);
    expect(s.roundTripMs).toBe(0.4);
    expect(s.resolutionMs).toBe(1.7);
  });
});
