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

  it("raises busy workers beside idle cores to one per core (one more when already there), the idle share said", () => {
    const idle = (share: number | null) =>
      warmup(5, 1, 0.9, 900).map((s) => ({ ...s, machineIdleShare: share }));
    // One worker 90% busy with the core it asks for, 15% of a 2-core machine idle: two use it.
    const raised = judgeWorkers(idle(0.15), 1, 4, 2);
    expect(raised).toMatchObject({ decision: "raise", initial: 1, chosen: 2, seconds: 4 });
    expect(raised.machineIdleMean).toBeCloseTo(0.15, 10);
    expect(raised.reason).toMatch(
      /^busy beside idle CPU: event loops 90% busy, 0\.90 cores per worker, machine 15% idle/,
    );
    // Already one per core: one more.
    const two = warmup(5, 2, 0.9, 1800).map((s) => ({ ...s, machineIdleShare: 0.2 }));
    expect(judgeWorkers(two, 2, 4, 2)).toMatchObject({ decision: "raise", chosen: 3 });
    // Too little idle, idle not sampled, or no room for more: kept.
    expect(judgeWorkers(idle(0.05), 1, 4, 2)).toMatchObject({ decision: "keep", machineIdleMean: 0.05 });
    expect(judgeWorkers(idle(null), 1, 4, 2)).toMatchObject({ decision: "keep", machineIdleMean: null });
    expect(judgeWorkers(idle(0.5), 1, 1, 2)).toMatchObject({ decision: "keep", chosen: 1 });
    // Idle counts only when every judged second has it.
    const partly = idle(0.3).map((s, i) => (i === 2 ? { ...s, machineIdleShare: null } : s));
    expect(judgeWorkers(partly, 1, 4, 2).decision).toBe("keep");
    // Not busy: idle cores do not matter.
    const quiet = warmup(5, 1, 0.5, 500).map((s) => ({ ...s, machineIdleShare: 0.6 }));
    expect(judgeWorkers(quiet, 1, 4, 2).reason).toMatch(/^not busy/);
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
  it("takes the later half of the warm-up, and never its first second", () => {
    expect(statementsPerSec([10, 100, 200])).toBe(150);
    expect(statementsPerSec([10, 50, 100, 200, 300, 400])).toBe(300);
    expect(statementsPerSec([10, 100])).toBe(100);
    expect(statementsPerSec([10])).toBeNull();
  });
});
