import { extname } from "node:path";
import { UsageError } from "../util/errors.js";
import { csvHeader, csvRow } from "./interval-csv.js";
import { type IntervalRecord, intervalRecord } from "./interval-record.js";
import type { LiveOutput, LiveSecond } from "./second.js";
import { SyncFile } from "./sync-file.js";

export type IntervalStreamFormat = "jsonl" | "csv";

const FORMATS: Record<string, IntervalStreamFormat> = { ".jsonl": "jsonl", ".csv": "csv" };

/**
 * The format a file's extension asks for (case aside): .jsonl or .csv. Anything else is a UsageError
 * naming the path, so the command line can refuse it before the run starts.
 */
export function intervalStreamFormat(path: string): IntervalStreamFormat {
  const extension = extname(path).toLowerCase();
  const format = FORMATS[extension];
  if (format) return format;
  const found = extension ? `extension "${extname(path)}"` : "no extension";
  throw new UsageError(
    `interval stream ${path}: ${found}; name a file ending in .jsonl (one JSON object per second) or .csv (one row per second)`,
  );
}

const LINE: Record<IntervalStreamFormat, (record: IntervalRecord) => string> = {
  jsonl: (record) => `${JSON.stringify(record)}\n`,
  csv: csvRow,
};

/**
 * Every second of the run, one line each, written before second() returns: a crash loses at most
 * the second being written, and a reader beside the run parses every line that ends in a newline.
 * JSONL lines are IntervalRecord objects; CSV has one header line (interval-csv.ts), written when
 * the file is created, and the same columns for every scenario and phase after it.
 */
export class IntervalStream implements LiveOutput {
  readonly format: IntervalStreamFormat;
  private readonly file: SyncFile;
  private readonly line: (record: IntervalRecord) => string;

  /** Creates (or empties) the file; throws the file system's error if it cannot. */
  constructor(readonly path: string) {
    this.format = intervalStreamFormat(path);
    this.line = LINE[this.format];
    this.file = new SyncFile(path);
    if (this.format === "csv") this.file.write(csvHeader());
  }

  second(second: LiveSecond): void {
    this.file.write(this.line(intervalRecord(second)));
  }

  async close(): Promise<void> {
    this.file.close();
  }
}
