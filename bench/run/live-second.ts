import type { LoadSecond } from "../executor/load.js";
import type { LiveContext, LiveSecond, ServerSecond } from "../live/second.js";
import { intervalEntry } from "../result/interval-entry.js";

/**
 * A load interval as the live outputs take it: result.json's figures, with its context and raw data,
 * and the server's figures for the same second when they have been read.
 */
export function liveSecondOf(
  second: LoadSecond,
  context: LiveContext,
  transactional: boolean,
  server: ServerSecond | null = null,
): LiveSecond {
  const { interval, ops } = second;
  return {
    ...context,
    phase: second.phase,
    startEpochMs: second.phaseStartEpochMs + interval.index * second.intervalMs,
    spanMs: second.spanMs,
    entry: intervalEntry(interval, {
      ops,
      transactional,
      spanMs: second.spanMs,
      clientCpuMs: second.clientCpuMs,
      workers: second.workers,
    }),
    raw: { interval, ops },
    backlog: interval.health.reduce((sum, h) => sum + h.backlog, 0),
    server,
  };
}
