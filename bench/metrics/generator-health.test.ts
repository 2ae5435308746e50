import { describe, expect, it } from "vitest";
import { intervalHealth, phaseHealth } from "./generator-health.js";

const worker = (utilization: number, delayP99Ms = 1, inFlight = 4, spanMs = 1000, backlog = 0) => ({
  utilization,
  delayP99Ms,
  delayMaxMs: delayP99Ms * 2,
  inFlight,
  backlog,
  spanMs,
});

describe("generator health", () => {
  it("takes the busiest worker and flags an interval over 90% busy or 5 ms late", () => {
    expect(intervalHealth([worker(0.5), worker(0.7, 1, 4, 1000, 5), worker(0.1, 1, 4, 1000, 2)])).toEqual({
      utilizationMax: 0.7,
      delayP99MaxMs: 1,
      inFlight: 12,
      backlog: 7,
      clientCpuMs: null,
      clientBound: false,
    });
    expect(intervalHealth([worker(0.5)], 812.5).clientCpuMs).toBe(812.5);
    expect(intervalHealth([worker(0.5), worker(0.95)]).clientBound).toBe(true);
    expect(intervalHealth([worker(0.2, 6)]).clientBound).toBe(true);
    expect(intervalHealth([worker(0.9, 5)]).clientBound).toBe(false);
    // A worker missing from a second was too stalled to close it.
    expect(intervalHealth([worker(0.3)], null, 2).clientBound).toBe(true);
    expect(intervalHealth([worker(0.3), worker(0.3)], null, 2).clientBound).toBe(false);
    // The short tail of a phase (draining) does not count against the client.
    expect(intervalHealth([worker(0.99, 20, 3, 120)])).toEqual({
      utilizationMax: 0,
      delayP99MaxMs: 0,
      inFlight: 3,
      backlog: 0,
      clientCpuMs: null,
      clientBound: false,
    });
    expect(intervalHealth([])).toEqual({
      utilizationMax: 0,
      delayP99MaxMs: 0,
      inFlight: 0,
      backlog: 0,
      clientCpuMs: null,
      clientBound: false,
    });
  });

  it("calls a phase client-bound when more than 10% of its seconds were", () => {
    const calm = intervalHealth([worker(0.5)]);
    const busy = intervalHealth([worker(0.99, 12)]);
    const tenPercent = phaseHealth([busy, ...Array(9).fill(calm)]);
    expect(tenPercent.clientBoundIntervals).toBe(1);
    expect(tenPercent.clientBound).toBe(false);
    const more = phaseHealth([busy, busy, ...Array(8).fill(calm)]);
    expect(more.clientBound).toBe(true);
    expect(more.utilizationMax).toBe(0.99);
    expect(more.delayP99MaxMs).toBe(12);
    expect(more.utilizationMean).toBeCloseTo((0.99 * 2 + 0.5 * 8) / 10, 10);
    expect(phaseHealth([]).clientBound).toBe(false);
    expect(more.clientCpuCores).toBeNull();
    // 1,500 ms and 500 ms of CPU in two one-second intervals: one core busy on average.
    expect(
      phaseHealth([intervalHealth([worker(0.5)], 1500), intervalHealth([worker(0.5)], 500), calm])
        .clientCpuCores,
    ).toBe(1);
  });
});
