import { TargetError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import { type AdminConnection, errorCode, openAdminConnection } from "./connection.js";
import { isGaleraNode, isOn, readServerFacts } from "./facts.js";
import type { TargetSpec } from "./url.js";

/**
 * One replication channel of a replica, from SHOW REPLICA STATUS / SHOW SLAVE STATUS. MySQL 8.0.22+
 * says Replica_ and Source_ where MariaDB and older MySQL say Slave_ and Master_; both are read.
 */
export interface ReplicaStatus {
  /** "" for the default channel (MySQL Channel_Name, MariaDB Connection_name). */
  channel: string;
  /** As the server says it: "Yes", "No", "Connecting" or "Preparing". Only "Yes" is running. */
  ioThread: string;
  sqlThread: string;
  ioRunning: boolean;
  sqlRunning: boolean;
  /** Seconds_Behind_Master/Source; null when the server reports NULL (a thread stopped or not connected). */
  secondsBehindSource: number | null;
  /** Where the replica connects to, as configured on the replica (its own view of the network). */
  sourceHost: string;
  sourcePort: number | null;
  /** server_id of the source, learnt when the IO thread connected; null when it never did. */
  sourceServerId: number | null;
  /** MySQL only (MariaDB has no server_uuid): the source's server_uuid, unique per server. */
  sourceUuid: string | null;
  lastIoError: string;
  lastSqlError: string;
  /** MariaDB Using_Gtid ("Slave_Pos", "Current_Pos", "No"); MySQL Auto_Position ("1", "0"). */
  gtid: string | null;
}

type Row = Record<string, unknown>;

function pick(row: Row, ...names: string[]): unknown {
  for (const name of names) if (row[name] !== undefined) return row[name];
  return undefined;
}

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

function count(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Reads one row of SHOW REPLICA STATUS / SHOW SLAVE STATUS / SHOW ALL SLAVES STATUS, either spelling. */
export function parseReplicaStatus(row: Row): ReplicaStatus {
  const ioThread = text(pick(row, "Replica_IO_Running", "Slave_IO_Running"));
  const sqlThread = text(pick(row, "Replica_SQL_Running", "Slave_SQL_Running"));
  const serverId = count(pick(row, "Source_Server_Id", "Master_Server_Id"));
  const uuid = text(pick(row, "Source_UUID", "Master_UUID"));
  const gtid = pick(row, "Auto_Position", "Using_Gtid");
  return {
    channel: text(pick(row, "Channel_Name", "Connection_name")),
    ioThread,
    sqlThread,
    ioRunning: ioThread === "Yes",
    sqlRunning: sqlThread === "Yes",
    secondsBehindSource: count(pick(row, "Seconds_Behind_Source", "Seconds_Behind_Master")),
    sourceHost: text(pick(row, "Source_Host", "Master_Host")),
    sourcePort: count(pick(row, "Source_Port", "Master_Port")),
    // 0 means the IO thread has not connected since the channel was configured.
    sourceServerId: serverId === 0 ? null : serverId,
    sourceUuid: uuid || null,
    lastIoError: text(pick(row, "Last_IO_Error")),
    lastSqlError: text(pick(row, "Last_SQL_Error")),
    gtid: gtid === undefined || gtid === null ? null : String(gtid),
  };
}

const ER_PARSE_ERROR = "1064";
const ER_SPECIFIC_ACCESS_DENIED = "1227";
const ER_ACCESS_DENIED = "1045";

async function isMariaDb(conn: AdminConnection): Promise<boolean> {
  const [rows] = await conn.query("SELECT VERSION() AS version");
  return /mariadb/i.test(String((rows as { version: string }[])[0]?.version ?? ""));
}

/**
 * The replication channels of the server behind `conn`; empty when it is not a replica. MariaDB is
 * asked SHOW ALL SLAVES STATUS (every named connection of multi-source replication, not only the
 * default one); MySQL SHOW REPLICA STATUS (8.0.22+), else SHOW SLAVE STATUS (gone in 8.4).
 */
export async function checkReplication(conn: AdminConnection): Promise<ReplicaStatus[]> {
  const statements = (await isMariaDb(conn))
    ? ["SHOW ALL SLAVES STATUS"]
    : ["SHOW REPLICA STATUS", "SHOW SLAVE STATUS"];
  for (const [i, sql] of statements.entries()) {
    try {
      const [rows] = await conn.query(sql);
      return (rows as Row[]).map(parseReplicaStatus);
    } catch (error) {
      const code = errorCode(error);
      if (code === ER_PARSE_ERROR && i < statements.length - 1) continue;
      if (code === ER_SPECIFIC_ACCESS_DENIED || code === ER_ACCESS_DENIED) {
        throw new TargetError(
          `cannot read the replication status: the user needs the REPLICATION CLIENT privilege (MariaDB: SLAVE MONITOR) (${code})`,
        );
      }
      throw error;
    }
  }
  return [];
}

/** What a server says about itself, to tell whether a replica's source is this server. */
export interface ServerIdentity {
  serverId: number;
  /** MySQL only. */
  serverUuid: string | null;
  /** @@hostname: the machine (or container) the server runs on, as the server sees it. */
  hostname: string;
  /** @@port: the port the server listens on, whatever a proxy or tunnel in front of it uses. */
  port: number;
}

export async function readServerIdentity(conn: AdminConnection): Promise<ServerIdentity> {
  const [rows] = await conn.query(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_id', 'server_uuid', 'hostname', 'port')",
  );
  const vars: Record<string, string> = {};
  for (const row of rows as { Variable_name: string; Value: string }[]) vars[row.Variable_name] = row.Value;
  return {
    serverId: Number(vars.server_id ?? 0),
    serverUuid: vars.server_uuid || null,
    hostname: vars.hostname ?? "",
    port: Number(vars.port ?? 0),
  };
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;

/**
 * Why a channel's source is certainly not `primary`, or undefined when nothing contradicts it. Only
 * evidence that cannot be wrong counts:
 * - server_uuid (MySQL): unique per server, so a different one is a different server;
 * - server_id: a different one is a different server (an equal one proves nothing: every server
 *   starts with server_id 1 unless told otherwise);
 * - host and port, only when the replica and the primary run on the same machine (same @@hostname)
 *   and the replica connects to a loopback address: then the source is the server on that machine
 *   listening on that port, which the primary's own @@port can confirm. Across machines, the address
 *   a replica uses (private DNS, a VPC address) and the one this tool uses (a public endpoint, a
 *   proxy, a tunnel) differ for the same server, so addresses are not compared.
 * MariaDB servers with equal server_ids on different machines therefore cannot be told apart
 * without writing on the primary and reading the row back on the replica.
 */
export function sourceMismatch(
  channel: ReplicaStatus,
  primary: ServerIdentity,
  replica: ServerIdentity,
): string | undefined {
  if (channel.sourceUuid && primary.serverUuid && channel.sourceUuid !== primary.serverUuid) {
    return `source server_uuid ${channel.sourceUuid}, primary's is ${primary.serverUuid}`;
  }
  if (channel.sourceServerId !== null && channel.sourceServerId !== primary.serverId) {
    return `source server_id ${channel.sourceServerId}, primary's is ${primary.serverId}`;
  }
  const sameMachine = replica.hostname !== "" && replica.hostname === primary.hostname;
  if (sameMachine && LOOPBACK.test(channel.sourceHost) && channel.sourcePort !== primary.port) {
    return `source is port ${channel.sourcePort} on the same machine, the primary listens on ${primary.port}`;
  }
  return undefined;
}

function describeSource(channel: ReplicaStatus): string {
  const id = channel.sourceServerId === null ? "" : ` (server_id ${channel.sourceServerId})`;
  return `${channel.sourceHost}:${channel.sourcePort ?? "?"}${id}`;
}

/**
 * How replicas were shown to have applied everything the primary committed:
 * - gtid: the primary's GTID set, waited for on each replica (MASTER_GTID_WAIT, WAIT_FOR_EXECUTED_GTID_SET);
 * - binlog-position: the primary's binary log file and position, waited for on each replica
 *   (SOURCE_POS_WAIT / MASTER_POS_WAIT), for replicas with GTIDs off;
 * - heartbeat: a new token written on the primary and read back on each replica, for servers with
 *   no position to wait on (Aurora readers share storage; Galera nodes certify, not replay a log).
 */
export type CatchUpMethod = "gtid" | "binlog-position" | "heartbeat";

/** What assertReplicating found on one replica. */
export interface ReplicationCheck {
  replica: string;
  /** binlog: a MySQL/MariaDB replica; aurora: a reader of the writer's cluster; galera: a node of its cluster. */
  kind: "binlog" | "aurora" | "galera";
  /** binlog only: the channel whose source is the primary. */
  channel: ReplicaStatus | null;
  /** What showed the replica belongs to the primary: "server_uuid", "server_id", "host:port", "replica_host_status", "wsrep_cluster_state_uuid". */
  checkedBy: string[];
  /** aurora: the reader's @@aurora_server_id; galera: the node's wsrep_gcomm_uuid or index. */
  member?: string;
}

function evidence(channel: ReplicaStatus, primary: ServerIdentity, replica: ServerIdentity): string[] {
  const out: string[] = [];
  if (channel.sourceUuid && primary.serverUuid) out.push("server_uuid");
  if (channel.sourceServerId !== null) out.push("server_id");
  if (replica.hostname !== "" && replica.hostname === primary.hostname && LOOPBACK.test(channel.sourceHost)) {
    out.push("host:port");
  }
  return out;
}

/**
 * Which server a connection reached, as a key that differs between servers: Aurora's instance id,
 * else server_uuid (MySQL), server_id, host name and port. A DNS round-robin endpoint (an Aurora
 * reader endpoint, a proxy) can put two connections to one URL on two servers; comparing keys
 * tells.
 */
export async function serverIdentityKey(conn: AdminConnection): Promise<string> {
  const aurora = await readVariable(conn, "aurora_server_id");
  if (aurora) return `aurora_server_id ${aurora}`;
  const identity = await readServerIdentity(conn);
  const uuid = identity.serverUuid ? ` (server_uuid ${identity.serverUuid})` : "";
  return `server_id ${identity.serverId} on ${identity.hostname || "?"}:${identity.port}${uuid}`;
}

/** Rows older than this in replica_host_status are instances gone from the cluster (AWS's drivers filter so). */
export const AURORA_STALE_AFTER_S = 300;

/** One variable of the server as text; null when the server has no such variable (error 1193). */
export async function readVariable(conn: AdminConnection, name: string): Promise<string | null> {
  try {
    const [rows] = await conn.query(`SELECT @@GLOBAL.${name} AS v`);
    const value = (rows as { v: unknown }[])[0]?.v;
    return value === null || value === undefined ? null : String(value);
  } catch (error) {
    if (errorCode(error) === "1193") return null;
    throw error;
  }
}

/** The cluster as Aurora lists it: every instance, with how old its row is. */
export async function readAuroraMembers(conn: AdminConnection): Promise<AuroraReplicaLag[]> {
  const [rows] = await conn.query(
    "SELECT SERVER_ID, SESSION_ID, LAST_UPDATE_TIMESTAMP, REPLICA_LAG_IN_MILLISECONDS, TIMESTAMPDIFF(SECOND, LAST_UPDATE_TIMESTAMP, NOW()) AS AGE_S FROM information_schema.replica_host_status",
  );
  return parseAuroraReplicaRows(rows as Row[]);
}

/** The writer and readers of an Aurora cluster, stale rows set apart. */
export interface AuroraTopology {
  writer: string | null;
  readers: string[];
  /** Instances whose row was last updated more than AURORA_STALE_AFTER_S ago (deleted or gone). */
  stale: string[];
}

export function auroraTopology(members: readonly AuroraReplicaLag[]): AuroraTopology {
  const fresh = members.filter((m) => m.isWriter || m.ageS === null || m.ageS <= AURORA_STALE_AFTER_S);
  // A writer row survives the age filter even when stale (a former writer after a failover):
  // the most recently updated one is the writer.
  const writers = fresh.filter((m) => m.isWriter).sort((a, b) => (a.ageS ?? 0) - (b.ageS ?? 0));
  return {
    writer: writers[0]?.serverId ?? null,
    readers: fresh.filter((m) => !m.isWriter).map((m) => m.serverId),
    stale: members.filter((m) => !fresh.includes(m)).map((m) => m.serverId),
  };
}

/**
 * Aurora readers are not binlog replicas: they read the writer's storage and SHOW REPLICA STATUS
 * is empty. A reader belongs to the writer when the writer's @@aurora_server_id is the row with
 * SESSION_ID = 'MASTER_SESSION_ID' in information_schema.replica_host_status, the reader's own id
 * is another (fresh) row, and the reader is read-only (@@innodb_read_only = 1).
 */
export async function checkAuroraReaders(
  primary: TargetSpec,
  writerConn: AdminConnection,
  replicas: readonly { spec: TargetSpec; conn: AdminConnection }[],
): Promise<ReplicationCheck[]> {
  const writerId = await readVariable(writerConn, "aurora_server_id");
  const topology = auroraTopology(await readAuroraMembers(writerConn));
  if (!writerId || topology.writer !== writerId) {
    throw new TargetError(
      `${primary.displayUrl} is not the writer of its Aurora cluster (it is ${writerId ?? "unknown"}, the writer is ${topology.writer ?? "not listed"}); give the cluster endpoint or the writer instance's endpoint as --target`,
    );
  }
  const checks: ReplicationCheck[] = [];
  for (const { spec, conn } of replicas) {
    const readerId = await readVariable(conn, "aurora_server_id");
    const readOnly = await readVariable(conn, "innodb_read_only");
    if (!readerId)
      throw new TargetError(`${spec.displayUrl} is not an Aurora MySQL instance (no @@aurora_server_id)`);
    if (readerId === writerId) {
      throw new TargetError(
        `${spec.displayUrl} is the writer ${writerId} itself, not a reader; give each reader's instance endpoint as --replica`,
      );
    }
    if (!topology.readers.includes(readerId)) {
      const why = topology.stale.includes(readerId)
        ? `its row in replica_host_status was last updated over ${AURORA_STALE_AFTER_S} s ago`
        : `the writer's replica_host_status lists ${topology.readers.join(", ") || "no readers"}`;
      throw new TargetError(
        `${spec.displayUrl} (${readerId}) is not a reader of ${writerId}'s cluster: ${why}`,
      );
    }
    if (!isOn(readOnly)) {
      throw new TargetError(
        `${spec.displayUrl} (${readerId}) is not read-only (@@innodb_read_only = ${readOnly}); an Aurora reader is`,
      );
    }
    checks.push({
      replica: spec.displayUrl,
      kind: "aurora",
      channel: null,
      checkedBy: ["replica_host_status", "innodb_read_only"],
      member: readerId,
    });
  }
  return checks;
}

/** A Galera node's own view of its cluster. */
export interface GaleraState {
  /** wsrep_local_state_comment: Synced, Donor/Desynced, Joining, Joined, Initialized... */
  state: string;
  /** wsrep_cluster_status: Primary, or non-Primary when the node lost quorum. */
  clusterStatus: string;
  clusterUuid: string;
  clusterSize: number;
  ready: boolean;
  /** This node in the group: wsrep_gcomm_uuid, else its wsrep_local_index. */
  member: string;
}

export async function readGaleraState(conn: AdminConnection): Promise<GaleraState> {
  const [rows] = await conn.query(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_cluster_state_uuid', 'wsrep_cluster_size', 'wsrep_ready', 'wsrep_gcomm_uuid', 'wsrep_local_index')",
  );
  const status: Record<string, string> = {};
  for (const row of rows as { Variable_name: string; Value: string }[])
    status[row.Variable_name.toLowerCase()] = String(row.Value);
  return {
    state: status.wsrep_local_state_comment ?? "",
    clusterStatus: status.wsrep_cluster_status ?? "",
    clusterUuid: status.wsrep_cluster_state_uuid ?? "",
    clusterSize: Number(status.wsrep_cluster_size ?? 0),
    ready: isOn(status.wsrep_ready),
    member: status.wsrep_gcomm_uuid || `index ${status.wsrep_local_index ?? "?"}`,
  };
}

/** Why a Galera node cannot serve as a replica of `primary`'s cluster, or undefined when it can. */
export function galeraMismatch(primary: GaleraState, node: GaleraState): string | undefined {
  if (node.clusterUuid !== primary.clusterUuid) {
    return `it is in cluster ${node.clusterUuid || "none"}, the target's is ${primary.clusterUuid}`;
  }
  if (node.member === primary.member) return "it is the target's own node";
  if (node.state !== "Synced") return `it is ${node.state || "in no state"}, not Synced`;
  if (node.clusterStatus !== "Primary")
    return `its cluster status is ${node.clusterStatus}, not Primary (no quorum)`;
  if (!node.ready) return "wsrep_ready is OFF: it does not accept queries";
  return undefined;
}

async function checkGaleraNodes(
  primary: TargetSpec,
  primaryConn: AdminConnection,
  replicas: readonly { spec: TargetSpec; conn: AdminConnection }[],
): Promise<ReplicationCheck[]> {
  const own = await readGaleraState(primaryConn);
  if (own.state !== "Synced" || own.clusterStatus !== "Primary") {
    throw new TargetError(
      `${primary.displayUrl} is a Galera node that is ${own.state} in a ${own.clusterStatus} component; it must be Synced in the Primary component`,
    );
  }
  const checks: ReplicationCheck[] = [];
  for (const { spec, conn } of replicas) {
    const node = await readGaleraState(conn);
    const why = galeraMismatch(own, node);
    if (why)
      throw new TargetError(
        `${spec.displayUrl} is not a usable node of ${primary.displayUrl}'s Galera cluster: ${why}`,
      );
    checks.push({
      replica: spec.displayUrl,
      kind: "galera",
      channel: null,
      checkedBy: ["wsrep_cluster_state_uuid", "wsrep_local_state_comment"],
      member: node.member,
    });
  }
  return checks;
}

async function checkBinlogReplica(
  primary: TargetSpec,
  primaryIdentity: ServerIdentity,
  replica: TargetSpec,
  conn: AdminConnection,
): Promise<ReplicationCheck> {
  const name = replica.displayUrl;
  const identity = await readServerIdentity(conn);
  const channels = await checkReplication(conn);
  if (channels.length === 0) {
    throw new TargetError(`${name} is not a replica: it reports no replication status`);
  }
  const mismatches = channels.map((c) => sourceMismatch(c, primaryIdentity, identity));
  const index = mismatches.indexOf(undefined);
  const channel = channels[index];
  if (!channel) {
    const first = channels[0] as ReplicaStatus;
    throw new TargetError(
      `${name} replicates from ${describeSource(first)}, not from ${primary.displayUrl}: ${mismatches[0]}`,
    );
  }
  if (!channel.ioRunning || !channel.sqlRunning) {
    const lastError = channel.lastIoError || channel.lastSqlError || "none";
    throw new TargetError(
      `${name}: replication from ${primary.displayUrl} is stopped (IO thread ${channel.ioThread || "?"}, SQL thread ${channel.sqlThread || "?"}; last error: ${redactText(lastError, [replica.password, primary.password])})`,
    );
  }
  return { replica: name, kind: "binlog", channel, checkedBy: evidence(channel, primaryIdentity, identity) };
}

/**
 * Fails with a one-line TargetError unless every replica follows the primary: for binlog
 * replication, a channel whose source is the primary (as far as sourceMismatch can tell) with its
 * IO and SQL threads running; for Aurora, a reader of the writer's cluster; for Galera, a Synced
 * node of the same cluster. Which applies is decided by the primary's flavor.
 */
export async function assertReplicating(
  primary: TargetSpec,
  replicas: readonly TargetSpec[],
  open: (spec: TargetSpec) => Promise<AdminConnection> = (spec) => openAdminConnection(spec, false),
): Promise<ReplicationCheck[]> {
  const primaryConn = await open(primary);
  const opened: AdminConnection[] = [primaryConn];
  try {
    const facts = await readServerFacts(primaryConn);
    const conns: { spec: TargetSpec; conn: AdminConnection }[] = [];
    for (const spec of replicas) {
      const conn = await open(spec);
      opened.push(conn);
      conns.push({ spec, conn });
    }
    if (facts.flavor === "aurora-mysql") return await checkAuroraReaders(primary, primaryConn, conns);
    if (isGaleraNode(facts)) return await checkGaleraNodes(primary, primaryConn, conns);
    const primaryIdentity = await readServerIdentity(primaryConn);
    const checks: ReplicationCheck[] = [];
    for (const { spec, conn } of conns)
      checks.push(await checkBinlogReplica(primary, primaryIdentity, spec, conn));
    return checks;
  } finally {
    await Promise.all(opened.map((conn) => conn.end()));
  }
}

/** One row of Aurora MySQL's information_schema.replica_host_status (the writer and each reader). */
export interface AuroraReplicaLag {
  /** The DB instance identifier. */
  serverId: string;
  /** "MASTER_SESSION_ID" for the writer, a UUID for a reader. */
  sessionId: string;
  isWriter: boolean;
  /** REPLICA_LAG_IN_MILLISECONDS; null when Aurora leaves it empty. */
  lagMs: number | null;
  lastUpdate: string | null;
  /** Seconds since LAST_UPDATE_TIMESTAMP by the server's clock; null when not asked or not given. */
  ageS: number | null;
}

export function parseAuroraReplicaRows(rows: readonly Row[]): AuroraReplicaLag[] {
  return rows.map((row) => {
    const sessionId = text(pick(row, "SESSION_ID", "session_id"));
    const updated = pick(row, "LAST_UPDATE_TIMESTAMP", "last_update_timestamp");
    return {
      serverId: text(pick(row, "SERVER_ID", "server_id")),
      sessionId,
      isWriter: sessionId === "MASTER_SESSION_ID",
      lagMs: count(pick(row, "REPLICA_LAG_IN_MILLISECONDS", "replica_lag_in_milliseconds")),
      lastUpdate: updated instanceof Date ? updated.toISOString() : updated == null ? null : String(updated),
      ageS: count(pick(row, "AGE_S", "age_s")),
    };
  });
}

export interface ReportedLag {
  /** Seconds_Behind_Master/Source of the first channel; null when NULL or not a binlog replica. */
  secondsBehindSource: number | null;
  /**
   * Aurora only: the cluster's own lag figures. Aurora readers share the writer's storage and are
   * not binlog replicas, so SHOW REPLICA STATUS says nothing about them.
   */
  aurora?: AuroraReplicaLag[];
}

/**
 * The lag the server itself reports. Seconds_Behind_Master has a resolution of one second and
 * measures from the event's timestamp on the source, so it is context for a measured lag, not one.
 */
export async function serverReportedLag(conn: AdminConnection): Promise<ReportedLag> {
  const [aurora] = await conn.query("SHOW VARIABLES LIKE 'aurora_version'");
  const channels = await checkReplication(conn);
  const lag: ReportedLag = { secondsBehindSource: channels[0]?.secondsBehindSource ?? null };
  if ((aurora as Row[]).length > 0) {
    const [rows] = await conn.query(
      "SELECT SERVER_ID, SESSION_ID, LAST_UPDATE_TIMESTAMP, REPLICA_LAG_IN_MILLISECONDS FROM information_schema.replica_host_status",
    );
    lag.aurora = parseAuroraReplicaRows(rows as Row[]);
  }
  return lag;
}
