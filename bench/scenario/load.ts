import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname, join, relative, resolve } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import { UsageError, ValidationError } from "../util/errors.js";
import { builtInScenarioDir } from "../util/paths.js";
import { kindFromFields } from "./kind.js";
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
  const data = documentData(document.toJS.bind(document), shown);
  if ("suite" in data) {
    const problems = suiteProblems(data);
    if (problems.length > 0) throw new ValidationError(problems.map((p) => `${shown}: ${p}`));
    return { kind: "suite", file, suite: data as unknown as SuiteFile };
  }
  const problems = scenarioProblems(data);
  if (problems.length > 0) throw new ValidationError(problems.map((p) => `${shown}: ${p}`));
  return { kind: "scenario", file, scenario: data as unknown as ScenarioFile };
}

/** Aliases a file may expand (yaml's default): past it, a few lines can stand for billions of nodes. */
const MAX_ALIAS_COUNT = 100;

/** The file's data; an alias bomb, or any other failure to build it, is one line naming the file. */
function documentData(toJS: (options: { maxAliasCount: number }) => unknown, shown: string) {
  try {
    return toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (/alias count/i.test(message)) {
      throw new UsageError(
        `${shown}: too many aliases (its *references expand past ${MAX_ALIAS_COUNT} nodes, as a YAML alias bomb does); write the values out or use fewer aliases`,
      );
    }
    throw new UsageError(`${shown}: cannot be read as YAML (${message.split("\n")[0]})`);
  }
}

/**
 * The scenarios and suites of a folder (the built-in scenarios/ by default), read as they are asked
 * for: a scenario or suite is first looked for in the file named after its id (`aurora-write.yaml`),
 * and the whole folder is read only to list it or when that file does not hold the id. Reading all
 * ten built-in files costs a run about 50 ms of CPU before it starts; one costs a tenth of it.
 */
export class Catalog {
  private all: { scenarios: Map<string, Entry>; suites: Map<string, SuiteEntry> } | null = null;
  private readonly byFile = new Map<string, LoadedFile | null>();

  constructor(readonly dir = builtInScenarioDir()) {}

  /** Every scenario of the folder, by id (reads the whole folder). */
  get scenarios(): Map<string, Entry> {
    return this.everything().scenarios;
  }

  /** Every suite of the folder, by id (reads the whole folder). */
  get suites(): Map<string, SuiteEntry> {
    return this.everything().suites;
  }

  scenario(id: string): Entry | undefined {
    const own = this.ownFile(id);
    if (own?.kind === "scenario" && own.scenario.id === id) return { file: own.file, scenario: own.scenario };
    if (own?.kind === "suite" && own.suite.suite === id) return undefined;
    return this.scenarios.get(id);
  }

  suite(id: string): SuiteEntry | undefined {
    const own = this.ownFile(id);
    if (own?.kind === "suite" && own.suite.suite === id) return { file: own.file, suite: own.suite };
    // The file of its name holds a scenario of that id: the id is a scenario's, not a suite's.
    if (own?.kind === "scenario" && own.scenario.id === id) return undefined;
    return this.suites.get(id);
  }

  /** The file named after an id, loaded once; null when there is none. */
  private ownFile(id: string): LoadedFile | null {
    if (this.all || !/^[A-Za-z0-9._-]+$/.test(id)) return null;
    if (!this.byFile.has(id)) {
      const file = [".yaml", ".yml"].map((ext) => join(this.dir, `${id}${ext}`)).find((f) => existsSync(f));
      this.byFile.set(id, file ? loadFile(file) : null);
    }
    return this.byFile.get(id) ?? null;
  }

  private everything(): { scenarios: Map<string, Entry>; suites: Map<string, SuiteEntry> } {
    if (this.all) return this.all;
    const all = { scenarios: new Map<string, Entry>(), suites: new Map<string, SuiteEntry>() };
    const files = existsSync(this.dir)
      ? readdirSync(this.dir)
          .filter((name) => [".yaml", ".yml"].includes(extname(name)))
          .sort()
      : [];
    // An id in two files would run one file when named and the other through a suite: refused.
    const fileOf = new Map<string, string>();
    for (const name of files) {
      const loaded = loadFile(join(this.dir, name));
      const id = loaded.kind === "suite" ? loaded.suite.suite : loaded.scenario.id;
      const earlier = fileOf.get(id);
      if (earlier !== undefined) {
        throw new UsageError(
          `${displayPath(loaded.file)}: id '${id}' is also ${displayPath(earlier)}'s; give each scenario and suite an id of its own`,
        );
      }
      fileOf.set(id, loaded.file);
      if (loaded.kind === "suite") all.suites.set(id, { file: loaded.file, suite: loaded.suite });
      else all.scenarios.set(id, { file: loaded.file, scenario: loaded.scenario });
    }
    this.all = all;
    return all;
  }
}

/** The scenarios and suites of a folder (the built-in scenarios/ by default), read as asked for. */
export function loadCatalog(dir = builtInScenarioDir()): Catalog {
  return new Catalog(dir);
}

type SuiteEntry = { file: string; suite: SuiteFile };

export interface Selection {
  /** The suite's id when one suite was named, else a name made from the scenarios. */
  label: string;
  scenarios: { file: string; scenario: ScenarioFile }[];
}

function looksLikePath(name: string): boolean {
  return name.includes("/") || name.includes("\\") || [".yaml", ".yml"].includes(extname(name));
}

type Entry = { file: string; scenario: ScenarioFile };

/** What one `run` argument names: a suite (its scenarios) or a single scenario. */
interface Named {
  name: string;
  suite?: string;
  /** Where the suite's list is, for messages. */
  suiteFile?: string;
  entries: Entry[];
}

function resolveName(name: string, catalog: Catalog): Named {
  if (looksLikePath(name)) {
    if (!existsSync(name)) throw new UsageError(`${name}: no such scenario file`);
    const loaded = loadFile(name);
    if (loaded.kind === "suite") {
      return {
        name,
        suite: loaded.suite.suite,
        suiteFile: name,
        entries: loaded.suite.scenarios.map((id) => lookup(id, catalog, name)),
      };
    }
    return { name, entries: [{ file: loaded.file, scenario: loaded.scenario }] };
  }
  const suite = catalog.suite(name);
  if (suite) {
    const from = basename(suite.file);
    return {
      name,
      suite: suite.suite.suite,
      suiteFile: from,
      entries: suite.suite.scenarios.map((id) => lookup(id, catalog, from)),
    };
  }
  return { name, entries: [lookup(name, catalog)] };
}

/**
 * Turns `run` arguments (suite ids, scenario ids, scenario files) into scenarios, in order. Each
 * scenario runs once, since a result holds one entry per id: a scenario or suite named twice is
 * refused, and so is a suite listing one twice; a scenario that is also in a suite named with it
 * runs once, in the suite, and `note` says so.
 */
export function selectScenarios(
  names: string[],
  catalog: Catalog,
  note: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Selection {
  if (names.length === 0)
    throw new UsageError("run: name a suite, scenario id or scenario file (see 'reinvent-bench list')");
  const named = names.map((name) => resolveName(name, catalog));
  const sameFile = (a: string, b: string) => resolve(a) === resolve(b);
  const sameId = (id: string, a: string, b: string) =>
    new UsageError(
      `${id}: two different scenarios with this id (${displayPath(a)} and ${displayPath(b)}); a result holds one entry per id, so give each its own`,
    );

  // The same argument twice, or two that are the same scenario or suite (an id and its file).
  const seen = new Map<string, Named>();
  for (const item of named) {
    const id = item.suite ?? item.entries[0]?.scenario.id ?? item.name;
    const key = `${item.suite !== undefined ? "suite" : "scenario"}:${id}`;
    const earlier = seen.get(key);
    if (earlier) {
      const a = earlier.entries[0]?.file ?? "";
      const b = item.entries[0]?.file ?? "";
      if (item.suite === undefined && !sameFile(a, b)) throw sameId(id, a, b);
      const as = earlier.name === item.name ? "" : ` (as ${earlier.name} and ${item.name})`;
      throw new UsageError(`${id}: named twice${as}; name each suite or scenario once`);
    }
    seen.set(key, item);
    if (item.suite !== undefined) {
      const ids = item.entries.map((entry) => entry.scenario.id);
      const twice = ids.find((each, i) => ids.indexOf(each) !== i);
      if (twice !== undefined)
        throw new UsageError(
          `${item.suiteFile}: suite ${item.suite} lists ${twice} twice; list each scenario once`,
        );
    }
  }

  // The first suite holding each scenario; a scenario also named on its own, or in a later
  // suite, runs once, there.
  const holder = new Map<string, { suite: string; file: string }>();
  for (const item of named) {
    if (item.suite === undefined) continue;
    for (const entry of item.entries) {
      const first = holder.get(entry.scenario.id);
      if (!first) holder.set(entry.scenario.id, { suite: item.suite, file: entry.file });
      else if (!sameFile(first.file, entry.file)) throw sameId(entry.scenario.id, first.file, entry.file);
    }
  }
  const scenarios: Selection["scenarios"] = [];
  const labels: string[] = [];
  const placed = new Set<string>();
  for (const item of named) {
    if (item.suite !== undefined) labels.push(item.suite);
    for (const entry of item.entries) {
      const id = entry.scenario.id;
      const first = holder.get(id);
      if (first && !sameFile(first.file, entry.file)) throw sameId(id, first.file, entry.file);
      if (first && (item.suite === undefined || placed.has(id))) {
        note(`${id} is already in ${first.suite}; it runs once, as part of ${first.suite}`);
        continue;
      }
      if (item.suite === undefined) labels.push(id);
      placed.add(id);
      scenarios.push(entry);
      // Files written before kinds were named keep running, as the fields say.
      if (entry.scenario.kind === undefined) {
        const kind = kindFromFields(entry.scenario);
        note(
          `${displayPath(entry.file)}: no kind named; runs as ${kind}, as its fields say (add 'kind: ${kind}')`,
        );
      }
    }
  }
  return { label: labels.join("+"), scenarios };
}

function lookup(id: string, catalog: Catalog, from?: string): { file: string; scenario: ScenarioFile } {
  const found = catalog.scenario(id);
  if (found) return found;
  const known = [...catalog.suites.keys(), ...catalog.scenarios.keys()].join(", ");
  throw new UsageError(
    `${from ? `${from}: ` : ""}unknown scenario or suite '${id}'; known: ${known || "(none)"}; or give a path to a .yaml file`,
  );
}
