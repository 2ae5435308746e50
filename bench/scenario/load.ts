import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import { UsageError, ValidationError } from "../util/errors.js";
import { builtInScenarioDir } from "../util/paths.js";
import type { ScenarioFile, SuiteFile } from "./schema.js";
import { scenarioProblems, suiteProblems } from "./validate.js";

export type LoadedFile =
  | { kind: "scenario"; file: string; scenario: ScenarioFile }
  | { kind: "suite"; file: string; suite: SuiteFile };

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

/** Reads and validates one YAML file; every problem is reported at once, each with file and path. */
export function loadFile(file: string): LoadedFile {
  const shown = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`${shown}: cannot be read`);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    throw new ValidationError(
      document.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return `${shown}:${at.line}:${at.col}: ${error.message.split("\n")[0]}`;
      }),
    );
  }
  if (!isMap(document.contents)) throw new UsageError(`${shown}: must be a YAML mapping (scenario or suite)`);
  const data = document.toJS() as Record<string, unknown>;
  if ("suite" in data) {
    const problems = suiteProblems(data);
    if (problems.length > 0) throw new ValidationError(problems.map((p) => `${shown}: ${p}`));
    return { kind: "suite", file, suite: data as unknown as SuiteFile };
  }
  const problems = scenarioProblems(data);
  if (problems.length > 0) throw new ValidationError(problems.map((p) => `${shown}: ${p}`));
  return { kind: "scenario", file, scenario: data as unknown as ScenarioFile };
}

export interface Catalog {
  scenarios: Map<string, { file: string; scenario: ScenarioFile }>;
  suites: Map<string, { file: string; suite: SuiteFile }>;
}

/** Every scenario and suite in a folder (the built-in scenarios/ by default). */
export function loadCatalog(dir = builtInScenarioDir()): Catalog {
  const catalog: Catalog = { scenarios: new Map(), suites: new Map() };
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => [".yaml", ".yml"].includes(extname(name)))
        .sort()
    : [];
  for (const name of files) {
    const loaded = loadFile(join(dir, name));
    if (loaded.kind === "suite")
      catalog.suites.set(loaded.suite.suite, { file: loaded.file, suite: loaded.suite });
    else catalog.scenarios.set(loaded.scenario.id, { file: loaded.file, scenario: loaded.scenario });
  }
  return catalog;
}

export interface Selection {
  /** The suite's id when one suite was named, else a name made from the scenarios. */
  label: string;
  scenarios: { file: string; scenario: ScenarioFile }[];
}

function looksLikePath(name: string): boolean {
  return name.includes("/") || name.includes("\\") || [".yaml", ".yml"].includes(extname(name));
}

/** Turns `run` arguments (suite ids, scenario ids, scenario files) into scenarios, in order. */
export function selectScenarios(names: string[], catalog: Catalog): Selection {
  if (names.length === 0)
    throw new UsageError("run: name a suite, scenario id or scenario file (see 'reinvent-bench list')");
  const scenarios: Selection["scenarios"] = [];
  const labels: string[] = [];
  for (const name of names) {
    if (looksLikePath(name)) {
      if (!existsSync(name)) throw new UsageError(`${name}: no such scenario file`);
      const loaded = loadFile(name);
      if (loaded.kind === "suite") {
        labels.push(loaded.suite.suite);
        for (const id of loaded.suite.scenarios) scenarios.push(lookup(id, catalog, name));
      } else {
        labels.push(loaded.scenario.id);
        scenarios.push({ file: loaded.file, scenario: loaded.scenario });
      }
      continue;
    }
    const suite = catalog.suites.get(name);
    if (suite) {
      labels.push(suite.suite.suite);
      for (const id of suite.suite.scenarios) scenarios.push(lookup(id, catalog, basename(suite.file)));
      continue;
    }
    scenarios.push(lookup(name, catalog));
    labels.push(name);
  }
  return { label: labels.join("+"), scenarios };
}

function lookup(id: string, catalog: Catalog, from?: string): { file: string; scenario: ScenarioFile } {
  const found = catalog.scenarios.get(id);
  if (found) return found;
  const known = [...catalog.suites.keys(), ...catalog.scenarios.keys()].join(", ");
  throw new UsageError(
    `${from ? `${from}: ` : ""}unknown scenario or suite '${id}'; known: ${known || "(none)"}; or give a path to a .yaml file`,
  );
}
