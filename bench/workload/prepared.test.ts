import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFile } from "../scenario/load.js";
import { builtInScenarioDir } from "../util/paths.js";
import { preparedSql, prepareTemplate } from "./prepared.js";
import { buildOpTable, compileWorkload, newBoundPlan, planTransaction } from "./program.js";
import { seededRandom } from "./random.js";
import type { Workload } from "./schema.js";
import { compileTemplate, TemplateError } from "./template.js";

const prepared = (sql: string) => prepareTemplate(compileTemplate(sql));

describe("prepareTemplate", () => {
  it("puts ? for each value, in placeholder order, and keeps {table} in the text", () => {
    const form = prepared("SELECT c FROM sbtest{table} WHERE id BETWEEN {id} AND {id}+99");
    expect(preparedSql(form, 7)).toBe("SELECT c FROM sbtest7 WHERE id BETWEEN ? AND ?+99");
    expect(form.params).toEqual([
      { slot: "id", type: "int" },
      { slot: "id", type: "int" },
    ]);
    expect(form.perTable).toBe(true);
  });

  it("takes a quoted placeholder's quotes away and sends it as a string", () => {
    const form = prepared("INSERT INTO sbtest{table} (id, k, c, pad) VALUES ({id}, {k}, '{c}', '{pad}')");
    expect(preparedSql(form, 1)).toBe("INSERT INTO sbtest1 (id, k, c, pad) VALUES (?, ?, ?, ?)");
    expect(form.params.map((p) => `${p.slot}:${p.type}`)).toEqual([
      "id:int",
      "k:int",
      "c:string",
      "pad:string",
    ]);
    expect(preparedSql(prepared("SELECT c FROM t WHERE id='{id}'"), 1)).toBe("SELECT c FROM t WHERE id=?");
    expect(prepared("SELECT c FROM t WHERE id='{id}'").params).toEqual([{ slot: "id", type: "string" }]);
  });

  it("reads quotes as SQL does: doubled and escaped quotes stay inside their string", () => {
    expect(preparedSql(prepared("UPDATE t SET c='it''s' WHERE id={id}"), 1)).toBe(
      "UPDATE t SET c='it''s' WHERE id=?",
    );
    expect(preparedSql(prepared("UPDATE t SET c='a\\'b', pad=\"{pad}\" WHERE id={id}"), 1)).toBe(
      "UPDATE t SET c='a\\'b', pad=? WHERE id=?",
    );
  });

  it("is one statement, not one per table, without {table}", () => {
    const form = prepared("SELECT COUNT(*) FROM sbtest1 WHERE k={k}");
    expect(form.perTable).toBe(false);
    expect(preparedSql(form, 5)).toBe("SELECT COUNT(*) FROM sbtest1 WHERE k=?");
  });

  it("refuses a placeholder that is only part of a string or of a quoted name", () => {
    expect(() => prepared("UPDATE t SET c='x{c}' WHERE id={id}")).toThrow(TemplateError);
    expect(() => prepared("UPDATE t SET c='{c}{pad}' WHERE id={id}")).toThrow(/part of a longer string/);
    expect(() => prepared("SELECT c FROM `t{id}`")).toThrow(/part of a quoted name/);
  });
});

const write = (() => {
  const loaded = loadFile(join(builtInScenarioDir(), "aurora-write.yaml"));
  if (loaded.kind !== "scenario") throw new Error("not a scenario");
  return loaded.scenario;
})();
const binary: Workload = { ...write.workload, protocol: "binary" };
const dataset = { tables: 3, tableSize: 1000 };

/** The text a prepared statement stands for, its values put back in place of the ?s. */
function withValues(sql: string, values: (number | string)[]): string {
  let i = 0;
  return sql.replace(/\?/g, () => {
    const value = values[i++] as number | string;
    return typeof value === "number" ? String(value) : `'${value}'`;
  });
}

describe("compileWorkload, binary protocol", () => {
  it("prepares each template once per table, each distinct text once", () => {
    const program = compileWorkload(binary, dataset);
    expect(program.protocol).toBe("binary");
    // aurora-write: 4 statements, each naming {table}.
    expect(program.prepared).toHaveLength(4 * dataset.tables);
    expect(new Set(program.prepared.map((p) => p.sql)).size).toBe(program.prepared.length);
    expect(program.prepared[0]).toMatchObject({
      name: "update_index",
      sql: "UPDATE sbtest1 SET k=k+1 WHERE id=?",
    });
    const twice: Workload = {
      distribution: "uniform",
      steps: [
        { statements: [{ name: "a", sql: "SELECT c FROM sbtest1 WHERE id={id}" }] },
        { statements: [{ name: "b", sql: "SELECT c FROM sbtest1 WHERE id={id}" }] },
      ],
      protocol: "binary",
    };
    expect(compileWorkload(twice, dataset).prepared).toEqual([
      { name: "a", sql: "SELECT c FROM sbtest1 WHERE id=?", params: [{ slot: "id", type: "int" }] },
    ]);
    expect(compileWorkload(write.workload, dataset).prepared).toEqual([]);
  });

  it("draws what the text protocol draws, seed for seed: the same statements, values apart", () => {
    const text = compileWorkload(write.workload, dataset);
    const bin = compileWorkload(binary, dataset);
    const textRandom = seededRandom(42);
    const binRandom = seededRandom(42);
    for (let txn = 0; txn < 50; txn++) {
      const sql: string[] = [];
      const ops: number[] = [];
      const n = planTransaction(text, textRandom, sql, ops);
      const bound = newBoundPlan();
      const binOps: number[] = [];
      expect(planTransaction(bin, binRandom, [], binOps, bound)).toBe(n);
      expect(binOps.slice(0, n)).toEqual(ops.slice(0, n));
      for (let i = 0; i < n; i++) {
        const statement = bin.prepared[bound.prepared[i] as number];
        if (!statement) throw new Error("no prepared statement");
        const values = statement.params.map((p) =>
          p.slot === "id"
            ? (bound.ids[i] as number)
            : p.slot === "k"
              ? (bound.ks[i] as number)
              : p.slot === "c"
                ? (bound.cs[i] as string)
                : (bound.pads[i] as string),
        );
        expect(withValues(statement.sql, values)).toBe(sql[i]);
      }
    }
  });

  it("adds a prepare op to the op table, after the transaction's own", () => {
    const table = buildOpTable(binary);
    expect(table.names.slice(-5)).toEqual(["begin", "commit", "rollback", "txn", "prepare"]);
    expect(table.prepare).toBe(table.names.length - 1);
    expect(table.kinds[table.prepare]).toBeUndefined();
    expect(buildOpTable(binary, true).names.slice(-3)).toEqual(["intended", "lateness", "prepare"]);
    expect(buildOpTable(write.workload).prepare).toBe(-1);
  });
});
