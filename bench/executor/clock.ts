import { performance } from "node:perf_hooks";

/**
 * The origin, read once: `performance.timeOrigin` is a getter, and a load worker reads this clock
 * twice per statement (sent, answered).
 */
const timeOrigin = performance.timeOrigin;

/**
 * The epoch clock of util/timer's epochNowMs (every worker thread reads the same one), for the
 * load workers' hot path.
 */
export function nowEpochMs(): number {
  return timeOrigin + performance.now();
}
