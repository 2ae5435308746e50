import { describe, expect, it } from "vitest";
import {
  clockTicksPerSec,
  ProcSampler,
  processCpu,
  reapedChildrenCpu,
  statFields,
  statusKb,
} from "./process-sample.js";

describe("statFields", () => {
  it("starts at the state field, whatever the command name holds", () => {
    const fields = statFields("1234 (a) (b c) S 1 1234 1234 0 -1 4194304 10 0 0 0 250 75 3 4 20 0 1 0 999");
    expect(fields[0]).toBe("S");
    // utime, stime, cutime, cstime (fields 14 to 17) and starttime (field 22).
    expect([fields[11], fields[12], fields[13], fields[14], fields[19]]).toEqual([
      "250",
      "75",
      "3",
      "4",
      "999",
    ]);
  });
});

describe("statusKb", () => {
  const status = "Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";

  it("reads a field in kB, and undefined for one that is not there", () => {
    expect(statusKb(status, "VmRSS")).toBe(102_400);
    expect(statusKb(status, "VmHWM")).toBe(204_800);
    expect(statusKb(status, "VmSwap")).toBeUndefined();
  });
});

describe("reapedChildrenCpu", () => {
  it("reads this process's waited-for children's CPU time in seconds", () => {
    const cpu = reapedChildrenCpu(100);
    expect(cpu.userSec).toBeGreaterThanOrEqual(0);
    expect(cpu.systemSec).toBeGreaterThanOrEqual(0);
  });
});

describe("ProcSampler", () => {
  // A long interval: these tests take their samples by hand.
  const HOUR_MS = 3_600_000;

  it("samples a process running the expected program", () => {
    const sampler = new ProcSampler(process.pid, "node", 100, HOUR_MS);
    try {
      sampler.sample();
      sampler.sample();
      expect(sampler.samples).toBe(2);
      expect(sampler.rssPeakBytes).toBeGreaterThan(0);
      expect(sampler.hwmBytes).toBeGreaterThanOrEqual(sampler.rssPeakBytes);
      expect(sampler.cpuUserSec + sampler.cpuSystemSec).toBeGreaterThan(0);
    } finally {
      sampler.stop();
    }
  });

  it("counts nothing of a process whose command line lacks the marker", () => {
    const sampler = new ProcSampler(process.pid, "no-such-program-marker", 100, HOUR_MS);
    try {
      sampler.sample();
      expect(sampler.samples).toBe(0);
      expect(sampler.rssPeakBytes).toBe(0);
    } finally {
      sampler.stop();
    }
  });
});

describe("processCpu", () => {
  it("reads a live process's own CPU time, growing as it works", () => {
    const before = processCpu(process.pid, 100);
    const until = Date.now() + 60;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    const after = processCpu(process.pid, 100);
    expect(x).toBeGreaterThan(0);
    expect(before).toBeDefined();
    expect((after?.userSec ?? 0) + (after?.systemSec ?? 0)).toBeGreaterThan(
      (before?.userSec ?? 0) + (before?.systemSec ?? 0),
    );
  });

  it("agrees with the process's own account of its CPU time, within the kernel's tick", async () => {
    const ticks = await clockTicksPerSec();
    const until = Date.now() + 150;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    const own = process.cpuUsage();
    const read = processCpu(process.pid, ticks);
    expect(x).toBeGreaterThan(0);
    // /proc counts whole ticks (10 ms at USER_HZ 100) for user and system each.
    expect(
      Math.abs((read?.userSec ?? 0) + (read?.systemSec ?? 0) - (own.user + own.system) / 1e6),
    ).toBeLessThan((2 * 1.5) / ticks);
  });

  it("is undefined for a pid that does not exist", () => {
    expect(processCpu(2 ** 22 + 1, 100)).toBeUndefined();
  });
});
