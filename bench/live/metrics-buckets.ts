import type { Histogram } from "../metrics/histogram.js";

/**
 * Upper bounds of the latency buckets, in microseconds: 100 us to 10 s, 1-2-5 per decade. A point
 * select on a local server takes ~100 us, a commit to remote storage a few ms, a stall seconds;
 * anything past 10 s lands in +Inf, which still counts it. Fixed, so that every scrape of every run
 * has the same buckets and histogram_quantile() can add them across runs and clients.
 */
export const LATENCY_BOUNDS_US: readonly number[] = [
  100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000,
  5_000_000, 10_000_000,
];

const US_PER_SECOND = 1_000_000;

/**
 * The `le` label of a bound: seconds, with ".0" on whole numbers as OpenMetrics' canonical numbers
 * have it. Both text formats write the same value, so a series keeps its labels whichever is scraped.
 */
export function leLabel(boundUs: number): string {
  const seconds = boundUs / US_PER_SECOND;
  return Number.isInteger(seconds) ? seconds.toFixed(1) : String(seconds);
}

/** A latency histogram in the fixed buckets: non-cumulative counts, the +Inf overflow last. */
export interface LatencyBuckets {
  /** One count per bound of LATENCY_BOUNDS_US, then the count above the last bound. */
  counts: number[];
  count: number;
  /** Sum of the values, microseconds (each at the middle of its HDR equivalence range). */
  sumUs: number;
}

export function emptyBuckets(): LatencyBuckets {
  return { counts: new Array<number>(LATENCY_BOUNDS_US.length + 1).fill(0), count: 0, sumUs: 0 };
}

/**
 * Adds an HDR histogram (microseconds) into the buckets. HDR keeps each value as a slot of equivalent
 * values (width 1 us below 2,048 us, then 0.1% of the value at most); a slot counts under a bound
 * when its highest equivalent value is at most the bound. That is the value HDR itself reports for a
 * percentile, so a bucket holds at least 99% of the count exactly when result.json's p99 is at most
 * its bound: histogram_quantile() and result.json pick the same bucket. Bounds up to 2 ms are exact;
 * above, a value within 0.1% under a bound may count in the bucket above it.
 */
export function addHistogram(into: LatencyBuckets, histogram: Histogram): void {
  const total = histogram.totalCount;
  let seen = 0;
  let bucket = 0;
  for (let index = 0; index < histogram.countsArrayLength && seen < total; index++) {
    const n = histogram.getCountAtIndex(index);
    if (n === 0) continue;
    seen += n;
    const value = histogram.valueFromIndex(index);
    const highestUs = histogram.highestEquivalentValue(value);
    // Slots come in increasing value order, so the bucket index only moves up.
    while (bucket < LATENCY_BOUNDS_US.length && highestUs > (LATENCY_BOUNDS_US[bucket] as number)) bucket++;
    into.counts[bucket] = (into.counts[bucket] ?? 0) + n;
    into.count += n;
    into.sumUs += histogram.medianEquivalentValue(value) * n;
  }
}

/**
 * Upper bounds of the replica-lag buckets, in microseconds: the latency bounds, then 30 s, 1 min and
 * 5 min, as far as the lag AWS reported for MySQL 5.6 at 10,000 writes/s (300 s).
 */
export const LAG_BOUNDS_US: readonly number[] = [...LATENCY_BOUNDS_US, 30_000_000, 60_000_000, 300_000_000];

/** Buckets of single values against `bounds` (non-cumulative; the count above the last bound last). */
export function emptyBucketsFor(bounds: readonly number[]): LatencyBuckets {
  return { counts: new Array<number>(bounds.length + 1).fill(0), count: 0, sumUs: 0 };
}

/** Adds one value, in microseconds, to buckets against `bounds`: the first bound it is not above. */
export function addValue(into: LatencyBuckets, bounds: readonly number[], valueUs: number): void {
  let bucket = bounds.findIndex((bound) => valueUs <= bound);
  if (bucket < 0) bucket = bounds.length;
  into.counts[bucket] = (into.counts[bucket] ?? 0) + 1;
  into.count += 1;
  into.sumUs += valueUs;
}

/** Cumulative counts per bound (the +Inf one last, equal to the count), as the exposition writes them. */
export function cumulativeCounts(buckets: LatencyBuckets): number[] {
  let running = 0;
  return buckets.counts.map((n) => {
    running += n;
    return running;
  });
}

export function secondsOfUs(us: number): number {
  return us / US_PER_SECOND;
}
