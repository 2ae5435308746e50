import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasGnuTime, parseTimeLine, runTimed } from "./timed-process.js";

describe("parseTimeLine", () => {
  it("reads wall, user and system seconds, peak RSS in KB and the exit status", () => {
    expect(parseTimeLine("0.21 0.15 0.03 86404 3\n")).toEqual({
      wallSec: 0.21,
      cpuUserSec: 0.15,
      cpuSystemSec: 0.03,
      rssPeakBytes: 86404 * 1024,
      exitCode: 3,
    });
  });

  it("reads the last line, after the one that says a signal ended the command", () => {
    expect(parseTimeLine("Command terminated by signal 9\n0.50 0.40 0.05 1000 0\n")?.cpuUserSec).toBe(0.4);
  });

  it("is null for anything else", () => {
    expect(parseTimeLine("")).toBeNull();
    expect(parseTimeLine("Command exited with non-zero status 2")).toBeNull();
    expect(parseTimeLine("0.1 0.1 x 100 0")).toBeNull();
  });
});

describe.runIf(hasGnuTime())("runTimed", () => {
  it("gives a finished command's exit code and figures, not an earlier run's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "timed-process-test-"));
    try {
      const figuresFile = join(dir, "time.txt");
      writeFileSync(figuresFile, "9 9 9 9 9\n");
      const run = await runTimed(process.execPath, ["-e", "process.exit(3)"], {
        cwd: dir,
        figuresFile,
        timeoutMs: 30_000,
      });
      expect(run.exitCode).toBe(3);
      expect(run.rssPeakBytes).toBeGreaterThan(1024 * 1024);
      expect(run.cpuUserSec + run.cpuSystemSec).toBeLessThan(9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
