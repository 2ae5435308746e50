import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError, ValidationError } from "../util/errors.js";
import { builtInScenarioDir } from "../util/paths.js";
import { type Catalog, loadCatalog, loadFile, selectScenarios } from "./load.js";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "reinvent-bench-load-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function write(text: string, name = `file-${++counter}.yaml`, into = dir): string {
  const file = join(into, name);
  writeFileSync(file, text);
  return file;
}

/** Runs fn, expecting it to throw; returns the error. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error("expected an error, none was thrown");
}

function problemsOf(fn: () => unknown): string[] {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toBeInstanceOf(UsageError);
  const problems = (error as ValidationError).problems;
  expect(error.message).toBe(problems.join("\n"));
  return problems;
}

const VALID_SCENARIO = `id: tiny
title: Tiny scenario
dataset:
  tables: 2
  tableSize: 100
workload:
  distribution: uniform
  steps:
    - statements:
        - name: point_select
          sql: "SELECT c FROM sbtest{table} WHERE id={id}"
load:
  clients: 1
  connectionsPerClient: 2
  warmup: 1s
  duration: 5s
`;

describe("loadFile", () => {
  it("loads a valid scenario file", () => {
    const file = write(VALID_SCENARIO);
    const loaded = loadFile(file);
    expect(loaded.kind).toBe("scenario");
    expect(loaded.file).toBe(file);
    if (loaded.kind !== "scenario") throw new Error("not a scenario");
    expect(loaded.scenario.id).toBe("tiny");
    expect(loaded.scenario.load).toEqual({
      clients: 1,
      connectionsPerClient: 2,
      warmup: "1s",
      duration: "5s",
    });
  });

  it("loads a valid suite file", () => {
    const loaded = loadFile(write("suite: my-suite\ntitle: Mine\nscenarios: [b, a]\n"));
    expect(loaded.kind).toBe("suite");
    if (loaded.kind !== "suite") throw new Error("not a suite");
    expect(loaded.suite).toEqual({ suite: "my-suite", title: "Mine", scenarios: ["b", "a"] });
  });

  it("reports every schema problem at once, each prefixed with the file and a dotted path", () => {
    const file = write(`id: Bad_Id
title: ""
extra: 1
dataset:
  tables: 0
  tableSize: 10
workload:
  distribution: zipf
  steps:
    - repeat: 0
      statements:
        - name: ok
          sql: "SELECT 1"
        - name: Bad
          sql: 5
load:
  clients: 0
  connectionsPerClient: 1.5
  warmup: soon
`);
    const problems = problemsOf(() => loadFile(file));
    for (const problem of problems) expect(problem.startsWith(`${file}: `), problem).toBe(true);
    const paths = problems.map((problem) => problem.slice(file.length + 2).split(": ")[0]);
    expect(paths.sort()).toEqual(
      [
        "(top level)",
        "id",
        "title",
        "dataset.tables",
        "workload.distribution",
        "workload.steps[0].repeat",
        "workload.steps[0].statements[1].name",
        "workload.steps[0].statements[1].sql",
        "load.clients",
        "load.connectionsPerClient",
        "load.warmup",
        "load.duration",
      ].sort(),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        `${file}: (top level): unknown field 'extra'`,
        `${file}: dataset.tables: must be >= 1`,
        `${file}: load.clients: must be >= 1`,
        `${file}: load.connectionsPerClient: must be integer`,
        `${file}: load.duration: is required`,
        `${file}: workload.steps[0].statements[1].sql: must be string`,
        `${file}: workload.distribution: must be one of "uniform", "special"`,
      ]),
    );
  });

  it("reports every semantic problem at once, with statement paths", () => {
    const file = write(`id: sem
title: Semantic problems
dataset: { tables: 1, tableSize: 10 }
workload:
  distribution: uniform
  steps:
    - statements:
        - name: a
          sql: "SELECT c FROM sbtest{table} WHERE id={id}"
        - name: a
          sql: "SELECT {nope} FROM t"
    - statements:
        - name: commit
          sql: "REPLACE INTO t VALUES ({id})"
        - name: b
          sql: "UPDATE t SET x=1 WHERE id={id"
load: { clients: 1, connectionsPerClient: 1, warmup: 1s, duration: 2s }
`);
    expect(problemsOf(() => loadFile(file))).toEqual([
      `${file}: workload.steps[0].statements[1].name: 'a' is used twice`,
      `${file}: workload.steps[0].statements[1].sql: unknown placeholder {nope}; allowed: {table} {id} {k} {c} {pad}`,
      `${file}: workload.steps[1].statements[0].name: 'commit' is reserved for the transaction's own timings`,
      `${file}: workload.steps[1].statements[0].sql: must start with SELECT, INSERT, UPDATE or DELETE`,
      `${file}: workload.steps[1].statements[1].sql: unbalanced { or } outside a placeholder`,
    ]);
  });

  it("reports schema and statement problems of one file together", () => {
    const file = write(
      VALID_SCENARIO.replace("clients: 1", "clients: 0").replace(
        `          sql: "SELECT c FROM sbtest{table} WHERE id={id}"
`,
        `          sql: "SELECT c FROM sbtest{table} WHERE id={id}"
        - name: second
          sql: "SELECT c FROM sbtest{table} WHERE id={idd}"
`,
      ),
    );
    expect(problemsOf(() => loadFile(file))).toEqual([
      `${file}: load.clients: must be >= 1`,
      `${file}: workload.steps[0].statements[1].sql: unknown placeholder {idd}; allowed: {table} {id} {k} {c} {pad}`,
    ]);
  });

  it("loads valid thresholds", () => {
    const file = write(
      `${VALID_SCENARIO}thresholds:\n  - "p99 < 20ms"\n  - "point_select.p95 <= 1.5s"\n  - "errors < 0.1%"\n`,
    );
    const loaded = loadFile(file);
    if (loaded.kind !== "scenario") throw new Error("not a scenario");
    expect(loaded.scenario.thresholds).toEqual(["p99 < 20ms", "point_select.p95 <= 1.5s", "errors < 0.1%"]);
  });

  it("reports each bad threshold with the file and its path, among the other problems", () => {
    const file = write(
      `${VALID_SCENARIO.replace("clients: 1", "clients: 0")}thresholds:
  - "p99 < 20ms"
  - "readsPerSec > 10"
  - "p99 << 5ms"
  - "update.p99 < 5ms"
  - "lag.p99 < 100ms"
  - "writesPerSec > 5ms"
  - ""
  - 7
`,
    );
    expect(problemsOf(() => loadFile(file))).toEqual([
      `${file}: load.clients: must be >= 1`,
      `${file}: thresholds[6]: must NOT have fewer than 1 characters`,
      `${file}: thresholds[7]: must be string`,
      `${file}: thresholds[2]: 'p99 << 5ms': expected <metric> <op> <value>, with op one of < <= > >=`,
      `${file}: thresholds[3]: 'update.p99 < 5ms': no operation 'update'; known: begin, commit, rollback, txn, point_select`,
      `${file}: thresholds[4]: 'lag.p99 < 100ms': only for scenarios with replicas (replication)`,
      `${file}: thresholds[5]: 'writesPerSec > 5ms': writesPerSec takes a number per second such as 5000, not '5ms'`,
      `${file}: thresholds[6]: '': expected <metric> <op> <value>, with op one of < <= > >=`,
    ]);
  });

  it("accepts lag and achieved-rate thresholds in a fixed-rate scenario with replicas only", () => {
    const lines = `thresholds:\n  - "lag.p99 < 100ms"\n  - "achievedRatePerSec >= 95%"\n  - "commit.p99 < 5ms"\n`;
    const closed = write(
      `${VALID_SCENARIO.replace("  distribution:", "  transaction: false\n  distribution:")}${lines}`,
    );
    expect(problemsOf(() => loadFile(closed))).toEqual([
      `${closed}: thresholds[0]: 'lag.p99 < 100ms': only for scenarios with replicas (replication)`,
      `${closed}: thresholds[1]: 'achievedRatePerSec >= 95%': only for fixed-rate scenarios (load.rates)`,
      `${closed}: thresholds[2]: 'commit.p99 < 5ms': no operation 'commit'; known: txn, point_select`,
    ]);
    const fixed = write(
      `${VALID_SCENARIO.replace("  duration: 5s\n", "  duration: 5s\n  rates: [100]\n")}replication:\n  replicas: 1\n${lines}`,
    );
    expect(loadFile(fixed).kind).toBe("scenario");
  });

  it("reports a thresholds field that is not a list", () => {
    const file = write(`${VALID_SCENARIO}thresholds: "p99 < 20ms"\n`);
    expect(problemsOf(() => loadFile(file))).toEqual([`${file}: thresholds: must be array`]);
  });

  it("reports a bad suite file with the file and paths", () => {
    const file = write("suite: my-suite\nscenarios: []\nextra: x\n");
    const problems = problemsOf(() => loadFile(file));
    expect(problems.sort()).toEqual(
      [
        `${file}: (top level): unknown field 'extra'`,
        `${file}: title: is required`,
        `${file}: scenarios: must NOT have fewer than 1 items`,
      ].sort(),
    );
  });

  // Fails against load.ts as written: parseDocument(text, { prettyErrors: false }) never sets
  // error.linePos, so the ":line:col" part is always left out.
  it("reports a YAML syntax error with file:line:col", () => {
    // Line 4 starts with a tab, which YAML does not allow as indentation.
    const file = write("id: x\ntitle: t\nload:\n\t- x\n");
    const problems = problemsOf(() => loadFile(file));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/Tabs are not allowed as indentation/);
    expect(problems[0]?.startsWith(`${file}:4:1: `), problems[0]).toBe(true);
  });

  it("reports every YAML syntax error, each prefixed with the file", () => {
    const file = write("id: x\nid: y\ntitle: [unclosed\n");
    const problems = problemsOf(() => loadFile(file));
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const problem of problems) expect(problem.startsWith(`${file}`), problem).toBe(true);
    expect(problems.some((problem) => problem.includes("Map keys must be unique"))).toBe(true);
  });

  it("refuses a YAML alias bomb in one line naming the file, without expanding it", () => {
    const file = write(
      [
        'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]',
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
        "",
      ].join("\n"),
    );
    const error = thrown(() => loadFile(file));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      `${file}: too many aliases (its *references expand past 100 nodes, as a YAML alias bomb does); write the values out or use fewer aliases`,
    );
    // A few aliases are fine (and then checked as a scenario).
    const few = write(`defaults: &d 1\n${VALID_SCENARIO.replace("clients: 1", "clients: *d")}`);
    expect(thrown(() => loadFile(few)).message).toMatch(/defaults/);
  });

  it("rejects a file that is not a mapping", () => {
    for (const text of ["- a\n- b\n", "just text\n", ""]) {
      const file = write(text);
      const error = thrown(() => loadFile(file));
      expect(error).toBeInstanceOf(UsageError);
      expect(error).not.toBeInstanceOf(ValidationError);
      expect(error.message).toBe(`${file}: must be a YAML mapping (scenario or suite)`);
    }
  });

  it("reports a file that cannot be read", () => {
    const file = join(dir, "missing.yaml");
    const error = thrown(() => loadFile(file));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`${file}: cannot be read`);
  });

  it("shows a path relative to the working directory when the file is under it", () => {
    const folder = mkdtempSync(join(dir, "cwd-"));
    const file = write(VALID_SCENARIO.replace("clients: 1", "clients: 0"), "rel.yaml", folder);
    const before = process.cwd();
    process.chdir(folder);
    try {
      expect(problemsOf(() => loadFile(file))).toEqual(["rel.yaml: load.clients: must be >= 1"]);
      // The loaded file keeps the path it was given.
      expect(loadFile(join(builtInScenarioDir(), "aurora-write.yaml")).file).toBe(
        join(builtInScenarioDir(), "aurora-write.yaml"),
      );
    } finally {
      process.chdir(before);
    }
  });
});

describe("loadCatalog", () => {
  it("loads and validates the built-in scenarios and suite cleanly", () => {
    const catalog = loadCatalog();
    expect([...catalog.scenarios.keys()].sort()).toEqual([
      "aurora-faults",
      "aurora-read",
      "aurora-write",
      "crash-recovery",
      "replica-lag",
      "sigmod-oltp-connections",
      "sigmod-replica-lag",
      "sigmod-write-size",
    ]);
    expect([...catalog.suites.keys()].sort()).toEqual(["aurora-claims", "sigmod-2017"]);
    expect(catalog.suites.get("aurora-claims")?.suite.scenarios).toEqual([
      "aurora-write",
      "aurora-read",
      "crash-recovery",
      "replica-lag",
    ]);
    expect(catalog.suites.get("sigmod-2017")?.suite.scenarios).toEqual([
      "sigmod-write-size",
      "sigmod-oltp-connections",
      "sigmod-replica-lag",
    ]);
    const lag = catalog.scenarios.get("replica-lag")?.scenario;
    expect(lag?.load.rates).toEqual([2000, 13800]);
    expect(lag?.claims?.find((c) => c.id === "lag-aurora")).toMatchObject({ value: 7.2, ratePerSec: 13800 });
    expect(lag?.replication?.replicas).toBe(1);
    // Every scenario a built-in suite names exists.
    for (const { suite } of catalog.suites.values()) {
      for (const id of suite.scenarios) expect(catalog.scenarios.has(id), id).toBe(true);
    }
    const write = catalog.scenarios.get("aurora-write");
    expect(write?.file).toBe(join(builtInScenarioDir(), "aurora-write.yaml"));
    expect(write?.scenario.claim?.metric).toBe("writesPerSec");
    expect(catalog.scenarios.get("aurora-read")?.scenario.claim?.metric).toBe("readsPerSec");
  });

  it("names every built-in file after the id it holds, so a lookup by id reads that file alone", () => {
    const catalog = loadCatalog();
    for (const [id, { file }] of [...catalog.scenarios, ...catalog.suites]) {
      expect(file, id).toBe(join(builtInScenarioDir(), `${id}.yaml`));
    }
  });

  it("finds an id in the file named after it without reading the others, and in any file else", () => {
    const folder = mkdtempSync(join(dir, "lazy-"));
    const scenario = (id: string) =>
      [
        `id: ${id}`,
        "title: t",
        "dataset: { tables: 1, tableSize: 10 }",
        "workload: { distribution: uniform, steps: [{ statements: [{ name: s, sql: 'SELECT 1' }] }] }",
        "load: { clients: 1, connectionsPerClient: 1, warmup: 0s, duration: 1s }",
        "",
      ].join("\n");
    writeFileSync(join(folder, "one.yaml"), scenario("one"));
    writeFileSync(join(folder, "elsewhere.yaml"), scenario("other"));
    // Broken: read only when the whole folder is.
    writeFileSync(join(folder, "broken.yaml"), "id: [");
    const catalog = loadCatalog(folder);
    expect(selectScenarios(["one"], catalog).scenarios[0]?.file).toBe(join(folder, "one.yaml"));
    // "other" is in no file of its name: the folder is read, and the broken file says so.
    expect(thrown(() => selectScenarios(["other"], catalog)).message).toContain("broken.yaml");
  });

  it("refuses an id two files of the folder hold, naming both", () => {
    const folder = mkdtempSync(join(dir, "twice-"));
    write(VALID_SCENARIO, "first.yaml", folder);
    const second = write(VALID_SCENARIO, "second.yaml", folder);
    const error = thrown(() => loadCatalog(folder).scenarios);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(
      /second\.yaml: id '[^']+' is also .*first\.yaml's; give each scenario and suite an id of its own$/,
    );
    expect(error.message.startsWith(second) || error.message.includes("second.yaml")).toBe(true);
  });

  it("reads .yaml and .yml files of a folder and ignores others", () => {
    const folder = mkdtempSync(join(dir, "catalog-"));
    write(VALID_SCENARIO, "one.yaml", folder);
    write(VALID_SCENARIO.replace("id: tiny", "id: two"), "two.yml", folder);
    write("suite: both\ntitle: Both\nscenarios: [two, tiny]\n", "suite.yaml", folder);
    write("not: yaml: at: all", "notes.txt", folder);
    mkdirSync(join(folder, "sub.d"));
    const catalog = loadCatalog(folder);
    expect([...catalog.scenarios.keys()].sort()).toEqual(["tiny", "two"]);
    expect([...catalog.suites.keys()]).toEqual(["both"]);
    expect(catalog.scenarios.get("two")?.file).toBe(join(folder, "two.yml"));
  });

  it("gives an empty catalog for a missing folder", () => {
    const catalog = loadCatalog(join(dir, "no-such-folder"));
    expect(catalog.scenarios.size).toBe(0);
    expect(catalog.suites.size).toBe(0);
  });

  it("fails on a bad file in the folder, naming it", () => {
    const folder = mkdtempSync(join(dir, "catalog-bad-"));
    write(VALID_SCENARIO, "good.yaml", folder);
    const bad = write(VALID_SCENARIO.replace("clients: 1", "clients: 0"), "bad.yaml", folder);
    // Read when the folder is listed (or an id is not in the file of its name), not before.
    expect(problemsOf(() => loadCatalog(folder).scenarios)).toEqual([`${bad}: load.clients: must be >= 1`]);
  });
});

describe("selectScenarios", () => {
  const catalog: Catalog = loadCatalog();

  it("requires at least one name", () => {
    const error = thrown(() => selectScenarios([], catalog));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^run: name a suite, scenario id or scenario file/);
  });

  it("rejects an unknown id, naming every known suite and scenario", () => {
    const error = thrown(() => selectScenarios(["aurora-wrtie"], catalog));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain("unknown scenario or suite 'aurora-wrtie'");
    expect(error.message).toContain("known: aurora-claims, ");
    for (const id of ["aurora-claims", "aurora-write", "aurora-read"]) expect(error.message).toContain(id);
    expect(error.message).toContain("or give a path to a .yaml file");
  });

  it("says (none) when the catalog is empty", () => {
    const empty = loadCatalog(mkdtempSync(join(dir, "empty-")));
    expect(thrown(() => selectScenarios(["x"], empty)).message).toContain("known: (none)");
  });

  it("selects a scenario by id", () => {
    const selection = selectScenarios(["aurora-read"], catalog);
    expect(selection.label).toBe("aurora-read");
    expect(selection.scenarios.map((s) => s.scenario.id)).toEqual(["aurora-read"]);
    expect(selection.scenarios[0]).toBe(catalog.scenarios.get("aurora-read"));
  });

  it("expands a suite into its scenarios, in the suite's order", () => {
    const selection = selectScenarios(["aurora-claims"], catalog);
    expect(selection.label).toBe("aurora-claims");
    expect(selection.scenarios.map((s) => s.scenario.id)).toEqual([
      "aurora-write",
      "aurora-read",
      "crash-recovery",
      "replica-lag",
    ]);
  });

  it("keeps the order of several names and joins their labels", () => {
    const selection = selectScenarios(["aurora-faults", "aurora-claims"], catalog);
    expect(selection.label).toBe("aurora-faults+aurora-claims");
    expect(selection.scenarios.map((s) => s.scenario.id)).toEqual([
      "aurora-faults",
      "aurora-write",
      "aurora-read",
      "crash-recovery",
      "replica-lag",
    ]);
  });

  it("refuses a scenario or suite named twice, in one line", () => {
    const error = thrown(() => selectScenarios(["aurora-write", "aurora-write"], catalog));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe("aurora-write: named twice; name each suite or scenario once");
    expect(
      thrown(() => selectScenarios(["aurora-claims", "aurora-read", "aurora-claims"], catalog)).message,
    ).toBe("aurora-claims: named twice; name each suite or scenario once");
    // By its id and by its file.
    const file = join(builtInScenarioDir(), "aurora-write.yaml");
    expect(thrown(() => selectScenarios(["aurora-write", file], catalog)).message).toBe(
      `aurora-write: named twice (as aurora-write and ${file}); name each suite or scenario once`,
    );
  });

  it("refuses two different scenarios with one id: a result holds one entry per id", () => {
    const file = write(VALID_SCENARIO.replace("id: tiny", "id: aurora-write"));
    const error = thrown(() => selectScenarios(["aurora-write", file], catalog));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(
      /^aurora-write: two different scenarios with this id \(.*aurora-write\.yaml and .*file-\d+\.yaml\)/,
    );
    // Also when the suite holds the built-in one.
    expect(thrown(() => selectScenarios(["aurora-claims", file], catalog)).message).toMatch(
      /^aurora-write: two different scenarios with this id/,
    );
  });

  it("runs a scenario that a suite named with it holds once, in the suite, and says so", () => {
    for (const names of [
      ["aurora-claims", "aurora-write"],
      ["aurora-write", "aurora-claims"],
    ]) {
      const notes: string[] = [];
      const selection = selectScenarios(names, catalog, (line) => notes.push(line));
      expect(selection.label).toBe("aurora-claims");
      expect(selection.scenarios.map((s) => s.scenario.id)).toEqual([
        "aurora-write",
        "aurora-read",
        "crash-recovery",
        "replica-lag",
      ]);
      expect(notes).toEqual([
        "aurora-write is already in aurora-claims; it runs once, as part of aurora-claims",
      ]);
    }
  });

  it("runs a scenario two suites hold once, in the first, and says so; refuses a suite listing one twice", () => {
    const file = write("suite: reads\ntitle: Reads\nscenarios: [aurora-read, aurora-faults]\n");
    const notes: string[] = [];
    const selection = selectScenarios(["aurora-claims", file], catalog, (line) => notes.push(line));
    expect(selection.label).toBe("aurora-claims+reads");
    expect(selection.scenarios.map((s) => s.scenario.id)).toEqual([
      "aurora-write",
      "aurora-read",
      "crash-recovery",
      "replica-lag",
      "aurora-faults",
    ]);
    expect(notes).toEqual([
      "aurora-read is already in aurora-claims; it runs once, as part of aurora-claims",
    ]);
    const twice = write("suite: twice\ntitle: Twice\nscenarios: [aurora-read, aurora-read]\n");
    expect(thrown(() => selectScenarios([twice], catalog)).message).toBe(
      `${twice}: suite twice lists aurora-read twice; list each scenario once`,
    );
  });

  it("names the suite file when a suite lists an unknown scenario", () => {
    const folder = mkdtempSync(join(dir, "suite-"));
    write("suite: broken\ntitle: Broken\nscenarios: [aurora-write, ghost]\n", "broken.yaml", folder);
    const local = loadCatalog(folder);
    local.scenarios.set("aurora-write", catalog.scenarios.get("aurora-write") as never);
    const error = thrown(() => selectScenarios(["broken"], local));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^broken\.yaml: unknown scenario or suite 'ghost'/);
  });

  it("loads a scenario from a path argument", () => {
    const file = write(VALID_SCENARIO.replace("id: tiny", "id: from-path"));
    const selection = selectScenarios([file], catalog);
    expect(selection.label).toBe("from-path");
    expect(selection.scenarios).toHaveLength(1);
    expect(selection.scenarios[0]?.file).toBe(file);
    expect(selection.scenarios[0]?.scenario.title).toBe("Tiny scenario");
  });

  it("loads a suite from a path argument and looks its scenarios up in the catalog", () => {
    const file = write("suite: reversed\ntitle: Reversed\nscenarios: [aurora-read, aurora-write]\n");
    const selection = selectScenarios([file, "aurora-faults"], catalog);
    expect(selection.label).toBe("reversed+aurora-faults");
    expect(selection.scenarios.map((s) => s.scenario.id)).toEqual([
      "aurora-read",
      "aurora-write",
      "aurora-faults",
    ]);
  });

  it("rejects a path that does not exist", () => {
    const file = join(dir, "nope.yaml");
    const error = thrown(() => selectScenarios([file], catalog));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`${file}: no such scenario file`);
    // A bare name ending in .yaml is taken as a path too.
    expect(thrown(() => selectScenarios(["nope.yml"], catalog)).message).toBe(
      "nope.yml: no such scenario file",
    );
  });

  it("passes on a path argument's validation problems", () => {
    const file = write(VALID_SCENARIO.replace("distribution: uniform", "distribution: normal"));
    expect(problemsOf(() => selectScenarios([file], catalog))).toEqual([
      `${file}: workload.distribution: must be one of "uniform", "special"`,
    ]);
  });
});

describe("scenario kinds", () => {
  it("every built-in scenario names its kind, and no note is given for them", () => {
    const catalog = loadCatalog();
    const kinds = Object.fromEntries(
      [...catalog.scenarios.values()].map(({ scenario }) => [scenario.id, scenario.kind]),
    );
    expect(kinds).toEqual({
      "aurora-faults": "throughput",
      "aurora-read": "throughput",
      "aurora-write": "throughput",
      "crash-recovery": "crash",
      "replica-lag": "rate-steps",
      "sigmod-oltp-connections": "throughput",
      "sigmod-replica-lag": "rate-steps",
      "sigmod-write-size": "throughput",
    });
    const notes: string[] = [];
    selectScenarios(["aurora-claims", "aurora-faults", "sigmod-2017"], catalog, (line) => notes.push(line));
    expect(notes).toEqual([]);
  });

  it("a file without kind still loads, runs as its fields say, and the run is told so", () => {
    const file = write(VALID_SCENARIO.replace("  duration: 5s\n", "  duration: 5s\n  rates: [100]\n"));
    const notes: string[] = [];
    const selection = selectScenarios([file], loadCatalog(), (line) => notes.push(line));
    expect(selection.scenarios[0]?.scenario.kind).toBeUndefined();
    expect(notes).toEqual([
      expect.stringMatching(
        /file-\d+\.yaml: no kind named; runs as rate-steps, as its fields say \(add 'kind: rate-steps'\)$/,
      ),
    ]);
  });

  it("refuses a kind its fields contradict, naming the field", () => {
    const withoutFile = (line: string) => line.replace(/^.*?\.yaml: /, "");
    const named = (kind: string, extra = "") =>
      write(
        VALID_SCENARIO.replace("title: Tiny scenario\n", `title: Tiny scenario\nkind: ${kind}\n`) + extra,
      );
    expect(problemsOf(() => loadFile(named("rate-steps"))).map(withoutFile)).toEqual([
      "kind: 'rate-steps' needs load.rates, one step per rate",
    ]);
    expect(problemsOf(() => loadFile(named("crash"))).map(withoutFile)).toEqual([
      "kind: 'crash' needs crash (when, windows, caches)",
    ]);
    expect(problemsOf(() => loadFile(named("throughput", "  rates: [100]\n"))).map(withoutFile)).toEqual([
      "kind: 'throughput' runs no fixed-rate steps; load.rates belongs to kind 'rate-steps'",
    ]);
    expect(problemsOf(() => loadFile(named("sweep"))).map(withoutFile)[0]).toMatch(/^kind: /);
    expect(loadFile(named("throughput")).kind).toBe("scenario");
  });
});
