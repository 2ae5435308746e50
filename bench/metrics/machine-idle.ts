import { cpus } from "node:os";

/** The machine's idle time summed over its cores, and when it was read. */
export interface IdleReading {
  idleMs: number;
  cores: number;
  atMs: number;
}

/** Reads the kernel's idle counters of every core (one read of /proc/stat on Linux). */
export function machineIdle(
  read: () => { times: { idle: number } }[] = cpus,
  nowMs = performance.now(),
): IdleReading {
  const all = read();
  let idleMs = 0;
  for (const core of all) idleMs += core.times.idle;
  return { idleMs, cores: all.length, atMs: nowMs };
}

/**
 * Share of all the cores idle between two readings, 0..1; null when nothing can be told (no
 * cores, no time passed, or a core count that changed between them).
 */
export function idleShare(before: IdleReading, after: IdleReading): number | null {
  const spanMs = after.atMs - before.atMs;
  if (after.cores === 0 || after.cores !== before.cores || spanMs <= 0) return null;
  const share = (after.idleMs - before.idleMs) / (spanMs * after.cores);
  // The kernel counts in clock ticks (10 ms): a short span can read a little over 1 or under 0.
  return Math.min(1, Math.max(0, share));
}
