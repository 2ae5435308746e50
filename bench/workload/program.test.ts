import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFile } from "../scenario/load.js";
import type { ScenarioFile } from "../scenario/schema.js";
import { builtInScenarioDir } from "../util/paths.js";
import { buildOpTable, compileWorkload, planTransaction } from "./program.js";
import { type RandomSource, seededRandom } from "./random.js";
import type { Workload } from "./schema.js";

function scenario(name: string): ScenarioFile {
  const loaded = loadFile(join(builtInScenarioDir(), name));
  if (loaded.kind !== "scenario") throw new Error(`${name} is not a scenario`);
  return loaded.scenario;
}

const write = scenario("aurora-write.yaml");
const read = scenario("aurora-read.yaml");

function plan(workload: Workload, dataset: { tables: number; tableSize: number }, random: RandomSource) {
  const program = compileWorkload(workload, dataset);
  const sql: string[] = [];
  const ops: number[] = [];
  const n = planTransaction(program, random, sql, ops);
  return { program, n, sql: sql.slice(0, n), ops: ops.slice(0, n) };
}

describe("buildOpTable", () => {
  it("indexes the statements first, then begin, commit, rollback and txn", () => {
    const table = buildOpTable(write.workload);
    expect(table.names).toEqual([
      "update_index",
      "update_non_index",
      "delete",
      "insert",
      "begin",
      "commit",
      "rollback",
      "txn",
    ]);
    expect(table.kinds).toEqual([
      "update",
      "update",
      "delete",
      "insert",
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(table).toMatchObject({ begin: 4, commit: 5, rollback: 6, txn: 7 });
    expect(table.names[table.begin]).toBe("begin");
    expect(table.names[table.commit]).toBe("commit");
    expect(table.names[table.rollback]).toBe("rollback");
    expect(table.names[table.txn]).toBe("txn");
  });

  it("lists a repeated step's statements once", () => {
    const table = buildOpTable(read.workload);
    expect(table.names).toEqual(["point_select", "begin", "commit", "rollback", "txn"]);
    expect(table.kinds).toEqual(["select", undefined, undefined, undefined, undefined]);
    expect(table).toMatchObject({ begin: 1, commit: 2, rollback: 3, txn: 4 });
  });

  it("gives statements with an unknown kind an undefined kind", () => {
    const table = buildOpTable({
      distribution: "uniform",
      steps: [{ statements: [{ name: "odd", sql: "REPLACE INTO t VALUES (1)" }] }],
    });
    expect(table.kinds[0]).toBeUndefined();
    expect(table.begin).toBe(1);
  });
});

describe("compileWorkload", () => {
  it("counts statements per transaction with repeats, and defaults transaction to true", () => {
    expect(compileWorkload(write.workload, write.dataset).statementsPerTxn).toBe(4);
    expect(compileWorkload(read.workload, read.dataset).statementsPerTxn).toBe(10);
    const workload: Workload = {
      distribution: "uniform",
      steps: [
        { repeat: 3, statements: [{ name: "a", sql: "SELECT 1" }] },
        {
          statements: [
            { name: "b", sql: "SELECT 2" },
            { name: "c", sql: "SELECT 3" },
          ],
        },
      ],
    };
    const program = compileWorkload(workload, { tables: 2, tableSize: 5 });
    expect(program.statementsPerTxn).toBe(5);
    expect(program.transaction).toBe(true);
    expect(program.steps.map((step) => step.repeat)).toEqual([3, 1]);
    expect(program.steps.flatMap((step) => step.statements.map((s) => s.op))).toEqual([0, 1, 2]);
    expect(
      compileWorkload({ ...workload, transaction: false }, { tables: 2, tableSize: 5 }).transaction,
    ).toBe(false);
  });

  it("draws ids within 1..tableSize for both distributions", () => {
    for (const distribution of ["uniform", "special"] as const) {
      const program = compileWorkload({ ...write.workload, distribution }, { tables: 1, tableSize: 50 });
      const random = seededRandom(4);
      const ids = Array.from({ length: 20_000 }, () => program.drawId(random));
      expect(
        ids.every((id) => Number.isInteger(id) && id >= 1 && id <= 50),
        distribution,
      ).toBe(true);
    }
  });

  it("uses the special distribution when asked: ids concentrate at the centre", () => {
    const size = 10_000;
    const uniform = compileWorkload(
      { ...read.workload, distribution: "uniform" },
      { tables: 1, tableSize: size },
    );
    const special = compileWorkload(read.workload, { tables: 1, tableSize: size });
    const centre = (drawId: (random: RandomSource) => number) => {
      const random = seededRandom(6);
      let hits = 0;
      for (let i = 0; i < 20_000; i++) {
        const id = drawId(random);
        if (id >= 4950 && id <= 5052) hits++;
      }
      return hits / 20_000;
    };
    expect(centre(special.drawId)).toBeGreaterThan(0.7);
    expect(centre(uniform.drawId)).toBeLessThan(0.02);
  });
});

const UPDATE_K = /^UPDATE sbtest(\d+) SET k=k\+1 WHERE id=(\d+)$/;
const UPDATE_C = /^UPDATE sbtest(\d+) SET c='(\d{11}(?:-\d{11}){9})' WHERE id=(\d+)$/;
const DELETE = /^DELETE FROM sbtest(\d+) WHERE id=(\d+)$/;
const INSERT =
  /^INSERT INTO sbtest(\d+) \(id, k, c, pad\) VALUES \((\d+), (\d+), '(\d{11}(?:-\d{11}){9})', '(\d{11}(?:-\d{11}){4})'\)$/;
const SELECT = /^SELECT c FROM sbtest(\d+) WHERE id=(\d+)$/;

function match(pattern: RegExp, sql: string | undefined): RegExpExecArray {
  const found = pattern.exec(sql ?? "");
  if (!found) throw new Error(`'${sql}' does not match ${pattern}`);
  return found;
}

describe("planTransaction, write mix of aurora-write", () => {
  it("produces UPDATE k, UPDATE c, DELETE, INSERT with op indexes 0..3", () => {
    const { n, sql, ops, program } = plan(write.workload, write.dataset, seededRandom(1));
    expect(n).toBe(4);
    expect(n).toBe(program.statementsPerTxn);
    expect(ops).toEqual([0, 1, 2, 3]);
    match(UPDATE_K, sql[0]);
    match(UPDATE_C, sql[1]);
    match(DELETE, sql[2]);
    match(INSERT, sql[3]);
  });

  it("uses one table per transaction, gives DELETE and INSERT the same id, and keeps every value in range", () => {
    const { tables, tableSize } = write.dataset;
    expect({ tables, tableSize }).toEqual({ tables: 250, tableSize: 25_000 });
    const program = compileWorkload(write.workload, write.dataset);
    const random = seededRandom(2);
    const sqlOut: string[] = [];
    const opOut: number[] = [];
    const seenTables = new Set<number>();
    const seenIds = new Set<number>();
    const drawnTables: number[] = [];
    const drawnIds: number[] = [];
    let updateIdDiffersFromDelete = 0;
    for (let t = 0; t < 2000; t++) {
      expect(planTransaction(program, random, sqlOut, opOut)).toBe(4);
      const [, kTable, kId] = match(UPDATE_K, sqlOut[0]).map(Number);
      const [, cTable, , cId] = match(UPDATE_C, sqlOut[1]).map(Number);
      const [, dTable, dId] = match(DELETE, sqlOut[2]).map(Number);
      const [, iTable, iId, iK] = match(INSERT, sqlOut[3]).map(Number);
      if (iTable !== dTable || iId !== dId)
        throw new Error(`DELETE and INSERT differ: ${sqlOut[2]} / ${sqlOut[3]}`);
      // sysbench 0.5's oltp.lua draws the table once per event: every statement of it uses it.
      if (kTable !== dTable || cTable !== dTable)
        throw new Error(`one transaction, two tables: ${sqlOut.slice(0, 4).join(" / ")}`);
      drawnTables.push(kTable as number, cTable as number, dTable as number);
      drawnIds.push(kId as number, cId as number, dId as number, iK as number);
      seenTables.add(dTable as number);
      seenIds.add(dId as number);
      if (kId !== dId) updateIdDiffersFromDelete++;
    }
    expect(drawnTables.every((table) => table >= 1 && table <= tables)).toBe(true);
    expect(drawnIds.every((id) => id >= 1 && id <= tableSize)).toBe(true);
    expect(Math.min(...drawnTables)).toBe(1);
    expect(Math.max(...drawnTables)).toBe(tables);
    // Each transaction draws its table, each step its id (uniform over 250 tables and 25,000 ids).
    expect(seenTables.size).toBeGreaterThan(240);
    expect(seenIds.size).toBeGreaterThan(1800);
    expect(updateIdDiffersFromDelete).toBeGreaterThan(1990);
  });

  it("is reproducible from the seed", () => {
    const a = plan(write.workload, write.dataset, seededRandom(9));
    const b = plan(write.workload, write.dataset, seededRandom(9));
    const c = plan(write.workload, write.dataset, seededRandom(10));
    expect(a.sql).toEqual(b.sql);
    expect(a.sql).not.toEqual(c.sql);
  });

  it("respects a small dataset: tables and ids within 1..tables and 1..tableSize", () => {
    const program = compileWorkload(write.workload, { tables: 2, tableSize: 3 });
    const random = seededRandom(3);
    const sqlOut: string[] = [];
    const opOut: number[] = [];
    const tables = new Set<number>();
    const ids = new Set<number>();
    for (let t = 0; t < 300; t++) {
      planTransaction(program, random, sqlOut, opOut);
      const [, dTable, dId] = match(DELETE, sqlOut[2]).map(Number);
      const [, , , k] = match(INSERT, sqlOut[3]).map(Number);
      tables.add(dTable as number);
      ids.add(dId as number);
      ids.add(k as number);
    }
    expect([...tables].sort()).toEqual([1, 2]);
    expect([...ids].sort()).toEqual([1, 2, 3]);
  });
});

describe("planTransaction, read mix of aurora-read", () => {
  it("produces 10 point SELECTs, each with its own table and id", () => {
    const { tables, tableSize } = read.dataset;
    const program = compileWorkload(read.workload, read.dataset);
    const random = seededRandom(5);
    const sqlOut: string[] = [];
    const opOut: number[] = [];
    const distinct = new Set<string>();
    for (let t = 0; t < 200; t++) {
      expect(planTransaction(program, random, sqlOut, opOut)).toBe(10);
      expect(opOut.slice(0, 10)).toEqual(new Array<number>(10).fill(0));
      for (const sql of sqlOut.slice(0, 10)) {
        const [, table, id] = match(SELECT, sql).map(Number);
        if (!(table && table >= 1 && table <= tables && id && id >= 1 && id <= tableSize)) {
          throw new Error(`out of range: ${sql}`);
        }
      }
      for (const sql of sqlOut.slice(0, 10)) distinct.add(sql);
    }
    expect(distinct.size).toBeGreaterThan(1900);
  });

  it("writes into the output arrays from index 0 and returns the count", () => {
    const program = compileWorkload(read.workload, { tables: 1, tableSize: 1 });
    const sqlOut = new Array<string>(12).fill("old");
    const opOut = new Array<number>(12).fill(-1);
    expect(planTransaction(program, seededRandom(1), sqlOut, opOut)).toBe(10);
    expect(sqlOut.slice(0, 10)).toEqual(new Array<string>(10).fill("SELECT c FROM sbtest1 WHERE id=1"));
    expect(sqlOut.slice(10)).toEqual(["old", "old"]);
    expect(opOut.slice(10)).toEqual([-1, -1]);
  });
});
