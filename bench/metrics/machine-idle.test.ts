import { describe, expect, it } from "vitest";
import { idleShare, machineIdle } from "./machine-idle.js";

const cores =
  (...idleMs: number[]) =>
  () =>
    idleMs.map((idle) => ({ times: { idle } }));

describe("machine idle share", () => {
  it("sums idle time over the cores and divides by the span times the cores", () => {
    const before = machineIdle(cores(1000, 2000), 0);
    // Over 1 s, one core idle 300 ms and the other 100 ms: 400 of 2,000 core-ms.
    const after = machineIdle(cores(1300, 2100), 1000);
    expect(before).toEqual({ idleMs: 3000, cores: 2, atMs: 0 });
    expect(idleShare(before, after)).toBeCloseTo(0.2, 10);
  });

  it("tells nothing without time or with a core count that changed, and stays within 0..1", () => {
    const before = machineIdle(cores(0, 0), 0);
    expect(idleShare(before, machineIdle(cores(10, 10), 0))).toBeNull();
    expect(idleShare(before, machineIdle(cores(10), 1000))).toBeNull();
    expect(idleShare(before, machineIdle(cores(1020, 1020), 1000))).toBe(1);
  });

  it("reads this machine's cores", () => {
    const reading = machineIdle();
    expect(reading.cores).toBeGreaterThan(0);
    expect(reading.idleMs).toBeGreaterThan(0);
  });
});
