import * as hdr from "hdr-histogram-js";

export type Histogram = hdr.Histogram;

/** One hour in microseconds: the histograms resize past it rather than clip (sysbench caps at 100 s). */
const HIGHEST_TRACKABLE_US = 3_600_000_000;

/**
 * Latency histograms record integer microseconds with 3 significant digits (0.1% value resolution),
 * in bounded memory whatever the run length, and merge exactly: totals are sums of counts, never
 * averages of percentiles.
 */
export function newLatencyHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** HdrHistogram's compressed base64 form, readable by every HdrHistogram implementation. */
export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

export function mergeEncoded(encoded: readonly string[]): Histogram {
  const total = newLatencyHistogram();
  for (const item of encoded) total.add(decodeHistogram(item));
  return total;
}

/** The percentiles a result reports, in milliseconds. */
export interface LatencySummaryMs {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

const US_PER_MS = 1000;

export function summarizeMs(histogram: Histogram): LatencySummaryMs {
  const at = (percentile: number) => histogram.getValueAtPercentile(percentile) / US_PER_MS;
  return {
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: histogram.maxValue / US_PER_MS,
    count: histogram.totalCount,
  };
}
