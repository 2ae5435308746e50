import { existsSync, readFileSync, rmSync } from "node:fs";
import { execa } from "execa";

/**
 * One finished process as the kernel accounted for it, read by GNU time from wait4(): its CPU
 * time (all threads) and its peak resident memory, exact, however short the process lived, where
 * sampling /proc could miss the peak of a process that lives a fraction of a second.
 */
export const GNU_TIME = "/usr/bin/time";

/** GNU time's figures, one line: wall seconds, user seconds, system seconds, peak RSS in KB, exit status. */
const FORMAT = "%e %U %S %M %x";

export interface TimedRun {
  exitCode: number;
  wallSec: number;
  cpuUserSec: number;
  cpuSystemSec: number;
  rssPeakBytes: number;
  /** The last lines the command wrote to stderr: what it said when it exited as not expected. */
  stderrTail: string;
}

/**
 * GNU time's line of figures (the last line of its output file: a line before it says that a
 * signal ended the command), or null when there is none.
 */
export function parseTimeLine(text: string): Omit<TimedRun, "stderrTail"> | null {
  const last = text.trim().split("\n").at(-1) ?? "";
  const fields = last.trim().split(/\s+/).map(Number);
  if (fields.length !== 5 || fields.some((field) => !Number.isFinite(field))) return null;
  const [wallSec, cpuUserSec, cpuSystemSec, rssPeakKb, exitCode] = fields as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { exitCode, wallSec, cpuUserSec, cpuSystemSec, rssPeakBytes: rssPeakKb * 1024 };
}

/** Runs `file args` in `cwd` under GNU time, its output read and dropped; `figuresFile` is GNU time's own. */
export async function runTimed(
  file: string,
  args: readonly string[],
  { cwd, figuresFile, timeoutMs }: { cwd: string; figuresFile: string; timeoutMs: number },
): Promise<TimedRun> {
  // A figures line left by an earlier run must not stand for this one.
  rmSync(figuresFile, { force: true });
  const child = await execa(GNU_TIME, ["-f", FORMAT, "-o", figuresFile, file, ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    timeout: timeoutMs,
    env: { ...process.env, CI: "true" },
  });
  const stderrTail = String(child.stderr ?? "")
    .trim()
    .split("\n")
    .slice(-3)
    .join(" | ");
  const figures = existsSync(figuresFile) ? parseTimeLine(readFileSync(figuresFile, "utf8")) : null;
  if (!figures) {
    throw new Error(
      `${GNU_TIME} gave no figures for ${file} ${args.join(" ")}${child.timedOut ? " (timed out)" : ""}: ${stderrTail}`,
    );
  }
  return { ...figures, stderrTail };
}

/** Whether GNU time is there to run the commands with. */
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}
