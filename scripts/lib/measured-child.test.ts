import { describe, expect, it } from "vitest";
import {
  type ChildOutcome,
  childFailure,
  reapedCpuPlausible,
  runMeasured,
  tailLines,
} from "./measured-child.js";

describe("reapedCpuPlausible", () => {
  it("trusts a reaped figure at or a little above the last sample", () => {
    expect(reapedCpuPlausible(10, 10, 2, 200)).toBe(true);
    expect(reapedCpuPlausible(9.99, 10, 2, 200)).toBe(true);
    // Up to 2 s more, plus every CPU busy for one sampling interval after the last sample.
    expect(reapedCpuPlausible(12.3, 10, 2, 200)).toBe(true);
  });

  it("refuses one below the sample, far above it, or not a number", () => {
    expect(reapedCpuPlausible(9.9, 10, 2, 200)).toBe(false);
    expect(reapedCpuPlausible(12.5, 10, 2, 200)).toBe(false);
    expect(reapedCpuPlausible(Number.NaN, 10, 2, 200)).toBe(false);
  });
});

const outcome = (fields: Partial<ChildOutcome>): ChildOutcome => ({
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  canceled: false,
  stdout: "",
  stderr: "",
  wallSec: 1,
  cpuUserSec: 0,
  cpuSystemSec: 0,
  cpuSource: "reaped",
  sampledCpuSec: 0,
  rssPeakBytes: 0,
  hwmBytes: 0,
  samples: 0,
  ...fields,
});

describe("childFailure", () => {
  it("is null for a child that exited 0", () => {
    expect(childFailure(outcome({}))).toBeNull();
  });

  it("says interrupted, timed out, or the exit with the last output lines", () => {
    expect(childFailure(outcome({ canceled: true, exitCode: undefined }))).toBe("interrupted");
    expect(childFailure(outcome({ timedOut: true, exitCode: undefined }))).toBe("timed out");
    expect(childFailure(outcome({ exitCode: 3, stdout: "a\nb", stderr: "c\n" }))).toBe("exit 3: a | b | c");
    expect(childFailure(outcome({ exitCode: undefined, signal: "SIGKILL" }))).toBe("exit SIGKILL: ");
  });
});

describe("tailLines", () => {
  it("keeps the last lines on one line", () => {
    expect(tailLines("1\n2\n3\n4\n5\n6\n7\n")).toBe("3 | 4 | 5 | 6 | 7");
    expect(tailLines("1\n2\n3", 2)).toBe("2 | 3");
  });
});

describe("runMeasured", () => {
  const node = (script: string) => ({
    file: process.execPath,
    args: ["-e", script],
    marker: "measured-child-test",
    cwd: process.cwd(),
  });
  const settings = (signal: AbortSignal) => ({ timeoutMs: 30_000, signal, sampleMs: 20, ticksPerSec: 100 });

  it("measures a child's CPU and memory, and keeps its output", async () => {
    // Busy for a while (so it is sampled), then prints; the marker names it in its command line.
    const script =
      "/* measured-child-test */ const end = Date.now() + 300; while (Date.now() < end); console.log('done')";
    const result = await runMeasured(node(script), settings(new AbortController().signal));
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe("done");
    expect(result.cpuSource).toBe("reaped");
    expect(result.cpuUserSec + result.cpuSystemSec).toBeGreaterThan(0);
    expect(result.samples).toBeGreaterThan(0);
    expect(result.rssPeakBytes).toBeGreaterThan(0);
    expect(childFailure(result)).toBeNull();
  });

  it("stops the child when the signal aborts", async () => {
    const abort = new AbortController();
    const running = runMeasured(
      node("/* measured-child-test */ setTimeout(() => {}, 60_000)"),
      settings(abort.signal),
    );
    setTimeout(() => abort.abort(), 200);
    const result = await running;
    expect(result.canceled).toBe(true);
    expect(childFailure(result)).toBe("interrupted");
  });
});
