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
  "gtid_mode",
  "innodb_read_only",
  "read_only",
  "replica_parallel_workers",
  "slave_parallel_workers",
  "replica_parallel_type",
  "slave_parallel_type",
  "replica_preserve_commit_order",
  "slave_parallel_threads",
  "slave_parallel_mode",
  "wsrep_on",
  "wsrep_slave_threads",
  "wsrep_sync_wait",
] as const;

export type Flavor = "mariadb" | "mysql" | "aurora-mysql" | "unknown";

export interface ServerFacts {
  version: string;
  flavor: Flavor;
  /** How the flavor was decided, in words (stored in result.json beside it). */
  flavorSource: string;
  variables: Record<string, string>;
}

/**
 * What kind of server this is, and why. Aurora says so by its own variable; MariaDB names itself in
 * its version; anything else reporting a numeric version is a MySQL build, whatever its comment
 * says (RDS and Aurora v3 say "Source distribution", Ubuntu "(Ubuntu)", Percona "Percona Server").
 */
export function detectFlavor(variables: Readonly<Record<string, string | null | undefined>>): {
  flavor: Flavor;
  source: string;
} {
  const version = variables.version ?? "";
  const comment = variables.version_comment ?? "";
  if (variables.aurora_version) {
    return {
      flavor: "aurora-mysql",
      source: `aurora_version is ${variables.aurora_version} (version ${version}, version_comment '${comment}')`,
    };
  }
  if (/mariadb/i.test(`${version} ${comment}`)) {
    return {
      flavor: "mariadb",
      source: `version '${version}'${/mariadb/i.test(version) ? "" : ` with version_comment '${comment}'`} names MariaDB`,
    };
  }
  if (/^\d+\.\d+\.\d+/.test(version)) {
    return {
      flavor: "mysql",
      source: `numeric version '${version}' (version_comment '${comment}'), not MariaDB and no aurora_version: a MySQL build`,
    };
  }
  return {
    flavor: "unknown",
    source: `version '${version}' is not a MySQL version number and names no known server`,
  };
}

export async function readServerFacts(conn: AdminConnection): Promise<ServerFacts> {
  const names = VARIABLES_THAT_MATTER.map((name) => `'${name}'`).join(",");
  const [rows] = await conn.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names})`);
  const variables: Record<string, string> = {};
  for (const row of rows as { Variable_name: string; Value: string }[])
    variables[row.Variable_name] = row.Value;
  const version = variables.version ?? "unknown";
  const { flavor, source } = detectFlavor(variables);
  return { version, flavor, flavorSource: source, variables };
}

/** A server's boolean setting or status as it prints it: ON, 1, YES or TRUE (any case). */
export function isOn(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && /^(1|on|yes|true)$/i.test(value);
}

/** True when the server is a Galera node with replication on (MariaDB Galera, Percona XtraDB Cluster). */
export function isGaleraNode(facts: Pick<ServerFacts, "variables">): boolean {
  return isOn(facts.variables.wsrep_on);
}

/**
 * The counters the client's counts are checked against. A prepared statement's execution counts in
 * Com_stmt_execute and in its kind's counter too (Com_select...), as MariaDB 10.11 was seen to count
 * it (binary-protocol.int.test.ts): both are checked with the binary protocol (result/counting.ts).
 */
export const COUNTERS = [
  "Com_select",
  "Com_insert",
  "Com_update",
  "Com_delete",
  "Com_begin",
  "Com_commit",
  "Com_rollback",
  "Com_stmt_prepare",
  "Com_stmt_execute",
] as const;
export type CounterName = (typeof COUNTERS)[number];

/**
 * The storage engine's I/O over the window, read with the counters but never checked against the
 * client (it sends no I/O): the server's work per transaction is figured from them (result/server-work.ts).
 */
export const WORK_COUNTERS = [
  "Innodb_data_reads",
  "Innodb_data_writes",
  "Innodb_data_written",
  "Innodb_data_fsyncs",
  "Innodb_log_writes",
  "Innodb_os_log_written",
] as const;
export type WorkCounterName = (typeof WORK_COUNTERS)[number];

/**
 * Only the counters the server reports: TiDB and some proxies have no Com_* at all. Uptime comes
 * along to tell a window the server restarted in (its counters started again from zero).
 */
export type Counters = Partial<Record<CounterName | WorkCounterName | "Uptime" | "readAtMs", number>>;

export async function readCounters(conn: AdminConnection): Promise<Counters> {
  const all = [...COUNTERS, ...WORK_COUNTERS, "Uptime" as const];
  const names = all.map((name) => `'${name}'`).join(",");
  const [rows] = await conn.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${names})`);
  const counters: Counters = {};
  for (const row of rows as { Variable_name: string; Value: string }[]) {
    const name = all.find((c) => c.toLowerCase() === row.Variable_name.toLowerCase());
    if (name) counters[name] = Number(row.Value);
  }
  counters.readAtMs = Date.now();
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

/** The I/O counters' increase over a window (the ones the server reports); compared with nothing. */
export function workCounterDelta(
  before: Counters,
  after: Counters,
): Partial<Record<WorkCounterName, number>> {
  const delta: Partial<Record<WorkCounterName, number>> = {};
  for (const name of WORK_COUNTERS) {
    const a = after[name];
    const b = before[name];
    if (a !== undefined && b !== undefined && a >= b) delta[name] = a - b;
  }
  return delta;
}

/**
 * The counters' increase over a window, or null (and a note in the tool's words) when the server
 * restarted in it: its Uptime is short of what the clock says, so every counter started again.
 */
export function counterDeltaOrNote(before: Counters, after: Counters, notes: string[]): Counters | null {
  const { Uptime: upBefore, readAtMs: atBefore } = before;
  const { Uptime: upAfter, readAtMs: atAfter } = after;
  if (upBefore !== undefined && upAfter !== undefined && atBefore !== undefined && atAfter !== undefined) {
    // Without a restart Uptime grows with the clock; whole seconds, so 2 s of slack.
    const expectedS = upBefore + (atAfter - atBefore) / 1000;
    if (upAfter < expectedS - RESTART_SLACK_S) {
      notes.push(
        `the server restarted during the measured phase (up ${upAfter} s at its end, ${Math.round(expectedS)} s without a restart), so its counters started again: no counter check`,
      );
      return null;
    }
  }
  return counterDelta(before, after);
}

const RESTART_SLACK_S = 2;

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
