import type { AdminConnection } from "./connection.js";

/** Server settings that decide how a result should be read (hackmysql showed redo log size alone moves writes/s 4x). */
export const VARIABLES_THAT_MATTER = [
  "version",
  "version_comment",
  "aurora_version",
  "innodb_buffer_pool_size",
  "innodb_log_file_size",
  "innodb_log_files_in_group",
  "innodb_redo_log_capacity",
  "innodb_flush_log_at_trx_commit",
  "innodb_flush_method",
  "innodb_doublewrite",
  "innodb_io_capacity",
  "innodb_thread_concurrency",
  "log_bin",
  "sync_binlog",
  "binlog_format",
  "max_connections",
  "max_user_connections",
  "max_prepared_stmt_count",
  "thread_handling",
  "tx_isolation",
  "transaction_isolation",
  "table_open_cache",
  "performance_schema",
] as const;

export interface ServerFacts {
  version: string;
  flavor: "mariadb" | "mysql" | "aurora-mysql" | "unknown";
  variables: Record<string, string>;
}

export async function readServerFacts(conn: AdminConnection): Promise<ServerFacts> {
  const names = VARIABLES_THAT_MATTER.map((name) => `'${name}'`).join(",");
  const [rows] = await conn.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names})`);
  const variables: Record<string, string> = {};
  for (const row of rows as { Variable_name: string; Value: string }[])
    variables[row.Variable_name] = row.Value;
  const version = variables.version ?? "unknown";
  const comment = `${variables.version_comment ?? ""} ${version}`.toLowerCase();
  const flavor = variables.aurora_version
    ? "aurora-mysql"
    : comment.includes("mariadb")
      ? "mariadb"
      : comment.includes("mysql")
        ? "mysql"
        : "unknown";
  return { version, flavor, variables };
}

/** The counters the client's counts are checked against. */
export const COUNTERS = [
  "Com_select",
  "Com_insert",
  "Com_update",
  "Com_delete",
  "Com_begin",
  "Com_commit",
  "Com_rollback",
] as const;
export type CounterName = (typeof COUNTERS)[number];
/** Only the counters the server reports: TiDB and some proxies have no Com_* at all. */
export type Counters = Partial<Record<CounterName, number>>;

export async function readCounters(conn: AdminConnection): Promise<Counters> {
  const names = COUNTERS.map((name) => `'${name}'`).join(",");
  const [rows] = await conn.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${names})`);
  const counters: Counters = {};
  for (const row of rows as { Variable_name: string; Value: string }[]) {
    const name = COUNTERS.find((c) => c.toLowerCase() === row.Variable_name.toLowerCase());
    if (name) counters[name] = Number(row.Value);
  }
  return counters;
}

export function counterDelta(before: Counters, after: Counters): Counters {
  const delta: Counters = {};
  for (const name of COUNTERS) {
    const a = after[name];
    const b = before[name];
    if (a !== undefined && b !== undefined) delta[name] = a - b;
  }
  return delta;
}

/** A counter read that fails (a proxy timing out the idle control connection...) costs the check, not the run. */
export async function readCountersOrNote(
  admin: AdminConnection,
  notes: string[],
): Promise<Counters | undefined> {
  try {
    return await readCounters(admin);
  } catch (error) {
    notes.push(`server counters could not be read (${(error as Error).message}); no counter check`);
    return undefined;
  }
}
