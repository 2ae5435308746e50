import { describe, expect, it } from "vitest";
import type { WorkerHealth } from "./interval.js";
import { afterTrial, judgeWorkers, statementsPerSec, type WarmupSecond } from "./worker-starvation.js";

/** A warm-up second in which each of `workers` workers' loops was `utilization` busy and the process used `cpuMs`. */
function second(workers: number, utilization: number, cpuMs: number | null): WarmupSecond {
  const health: WorkerHealth = {
    utilization,
    delayP99Ms: 1,
    delayMaxMs: 2,
    inFlight: 4,
    backlog: 0,
    spanMs: 1000,
  };
  return { health: Array.from({ length: workers }, () => ({ ...health })), clientCpuMs: cpuMs };
}

const warmup = (n: number, workers: number, utilization: number, cpuMs: number) =>
  Array.from({ length: n }, () => second(workers, utilization, cpuMs));

describe("judgeWorkers", () => {
  it("raises busy workers that got little CPU each: starved, not slow", () => {
    // One worker, loop 95% busy, the process got 0.35 of a core: 256 server threads took the rest.
    const j = judgeWorkers(warmup(5, 1, 0.95, 350), 1, 4);
    expect(j).toMatchObject({ decision: "raise", initial: 1, chosen: 4, seconds: 4 });
    expect(j.utilizationMean).toBeCloseTo(0.95, 10);
    expect(j.cpuCoresPerWorker).toBeCloseTo(0.35, 10);
    expect(j.reason).toMatch(/^starved: event loops 95% busy, 0\.35 cores per worker/);
  });

  it("keeps busy workers that got the CPU they asked for, idle workers, and workers already at the most", () => {
    expect(judgeWorkers(warmup(5, 1, 0.95, 900), 1, 4)).toMatchObject({ decision: "keep", chosen: 1 });
    expect(judgeWorkers(warmup(5, 2, 0.5, 300), 2, 4).reason).toMatch(/^not busy/);
    expect(judgeWorkers(warmup(5, 4, 0.95, 800), 4, 4).reason).toMatch(/already at 4 worker\(s\), the most/);
  });

  it("counts CPU per worker: two workers sharing 0.8 of a core are starved, one with it is not", () => {
    expect(judgeWorkers(warmup(4, 2, 0.9, 800), 2, 4).decision).toBe("raise");
    expect(judgeWorkers(warmup(4, 1, 0.9, 800), 1, 4).decision).toBe("keep");
  });

  it("judges nothing from the first second, a second a worker did not report, or one without CPU", () => {
    // The first second (connections opening) looks starved; it is not counted.
    const seconds = [second(1, 1, 10), ...warmup(3, 1, 0.9, 900)];
    expect(judgeWorkers(seconds, 1, 4)).toMatchObject({ decision: "keep", seconds: 3 });
    const sparse = [second(1, 0.9, 300), second(1, 0.9, null), { ...second(1, 0.9, 300), health: [] }];
    expect(judgeWorkers(sparse, 1, 4)).toMatchObject({ decision: "keep", seconds: 0, utilizationMean: null });
    expect(judgeWorkers(sparse, 1, 4).reason).toBe("0 warm-up second(s) to judge from (2 needed)");
  });
});

describe("afterTrial", () => {
  const raised = judgeWorkers(warmup(5, 1, 0.95, 350), 1, 4);

  it("keeps the raised workers when their warm-up sent at least as many statements per second", () => {
    const j = afterTrial(raised, 20_000, 26_000);
    expect(j).toMatchObject({ decision: "raise", chosen: 4, trial: { kept: "chosen" } });
    expect(j.reason).toMatch(/tried: 26000 statements\/s with 4 workers against 20000 with 1$/);
  });

  it("goes back to the initial workers when the raised ones sent fewer", () => {
    const j = afterTrial(raised, 47_300, 40_300);
    expect(j).toMatchObject({ decision: "keep", initial: 1, chosen: 1, trial: { kept: "initial" } });
    expect(j.reason).toMatch(/, so 1 kept$/);
  });
});

describe("statementsPerSec", () => {
  it("leaves out the first second", () => {
    expect(statementsPerSec([10, 100, 200])).toBe(150);
    expect(statementsPerSec([10])).toBeNull();
  });
});
