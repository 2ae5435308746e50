import { type StatementKind, statementKind } from "./kinds.js";
import { type PreparedText, preparedSql, prepareTemplate } from "./prepared.js";
import { protocolOf, type StatementProtocol } from "./protocol.js";
import {
  C_GROUPS,
  PAD_GROUPS,
  type RandomSource,
  type SpecialParams,
  SYSBENCH_SPECIAL,
  specialInt,
  sysbenchDigitGroups,
  uniformInt,
} from "./random.js";
import type { Workload } from "./schema.js";
import { type CompiledTemplate, compileTemplate, uses } from "./template.js";

/**
 * The operations a run records, by index: the scenario's statements first, then the transaction's
 * own BEGIN, COMMIT, ROLLBACK and the whole transaction. Indexes keep the hot path to array lookups.
 */
export interface OpTable {
  names: string[];
  /** Statement kind per op; undefined for begin/commit/rollback/txn. */
  kinds: (StatementKind | undefined)[];
  begin: number;
  commit: number;
  rollback: number;
  txn: number;
  /**
   * Open loop only (-1 otherwise): each transaction's latency from its intended start (corrected
   * for coordinated omission) and how late it was sent; `txn` is then its service time.
   */
  intended: number;
  lateness: number;
  /**
   * Binary protocol only (-1 otherwise): a reopened connection preparing its statements again, one
   * sample per connection, its rows the statements prepared (the server counts them in
   * Com_stmt_prepare). The first connections prepare before any phase and are not recorded.
   */
  prepare: number;
}

/**
 * The ops that record something other than a statement sent: the transaction as a whole, its intended
 * start and lateness (open loop), and a reopened connection's preparing. Throughput, statement counts
 * and the server-counter comparison leave them out.
 */
export function nonStatementOps(table: OpTable): ReadonlySet<number> {
  return new Set([table.txn, table.intended, table.lateness, table.prepare].filter((i) => i >= 0));
}

interface CompiledStatement {
  op: number;
  template: CompiledTemplate;
  needsK: boolean;
  needsC: boolean;
  needsPad: boolean;
  /** Binary protocol: the prepared statement (index into WorkloadProgram.prepared) per table - 1. */
  preparedByTable: number[] | null;
}

interface CompiledStep {
  repeat: number;
  statements: CompiledStatement[];
}

export interface WorkloadProgram {
  ops: OpTable;
  transaction: boolean;
  /** Statements in one transaction, BEGIN and COMMIT excluded. */
  statementsPerTxn: number;
  steps: CompiledStep[];
  tables: number;
  tableSize: number;
  drawId: (random: RandomSource) => number;
  protocol: StatementProtocol;
  /** Binary protocol: what every connection prepares once, each distinct text once (empty for text). */
  prepared: PreparedText[];
}

/**
 * Binary protocol: one transaction's statements as plan slots, the drawn values kept apart instead
 * of written into SQL text. Index n is the transaction's n-th statement, as in planTransaction.
 */
export interface BoundPlan {
  /** The prepared statement, as an index into WorkloadProgram.prepared. */
  prepared: number[];
  ids: number[];
  ks: number[];
  cs: string[];
  pads: string[];
}

export function newBoundPlan(): BoundPlan {
  return { prepared: [], ids: [], ks: [], cs: [], pads: [] };
}

export function buildOpTable(workload: Workload, openLoop = false): OpTable {
  const names: string[] = [];
  const kinds: (StatementKind | undefined)[] = [];
  for (const step of workload.steps) {
    for (const statement of step.statements) {
      names.push(statement.name);
      kinds.push(statementKind(statement.sql));
    }
  }
  const base = names.length;
  names.push("begin", "commit", "rollback", "txn");
  kinds.push(undefined, undefined, undefined, undefined);
  if (openLoop) {
    names.push("intended", "lateness");
    kinds.push(undefined, undefined);
  }
  const prepare = protocolOf(workload) === "binary" ? names.length : -1;
  if (prepare >= 0) {
    names.push("prepare");
    kinds.push(undefined);
  }
  return {
    names,
    kinds,
    begin: base,
    commit: base + 1,
    rollback: base + 2,
    txn: base + 3,
    intended: openLoop ? base + 4 : -1,
    lateness: openLoop ? base + 5 : -1,
    prepare,
  };
}

export function compileWorkload(
  workload: Workload,
  dataset: { tables: number; tableSize: number },
  openLoop = false,
): WorkloadProgram {
  const ops = buildOpTable(workload, openLoop);
  const protocol = protocolOf(workload);
  const prepared: PreparedText[] = [];
  const preparedIndex = new Map<string, number>();
  /** Each distinct text once, however many statements or steps share it. */
  const prepareOnce = (sql: string, name: string, params: PreparedText["params"]): number => {
    let index = preparedIndex.get(sql);
    if (index === undefined) {
      index = prepared.push({ sql, name, params }) - 1;
      preparedIndex.set(sql, index);
    }
    return index;
  };
  let op = 0;
  const steps = workload.steps.map((step) => ({
    repeat: step.repeat ?? 1,
    statements: step.statements.map((statement) => {
      const template = compileTemplate(statement.sql);
      let preparedByTable: number[] | null = null;
      if (protocol === "binary") {
        const form = prepareTemplate(template);
        const one = form.perTable ? -1 : prepareOnce(preparedSql(form, 1), statement.name, form.params);
        preparedByTable = Array.from({ length: dataset.tables }, (_, t) =>
          one >= 0 ? one : prepareOnce(preparedSql(form, t + 1), statement.name, form.params),
        );
      }
      return {
        op: op++,
        template,
        needsK: uses(template, "k"),
        needsC: uses(template, "c"),
        needsPad: uses(template, "pad"),
        preparedByTable,
      };
    }),
  }));
  const special: SpecialParams = workload.special ?? SYSBENCH_SPECIAL;
  const size = dataset.tableSize;
  const drawId =
    workload.distribution === "special"
      ? (random: RandomSource) => specialInt(random, 1, size, special)
      : (random: RandomSource) => uniformInt(random, 1, size);
  return {
    ops,
    transaction: workload.transaction ?? true,
    statementsPerTxn: steps.reduce((sum, step) => sum + step.repeat * step.statements.length, 0),
    steps,
    tables: dataset.tables,
    tableSize: dataset.tableSize,
    drawId,
    protocol,
    prepared,
  };
}

/**
 * Fills `sqlOut` and `opOut` with one transaction's statements (without BEGIN/COMMIT), as sysbench
 * 0.5's oltp.lua (the script AWS ran) builds an event: one table for the whole transaction, drawn
 * uniformly, and an id per step repetition, so a DELETE and the INSERT that follows it use the same
 * id. Returns the number of statements written. With `bound` (binary protocol), each statement's
 * prepared statement and values go there instead of into SQL text: the draws are the same, so a
 * seed gives the same statements in both protocols.
 */
export function planTransaction(
  program: WorkloadProgram,
  random: RandomSource,
  sqlOut: string[],
  opOut: number[],
  bound?: BoundPlan,
): number {
  const table = uniformInt(random, 1, program.tables);
  let n = 0;
  for (const step of program.steps) {
    for (let r = 0; r < step.repeat; r++) {
      const id = program.drawId(random);
      for (const statement of step.statements) {
        const k = statement.needsK ? uniformInt(random, 1, program.tableSize) : 0;
        const c = statement.needsC ? sysbenchDigitGroups(random, C_GROUPS) : "";
        const pad = statement.needsPad ? sysbenchDigitGroups(random, PAD_GROUPS) : "";
        opOut[n] = statement.op;
        if (bound) {
          bound.prepared[n] = (statement.preparedByTable as number[])[table - 1] as number;
          bound.ids[n] = id;
          bound.ks[n] = k;
          bound.cs[n] = c;
          bound.pads[n] = pad;
          n++;
          continue;
        }
        const { parts, slots } = statement.template;
        let sql = parts[0] as string;
        for (let i = 0; i < slots.length; i++) {
          switch (slots[i]) {
            case "table":
              sql += table;
              break;
            case "id":
              sql += id;
              break;
            case "k":
              sql += k;
              break;
            case "c":
              sql += c;
              break;
            case "pad":
              sql += pad;
              break;
          }
          sql += parts[i + 1] as string;
        }
        sqlOut[n] = sql;
        n++;
      }
    }
  }
  return n;
}
