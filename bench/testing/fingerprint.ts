import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AdminConnection } from "../target/connection.js";
import { atLeastVersion } from "../target/version.js";
import { packageRoot } from "../util/paths.js";

type Row = Record<string, unknown>;

/**
 * What a real server of one kind answers to the queries this tool sends, taken from its vendor's
 * documentation or public threads quoting a real server (named in `sources`). Values a source did
 * not give are listed in `assumed`.
 */
export interface Fingerprint {
  name: string;
  description: string;
  sources: string[];
  assumed?: Record<string, string>;
  /** Lower-case variable names; null: the server has no such variable. */
  variables: Record<string, string | null>;
  status?: Record<string, string | null> | null;
  /** SHOW REPLICA STATUS (or SLAVE / ALL SLAVES) rows; [] when not a binlog replica. */
  replicaStatus?: Row[] | null;
  replicaStatusStatement?: string;
  binaryLogStatus?: Row | null;
  binaryLogStatusStatement?: string;
  /** Aurora only: information_schema.replica_host_status. */
  replicaHostStatus?: Row[] | null;
  /** Global privileges of the connected user (information_schema.USER_PRIVILEGES), if given. */
  privileges?: string[];
}

export function fixturesDir(): string {
  return join(packageRoot(), "bench", "target", "fixtures");
}

export function fingerprintNames(): string[] {
  return readdirSync(fixturesDir())
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.replace(/\.json$/, ""))
    .sort();
}

export function loadFingerprint(name: string): Fingerprint {
  return JSON.parse(readFileSync(join(fixturesDir(), `${name}.json`), "utf8")) as Fingerprint;
}

function sqlError(errno: number, message: string): Error {
  return Object.assign(new Error(message), { errno, sqlState: "HY000", code: `ER_${errno}` });
}

const isMariaDb = (fp: Fingerprint) =>
  /mariadb/i.test(`${fp.variables.version} ${fp.variables.version_comment}`);

/** Which replica-status statements the server knows: 8.4 dropped SLAVE, MySQL < 8.0.22 has no REPLICA. */
function knowsReplicaStatement(fp: Fingerprint, sql: string): boolean {
  const version = fp.variables.version ?? "";
  if (isMariaDb(fp)) return true;
  if (/SLAVE/i.test(sql)) return !atLeastVersion(version, 8, 4, 0) && !/ALL SLAVES/i.test(sql);
  return atLeastVersion(version, 8, 0, 22);
}

/** SHOW MASTER STATUS is gone in MySQL 8.4; SHOW BINARY LOG STATUS came in 8.2 (MariaDB: SHOW BINLOG STATUS). */
function knowsBinaryLogStatement(fp: Fingerprint, sql: string): boolean {
  const version = fp.variables.version ?? "";
  if (/MASTER/i.test(sql)) return isMariaDb(fp) || !atLeastVersion(version, 8, 4, 0);
  if (isMariaDb(fp)) return /BINLOG STATUS/i.test(sql);
  return atLeastVersion(version, 8, 2, 0);
}

function parseTimestamp(value: unknown): number {
  return Date.parse(`${String(value).replace(" ", "T")}Z`);
}

/** replica_host_status rows with AGE_S as the server would compute it, "now" being the newest row. */
function hostStatusRows(rows: Row[]): Row[] {
  const newest = Math.max(...rows.map((r) => parseTimestamp(r.LAST_UPDATE_TIMESTAMP)));
  return rows.map((row) => ({
    ...row,
    AGE_S: Math.round((newest - parseTimestamp(row.LAST_UPDATE_TIMESTAMP)) / 1000),
  }));
}

const WAIT_FUNCTION =
  /^SELECT (MASTER_GTID_WAIT|WAIT_FOR_EXECUTED_GTID_SET|SOURCE_POS_WAIT|MASTER_POS_WAIT)\(/i;

function namesIn(list: string): string[] {
  return [...list.matchAll(/'([^']+)'/g)].map((m) => (m[1] as string).toLowerCase());
}

/**
 * A connection that answers as the fingerprinted server would. Waits (GTID, position) answer from
 * `waits` by function name (default 0: reached); any query it does not know fails the test.
 */
export function fakeServer(
  fp: Fingerprint,
  options: {
    waits?: Record<string, number | null>;
    /**
     * Rows of the catch-up token table, shared by the servers of one test: an Aurora cluster's
     * storage, or replication that has already applied. Absent: the table does not exist.
     */
    tokens?: Map<number, string>;
  } = {},
): { conn: AdminConnection; asked: string[] } {
  const asked: string[] = [];
  // @@gtid_executed is what SHOW MASTER STATUS / SHOW BINARY LOG STATUS prints as Executed_Gtid_Set.
  const executed = fp.binaryLogStatus?.Executed_Gtid_Set;
  const variables: Record<string, string | null> = {
    ...(typeof executed === "string" && !isMariaDb(fp) ? { gtid_executed: executed } : {}),
    ...fp.variables,
  };
  const status = fp.status ?? {};
  const answer = (sql: string, values?: unknown[]): Row[] => {
    let m: RegExpExecArray | null;
    m = /^SHOW GLOBAL VARIABLES WHERE Variable_name IN \((.*)\)$/is.exec(sql);
    if (m) {
      return namesIn(m[1] as string)
        .filter((name) => variables[name] !== null && variables[name] !== undefined)
        .map((name) => ({ Variable_name: name, Value: variables[name] }));
    }
    m = /^SHOW (?:GLOBAL )?VARIABLES LIKE '([^']+)'$/i.exec(sql);
    if (m) {
      const name = (m[1] as string).toLowerCase();
      const value = variables[name];
      return value === null || value === undefined ? [] : [{ Variable_name: name, Value: value }];
    }
    m = /^SHOW GLOBAL STATUS WHERE Variable_name IN \((.*)\)$/is.exec(sql);
    if (m) {
      return namesIn(m[1] as string)
        .filter((name) => status[name] !== null && status[name] !== undefined)
        .map((name) => ({ Variable_name: name, Value: status[name] }));
    }
    m = /^SHOW GLOBAL STATUS LIKE '([^']+)'$/i.exec(sql);
    if (m) {
      const name = (m[1] as string).toLowerCase();
      const value = status[name];
      return value === null || value === undefined ? [] : [{ Variable_name: name, Value: value }];
    }
    if (/^SELECT VERSION\(\) AS version$/i.test(sql)) return [{ version: variables.version }];
    if (/^SHOW (ALL SLAVES|SLAVE|REPLICA) STATUS$/i.test(sql)) {
      if (!knowsReplicaStatement(fp, sql))
        throw sqlError(1064, `You have an error in your SQL syntax near '${sql}'`);
      return fp.replicaStatus ?? [];
    }
    if (/^SHOW (BINARY LOG|BINLOG|MASTER) STATUS$/i.test(sql)) {
      if (!knowsBinaryLogStatement(fp, sql))
        throw sqlError(1064, `You have an error in your SQL syntax near '${sql}'`);
      return fp.binaryLogStatus ? [fp.binaryLogStatus] : [];
    }
    if (/information_schema\.replica_host_status/i.test(sql)) {
      if (!fp.replicaHostStatus)
        throw sqlError(1109, "Unknown table 'replica_host_status' in information_schema");
      return hostStatusRows(fp.replicaHostStatus);
    }
    if (/information_schema\.SCHEMA_PRIVILEGES/i.test(sql)) return [];
    if (/information_schema\.USER_PRIVILEGES/i.test(sql)) {
      return (fp.privileges ?? []).map((privilege) => ({ PRIVILEGE_TYPE: privilege, IS_GRANTABLE: "NO" }));
    }
    m = WAIT_FUNCTION.exec(sql);
    if (m) {
      const fn = (m[1] as string).toUpperCase();
      if (fn === "SOURCE_POS_WAIT" && (isMariaDb(fp) || !atLeastVersion(variables.version ?? "", 8, 0, 26))) {
        throw sqlError(1305, "FUNCTION SOURCE_POS_WAIT does not exist");
      }
      return [{ w: options.waits && fn in options.waits ? options.waits[fn] : 0 }];
    }
    m = /^SELECT (@@.+)$/is.exec(sql);
    if (m) {
      const row: Row = {};
      for (const item of (m[1] as string).split(",")) {
        const parts = /^\s*@@(?:GLOBAL\.|SESSION\.)?(\w+)(?:\s+AS\s+(\w+))?\s*$/i.exec(item);
        if (!parts) throw new Error(`fingerprint ${fp.name}: cannot answer ${sql}`);
        const name = (parts[1] as string).toLowerCase();
        const value = variables[name];
        if (value === null || value === undefined) throw sqlError(1193, `Unknown system variable '${name}'`);
        row[parts[2] ?? `@@${name}`] = value;
      }
      return [row];
    }
    if (/^SET SESSION /i.test(sql)) return [];
    if (options.tokens) {
      if (/^CREATE TABLE IF NOT EXISTS .*rb_catchup/is.test(sql)) return [];
      if (/^REPLACE INTO .*rb_catchup/is.test(sql)) {
        options.tokens.set(1, String(values?.[0]));
        return [];
      }
      if (/^SELECT token FROM .*rb_catchup/is.test(sql)) {
        const token = options.tokens.get(1);
        return token === undefined ? [] : [{ token }];
      }
    }
    throw new Error(`fingerprint ${fp.name}: unexpected query: ${sql}`);
  };
  const conn: AdminConnection = {
    async query(sql: string, values?: unknown[]) {
      asked.push(sql);
      return [answer(sql.trim(), values), []];
    },
    async end() {},
    destroy() {},
    threadId: 1,
    lostReason: undefined,
    reopened: 0,
  };
  return { conn, asked };
}
