import { createRequire } from "node:module";
// Brings in the typings of the encode and decode methods that module installs.
import type {} from "hdr-histogram-js/dist/JsHistogram.encoding.js";
import type { JsHistogram } from "hdr-histogram-js/dist/JsHistogram.js";

// The pure-JavaScript parts of hdr-histogram-js, loaded one by one: its index also loads a
// WebAssembly build that we never use, which costs about 8 MB in every thread. require() gives the
// same CommonJS exports under Node and under the test runner.
const require = createRequire(import.meta.url);
const Int32Histogram = (
  require("hdr-histogram-js/dist/Int32Histogram.js") as {
    default: new (lowest: number, highest: number, significantDigits: number) => JsHistogram;
  }
).default;
const JsHistogramClass = (require("hdr-histogram-js/dist/JsHistogram.js") as { default: typeof JsHistogram })
  .default;

interface EncodingModule {
  decompress: (data: Uint8Array) => Uint8Array;
}
let encoding: EncodingModule | undefined;
/**
 * Loading the encoding module installs encodeIntoCompressedBase64 and decode on JsHistogram. It is
 * loaded at the first encode or decode, not with this module: with pako and base64-js it costs
 * about 20 ms of CPU that `run` paid at start-up, before it had measured anything to encode.
 */
function encodingModule(): EncodingModule {
  encoding ??= require("hdr-histogram-js/dist/JsHistogram.encoding.js") as EncodingModule;
  return encoding;
}

export type Histogram = JsHistogram;

/** One hour in microseconds: the histograms resize past it rather than clip (sysbench caps at 100 s). */
const HIGHEST_TRACKABLE_US = 3_600_000_000;

/**
 * Latency histograms record integer microseconds with 3 significant digits (0.1% value resolution),
 * in bounded memory whatever the run length, and merge exactly: totals are sums of counts, never
 * averages of percentiles.
 */
export function newLatencyHistogram(): Histogram {
  const histogram = new Int32Histogram(1, HIGHEST_TRACKABLE_US, 3);
  histogram.autoResize = true;
  return histogram;
}

/** HdrHistogram's compressed base64 form (V2), readable by every HdrHistogram implementation. */
export function encodeHistogram(histogram: Histogram): string {
  encodingModule();
  return histogram.encodeIntoCompressedBase64();
}

export function decodeHistogram(encoded: string): Histogram {
  const { decompress } = encodingModule();
  return JsHistogramClass.decode(decompress(Buffer.from(encoded.trim(), "base64")), 32);
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
