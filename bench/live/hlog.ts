import { createRequire } from "node:module";
import type * as ReaderModule from "hdr-histogram-js/dist/HistogramLogReader.js";
import type * as WriterModule from "hdr-histogram-js/dist/HistogramLogWriter.js";
import { decodeHistogram, type Histogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { PhaseName } from "../metrics/interval.js";
import type { LiveContext, LiveOutput, LiveSecond } from "./second.js";
import { SyncFile } from "./sync-file.js";

// The log writer and reader load hdr-histogram-js's WebAssembly build with them (about 8 MB), so
// they are loaded when a log is opened or read, not when this module is imported. Seen from an ES
// module, a CommonJS module's `exports.default` is `default.default`.
const require = createRequire(import.meta.url);
type WriterClass = typeof WriterModule.default.default;
type ReaderClass = typeof ReaderModule.default.default;
type HistogramLogWriter = InstanceType<WriterClass>;
const writerClass = () =>
  (require("hdr-histogram-js/dist/HistogramLogWriter.js") as { default: WriterClass }).default;
const readerClass = () =>
  (require("hdr-histogram-js/dist/HistogramLogReader.js") as { default: ReaderClass }).default;

const US_PER_MS = 1000;

/**
 * One part of a tag: the log format splits on commas and whitespace and reads "Tag=" up to the
 * first comma, and the tag's own parts are split on "/", so only letters, digits, ".", "_" and "-"
 * are kept; any run of other characters becomes one "-".
 */
function tagPart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "_";
}

/** The tag of one op's histograms in one trial's phase: `<scenario>/<label>/<phase>/<op>`. */
export function histogramTag(
  context: Pick<LiveContext, "scenario" | "label">,
  phase: PhaseName,
  op: string,
): string {
  return `${phaseTagPrefix(context, phase)}${tagPart(op)}`;
}

function phaseTagPrefix(context: Pick<LiveContext, "scenario" | "label">, phase: PhaseName): string {
  return `${[context.scenario, context.label, phase].map(tagPart).join("/")}/`;
}

export interface HistogramLogOptions {
  /** The log's start and base time, epoch ms: interval timestamps count from it. Default: now. */
  startEpochMs?: number;
}

/**
 * The run's latency histograms as an HdrHistogram interval log (HistogramLogWriter's format, read
 * by HdrHistogram's log processors and plotters in any language): one line per second per op, each
 * tagged with its trial, phase and op, written before second() returns. Values are microseconds,
 * as recorded; the Interval_Max column is in milliseconds. An op that completed something earlier
 * in its phase and nothing in a second gets an empty interval for it: a stall is a real zero, not a
 * missing line. Open it before the run: a second that began before the start time would have a
 * negative timestamp, which log readers skip.
 */
export class HistogramLog implements LiveOutput {
  readonly baseEpochMs: number;
  private readonly file: SyncFile;
  private logWriter: HistogramLogWriter | null = null;
  private readonly seenTags = new Set<string>();

  /** Creates (or empties) the file; throws the file system's error. */
  constructor(
    readonly path: string,
    options: HistogramLogOptions = {},
  ) {
    this.baseEpochMs = options.startEpochMs ?? Date.now();
    this.file = new SyncFile(path);
  }

  /**
   * The log's writer, made and its header written at the first second (or at close, for a run that
   * measured nothing): the writer's module brings hdr-histogram-js's WebAssembly build with it, which
   * a run need not load before it has connected.
   */
  private get writer(): HistogramLogWriter {
    if (this.logWriter) return this.logWriter;
    const Writer = writerClass();
    const writer = new Writer((text) => this.file.write(text));
    writer.outputComment("[Logged with reinvent-bench]");
    writer.outputLogFormatVersion();
    // Written here rather than by outputStartTime, which adds an empty line that not every reader skips.
    const baseSec = (this.baseEpochMs / 1000).toFixed(3);
    const baseIso = new Date(this.baseEpochMs).toISOString();
    writer.outputComment(`[StartTime: ${baseSec} (seconds since epoch), ${baseIso}]`);
    writer.outputComment(`[BaseTime: ${baseSec} (seconds since epoch)]`);
    writer.outputComment(
      "[Values: latency in microseconds; Interval_Max in milliseconds; Tag=<scenario>/<label>/<phase>/<op>]",
    );
    writer.outputLegend();
    this.logWriter = writer;
    return writer;
  }

  second(second: LiveSecond): void {
    if (this.file.closed) return;
    const startSec = (second.startEpochMs - this.baseEpochMs) / 1000;
    const endSec = startSec + second.spanMs / 1000;
    for (const op of second.raw.ops.names) {
      const tag = histogramTag(second, second.phase, op);
      const encoded = second.entry.histograms[op];
      if (!encoded && !this.seenTags.has(tag)) continue;
      this.seenTags.add(tag);
      // A copy of its own: the tag is set on the histogram the writer is given.
      const histogram = encoded ? decodeHistogram(encoded) : newLatencyHistogram();
      histogram.tag = tag;
      this.writer.outputIntervalHistogram(histogram, startSec, endSec, US_PER_MS);
    }
  }

  /** A later trial under the same label starts afresh: its ops log nothing until they complete something. */
  phaseEnd(context: LiveContext, phase: PhaseName): void {
    const prefix = phaseTagPrefix(context, phase);
    for (const tag of this.seenTags) if (tag.startsWith(prefix)) this.seenTags.delete(tag);
  }

  async close(): Promise<void> {
    // A log with its header even when nothing was measured.
    if (!this.file.closed && !this.logWriter) this.writer.outputComment("[No interval was measured]");
    this.file.close();
  }
}

/** One interval line of a histogram log. */
export interface LoggedInterval {
  tag: string;
  startEpochMs: number;
  endEpochMs: number;
  /** Microseconds, as recorded. */
  histogram: Histogram;
}

/** Every interval of a histogram log's text, in file order, read with hdr-histogram-js's own reader. */
export function readHistogramLog(text: string): LoggedInterval[] {
  const Reader = readerClass();
  const reader = new Reader(text);
  const intervals: LoggedInterval[] = [];
  for (;;) {
    const histogram = reader.nextIntervalHistogram() as Histogram | null;
    if (!histogram) return intervals;
    intervals.push({
      tag: histogram.tag,
      startEpochMs: Math.round(histogram.startTimeStampMsec),
      endEpochMs: Math.round(histogram.endTimeStampMsec),
      histogram,
    });
  }
}
