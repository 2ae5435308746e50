import type { OpAggregate } from "../metrics/aggregate.js";
import { isWrite } from "../workload/kinds.js";
import type { OpTable } from "../workload/program.js";
import type { Counts, Throughput } from "./schema.js";

/**
 * sysbench's counting rules: reads are completed SELECTs, writes are completed INSERT, UPDATE and
 * DELETE statements (BEGIN and COMMIT are not writes), transactions are completed COMMITs.
 */
export function countOps(ops: readonly OpAggregate[], table: OpTable, transactional: boolean): Counts {
  let reads = 0;
  let writes = 0;
  let errors = 0;
  let rows = 0;
  ops.forEach((op, i) => {
    errors += op.errors;
    const kind = table.kinds[i];
    if (kind === undefined) return;
    rows += op.rows;
    if (isWrite(kind)) writes += op.count;
    else reads += op.count;
  });
  const txns = transactional ? (ops[table.commit]?.count ?? 0) : (ops[table.txn]?.count ?? 0);
  return { reads, writes, txns, errors, rollbacks: ops[table.rollback]?.count ?? 0, rows };
}

export function ratesOf(counts: Counts, durationMs: number): Throughput {
  const seconds = durationMs / 1000;
  if (seconds <= 0) return { readsPerSec: 0, writesPerSec: 0, txnPerSec: 0 };
  return {
    readsPerSec: counts.reads / seconds,
    writesPerSec: counts.writes / seconds,
    txnPerSec: counts.txns / seconds,
  };
}

/**
 * Statements of each server counter's kind that reached the server (answered with success or an
 * error). With the binary protocol (the op table has a prepare op) every workload statement is also
 * an execution (Com_stmt_execute), whatever its kind: the server counts both, so both are checked,
 * and a run that did not execute what it prepared cannot agree. Com_stmt_prepare in the window: the
 * statements reopened connections prepared again (those of the first connections come before it).
 */
export function clientCounterEquivalents(
  ops: readonly OpAggregate[],
  table: OpTable,
): Record<string, number> {
  const sent = (i: number) => (ops[i]?.count ?? 0) + (ops[i]?.errors ?? 0);
  const out: Record<string, number> = {
    Com_select: 0,
    Com_insert: 0,
    Com_update: 0,
    Com_delete: 0,
    Com_begin: sent(table.begin),
    Com_commit: sent(table.commit),
    Com_rollback: sent(table.rollback),
  };
  table.kinds.forEach((kind, i) => {
    if (kind === undefined) return;
    const key = `Com_${kind}`;
    out[key] = (out[key] ?? 0) + sent(i);
  });
  if (table.prepare >= 0) {
    let executions = 0;
    // The scenario's statements come first in the table, before BEGIN.
    for (let i = 0; i < table.begin; i++) executions += sent(i);
    out.Com_stmt_execute = executions;
    out.Com_stmt_prepare = ops[table.prepare]?.rows ?? 0;
  }
  return out;
}
