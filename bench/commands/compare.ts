import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type Comparison,
  compareResults,
  type LoadedResult,
  renderComparisonMarkdown,
  renderComparisonTable,
  resultName,
} from "../report/compare.js";
import { DEFAULT_CONFIDENCE } from "../report/stats.js";
import { readResultFile } from "../result/read.js";
import { ExitCode, UsageError } from "../util/errors.js";
import { ensureWritableDir, ioFailure } from "../util/paths-check.js";

export interface CompareFlags {
  /** Confidence level of the intervals, 0.5 to 0.999 (default 0.95). */
  confidence?: string;
  /** Also write the comparison as JSON to this file. */
  json?: string;
  /** Print Markdown instead of the terminal table. */
  markdown?: boolean;
  /** Also draw the comparison's charts, one SVG each, into this folder. */
  charts?: string;
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

/** A later result that has no scenario in common with the base: nothing of it could be compared. */
function checkCommonScenarios(loaded: readonly LoadedResult[], comparison: Comparison): void {
  const [base, ...later] = loaded;
  const ids = (l: LoadedResult | undefined) => l?.result.scenarios.map((s) => s.id).join(", ") || "none";
  if (base && base.result.scenarios.length === 0) {
    throw new UsageError(`${base.file}: the base result has no scenario: nothing to compare`);
  }
  comparison.pairs.forEach((pair, i) => {
    if (pair.scenarios.length > 0) return;
    const other = later[i];
    throw new UsageError(
      `${other?.file}: no scenario in common with ${base?.file} (its scenarios: ${ids(other)}; the base's: ${ids(base)}): nothing to compare`,
    );
  });
}

/** Draws the charts into `dir` (checked beforehand): one SVG each, written whole or not at all. */
async function writeCharts(loaded: readonly LoadedResult[], dir: string): Promise<string[]> {
  // Loaded only for --charts: Vega costs more CPU to load than the whole comparison without it.
  const [{ comparisonCharts }, { renderSvg }] = await Promise.all([
    import("../report/charts.js"),
    import("../report/render-charts.js"),
  ]);
  const charts = comparisonCharts(
    loaded.map((l, i) => ({
      label: `${resultName(i)}: ${l.result.environment.target.flavor} ${l.result.environment.target.version}, ${l.file}`,
      result: l.result,
    })),
  );
  const written: string[] = [];
  for (const chart of charts) {
    const path = join(dir, `${chart.name}.svg`);
    const temp = `${path}.tmp-${process.pid}`;
    try {
      await writeFile(temp, await renderSvg(chart));
      await rename(temp, path);
    } catch (error) {
      throw ioFailure(error, `--charts ${dir}: ${path} cannot be written`, "--charts");
    }
    written.push(path);
  }
  return written;
}

/**
 * `compare <a> <b> [more...]`: each later result against the first, per scenario and metric, with
 * the ratio and its confidence interval; prints the table (or Markdown) to stdout, side by side
 * with a column per result for three or more, and, with --json, writes the comparison; with
 * --charts, draws each scenario's throughput (or lag) with one series per result. A report, not a
 * gate: returns 0.
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
  checkCommonScenarios(loaded, comparison);
  if (flags.charts) ensureWritableDir(flags.charts, { what: "chart folder", flag: "--charts" });
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
  if (flags.charts) {
    const written = await writeCharts(loaded, flags.charts);
    process.stderr.write(
      `compare: ${written.length} chart${written.length === 1 ? "" : "s"} (SVG) in ${flags.charts}\n`,
    );
  }
  return ExitCode.ok;
}
