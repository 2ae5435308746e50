import { describe, expect, it } from "vitest";
import type { OpAggregate } from "../metrics/aggregate.js";
import { buildOpTable } from "../workload/program.js";
import type { Workload } from "../workload/schema.js";
import { clientCounterEquivalents, countOps, ratesOf } from "./counting.js";

/** Every kind of statement, with begin/commit/rollback/txn after them: indexes 0..4, then 5..8. */
const workload: Workload = {
  distribution: "uniform",
  steps: [
    {
      statements: [
        { name: "sel", sql: "SELECT c FROM sbtest{table} WHERE id={id}" },
        { name: "upd", sql: "UPDATE sbtest{table} SET k=k+1 WHERE id={id}" },
        { name: "del", sql: "DELETE FROM sbtest{table} WHERE id={id}" },
        { name: "ins", sql: "INSERT INTO sbtest{table} (id) VALUES ({id})" },
        { name: "sel2", sql: "select 1" },
      ],
    },
  ],
};
const table = buildOpTable(workload);

function ops(...values: [count: number, errors: number, rows: number][]): OpAggregate[] {
  return values.map(([count, errors, rows]) => ({ count, errors, rows, histogram: null, encoded: null }));
}

//               sel          upd         del        ins        sel2       begin        commit      rollback  txn
const sample = ops(
  [100, 1, 90],
  [40, 2, 40],
  [10, 0, 9],
  [11, 3, 11],
  [5, 0, 5],
  [60, 4, 0],
  [55, 5, 0],
  [7, 0, 0],
  [56, 0, 0],
);

describe("countOps (sysbench's counting rules)", () => {
  it("has the op table this test assumes", () => {
    expect(table).toMatchObject({ begin: 5, commit: 6, rollback: 7, txn: 8 });
  });

  it("counts completed SELECTs as reads and INSERT + UPDATE + DELETE as writes", () => {
    const counts = countOps(sample, table, true);
    expect(counts.reads).toBe(100 + 5);
    expect(counts.writes).toBe(40 + 10 + 11);
  });

  it("does not count BEGIN, COMMIT or ROLLBACK as writes or reads", () => {
    const onlyTxnOps = ops(
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [9, 0, 0],
      [9, 0, 0],
      [2, 0, 0],
      [9, 0, 0],
    );
    const counts = countOps(onlyTxnOps, table, true);
    expect(counts.reads).toBe(0);
    expect(counts.writes).toBe(0);
    expect(counts.rows).toBe(0);
  });

  it("counts transactions as completed COMMITs when transactional", () => {
    expect(countOps(sample, table, true).txns).toBe(55);
  });

  it("counts transactions as completed txn ops when not transactional", () => {
    expect(countOps(sample, table, false).txns).toBe(56);
  });

  it("sums errors of every op, rows of statements only, and reports rollbacks", () => {
    expect(countOps(sample, table, true)).toEqual({
      reads: 105,
      writes: 61,
      txns: 55,
      errors: 1 + 2 + 0 + 3 + 0 + 4 + 5 + 0 + 0,
      rollbacks: 7,
      rows: 90 + 40 + 9 + 11 + 5,
    });
  });

  it("ignores statements of unknown kind and copes with missing ops", () => {
    const odd = buildOpTable({
      distribution: "uniform",
      steps: [{ statements: [{ name: "rep", sql: "REPLACE INTO t VALUES (1)" }] }],
    });
    expect(countOps(ops([5, 1, 5]), odd, true)).toEqual({
      reads: 0,
      writes: 0,
      txns: 0,
      errors: 1,
      rollbacks: 0,
      rows: 0,
    });
    expect(countOps([], table, true)).toEqual({
      reads: 0,
      writes: 0,
      txns: 0,
      errors: 0,
      rollbacks: 0,
      rows: 0,
    });
  });
});

describe("ratesOf", () => {
  it("divides counts by the duration in seconds", () => {
    const counts = { reads: 1000, writes: 250, txns: 50, errors: 0, rollbacks: 0, rows: 0 };
    expect(ratesOf(counts, 2000)).toEqual({ readsPerSec: 500, writesPerSec: 125, txnPerSec: 25 });
    expect(ratesOf(counts, 500)).toEqual({ readsPerSec: 2000, writesPerSec: 500, txnPerSec: 100 });
  });

  it("gives zeros for a zero or negative duration", () => {
    const counts = { reads: 1, writes: 1, txns: 1, errors: 0, rollbacks: 0, rows: 0 };
    expect(ratesOf(counts, 0)).toEqual({ readsPerSec: 0, writesPerSec: 0, txnPerSec: 0 });
    expect(ratesOf(counts, -5)).toEqual({ readsPerSec: 0, writesPerSec: 0, txnPerSec: 0 });
  });
});

describe("clientCounterEquivalents", () => {
  it("counts statements that reached the server (successes plus errors), by server counter", () => {
    expect(clientCounterEquivalents(sample, table)).toEqual({
      Com_select: 101 + 5,
      Com_update: 42,
      Com_delete: 10,
      Com_insert: 14,
      Com_begin: 64,
      Com_commit: 60,
      Com_rollback: 7,
    });
  });

  it("does not count the whole-transaction op against any counter", () => {
    const onlyTxn = ops(
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [999, 9, 0],
    );
    const equivalents = clientCounterEquivalents(onlyTxn, table);
    expect(Object.values(equivalents).every((value) => value === 0)).toBe(true);
  });

  it("reports every counter, zero when nothing was sent", () => {
    expect(clientCounterEquivalents([], table)).toEqual({
      Com_select: 0,
      Com_insert: 0,
      Com_update: 0,
      Com_delete: 0,
      Com_begin: 0,
      Com_commit: 0,
      Com_rollback: 0,
    });
  });
});

describe("clientCounterEquivalents, binary protocol", () => {
  const binaryTable = buildOpTable({ ...workload, protocol: "binary" });
  //                    sel    upd    del    ins    sel2   begin  commit rollback txn   prepare (2 reopened x 5)
  const binarySample = [...sample, ...ops([2, 1, 10])];

  it("counts every statement of the workload as an execution, besides its kind's counter", () => {
    expect(binaryTable.prepare).toBe(9);
    expect(clientCounterEquivalents(binarySample, binaryTable)).toEqual({
      Com_select: 101 + 5,
      Com_update: 42,
      Com_delete: 10,
      Com_insert: 14,
      Com_begin: 64,
      Com_commit: 60,
      Com_rollback: 7,
      // sel + upd + del + ins + sel2, successes and errors: BEGIN, COMMIT and ROLLBACK stay text.
      Com_stmt_execute: 101 + 42 + 10 + 14 + 5,
      // The statements the reopened connections prepared (the op's rows), not the preparations.
      Com_stmt_prepare: 10,
    });
  });

  it("expects no execution and no prepare of the text protocol, so a server that counts some disagrees", () => {
    expect(clientCounterEquivalents(sample, table)).not.toHaveProperty("Com_stmt_execute");
    expect(clientCounterEquivalents(ops(), binaryTable)).toMatchObject({
      Com_stmt_execute: 0,
      Com_stmt_prepare: 0,
    });
  });
});
