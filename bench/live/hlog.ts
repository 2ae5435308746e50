import { createRequire } from "node:module";
import type * as ReaderModule from "hdr-histogram-js/dist/HistogramLogReader.js";
import { encodeHistogram, type Histogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { PhaseName } from "../metrics/interval.js";
import type { LiveContext, LiveOutput, LiveSecond } from "./second.js";
import { SyncFile } from "./sync-file.js";

// The log reader loads hdr-histogram-js's WebAssembly build with it (about 8 MB), so it is loaded
// when a log is read, not when this module is imported. Seen from an ES module, a CommonJS module's
// `exports.default` is `default.default`.
const require = createRequire(import.meta.url);
type ReaderClass = typeof ReaderModule.default.default;
const readerClass = () =>
  (require("hdr-histogram-js/dist/HistogramLogReader.js") as { default: ReaderClass }).default;

/** The log format version HdrHistogram's HistogramLogWriter writes, and its readers read. */
const LOG_FORMAT_VERSION = "1.3";

/**
 * A time or a max as HistogramLogWriter writes them: three decimals, no grouping, padded to five
 * characters (its floatFormatter(5, 3)).
 */
function logNumber(value: number): string {
  return value.toFixed(3).padStart(5, " ");
}

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
  private headerWritten = false;
  private readonly seenTags = new Set<string>();
  /** An empty interval, encoded once: what an op that completed nothing in a second logs. */
  private emptyEncoded: string | null = null;

  /** Creates (or empties) the file; throws the file system's error. */
  constructor(
    readonly path: string,
    options: HistogramLogOptions = {},
  ) {
    this.baseEpochMs = options.startEpochMs ?? Date.now();
    this.file = new SyncFile(path);
  }

  /**
   * The log's header, as HistogramLogWriter writes it, at the first second (or at close, for a run
   * that measured nothing). The lines are written here rather than by hdr-histogram-js's writer,
   * whose module brings the library's WebAssembly build (about 15 MB resident) into every run.
   */
  private writeHeader(): void {
    if (this.headerWritten) return;
    this.headerWritten = true;
    const baseSec = (this.baseEpochMs / 1000).toFixed(3);
    const baseIso = new Date(this.baseEpochMs).toISOString();
    this.file.write(
      [
        "#[Logged with reinvent-bench]",
        `#[Histogram log format version ${LOG_FORMAT_VERSION}]`,
        `#[StartTime: ${baseSec} (seconds since epoch), ${baseIso}]`,
        `#[BaseTime: ${baseSec} (seconds since epoch)]`,
        "#[Values: latency in microseconds; Interval_Max in milliseconds; Tag=<scenario>/<label>/<phase>/<op>]",
        '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
        "",
      ].join("\n"),
    );
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
      // The interval's own encoding (HdrHistogram's compressed V2, as the writer makes it), and its
      // max as the entry has it (the histogram's max value in milliseconds): nothing decoded again.
      this.emptyEncoded ??= encodeHistogram(newLatencyHistogram());
      this.writeHeader();
      const max = logNumber(encoded ? (second.entry.latencyMs[op]?.max ?? 0) : 0);
      this.file.write(
        `Tag=${tag},${logNumber(startSec)},${logNumber(endSec - startSec)},${max},${encoded ?? this.emptyEncoded}\n`,
      );
    }
  }

  /** A later trial under the same label starts afresh: its ops log nothing until they complete something. */
  phaseEnd(context: LiveContext, phase: PhaseName): void {
    const prefix = phaseTagPrefix(context, phase);
    for (const tag of this.seenTags) if (tag.startsWith(prefix)) this.seenTags.delete(tag);
  }

  async close(): Promise<void> {
    // A log with its header even when nothing was measured.
    if (!this.file.closed && !this.headerWritten) {
      this.writeHeader();
      this.file.write("#[No interval was measured]\n");
    }
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
