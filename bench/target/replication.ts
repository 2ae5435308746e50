import { TargetError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import { type AdminConnection, errorCode, openAdminConnection } from "./connection.js";
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

/** What assertReplicating found on one replica. */
export interface ReplicationCheck {
  replica: string;
  channel: ReplicaStatus;
  /** What showed the channel's source is the primary: "server_uuid", "server_id", "host:port". */
  checkedBy: string[];
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
 * Fails with a one-line TargetError unless every replica has a replication channel whose source is
 * the primary (as far as sourceMismatch can tell) with its IO and SQL threads running.
 */
export async function assertReplicating(
  primary: TargetSpec,
  replicas: readonly TargetSpec[],
): Promise<ReplicationCheck[]> {
  const primaryConn = await openAdminConnection(primary, false);
  let primaryIdentity: ServerIdentity;
  try {
    primaryIdentity = await readServerIdentity(primaryConn);
  } finally {
    await primaryConn.end();
  }
  const checks: ReplicationCheck[] = [];
  for (const replica of replicas) {
    const name = replica.displayUrl;
    const conn = await openAdminConnection(replica, false);
    try {
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
      checks.push({ replica: name, channel, checkedBy: evidence(channel, primaryIdentity, identity) });
    } finally {
      await conn.end();
    }
  }
  return checks;
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
