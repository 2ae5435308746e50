import { describe, expect, it } from "vitest";
import { jsonPointerToPath, scenarioProblems, suiteProblems } from "./validate.js";

function validScenario(): Record<string, unknown> {
  return {
    id: "ok-scenario",
    title: "A valid scenario",
    dataset: { tables: 2, tableSize: 100 },
    workload: {
      distribution: "uniform",
      steps: [
        {
          statements: [
            { name: "read", sql: "SELECT c FROM sbtest{table} WHERE id={id}" },
            { name: "write", sql: "UPDATE sbtest{table} SET k=k+1 WHERE id={id}" },
          ],
        },
      ],
    },
    load: { clients: 1, connectionsPerClient: 4, warmup: "1s", duration: "10s" },
  };
}

describe("jsonPointerToPath", () => {
  it("turns JSON pointers into dotted paths with [index]", () => {
    expect(jsonPointerToPath("")).toBe("(top level)");
    expect(jsonPointerToPath("/load")).toBe("load");
    expect(jsonPointerToPath("/load/clients")).toBe("load.clients");
    expect(jsonPointerToPath("/workload/steps/0/statements/1/sql")).toBe(
      "workload.steps[0].statements[1].sql",
    );
    expect(jsonPointerToPath("/scenarios/3")).toBe("scenarios[3]");
  });

  it("unescapes ~1 and ~0", () => {
    expect(jsonPointerToPath("/a~1b/c~0d")).toBe("a/b.c~d");
  });
});

describe("scenarioProblems", () => {
  it("finds nothing wrong with a valid scenario", () => {
    expect(scenarioProblems(validScenario())).toEqual([]);
  });

  it("accepts the optional parts: claim, quick, special, transaction, repeat", () => {
    const data = validScenario();
    data.workload = {
      transaction: false,
      distribution: "special",
      special: { pct: 1, res: 75, iterations: 12 },
      steps: [{ repeat: 10, statements: [{ name: "s", sql: "SELECT 1" }] }],
    };
    data.quick = {
      tables: 1,
      tableSize: 10,
      clients: 1,
      connectionsPerClient: 1,
      warmup: "0s",
      duration: "1s",
    };
    data.claim = {
      id: "read",
      metric: "readsPerSec",
      value: 1000,
      unit: "reads/s",
      quote: "q",
      source: "s",
      hardware: { server: "a", clients: "b" },
      method: { clients: 1, connectionsPerClient: 10, tables: 2, tableSize: 100, duration: "600s" },
    };
    expect(scenarioProblems(data)).toEqual([]);
  });

  it("checks each claim's versus: an Aurora claim naming a MySQL claim of the file with its statistic", () => {
    const data = validScenario();
    const lag = (id: string, system: string, extra: Record<string, unknown> = {}) => ({
      id,
      metric: "lagMs",
      statistic: "p50",
      value: 5,
      unit: "ms",
      ratePerSec: 1000,
      replicas: 1,
      system,
      quote: "q",
      source: "s",
      hardware: "h",
      ...extra,
    });
    data.claims = [lag("mysql-1k", "mysql"), lag("aurora-1k", "aurora", { versus: "mysql-1k" })];
    expect(scenarioProblems(data)).toEqual([]);
    data.claims = [
      lag("mysql-1k", "mysql", { statistic: "p99" }),
      lag("aurora-1k", "aurora", { versus: "mysql-1k" }),
      lag("aurora-2k", "aurora", { versus: "mysql-2k" }),
      lag("aurora-5k", "aurora", { versus: "aurora-1k" }),
      lag("mysql-5k", "mysql", { versus: "mysql-1k" }),
    ];
    expect(scenarioProblems(data)).toEqual([
      "claims[1].versus: 'mysql-1k' compares the p99, this claim the p50: use one statistic",
      "claims[2].versus: no claim 'mysql-2k' in this file; claims: mysql-1k, aurora-1k, aurora-2k, aurora-5k, mysql-5k",
      "claims[3].versus: 'aurora-1k' must be a MySQL claim (system: mysql)",
      "claims[4].versus: only an Aurora claim (system: aurora) is set against a MySQL one",
    ]);
  });

  it("reports every schema problem at once, each with its dotted path", () => {
    const data = validScenario();
    data.extra = true;
    data.dataset = { tables: 0, tableSize: 100 };
    data.load = { clients: 0, connectionsPerClient: 2.5, warmup: "soon" };
    const problems = scenarioProblems(data);
    expect(problems).toEqual(
      expect.arrayContaining([
        "(top level): unknown field 'extra'",
        "dataset.tables: must be >= 1",
        "load.clients: must be >= 1",
        "load.connectionsPerClient: must be integer",
        "load.duration: is required",
      ]),
    );
    expect(problems.find((p) => p.startsWith("load.warmup: "))).toMatch(
      /^load\.warmup: ".*" must match .* \(A duration such as "600s", "10m" or "1500ms"; a bare number means seconds\.\)$/,
    );
    expect(problems).toHaveLength(6);
  });

  it("explains a pattern mismatch with the field's description", () => {
    const data = validScenario();
    data.id = "Not An Id";
    expect(scenarioProblems(data)).toEqual([
      'id: "Not An Id" must match ^[a-z0-9][a-z0-9-]*$ (Lower-case id: letters, digits, dashes.)',
    ]);
  });

  it("reports schema and statement problems together", () => {
    const data = validScenario();
    data.load = { clients: 0, connectionsPerClient: 1, warmup: "1s", duration: "1s" };
    data.workload = {
      distribution: "uniform",
      steps: [
        {
          statements: [
            { name: "ok", sql: "SELECT 1" },
            { name: "bad", sql: "SELECT {nope}" },
          ],
        },
        { repeat: 0, statements: [{ name: "ok", sql: "SELECT 2" }] },
      ],
    };
    expect(scenarioProblems(data)).toEqual([
      "workload.steps[1].repeat: must be >= 1",
      "load.clients: must be >= 1",
      "workload.steps[0].statements[1].sql: unknown placeholder {nope}; allowed: {table} {id} {k} {c} {pad}",
      "workload.steps[1].statements[0].name: 'ok' is used twice",
    ]);
  });

  it("skips statement checks where the statements are not there to check", () => {
    const data = validScenario();
    data.workload = {
      distribution: "uniform",
      steps: [{ statements: "none" }, null, { statements: [null, { name: 1 }] }],
    };
    const problems = scenarioProblems(data);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.startsWith("workload.steps["))).toBe(true);
    expect(scenarioProblems({ workload: "x" }).length).toBeGreaterThan(0);
  });

  it("names a missing top-level field without a leading dot", () => {
    const data = validScenario();
    delete data.title;
    delete data.load;
    expect(scenarioProblems(data).sort()).toEqual(["load: is required", "title: is required"]);
  });

  it("folds a bad literal into one 'must be one of' line", () => {
    const data = validScenario();
    (data.workload as { distribution: string }).distribution = "zipf";
    expect(scenarioProblems(data)).toEqual(['workload.distribution: must be one of "uniform", "special"']);
  });

  it("reports each problem once", () => {
    const data = validScenario();
    data.workload = { distribution: "uniform", steps: [] };
    const problems = scenarioProblems(data);
    expect(problems).toEqual(["workload.steps: must NOT have fewer than 1 items"]);
    expect(new Set(problems).size).toBe(problems.length);
  });

  it("reports every semantic problem at once: duplicate and reserved names, SQL kind, placeholders", () => {
    const data = validScenario();
    data.workload = {
      distribution: "uniform",
      steps: [
        {
          statements: [
            { name: "a", sql: "SELECT c FROM sbtest{table} WHERE id={id}" },
            { name: "a", sql: "SELECT {nope} FROM t" },
          ],
        },
        {
          statements: [
            { name: "txn", sql: "REPLACE INTO t VALUES ({id})" },
            { name: "b", sql: "UPDATE t SET x=1 WHERE id={id" },
          ],
        },
      ],
    };
    expect(scenarioProblems(data)).toEqual([
      "workload.steps[0].statements[1].name: 'a' is used twice",
      "workload.steps[0].statements[1].sql: unknown placeholder {nope}; allowed: {table} {id} {k} {c} {pad}",
      "workload.steps[1].statements[0].name: 'txn' is reserved for the transaction's own timings",
      "workload.steps[1].statements[0].sql: must start with SELECT, INSERT, UPDATE or DELETE",
      "workload.steps[1].statements[1].sql: unbalanced { or } outside a placeholder",
    ]);
  });

  it("reserves begin, commit, rollback and txn as statement names", () => {
    for (const name of ["begin", "commit", "rollback", "txn"]) {
      const data = validScenario();
      data.workload = { distribution: "uniform", steps: [{ statements: [{ name, sql: "SELECT 1" }] }] };
      expect(scenarioProblems(data)).toEqual([
        `workload.steps[0].statements[0].name: '${name}' is reserved for the transaction's own timings`,
      ]);
    }
  });

  it("reserves prepare, the binary protocol's own timing", () => {
    const data = validScenario();
    data.workload = {
      distribution: "uniform",
      steps: [{ statements: [{ name: "prepare", sql: "SELECT c FROM t WHERE id={id}" }] }],
    };
    expect(scenarioProblems(data)).toEqual([
      "workload.steps[0].statements[0].name: 'prepare' is reserved for the binary protocol's own timings",
    ]);
  });

  it("takes protocol text or binary, and checks a binary workload's statements can be prepared", () => {
    const data = validScenario();
    const steps = [{ statements: [{ name: "upd", sql: "UPDATE t SET c='x{c}' WHERE id={id}" }] }];
    data.workload = { distribution: "uniform", steps, protocol: "text" };
    expect(scenarioProblems(data)).toEqual([]);
    data.workload = { distribution: "uniform", steps, protocol: "binary" };
    expect(scenarioProblems(data)).toEqual([
      "workload.steps[0].statements[0].sql: {c} is part of a longer string; a prepared statement takes a whole value in its place: write '{c}' alone between quotes, or use protocol: text",
    ]);
    data.workload = { distribution: "uniform", steps, protocol: "prepared" };
    expect(scenarioProblems(data)).toEqual(['workload.protocol: must be one of "text", "binary"']);
  });

  it("rejects a value that is not a mapping", () => {
    expect(scenarioProblems(null).length).toBeGreaterThan(0);
    expect(scenarioProblems([]).length).toBeGreaterThan(0);
  });
});

describe("suiteProblems", () => {
  it("accepts a valid suite", () => {
    expect(suiteProblems({ suite: "s", title: "S", scenarios: ["a", "b"] })).toEqual([]);
  });

  it("reports every problem of a suite, with paths", () => {
    const problems = suiteProblems({ suite: "Bad Id", scenarios: ["ok", "NOT_OK"], other: 1 });
    expect(problems).toEqual(
      expect.arrayContaining(["(top level): unknown field 'other'", "title: is required"]),
    );
    expect(problems).toContain(
      'suite: "Bad Id" must match ^[a-z0-9][a-z0-9-]*$ (Lower-case id: letters, digits, dashes.)',
    );
    expect(problems.some((p) => p.startsWith("scenarios[1]: "))).toBe(true);
    expect(problems).toHaveLength(4);
    expect(suiteProblems({ suite: "s", title: "S", scenarios: [] })).toEqual([
      "scenarios: must NOT have fewer than 1 items",
    ]);
  });
});
