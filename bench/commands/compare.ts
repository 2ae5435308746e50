import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  compareResults,
  type LoadedResult,
  renderComparisonMarkdown,
  renderComparisonTable,
} from "../report/compare.js";
import { DEFAULT_CONFIDENCE } from "../report/stats.js";
import { readResultFile } from "../result/read.js";
import { ExitCode, UsageError } from "../util/errors.js";

export interface CompareFlags {
  /** Confidence level of the intervals, 0.5 to 0.999 (default 0.95). */
  confidence?: string;
  /** Also write the comparison as JSON to this file. */
  json?: string;
  /** Print Markdown instead of the terminal table. */
  markdown?: boolean;
}

export const MIN_CONFIDENCE = 0.5;
export const MAX_CONFIDENCE = 0.999;

/** --confidence: a number from 0.5 to 0.999; the default 0.95 when not given. */
export function parseConfidence(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONFIDENCE;
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value) || value < MIN_CONFIDENCE || value > MAX_CONFIDENCE) {
    throw new UsageError(
      `--confidence must be a number from ${MIN_CONFIDENCE} to ${MAX_CONFIDENCE} (such as 0.95), got '${text}'`,
    );
  }
  return value;
}

/** Reads one result.json (or the result.json in a run's folder); see readResultFile. */
export async function loadResultFile(file: string): Promise<LoadedResult> {
  return { file, result: readResultFile(file) };
}

/**
 * `compare <a> <b> [more...]`: each later result against the first, per scenario and metric, with
 * the ratio and its confidence interval; prints the table (or Markdown) to stdout and, with --json,
 * writes the comparison. A report, not a gate: returns 0.
 */
export async function compareCommand(files: string[], flags: CompareFlags): Promise<number> {
  if (files.length < 2) {
    throw new UsageError(
      `compare needs at least two results (a and b), got ${files.length}: reinvent-bench compare <a.json> <b.json> [more...]`,
    );
  }
  const confidence = parseConfidence(flags.confidence);
  const loaded: LoadedResult[] = [];
  for (const file of files) loaded.push(await loadResultFile(file));
  const comparison = compareResults(loaded, { confidence });
  const rendered = flags.markdown
    ? renderComparisonMarkdown(comparison)
    : `${renderComparisonTable(comparison)}\n`;
  process.stdout.write(rendered);
  if (flags.json) {
    try {
      await mkdir(dirname(flags.json), { recursive: true });
      await writeFile(flags.json, `${JSON.stringify(comparison, null, 2)}\n`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`--json ${flags.json}: cannot be written (${code ?? (error as Error).message})`);
    }
  }
  return ExitCode.ok;
}
