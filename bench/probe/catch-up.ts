import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { AdminConnection } from "../target/connection.js";
import { errorCode } from "../target/connection.js";
import type { ServerFacts } from "../target/facts.js";
import type { CatchUpMethod } from "../target/replication.js";
import { atLeastVersion } from "../target/version.js";
import { TargetError } from "../util/errors.js";
import { epochNowMs, sleepUntil } from "../util/timer.js";
import { quoteIdentifier } from "./lag.js";

export type { CatchUpMethod };

export interface CatchUpOutcome {
  method: CatchUpMethod;
  /** From reading the primary's position to every replica past it. */
  waitedMs: number;
  /** What was waited for: a GTID set, file:position, or the heartbeat token. */
  position: string;
}

export interface CatchUpTarget {
  name: string;
  conn: AdminConnection;
}

/** The replication kind of a run's replicas: binlog replicas have a position; the others do not. */
export type ReplicaKind = "binlog" | "aurora" | "galera";

export const CATCH_UP_TABLE = "rb_catchup";
const HEARTBEAT_POLL_MS = 10;

/** The binary log status statement: SHOW MASTER STATUS is gone in MySQL 8.4 (SHOW BINARY LOG STATUS since 8.2). */
export function binaryLogStatusStatement(facts: Pick<ServerFacts, "flavor" | "version">): string {
  if (facts.flavor === "mysql" && atLeastVersion(facts.version, 8, 2, 0)) return "SHOW BINARY LOG STATUS";
  return "SHOW MASTER STATUS";
}

/** The position wait: SOURCE_POS_WAIT since MySQL 8.0.26, MASTER_POS_WAIT before and on MariaDB. */
export function positionWaitStatement(facts: Pick<ServerFacts, "flavor" | "version">): string {
  const fn =
    facts.flavor === "mysql" && atLeastVersion(facts.version, 8, 0, 26)
      ? "SOURCE_POS_WAIT"
      : "MASTER_POS_WAIT";
  return `SELECT ${fn}(?, ?, ?) AS w`;
}

/** A channel replicating by file and position, not by GTID (shared with the lag probe's method choice). */
export { channelWithoutGtid } from "./lag-method.js";

interface Plan {
  method: CatchUpMethod;
  position: string;
  wait: (replica: CatchUpTarget, timeoutSec: number) => Promise<void>;
}

/**
 * Waits until every replica has applied all the primary has committed, so a step's lag is not
 * inflated by the backlog of the step before. Never reports a catch-up it did not check: with no
 * GTID set and no binary log position to wait on, a heartbeat token is written and read back.
 */
export async function waitForReplicas(options: {
  primary: AdminConnection;
  replicas: readonly CatchUpTarget[];
  facts: Pick<ServerFacts, "flavor" | "version" | "variables">;
  kind: ReplicaKind;
  /** False when a replica follows by file and position (MariaDB Using_Gtid No, MySQL Auto_Position 0). */
  replicasUseGtid?: boolean;
  database: string;
  timeoutSec: number;
  signal?: AbortSignal;
}): Promise<CatchUpOutcome> {
  const startMs = performance.now();
  const plan = await choosePlan(options);
  await Promise.all(options.replicas.map((replica) => plan.wait(replica, options.timeoutSec)));
  return { method: plan.method, waitedMs: performance.now() - startMs, position: plan.position };
}

async function choosePlan(options: Parameters<typeof waitForReplicas>[0]): Promise<Plan> {
  const { primary, facts, kind } = options;
  if (kind === "binlog" && (facts.flavor === "mariadb" || facts.flavor === "mysql")) {
    const gtid = options.replicasUseGtid === false ? null : await gtidPosition(primary, facts);
    if (gtid) return gtidPlan(facts, gtid);
    const position = await binlogPosition(primary, facts);
    if (position) return positionPlan(facts, position);
  }
  return heartbeatPlan(primary, options.database, options.signal);
}

/** The primary's GTID set, or null when GTIDs are off or nothing was logged with one yet. */
async function gtidPosition(
  conn: AdminConnection,
  facts: Pick<ServerFacts, "flavor" | "variables">,
): Promise<string | null> {
  if (facts.flavor === "mariadb") {
    const [rows] = await conn.query("SELECT @@GLOBAL.gtid_binlog_pos AS pos");
    return String((rows as { pos: string | null }[])[0]?.pos ?? "") || null;
  }
  const [rows] = await conn.query("SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS pos");
  const row = (rows as { mode: string | null; pos: string | null }[])[0];
  // OFF_PERMISSIVE and ON_PERMISSIVE can log anonymous transactions that no GTID wait covers.
  if (String(row?.mode ?? "").toUpperCase() !== "ON") return null;
  return String(row?.pos ?? "").replace(/\s+/g, "") || null;
}

function gtidPlan(facts: Pick<ServerFacts, "flavor">, position: string): Plan {
  const sql =
    facts.flavor === "mariadb"
      ? "SELECT MASTER_GTID_WAIT(?, ?) AS w"
      : "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w";
  return {
    method: "gtid",
    position,
    wait: async ({ name, conn }, timeoutSec) => {
      const [waited] = await conn.query(sql, [position, timeoutSec]);
      const code = (waited as { w: number | string | null }[])[0]?.w;
      // 0: reached; -1 (MariaDB) or 1 (MySQL): timed out; NULL: replication not running.
      if (code === null || code === undefined || Number(code) !== 0) {
        throw new TargetError(
          `${name} did not apply the primary's writes within ${timeoutSec} s (GTID ${position}); replication may be stopped or too far behind`,
        );
      }
    },
  };
}

/** The primary's binary log file and position, or null when its binary log is off. */
async function binlogPosition(
  conn: AdminConnection,
  facts: Pick<ServerFacts, "flavor" | "version">,
): Promise<{ file: string; position: number } | null> {
  const [rows] = await conn.query(binaryLogStatusStatement(facts));
  const row = (rows as { File?: string; Position?: number | string }[])[0];
  if (!row?.File) return null;
  return { file: row.File, position: Number(row.Position) };
}

function positionPlan(
  facts: Pick<ServerFacts, "flavor" | "version">,
  at: { file: string; position: number },
): Plan {
  const sql = positionWaitStatement(facts);
  const position = `${at.file}:${at.position}`;
  return {
    method: "binlog-position",
    position,
    wait: async ({ name, conn }, timeoutSec) => {
      const [waited] = await conn.query(sql, [at.file, at.position, timeoutSec]);
      const code = (waited as { w: number | string | null }[])[0]?.w;
      // Events waited for (>= 0): reached; -1: timed out; NULL: the SQL thread is not running.
      if (code === null || code === undefined || Number(code) < 0) {
        const why =
          code === null || code === undefined
            ? "its SQL thread is not running"
            : `not within ${timeoutSec} s`;
        throw new TargetError(`${name} did not reach the primary's binary log position ${position}: ${why}`);
      }
    },
  };
}

async function heartbeatPlan(
  primary: AdminConnection,
  database: string,
  signal?: AbortSignal,
): Promise<Plan> {
  const table = `${quoteIdentifier(database)}.${CATCH_UP_TABLE}`;
  const token = randomBytes(12).toString("hex");
  await primary.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id TINYINT UNSIGNED PRIMARY KEY, token VARCHAR(64) NOT NULL) ENGINE=InnoDB`,
  );
  await primary.query(`REPLACE INTO ${table} (id, token) VALUES (1, ?)`, [token]);
  return {
    method: "heartbeat",
    position: token,
    wait: async ({ name, conn }, timeoutSec) => {
      const deadlineMs = performance.now() + timeoutSec * 1000;
      for (;;) {
        let seen: string | undefined;
        try {
          const [rows] = await conn.query(`SELECT token FROM ${table} WHERE id = 1`);
          seen = (rows as { token: string }[])[0]?.token;
        } catch (error) {
          // Until the CREATE TABLE reached the replica.
          if (errorCode(error) !== "1146") throw error;
        }
        if (seen === token) return;
        if (performance.now() >= deadlineMs || signal?.aborted) {
          throw new TargetError(
            `${name} did not show the primary's catch-up token within ${timeoutSec} s; replication may be stopped or too far behind`,
          );
        }
        await sleepUntil(epochNowMs() + HEARTBEAT_POLL_MS, { signal });
      }
    },
  };
}
