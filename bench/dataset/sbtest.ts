import { availableParallelism } from "node:os";
import type { AdminConnection } from "../target/connection.js";
import { C_GROUPS, PAD_GROUPS, seededRandom, sysbenchDigitGroups, uniformInt } from "../workload/random.js";

export interface DatasetShape {
  tables: number;
  tableSize: number;
}

export interface DatasetOutcome {
  tables: number;
  tableSize: number;
  /** Tables found complete and kept. */
  reusedTables: number;
  /** Tables (re)created and loaded. */
  loadedTables: number;
  loadMs: number;
  rowsLoaded: number;
}

const ROWS_PER_INSERT = 1000;

export function tableName(index: number): string {
  return `sbtest${index}`;
}

/** sysbench's table, as in its oltp_common.lua; the secondary index is added after the load, as sysbench does. */
export function createTableSql(index: number): string {
  return `CREATE TABLE ${tableName(index)} (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  k INT UNSIGNED NOT NULL DEFAULT 0,
  c CHAR(120) NOT NULL DEFAULT '',
  pad CHAR(60) NOT NULL DEFAULT '',
  PRIMARY KEY (id)
) ENGINE=InnoDB`;
}

/** One multi-row INSERT for ids [firstId, lastId]. */
export function insertBatchSql(
  index: number,
  firstId: number,
  lastId: number,
  tableSize: number,
  seed: number,
): string {
  const random = seededRandom(seed);
  const values: string[] = [];
  for (let id = firstId; id <= lastId; id++) {
    const k = uniformInt(random, 1, tableSize);
    values.push(
      `(${id},${k},'${sysbenchDigitGroups(random, C_GROUPS)}','${sysbenchDigitGroups(random, PAD_GROUPS)}')`,
    );
  }
  return `INSERT INTO ${tableName(index)} (id, k, c, pad) VALUES ${values.join(",")}`;
}

/**
 * A table is reusable when it holds exactly ids 1..tableSize and has its secondary index. The write
 * mix deletes and re-inserts the same id inside one transaction, so a complete table stays complete.
 */
async function tableIsComplete(conn: AdminConnection, index: number, tableSize: number): Promise<boolean> {
  try {
    const [rows] = await conn.query(
      `SELECT COUNT(*) AS n, COALESCE(MIN(id), 0) AS lo, COALESCE(MAX(id), 0) AS hi FROM ${tableName(index)}`,
    );
    const row = (rows as { n: number | string; lo: number | string; hi: number | string }[])[0];
    if (!row || Number(row.n) !== tableSize || Number(row.lo) !== 1 || Number(row.hi) !== tableSize)
      return false;
    const [indexes] = await conn.query(`SHOW INDEX FROM ${tableName(index)} WHERE Key_name = 'k_${index}'`);
    return (indexes as unknown[]).length > 0;
  } catch (error) {
    if ((error as { errno?: number }).errno === 1146) return false; // table does not exist
    throw error;
  }
}

async function loadTable(
  conn: AdminConnection,
  index: number,
  tableSize: number,
  onRows: (rows: number) => void,
): Promise<void> {
  await conn.query(`DROP TABLE IF EXISTS ${tableName(index)}`);
  await conn.query(createTableSql(index));
  for (let first = 1; first <= tableSize; first += ROWS_PER_INSERT) {
    const last = Math.min(tableSize, first + ROWS_PER_INSERT - 1);
    await conn.query(insertBatchSql(index, first, last, tableSize, index * 1_000_003 + first));
    onRows(last - first + 1);
  }
  await conn.query(`CREATE INDEX k_${index} ON ${tableName(index)}(k)`);
}

/**
 * Makes sure sbtest1..sbtestN hold the expected rows: complete tables are kept, others are dropped
 * and loaded with parallel multi-row INSERTs (one connection per lane, each loading whole tables).
 */
export async function ensureDataset(options: {
  shape: DatasetShape;
  open: () => Promise<AdminConnection>;
  lanes?: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<DatasetOutcome> {
  const { shape, log } = options;
  const startMs = Date.now();
  const check = await options.open();
  const missing: number[] = [];
  try {
    for (let index = 1; index <= shape.tables; index++) {
      if (!(await tableIsComplete(check, index, shape.tableSize))) missing.push(index);
    }
  } finally {
    await check.end();
  }
  const reused = shape.tables - missing.length;
  if (missing.length === 0) {
    log(
      `dataset: reusing ${shape.tables} tables x ${shape.tableSize.toLocaleString("en-US")} rows already loaded`,
    );
    return { ...shape, reusedTables: reused, loadedTables: 0, loadMs: Date.now() - startMs, rowsLoaded: 0 };
  }
  log(
    `dataset: loading ${missing.length} of ${shape.tables} tables x ${shape.tableSize.toLocaleString("en-US")} rows` +
      (reused > 0 ? ` (${reused} already complete, reused)` : ""),
  );
  const lanes = Math.max(1, Math.min(options.lanes ?? availableParallelism() * 2, missing.length));
  let rowsLoaded = 0;
  let lastReportMs = Date.now();
  const totalRows = missing.length * shape.tableSize;
  const onRows = (rows: number) => {
    rowsLoaded += rows;
    if (Date.now() - lastReportMs >= 5000) {
      lastReportMs = Date.now();
      log(
        `dataset: ${Math.round((rowsLoaded / totalRows) * 100)}% (${rowsLoaded.toLocaleString("en-US")} rows)`,
      );
    }
  };
  const queue = [...missing];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      const conn = await options.open();
      try {
        for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
          if (options.signal?.aborted) return;
          await loadTable(conn, index, shape.tableSize, onRows);
        }
      } finally {
        await conn.end();
      }
    }),
  );
  const loadMs = Date.now() - startMs;
  log(`dataset: loaded ${rowsLoaded.toLocaleString("en-US")} rows in ${(loadMs / 1000).toFixed(1)} s`);
  return { ...shape, reusedTables: reused, loadedTables: missing.length, loadMs, rowsLoaded };
}
