import type { AdminConnection } from "./connection.js";
import { errorCode } from "./connection.js";
import { type Flavor, isGaleraNode, isOn, readServerFacts, type ServerFacts } from "./facts.js";
import {
  type AuroraTopology,
  auroraTopology,
  type CatchUpMethod,
  checkReplication,
  type GaleraState,
  type ReplicaStatus,
  readAuroraMembers,
  readGaleraState,
  readVariable,
  serverIdentityKey,
} from "./replication.js";

/**
 * What the tool can tell about a target before any load: what it is and how that was decided,
 * its place in a topology, the privileges it grants and what each run needs of them, the settings
 * that move the figures, and what a run will do there. `doctor` prints it; every result stores it.
 */
export interface TargetInspection {
  flavor: Flavor;
  flavorSource: string;
  version: string;
  /** The server this connection reached (instance id, server_id and host). */
  server: string;
  /** In words: "Aurora writer ...", "binlog replica of ...", "Galera node ...", "standalone ...". */
  role: string;
  aurora: (AuroraTopology & { instance: string; readOnly: boolean }) | null;
  galera: GaleraState | null;
  /** This server's own replication channels, when it is a binlog replica. */
  replicaOf: ReplicaStatus[];
  binaryLog: { on: boolean; format: string | null; gtidMode: string | null };
  privileges: PrivilegeReport;
  settings: SettingNote[];
  plan: RunPlan;
  warnings: string[];
}

export interface SettingNote {
  name: string;
  value: string | null;
  /** Why it moves the figures. */
  why: string;
}

export interface PrivilegeNeed {
  /** What the tool does with it. */
  what: string;
  privileges: string[];
  /** True: every one of `privileges` is needed; false: any one is enough. */
  all: boolean;
  have: boolean | null;
  /** What happens without it. */
  without: string;
}

export interface PrivilegeReport {
  /** False when information_schema could not be read: needs are then unknown (have: null). */
  checked: boolean;
  global: string[];
  /** Privileges on the target's database (schema level). */
  database: string[];
  needs: PrivilegeNeed[];
}

export interface RunPlan {
  /** How replicas of this server would be shown caught up between replica-lag steps. */
  catchUp: CatchUpMethod | "none";
  catchUpWhy: string;
  /** How crash-recovery would crash it, or what it needs. */
  crash: string;
  counterCheck: { available: boolean; why: string };
  faults: { available: boolean; why: string };
}

/** Settings that move the figures (hackmysql: the redo log's size alone moved writes/s 4x). */
const SETTINGS: readonly { names: string[]; why: string }[] = [
  {
    names: ["innodb_flush_log_at_trx_commit"],
    why: "1 flushes the redo log at every commit (durable, as Aurora); 0 or 2 trade durability for speed",
  },
  { names: ["sync_binlog"], why: "1 syncs the binary log at every commit; 0 leaves it to the OS" },
  { names: ["log_bin"], why: "a binary log costs every write, and replicas need it" },
  { names: ["innodb_buffer_pool_size"], why: "a dataset that does not fit is read from disk" },
  {
    names: ["innodb_redo_log_capacity", "innodb_log_file_size"],
    why: "a small redo log forces checkpoints that throttle writes; a large one lengthens crash recovery",
  },
  {
    names: ["thread_handling"],
    why: "one thread per connection (MySQL Community, RDS) or a pool; thousands of connections behave differently",
  },
  { names: ["max_connections"], why: "must hold every load connection plus the tool's own" },
  {
    names: ["replica_parallel_workers", "slave_parallel_threads", "slave_parallel_workers"],
    why: "parallel apply on a replica decides how far it falls behind",
  },
  {
    names: ["replica_parallel_type", "slave_parallel_type", "slave_parallel_mode"],
    why: "how a replica applies in parallel; MySQL's DATABASE (its default before 8.0.27) applies one schema at a time, none for one sbtest schema",
  },
  { names: ["wsrep_slave_threads"], why: "Galera: threads applying other nodes' writes" },
  { names: ["transaction_isolation", "tx_isolation"], why: "isolation level of the load's transactions" },
];

function settingNotes(facts: ServerFacts): SettingNote[] {
  const out: SettingNote[] = [];
  for (const setting of SETTINGS) {
    if (setting.names.includes("wsrep_slave_threads") && !isGaleraNode(facts)) continue;
    const name = setting.names.find((n) => facts.variables[n] !== undefined);
    if (name) out.push({ name, value: facts.variables[name] ?? null, why: setting.why });
  }
  return out;
}

async function readPrivileges(
  conn: AdminConnection,
  database: string,
): Promise<{ global: string[]; database: string[] } | null> {
  try {
    const grantee =
      "CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')";
    const [globalRows] = await conn.query(
      `SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${grantee}`,
    );
    const [schemaRows] = await conn.query(
      `SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ${grantee} AND ? LIKE TABLE_SCHEMA`,
      [database],
    );
    const names = (rows: unknown) =>
      (rows as { PRIVILEGE_TYPE: string }[]).map((r) => r.PRIVILEGE_TYPE.toUpperCase());
    return { global: names(globalRows), database: names(schemaRows) };
  } catch (error) {
    if (["1142", "1044", "1045", "1227"].includes(errorCode(error))) return null;
    throw error;
  }
}

function privilegeNeeds(
  granted: { global: string[]; database: string[] } | null,
  facts: ServerFacts,
): PrivilegeNeed[] {
  const has = (any: string[], schemaToo = false): boolean | null => {
    if (!granted) return null;
    const pool = new Set([...granted.global, ...(schemaToo ? granted.database : [])]);
    return pool.has("ALL PRIVILEGES") || any.some((p) => pool.has(p));
  };
  const hasAll = (all: string[]): boolean | null => {
    if (!granted) return null;
    const pool = new Set([...granted.global, ...granted.database]);
    return pool.has("ALL PRIVILEGES") || all.every((p) => pool.has(p));
  };
  // MariaDB 10.5 split REPLICATION CLIENT into BINLOG MONITOR and SLAVE MONITOR.
  const monitor =
    facts.flavor === "mariadb"
      ? ["SLAVE MONITOR", "REPLICA MONITOR", "REPLICATION CLIENT", "SUPER"]
      : ["REPLICATION CLIENT", "SUPER"];
  const binlogMonitor =
    facts.flavor === "mariadb"
      ? ["BINLOG MONITOR", "REPLICATION CLIENT", "SUPER"]
      : ["REPLICATION CLIENT", "SUPER"];
  return [
    {
      what: "create and load the sbtest tables, run the load",
      privileges: ["CREATE", "DROP", "INSERT", "SELECT", "UPDATE", "DELETE"],
      all: true,
      have: hasAll(["CREATE", "DROP", "INSERT", "SELECT", "UPDATE", "DELETE"]),
      without: "no run can prepare its dataset",
    },
    {
      what: "read a replica's replication status (replica-lag on binlog replicas)",
      privileges: monitor,
      all: false,
      have: has(monitor),
      without: "replica-lag refuses the replica (exit 3) instead of guessing it replicates",
    },
    {
      what: "read the primary's binary log position (catch-up with GTIDs off)",
      privileges: binlogMonitor,
      all: false,
      have: has(binlogMonitor),
      without: "catch-up between steps falls back to a token written and read back",
    },
    {
      what: "dump the buffer pool before a sandbox crash (warm restart)",
      privileges: ["SYSTEM_VARIABLES_ADMIN", "SUPER"],
      all: false,
      have: has(["SYSTEM_VARIABLES_ADMIN", "SUPER"]),
      without: "only the sandbox is crashed this way; a given target uses its own crash method",
    },
  ];
}

function catchUpPlan(facts: ServerFacts, galera: boolean): { method: CatchUpMethod | "none"; why: string } {
  if (facts.flavor === "aurora-mysql")
    return {
      method: "heartbeat",
      why: "Aurora readers share the writer's storage: no log position to wait on",
    };
  if (galera)
    return { method: "heartbeat", why: "Galera nodes certify writes, they do not replay a log position" };
  if (!isOn(facts.variables.log_bin))
    return { method: "none", why: "no binary log: no binlog replica can follow this server" };
  if (facts.flavor === "mariadb")
    return { method: "gtid", why: "MariaDB logs every transaction with a GTID" };
  if ((facts.variables.gtid_mode ?? "").toUpperCase() === "ON")
    return { method: "gtid", why: "gtid_mode is ON" };
  return {
    method: "binlog-position",
    why: `gtid_mode is ${facts.variables.gtid_mode ?? "absent"}: replicas wait on the binary log file and position`,
  };
}

function describeRole(
  facts: ServerFacts,
  aurora: TargetInspection["aurora"],
  galera: GaleraState | null,
  replicaOf: ReplicaStatus[],
): string {
  if (aurora) {
    const stale = aurora.stale.length > 0 ? `; ${aurora.stale.length} stale row(s) ignored` : "";
    const readers = `${aurora.readers.length} reader(s)${aurora.readers.length > 0 ? `: ${aurora.readers.join(", ")}` : ""}`;
    return aurora.writer === aurora.instance
      ? `Aurora writer ${aurora.instance}; cluster has ${readers}${stale}`
      : `Aurora reader ${aurora.instance} of writer ${aurora.writer ?? "unknown"}; cluster has ${readers}${stale}`;
  }
  if (galera) {
    return `Galera node (${galera.member}), ${galera.state} in a ${galera.clusterStatus} component of ${galera.clusterSize} node(s), cluster ${galera.clusterUuid}`;
  }
  if (replicaOf.length > 0) {
    return `binlog replica of ${replicaOf.map((c) => `${c.sourceHost}:${c.sourcePort ?? "?"} (IO ${c.ioThread}, SQL ${c.sqlThread})`).join(", ")}`;
  }
  return isOn(facts.variables.log_bin)
    ? "primary or standalone (binary log on, not a replica)"
    : "standalone (no binary log, not a replica)";
}

/**
 * Reads everything the tool needs to know about a target. Replication status needs a privilege the
 * user may lack; then that part is empty and a warning says so.
 */
export async function inspectTarget(
  conn: AdminConnection,
  options: { database: string; sandbox?: "mariadb" | "galera"; facts?: ServerFacts },
): Promise<TargetInspection> {
  const facts = options.facts ?? (await readServerFacts(conn));
  const warnings: string[] = [];
  const server = await serverIdentityKey(conn);
  let aurora: TargetInspection["aurora"] = null;
  if (facts.flavor === "aurora-mysql") {
    const instance = (await readVariable(conn, "aurora_server_id")) ?? "unknown";
    const readOnly = isOn(await readVariable(conn, "innodb_read_only"));
    aurora = { ...auroraTopology(await readAuroraMembers(conn)), instance, readOnly };
  }
  const galeraOn = isGaleraNode(facts);
  const galera = galeraOn ? await readGaleraState(conn) : null;
  if (galera && (galera.state !== "Synced" || galera.clusterStatus !== "Primary"))
    warnings.push(
      `Galera node is ${galera.state} in a ${galera.clusterStatus} component: it cannot take the load`,
    );
  let replicaOf: ReplicaStatus[] = [];
  try {
    replicaOf = await checkReplication(conn);
  } catch (error) {
    warnings.push(`replication status not readable: ${(error as Error).message}`);
  }
  const granted = await readPrivileges(conn, options.database);
  if (!granted) warnings.push("privileges not readable from information_schema; what a run needs is unknown");
  const needs = privilegeNeeds(granted, facts);
  for (const need of needs.filter((n) => n.have === false && n.what.startsWith("create")))
    warnings.push(`missing privilege to ${need.what} (${need.privileges.join(", ")}): ${need.without}`);
  const [counterRows] = await conn.query("SHOW GLOBAL STATUS LIKE 'Com_commit'");
  const counters = (counterRows as unknown[]).length > 0;
  const catchUp = catchUpPlan(facts, galeraOn);
  const crash =
    options.sandbox === "galera"
      ? "SIGKILL of the node taking writes; the load fails over to the next node of the URL's host list"
      : options.sandbox === "mariadb"
        ? "SIGKILL of the sandbox server and a restart on its data directory (warm and cold)"
        : facts.flavor === "aurora-mysql"
          ? "ALTER SYSTEM CRASH INSTANCE (warm) and NODE (cold); Aurora restarts the instance itself"
          : "needs --crash-command (and --restart-command if it does not come back by itself)";
  if (facts.flavor === "unknown")
    warnings.push(`flavor unknown (${facts.flavorSource}): catch-up by token, no Aurora or sandbox crash`);
  return {
    flavor: facts.flavor,
    flavorSource: facts.flavorSource,
    version: facts.version,
    server,
    role: describeRole(facts, aurora, galera, replicaOf),
    aurora,
    galera,
    replicaOf,
    binaryLog: {
      on: isOn(facts.variables.log_bin),
      format: facts.variables.binlog_format ?? null,
      gtidMode: facts.variables.gtid_mode ?? null,
    },
    privileges: {
      checked: granted !== null,
      global: granted?.global ?? [],
      database: granted?.database ?? [],
      needs,
    },
    settings: settingNotes(facts),
    plan: {
      catchUp: catchUp.method,
      catchUpWhy: catchUp.why,
      crash,
      counterCheck: counters
        ? { available: true, why: "Com_* counters readable: the client's counts are checked against them" }
        : { available: false, why: "the server reports no Com_* counters: no counter check" },
      faults:
        facts.flavor === "aurora-mysql"
          ? { available: true, why: "ALTER SYSTEM SIMULATE (aurora-faults scenario)" }
          : { available: false, why: "fault injection is Aurora's ALTER SYSTEM SIMULATE" },
    },
    warnings,
  };
}
