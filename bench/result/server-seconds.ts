import type { ServerStatusSecond } from "../target/server-sampler.js";
import type { IntervalEntry } from "./interval-entry.js";

/** Rates kept to a thousandth: finer says nothing of a count over a second, and result.json stays small. */
const round3 = (value: number) => Math.round(value * 1000) / 1000;

/**
 * intervals[] with the server's figures of the same second (same t) beside each; a second whose
 * status was not read (an error, a read that came late and covered it) is left as it was.
 */
export function withServerSeconds(
  intervals: readonly IntervalEntry[],
  seconds: readonly ServerStatusSecond[],
): IntervalEntry[] {
  const byT = new Map(seconds.map((second) => [second.t, second]));
  return intervals.map((interval) => {
    const second = byT.get(interval.t);
    if (!second) return interval;
    const ratesPerSec: Record<string, number> = {};
    for (const [name, rate] of Object.entries(second.ratesPerSec)) ratesPerSec[name] = round3(rate);
    return {
      ...interval,
      server: {
        readEpochMs: round3(second.readEpochMs),
        spanMs: round3(second.spanMs),
        readMs: round3(second.readMs),
        ratesPerSec,
        gauges: { ...second.gauges },
      },
    };
  });
}
