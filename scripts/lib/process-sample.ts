import { readFileSync } from "node:fs";
import { execa } from "execa";

/**
 * A process's CPU time and memory, read from /proc (Linux): while it runs, by sampling, and once it
 * has been reaped, exactly, from this process's account of its waited-for children.
 */

/** Clock ticks per second of /proc times (USER_HZ) when getconf cannot say: 100 on every common Linux. */
const DEFAULT_TICKS_PER_SEC = 100;

/** USER_HZ, asked of getconf (once per script: it does not change while the machine runs). */
export async function clockTicksPerSec(): Promise<number> {
  const ticks = Number((await execa("getconf", ["CLK_TCK"], { reject: false })).stdout);
  return Number.isInteger(ticks) && ticks > 0 ? ticks : DEFAULT_TICKS_PER_SEC;
}

// Fields of /proc/<pid>/stat by their number in proc(5), as indexes of statFields' array.
const FIRST_FIELD = 3;
const UTIME = 14 - FIRST_FIELD;
const STIME = 15 - FIRST_FIELD;
const CUTIME = 16 - FIRST_FIELD;
const CSTIME = 17 - FIRST_FIELD;
const STARTTIME = 22 - FIRST_FIELD;

/**
 * The fields of a /proc/<pid>/stat text after "(comm)", from field 3 (state) on. The command name
 * may hold spaces and parentheses, so the fields start after its last ")".
 */
export function statFields(statText: string): string[] {
  return statText.slice(statText.lastIndexOf(")") + 2).split(" ");
}

function readStatFields(path: string): string[] | undefined {
  try {
    return statFields(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** A "Name:   1234 kB" line of /proc/<pid>/status, in kB. */
export function statusKb(statusText: string, name: string): number | undefined {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(statusText);
  return match ? Number(match[1]) : undefined;
}

export interface CpuSec {
  userSec: number;
  systemSec: number;
}

/**
 * CPU time of this process's children that have been waited for (cutime + cstime). The difference
 * across one child's life is that child's whole CPU time, all threads, when no other child of this
 * process ended meanwhile. NaN when /proc cannot be read.
 */
export function reapedChildrenCpu(ticksPerSec: number): CpuSec {
  const fields = readStatFields("/proc/self/stat");
  return {
    userSec: Number(fields?.[CUTIME] ?? Number.NaN) / ticksPerSec,
    systemSec: Number(fields?.[CSTIME] ?? Number.NaN) / ticksPerSec,
  };
}

/**
 * CPU time of a running process (all its threads; not its children), in seconds: for the server's
 * own cost per statement beside the client's. Undefined when /proc cannot be read (gone, no such pid).
 */
export function processCpu(pid: number, ticksPerSec: number): CpuSec | undefined {
  const fields = readStatFields(`/proc/${pid}/stat`);
  if (!fields) return undefined;
  return { userSec: Number(fields[UTIME]) / ticksPerSec, systemSec: Number(fields[STIME]) / ticksPerSec };
}

/**
 * Samples one process's CPU and memory from /proc until stopped. Samples count only once the
 * process runs the expected program (its command line contains `marker`), not the instant between
 * fork and exec, and only while its start time is unchanged (so a reused pid is never read).
 */
export class ProcSampler {
  /** CPU time at the latest sample. */
  cpuUserSec = 0;
  cpuSystemSec = 0;
  /** Highest VmRSS sampled. */
  rssPeakBytes = 0;
  /** Highest VmHWM (the kernel's own high-water mark of RSS) sampled. */
  hwmBytes = 0;
  samples = 0;
  private startTime: string | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly marker: string,
    private readonly ticksPerSec: number,
    sampleMs: number,
  ) {
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  sample(): void {
    const fields = readStatFields(`/proc/${this.pid}/stat`);
    if (!fields || !this.isExpectedProcess(fields)) return;
    let status = "";
    try {
      status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    } catch {
      return;
    }
    this.cpuUserSec = Number(fields[UTIME]) / this.ticksPerSec;
    this.cpuSystemSec = Number(fields[STIME]) / this.ticksPerSec;
    const rssKb = statusKb(status, "VmRSS");
    const hwmKb = statusKb(status, "VmHWM");
    if (rssKb !== undefined) this.rssPeakBytes = Math.max(this.rssPeakBytes, rssKb * 1024);
    if (hwmKb !== undefined) this.hwmBytes = Math.max(this.hwmBytes, hwmKb * 1024);
    this.samples++;
  }

  /** Whether the pid is still the process first seen running the program; stops when it is not. */
  private isExpectedProcess(fields: string[]): boolean {
    if (this.startTime === undefined) {
      let cmdline = "";
      try {
        cmdline = readFileSync(`/proc/${this.pid}/cmdline`, "utf8");
      } catch {
        return false;
      }
      if (!cmdline.includes(this.marker)) return false;
      this.startTime = fields[STARTTIME];
      return true;
    }
    if (fields[STARTTIME] === this.startTime) return true;
    this.stop();
    return false;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
