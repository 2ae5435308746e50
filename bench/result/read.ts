import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../util/errors.js";
import { RESULT_SCHEMA_VERSION, type Result } from "./schema.js";

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
 * Reads one result.json (or the result.json in a run's folder). A file that is missing, not JSON,
 * not written by reinvent-bench or of another schema version is a one-line UsageError naming it.
 */
export function readResultFile(file: string): Result {
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
  return parseResultText(text, path);
}

/** A result from its JSON text; `path` names it in errors. Checked as readResultFile does. */
export function parseResultText(text: string, path: string): Result {
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
  return value as unknown as Result;
}
