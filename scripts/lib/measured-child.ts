import { cpus } from "node:os";
import { execa } from "execa";
import { type CpuSec, ProcSampler, reapedChildrenCpu } from "./process-sample.js";

/** A child process to measure; `marker` is a part of its command line that tells it is running. */
export interface MeasuredCommand {
  file: string;
  args: string[];
  marker: string;
  cwd: string;
}

export interface MeasureSettings {
  timeoutMs: number;
  /** Cancels the child (it is killed, then force-killed 10 s later if it is still there). */
  signal: AbortSignal;
  sampleMs: number;
  ticksPerSec: number;
}

export interface ChildOutcome {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  canceled: boolean;
  stdout: string;
  stderr: string;
  wallSec: number;
  cpuUserSec: number;
  cpuSystemSec: number;
  /** reaped: exact, from this process's account of its children; sampled: the last /proc sample. */
  cpuSource: "reaped" | "sampled";
  sampledCpuSec: number;
  rssPeakBytes: number;
  hwmBytes: number;
  samples: number;
}

/**
 * Whether the reaped CPU figure can be trusted, against the last sample. It is exact unless another
 * child of this process ended meanwhile (a sandbox server dying), which shows as far more CPU than
 * the last sample: more than the child could have used between its last sample and its exit on
 * every CPU, plus a margin for its exit. It cannot be less than a sample (rounding aside).
 */
export function reapedCpuPlausible(
  reapedSec: number,
  sampledSec: number,
  cpuCount: number,
  sampleMs: number,
): boolean {
  return (
    Number.isFinite(reapedSec) &&
    reapedSec >= sampledSec - 0.02 &&
    reapedSec <= sampledSec + 2 + (cpuCount * sampleMs) / 1000
  );
}

const cpuSecSum = (cpu: CpuSec) => cpu.userSec + cpu.systemSec;

/** Runs `command` to its end while sampling it, and says what it cost: CPU, memory, wall time. */
export async function runMeasured(
  command: MeasuredCommand,
  settings: MeasureSettings,
): Promise<ChildOutcome> {
  const { signal, ticksPerSec } = settings;
  // A signal of its own for each child, so listeners execa leaves on it do not pile up on the main one.
  const cancel = new AbortController();
  const forward = () => cancel.abort();
  if (signal.aborted) cancel.abort();
  else signal.addEventListener("abort", forward, { once: true });
  const before = reapedChildrenCpu(ticksPerSec);
  const startMs = Date.now();
  const child = execa(command.file, command.args, {
    cwd: command.cwd,
    reject: false,
    stdin: "ignore",
    timeout: settings.timeoutMs,
    cancelSignal: cancel.signal,
    forceKillAfterDelay: 10_000,
    cleanup: true,
  });
  const sampler =
    child.pid === undefined
      ? undefined
      : new ProcSampler(child.pid, command.marker, ticksPerSec, settings.sampleMs);
  const result = await child;
  sampler?.stop();
  signal.removeEventListener("abort", forward);
  const after = reapedChildrenCpu(ticksPerSec);
  const sampled: CpuSec = { userSec: sampler?.cpuUserSec ?? 0, systemSec: sampler?.cpuSystemSec ?? 0 };
  const reaped: CpuSec = {
    userSec: after.userSec - before.userSec,
    systemSec: after.systemSec - before.systemSec,
  };
  const reapedOk = reapedCpuPlausible(
    cpuSecSum(reaped),
    cpuSecSum(sampled),
    cpus().length,
    settings.sampleMs,
  );
  const cpu = reapedOk ? reaped : sampled;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    wallSec: (Date.now() - startMs) / 1000,
    cpuUserSec: cpu.userSec,
    cpuSystemSec: cpu.systemSec,
    cpuSource: reapedOk ? "reaped" : "sampled",
    sampledCpuSec: cpuSecSum(sampled),
    rssPeakBytes: sampler?.rssPeakBytes ?? 0,
    hwmBytes: sampler?.hwmBytes ?? 0,
    samples: sampler?.samples ?? 0,
  };
}

/** The last `lines` lines of `text` on one line, to quote a failed command's output. */
export function tailLines(text: string, lines = 5): string {
  return text.trim().split("\n").slice(-lines).join(" | ");
}

/** Why a child failed (interrupted, timed out, or its exit and last output lines), or null. */
export function childFailure(outcome: ChildOutcome): string | null {
  if (outcome.canceled) return "interrupted";
  if (outcome.timedOut) return "timed out";
  if (outcome.exitCode !== 0) {
    return `exit ${outcome.exitCode ?? outcome.signal ?? "?"}: ${tailLines(`${outcome.stdout}\n${outcome.stderr}`)}`;
  }
  return null;
}
