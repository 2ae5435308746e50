import type { AdminConnection } from "../target/connection.js";
import { isGaleraNode, isOn, readServerFacts, type ServerFacts } from "../target/facts.js";
import {
  checkReplication,
  type ReplicaStatus,
  readServerIdentity,
  readVariable,
  type ServerIdentity,
  sourceMismatch,
} from "../target/replication.js";

/**
 * How the lag probe learns when a heartbeat became visible on a replica:
 * - gtid-wait: the heartbeat's GTID, returned by the primary with its commit, is waited for on the
 *   replica by the server itself (MariaDB MASTER_GTID_WAIT, MySQL WAIT_FOR_EXECUTED_GTID_SET), on
 *   connections of its own, sent as soon as the commit is acknowledged. The wait returns when the
 *   replica applies the heartbeat, so the moment is known to about half a round trip.
 * - poll: the heartbeat row is read about every millisecond; a sample is known to a poll interval
 *   plus half a round trip. For replicas with nothing to wait on: Aurora readers (shared storage),
 *   Galera nodes (certification, no binary log applied), replicas following by file and position.
 */
export type LagMethod = "gtid-wait" | "poll";
/** What the caller asks for: the best available (auto), the wait or a refusal (wait), or the poll. */
export type LagMethodChoice = "auto" | "wait" | "poll";
export const LAG_METHOD_CHOICES: readonly LagMethodChoice[] = ["auto", "wait", "poll"];
/** The GTID dialect of a primary and its binlog replicas. */
export type GtidDialect = "mariadb" | "mysql";

/** A replication channel that follows its source by file and position, not by GTID. */
export function channelWithoutGtid(gtid: string | null): boolean {
  return gtid !== null && /^(no|0)$/i.test(gtid);
}

export type PrimaryGtidSupport = { dialect: GtidDialect } | { dialect: null; reason: string };

/** Whether the primary's commits carry a GTID a replica can wait for, from its facts. */
export function primaryGtidSupport(facts: Pick<ServerFacts, "flavor" | "variables">): PrimaryGtidSupport {
  if (facts.flavor === "aurora-mysql") {
    return { dialect: null, reason: "Aurora readers share the writer's storage: no GTID to wait for" };
  }
  if (isGaleraNode(facts)) {
    return { dialect: null, reason: "Galera nodes certify write sets, with no binlog GTID to wait for" };
  }
  if (facts.flavor === "mariadb") {
    if (!isOn(facts.variables.log_bin)) {
      return { dialect: null, reason: "the primary's binary log is off: its commits get no GTID" };
    }
    return { dialect: "mariadb" };
  }
  if (facts.flavor === "mysql") {
    const mode = facts.variables.gtid_mode ?? "unknown";
    // OFF_PERMISSIVE and ON_PERMISSIVE may log anonymous transactions that no GTID wait covers.
    if (mode.toUpperCase() !== "ON") {
      return { dialect: null, reason: `the primary's gtid_mode is ${mode}, not ON` };
    }
    return { dialect: "mysql" };
  }
  return { dialect: null, reason: `no GTID wait known for a ${facts.flavor} server` };
}

export type ReplicaGtidSupport = { ok: true; how: string } | { ok: false; reason: string };

/**
 * Whether a replica can wait for the primary's GTIDs: it has a channel from the primary (as far as
 * sourceMismatch can tell), which follows by GTID (MariaDB Using_Gtid Slave_Pos or Current_Pos;
 * MASTER_GTID_WAIT watches gtid_slave_pos), or, on MySQL, the replica has gtid_mode ON (then
 * WAIT_FOR_EXECUTED_GTID_SET watches its gtid_executed whatever the channel's auto-position).
 */
export function replicaGtidSupport(input: {
  dialect: GtidDialect;
  channels: readonly ReplicaStatus[];
  primary: ServerIdentity;
  replica: ServerIdentity;
  /** MySQL: the replica's @@GLOBAL.gtid_mode. */
  replicaGtidMode?: string | null;
}): ReplicaGtidSupport {
  if (input.channels.length === 0) {
    return { ok: false, reason: "it reports no replication channel (not a binlog replica)" };
  }
  const channel = input.channels.find((c) => sourceMismatch(c, input.primary, input.replica) === undefined);
  if (!channel) return { ok: false, reason: "none of its replication channels has the primary as source" };
  const name = channel.channel ? `channel '${channel.channel}'` : "its channel";
  if (input.dialect === "mariadb") {
    if (channel.gtid === null || channelWithoutGtid(channel.gtid)) {
      return {
        ok: false,
        reason: `${name} follows by file and position (Using_Gtid ${channel.gtid ?? "unknown"})`,
      };
    }
    return { ok: true, how: `MASTER_GTID_WAIT (${name}: Using_Gtid ${channel.gtid})` };
  }
  const mode = input.replicaGtidMode ?? "unknown";
  if (mode.toUpperCase() !== "ON") return { ok: false, reason: `its gtid_mode is ${mode}, not ON` };
  return { ok: true, how: `WAIT_FOR_EXECUTED_GTID_SET (gtid_mode ON, Auto_Position ${channel.gtid ?? "?"})` };
}

export interface MethodDecision {
  method: LagMethod;
  /** Why, in words (for the report). */
  reason: string;
}

/** Thrown by chooseLagMethod when the wait was asked for and cannot be had. */
export class GtidWaitUnavailable extends Error {}

/** The method of one replica from what was asked and what the primary and the replica allow. */
export function chooseLagMethod(
  choice: LagMethodChoice,
  primary: PrimaryGtidSupport,
  replica: ReplicaGtidSupport | undefined,
): MethodDecision {
  if (choice === "poll") return { method: "poll", reason: "poll asked for" };
  const why = primary.dialect === null ? primary.reason : replica && !replica.ok ? replica.reason : undefined;
  if (why === undefined && replica?.ok) return { method: "gtid-wait", reason: replica.how };
  const reason = why ?? "its replication was not checked";
  if (choice === "wait") throw new GtidWaitUnavailable(reason);
  return { method: "poll", reason: `${reason}; reads the heartbeat row instead` };
}

// ---------------------------------------------------------------------------------------------
// Statement forms

/**
 * What makes the primary return each commit's GTID in its OK packet (no extra round trip):
 * MariaDB tracks the session variable last_gtid (session_track_system_variables, 10.2+; how
 * MaxScale's causal reads learn it); MySQL sends the session's own GTID (session_track_gtids =
 * OWN_GTID, 5.7.6+), as there is no per-transaction variable (gtid_executed is the whole set and
 * gtid_owned is empty after a commit). `tracked` is MariaDB's current list, kept.
 */
export function gtidTrackingStatement(
  dialect: GtidDialect,
  tracked: string | null,
): { sql: string; values?: unknown[] } {
  if (dialect === "mysql") return { sql: "SET SESSION session_track_gtids = OWN_GTID" };
  const names = (tracked ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  const list = names.includes("*") || names.includes("last_gtid") ? names : [...names, "last_gtid"];
  return { sql: "SET SESSION session_track_system_variables = ?", values: [list.join(",")] };
}

/** The GTID of the commit whose OK packet (mysql2's ResultSetHeader) this is; null when it carries none. */
export function committedGtid(dialect: GtidDialect, okPacket: unknown): string | null {
  const changes = (
    okPacket as { stateChanges?: { systemVariables?: Record<string, unknown>; gtids?: unknown } }
  )?.stateChanges;
  if (!changes) return null;
  if (dialect === "mariadb") {
    const gtid = changes.systemVariables?.last_gtid;
    return typeof gtid === "string" && gtid.trim() !== "" ? gtid.trim() : null;
  }
  const gtids = Array.isArray(changes.gtids)
    ? changes.gtids.map((g) => String(g).trim()).filter(Boolean)
    : [];
  return gtids.length > 0 ? gtids.join(",") : null;
}

/**
 * The wait, with the GTID and the timeout as its two `?`, in one row read left to right: what the
 * replica had applied before (`before`), the server's clock around the wait (`t0`, `t1`: SYSDATE(6)
 * is read when evaluated, unlike NOW()), the answer (`w`), and what it had applied after (`pos`).
 * `before` tells whether the wait found its heartbeat applied already or was held until it was;
 * t1 - t0, how long it was held, so the rest of the round trip is known for this very wait; `pos`
 * shows every heartbeat applied with it (a backlog, a delayed replica's second) in one answer.
 */
export function gtidWaitStatement(dialect: GtidDialect): string {
  const [wait, applied] =
    dialect === "mariadb"
      ? ["MASTER_GTID_WAIT(?, ?)", "@@GLOBAL.gtid_slave_pos"]
      : ["WAIT_FOR_EXECUTED_GTID_SET(?, ?)", "@@GLOBAL.gtid_executed"];
  return `SELECT ${applied} AS before_pos, UNIX_TIMESTAMP(SYSDATE(6)) AS t0, ${wait} AS w, UNIX_TIMESTAMP(SYSDATE(6)) AS t1, ${applied} AS pos`;
}

/** One wait's row as the server answers it. */
export interface GtidWaitRow {
  before_pos?: unknown;
  t0?: unknown;
  w?: unknown;
  t1?: unknown;
  pos?: unknown;
}

/** The wait's t0 and t1 (epoch seconds with microseconds) in epoch ms; null when unreadable. */
export function serverMoments(row: GtidWaitRow): { t0Ms: number; t1Ms: number } | null {
  const seconds = (value: unknown) =>
    typeof value === "string" || typeof value === "number" ? Number(value) : Number.NaN;
  const t0 = seconds(row.t0);
  const t1 = seconds(row.t1);
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t0 < 0 || t1 < t0) return null;
  return { t0Ms: t0 * 1000, t1Ms: t1 * 1000 };
}

/** How long the server held the wait, in ms (t1 - t0); null when unreadable. */
export function serverWaitMs(row: GtidWaitRow): number | null {
  const moments = serverMoments(row);
  return moments === null ? null : moments.t1Ms - moments.t0Ms;
}

/** Where a GTID stands: its stream (MariaDB replication domain, MySQL source uuid) and number in it. */
export interface GtidPlace {
  stream: string;
  n: number;
}

/** MariaDB "domain-server-seq_no", MySQL "uuid:number"; null for anything else (a set, a range). */
export function gtidPlace(dialect: GtidDialect, gtid: string): GtidPlace | null {
  const match =
    dialect === "mariadb"
      ? /^\s*(\d+)-\d+-(\d+)\s*$/.exec(gtid)
      : /^\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?::[a-z_][a-z0-9_]*)?):(\d+)\s*$/i.exec(
          gtid,
        );
  if (!match) return null;
  const n = Number(match[2]);
  return Number.isSafeInteger(n) ? { stream: String(match[1]).toLowerCase(), n } : null;
}

/**
 * How far `applied` (the replica's gtid_slave_pos or gtid_executed) reaches in the stream of `at`,
 * counting only what is applied without a gap after `at`: MariaDB keeps one seq_no per domain
 * (applied in order), MySQL a set of intervals, of which the one holding `at` counts. Null when
 * `applied` does not hold `at` or cannot be read.
 */
export function appliedThrough(dialect: GtidDialect, applied: unknown, at: GtidPlace): number | null {
  if (typeof applied !== "string") return null;
  const text = applied.replace(/\s+/g, "");
  if (dialect === "mariadb") {
    for (const part of text.split(",")) {
      const place = gtidPlace("mariadb", part);
      if (place && place.stream === at.stream) return place.n >= at.n ? place.n : null;
    }
    return null;
  }
  for (const part of text.split(",")) {
    const [uuid = "", ...tokens] = part.split(":");
    // MySQL 8.3+ may tag GTIDs: uuid:1-10:tag:1-5 holds untagged 1-10 and tagged 1-5.
    let stream = uuid.toLowerCase();
    for (const token of tokens) {
      if (/^[a-z_]/i.test(token)) {
        stream = `${uuid}:${token}`.toLowerCase();
        continue;
      }
      if (stream !== at.stream) continue;
      const [from, to = from] = token.split("-").map(Number);
      if (from !== undefined && to !== undefined && from <= at.n && at.n <= to) return to;
    }
  }
  return null;
}

/** The timeout argument in seconds: MariaDB takes fractions, MySQL whole seconds (at least 1). */
export function gtidWaitTimeoutArg(dialect: GtidDialect, timeoutMs: number): number {
  if (dialect === "mariadb") return Math.max(0.001, Math.round(timeoutMs) / 1000);
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

/** reached: the replica applied the GTID; timed-out: not within the timeout; none: no wait was made. */
export type GtidWaitOutcome = "reached" | "timed-out" | "none";

/** MariaDB answers 0 or -1 (timeout), MySQL 0 or 1 (timeout); NULL when there was nothing to wait on. */
export function gtidWaitOutcome(dialect: GtidDialect, value: unknown): GtidWaitOutcome {
  if (value === null || value === undefined) return "none";
  const code = Number(value);
  if (code === 0) return "reached";
  if ((dialect === "mariadb" && code === -1) || (dialect === "mysql" && code === 1)) return "timed-out";
  return "none";
}

// ---------------------------------------------------------------------------------------------
// Reading the servers

/** A session variable as text (null when the server has none). */
async function sessionVariable(conn: AdminConnection, name: string): Promise<string | null> {
  try {
    const [rows] = await conn.query(`SELECT @@SESSION.${name} AS v`);
    const value = (rows as { v: unknown }[])[0]?.v;
    return value === null || value === undefined ? null : String(value);
  } catch {
    return null;
  }
}

export type PreparedPrimary =
  | { dialect: GtidDialect; facts: ServerFacts; identity: ServerIdentity; firstGtid: string }
  | { dialect: null; reason: string };

/**
 * Makes the writer's session return each commit's GTID, and checks that it does with one real
 * heartbeat write (`write`, which must change the row so that it is logged). Nothing is changed
 * on a primary with no GTID to offer.
 */
export async function preparePrimaryGtid(
  writer: AdminConnection,
  write: () => Promise<unknown>,
): Promise<PreparedPrimary> {
  const facts = await readServerFacts(writer);
  const support = primaryGtidSupport(facts);
  if (support.dialect === null) return support;
  const dialect = support.dialect;
  const tracked =
    dialect === "mariadb" ? await sessionVariable(writer, "session_track_system_variables") : null;
  const statement = gtidTrackingStatement(dialect, tracked);
  try {
    await writer.query(statement.sql, statement.values);
  } catch (error) {
    return { dialect: null, reason: `the primary cannot return commit GTIDs: ${(error as Error).message}` };
  }
  const firstGtid = committedGtid(dialect, await write());
  if (firstGtid === null) {
    return { dialect: null, reason: "the primary returned no GTID with a commit (session tracking)" };
  }
  return { dialect, facts, identity: await readServerIdentity(writer), firstGtid };
}

/** Whether the replica behind `conn` can wait for the primary's GTIDs (reads its status and settings). */
export async function checkReplicaGtidWait(
  conn: AdminConnection,
  dialect: GtidDialect,
  primary: ServerIdentity,
): Promise<ReplicaGtidSupport> {
  let channels: ReplicaStatus[];
  try {
    channels = await checkReplication(conn);
  } catch (error) {
    return { ok: false, reason: `its replication status cannot be read: ${(error as Error).message}` };
  }
  const replica = await readServerIdentity(conn);
  const replicaGtidMode = dialect === "mysql" ? await readVariable(conn, "gtid_mode") : null;
  return replicaGtidSupport({ dialect, channels, primary, replica, replicaGtidMode });
}

/** One wait for nothing ('' is reached at once): the function exists and this user may call it. */
export async function trialGtidWait(conn: AdminConnection, dialect: GtidDialect): Promise<void> {
  const [rows] = await conn.query(gtidWaitStatement(dialect), ["", gtidWaitTimeoutArg(dialect, 1000)]);
  const outcome = gtidWaitOutcome(dialect, (rows as GtidWaitRow[])[0]?.w);
  if (outcome !== "reached") throw new Error(`a wait for the empty GTID set answered ${outcome}`);
}

/** The pause the clock check spans, in seconds. */
const CLOCK_CHECK_SLEEP_S = 0.005;

/**
 * That SYSDATE(6) moves within a statement: a server started with --sysdate-is-now answers the
 * statement's start time instead, and a wait's held time could not be read.
 */
export async function checkServerClock(conn: AdminConnection): Promise<void> {
  const [rows] = await conn.query(
    `SELECT UNIX_TIMESTAMP(SYSDATE(6)) AS t0, SLEEP(${CLOCK_CHECK_SLEEP_S}) AS w, UNIX_TIMESTAMP(SYSDATE(6)) AS t1`,
  );
  const heldMs = serverWaitMs((rows as GtidWaitRow[])[0] ?? {});
  if (heldMs === null || heldMs < (CLOCK_CHECK_SLEEP_S * 1000) / 2) {
    throw new Error(
      `SYSDATE(6) did not move across SLEEP(${CLOCK_CHECK_SLEEP_S}) (${heldMs} ms): the server may run with --sysdate-is-now`,
    );
  }
}
