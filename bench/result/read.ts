import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { decodeHistogram } from "../metrics/histogram.js";
import { UsageError } from "../util/errors.js";
import type { Result } from "./schema.js";
import { RESULT_SCHEMA_VERSION } from "./schema-version.js";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The first field the readers of a result (report, compare, gate) rely on that is missing or of the
 * wrong type, as a path; null when all are there. Only these are checked, so results written before
 * unrelated fields were added can still be read.
 */
function missingField(value: Record<string, unknown>): string | null {
  const environment = value.environment;
  if (!isObject(environment) || !isObject(environment.target)) return "environment.target";
  for (const key of ["url", "flavor", "version"]) {
    if (typeof environment.target[key] !== "string") return `environment.target.${key}`;
  }
  if (!Array.isArray(value.scenarios)) return "scenarios";
  for (const [i, scenario] of value.scenarios.entries()) {
    const at = `scenarios[${i}]`;
    if (!isObject(scenario)) return at;
    if (typeof scenario.id !== "string") return `${at}.id`;
    if (typeof scenario.measuredMs !== "number") return `${at}.measuredMs`;
    for (const key of ["throughput", "latencyMs", "connections", "verdict"]) {
      if (!isObject(scenario[key])) return `${at}.${key}`;
    }
    if (!Array.isArray(scenario.intervals)) return `${at}.intervals`;
    if (scenario.steps !== undefined && !Array.isArray(scenario.steps)) return `${at}.steps`;
  }
  return null;
}

/**
 * The first histogram map that report or merge reads (a scenario's, each second's, each step's)
 * that is missing or holds something else than strings, as a path; null when all are maps.
 */
function missingHistograms(result: Result): string | null {
  for (const [i, scenario] of result.scenarios.entries()) {
    const at = `scenarios[${i}]`;
    const own = malformedHistograms(scenario.histograms, `${at}.histograms`);
    if (own) return own;
    for (const [j, interval] of scenario.intervals.entries()) {
      if (!isObject(interval)) return `${at}.intervals[${j}]`;
      const inInterval = malformedHistograms(interval.histograms, `${at}.intervals[${j}].histograms`);
      if (inInterval) return inInterval;
    }
    for (const [k, step] of (scenario.steps ?? []).entries()) {
      if (!isObject(step)) return `${at}.steps[${k}]`;
      const inStep = malformedHistograms(step.histograms, `${at}.steps[${k}].histograms`);
      if (inStep) return inStep;
    }
  }
  return null;
}

/** A map of encoded histograms by operation: the path of what is not one, or null. */
function malformedHistograms(value: unknown, at: string): string | null {
  if (!isObject(value)) return at;
  for (const [op, encoded] of Object.entries(value)) {
    if (typeof encoded !== "string") return `${at}.${op}`;
  }
  return null;
}

/** Each encoded histogram of a result with the path naming it (intervals' only when asked). */
function* encodedHistograms(result: Result, intervals: boolean): Generator<[string, string]> {
  for (const [i, scenario] of result.scenarios.entries()) {
    const at = `scenarios[${i}]`;
    for (const [op, encoded] of Object.entries(scenario.histograms))
      yield [`${at}.histograms.${op}`, encoded];
    for (const [k, step] of (scenario.steps ?? []).entries()) {
      for (const [op, encoded] of Object.entries(step.histograms))
        yield [`${at}.steps[${k}].histograms.${op}`, encoded];
    }
    if (!intervals) continue;
    for (const [j, interval] of scenario.intervals.entries()) {
      for (const [op, encoded] of Object.entries(interval.histograms))
        yield [`${at}.intervals[${j}].histograms.${op}`, encoded];
    }
  }
}

/**
 * For the readers that use the histograms (report draws them, merge adds them): every histogram
 * map must be there, and the scenarios' and steps' histograms (with `intervals`, each second's too)
 * must decode. Throws a one-line UsageError naming the file and the first field that fails.
 */
export function checkHistograms(result: Result, path: string, options: { intervals?: boolean } = {}): void {
  const missing = missingHistograms(result);
  if (missing) {
    throw new UsageError(
      `${path}: not a complete reinvent-bench result (${missing} is missing or malformed)`,
    );
  }
  for (const [field, encoded] of encodedHistograms(result, options.intervals ?? false)) {
    try {
      decodeHistogram(encoded);
    } catch (error) {
      const why = ((error as Error)?.message ?? String(error)).split("\n")[0];
      throw new UsageError(
        `${path}: ${field} is not an encoded HDR histogram (${why}); the file was changed or damaged after run wrote it`,
      );
    }
  }
}

export interface ReadOptions {
  /** Check the histograms too (checkHistograms, without the per-second ones): for report and merge. */
  histograms?: boolean;
}

/**
 * Reads one result.json (or the result.json in a run's folder). A file that is missing, not JSON,
 * not written by reinvent-bench or of another schema version (or, with `histograms`, with a
 * histogram that is missing, null or does not decode) is a one-line UsageError naming it.
 */
export function readResultFile(file: string, options: ReadOptions = {}): Result {
  let path = file;
  let text: string;
  try {
    if (statSync(file).isDirectory()) path = join(file, "result.json");
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${path}: no such file`);
    throw new UsageError(`${path}: cannot be read (${code ?? (error as Error).message})`);
  }
  return parseResultText(text, path, options);
}

/** A result from its JSON text; `path` names it in errors. Checked as readResultFile does. */
export function parseResultText(text: string, path: string, options: ReadOptions = {}): Result {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not JSON (${(error as Error).message})`);
  }
  const name = isObject(value) && isObject(value.tool) ? value.tool.name : undefined;
  if (!isObject(value) || name !== "reinvent-bench") {
    throw new UsageError(
      `${path}: not a reinvent-bench result (tool.name is ${name === undefined ? "missing" : JSON.stringify(name)})`,
    );
  }
  if (value.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new UsageError(
      `${path}: result schemaVersion ${JSON.stringify(value.schemaVersion)} is not supported (this version reads ${RESULT_SCHEMA_VERSION})`,
    );
  }
  const missing = missingField(value);
  if (missing) {
    throw new UsageError(
      `${path}: not a complete reinvent-bench result (${missing} is missing or malformed)`,
    );
  }
  const result = value as unknown as Result;
  if (options.histograms) checkHistograms(result, path);
  return result;
}
