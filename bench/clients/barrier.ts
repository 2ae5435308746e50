import type { AdminConnection } from "../target/connection.js";
import { TargetError } from "../util/errors.js";
import { epochNowMs, sleep } from "../util/timer.js";

/**
 * Shards of one run meet in the target itself: each registers in a small table, and once all have,
 * the first to see it sets a start time on the database server's clock, a little ahead. Each shard
 * asks the server how far off that time is and sleeps that long on its own monotonic clock, so
 * the shards' clocks never need to agree; the error is half the round trip of that one question.
 */

export const SHARDS_TABLE = "reinvent_bench_shards";
export const MEETINGS_TABLE = "reinvent_bench_meetings";

/** How far ahead of "all arrived" the agreed start is set: time for every shard to hear of it. */
const LEAD_MS = 2000;
const POLL_MS = 50;

export interface MeetOptions {
  conn: AdminConnection;
  runId: string;
  /** What is being met for, such as "aurora-write:measured"; one run may meet several times. */
  meeting: string;
  clients: number;
  index: number;
  host: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface Meeting {
  /** The agreed start on this process's clock (epochNowMs). */
  startEpochMs: number;
  /** The agreed start as the database server wrote it. */
  serverStartAt: string;
  /** Half the round trip of the question that placed it: how far off this shard may start. */
  uncertaintyMs: number;
  /** How long this shard waited for the others. */
  waitedMs: number;
  /** Statements this meeting sent, by the server counter they raise (they land in others' windows). */
  statements: Record<string, number>;
}

export async function ensureCoordinationTables(conn: AdminConnection): Promise<void> {
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${SHARDS_TABLE} (run_id VARCHAR(128) NOT NULL, meeting VARCHAR(191) NOT NULL, client_index INT NOT NULL, clients INT NOT NULL, host VARCHAR(255) NOT NULL, arrived_at DATETIME(6) NOT NULL, PRIMARY KEY (run_id, meeting, client_index)) ENGINE=InnoDB`,
  );
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${MEETINGS_TABLE} (run_id VARCHAR(128) NOT NULL, meeting VARCHAR(191) NOT NULL, clients INT NOT NULL, start_at DATETIME(6) NULL, PRIMARY KEY (run_id, meeting)) ENGINE=InnoDB`,
  );
}

async function rows<T>(conn: AdminConnection, sql: string, params: unknown[]): Promise<T[]> {
  const [result] = await conn.query(sql, params);
  return result as T[];
}

/** Marks a named point (such as "dataset ready") as reached, for the shards that wait on it. */
export async function markReached(
  conn: AdminConnection,
  runId: string,
  meeting: string,
  clients: number,
): Promise<void> {
  await conn.query(
    `INSERT INTO ${MEETINGS_TABLE} (run_id, meeting, clients, start_at) VALUES (?, ?, ?, NOW(6)) ON DUPLICATE KEY UPDATE start_at = COALESCE(start_at, NOW(6))`,
    [runId, meeting, clients],
  );
}

/** Waits until another shard signals `meeting`. */
export async function waitForSignal(
  options: Omit<MeetOptions, "index" | "host"> & { what: string },
): Promise<number> {
  const started = epochNowMs();
  while (epochNowMs() - started < options.timeoutMs) {
    if (options.signal?.aborted) throw new Error("interrupted");
    const found = await rows<{ n: number }>(
      options.conn,
      `SELECT COUNT(*) AS n FROM ${MEETINGS_TABLE} WHERE run_id = ? AND meeting = ? AND start_at IS NOT NULL`,
      [options.runId, options.meeting],
    );
    if (Number(found[0]?.n ?? 0) > 0) return epochNowMs() - started;
    await sleep(POLL_MS * 4);
  }
  throw new TargetError(
    `run ${options.runId}: ${options.what} did not happen within ${options.timeoutMs / 1000} s (--barrier-timeout)`,
  );
}

/**
 * Registers this shard and waits for all `clients` of the run; resolves with the agreed start.
 * A shard that never arrives makes the others fail after `timeoutMs`, naming the missing ones; a
 * run id whose meeting already started without this shard is refused.
 */
export async function meet(options: MeetOptions): Promise<Meeting> {
  const { conn, runId, meeting, clients, index } = options;
  const arrived = epochNowMs();
  const statements: Record<string, number> = { Com_select: 0, Com_insert: 0, Com_update: 0, Com_replace: 0 };
  const count = (counter: string) => {
    statements[counter] = (statements[counter] ?? 0) + 1;
  };
  count("Com_select");
  const existing = await rows<{ clients: number; late: number | null }>(
    conn,
    `SELECT clients, TIMESTAMPDIFF(MICROSECOND, start_at, NOW(6)) AS late FROM ${MEETINGS_TABLE} WHERE run_id = ? AND meeting = ?`,
    [runId, meeting],
  );
  const before = existing[0];
  if (before && Number(before.clients) !== clients) {
    throw new TargetError(
      `run ${runId}: this client expects ${clients} clients, the others ${before.clients}; give every shard the same --clients`,
    );
  }
  if (before?.late !== null && before?.late !== undefined && Number(before.late) > 0) {
    throw new TargetError(
      `run ${runId}: ${meeting} already started ${(Number(before.late) / 1e6).toFixed(1)} s ago without client ${index}; start every shard with a new --run-id`,
    );
  }
  count("Com_insert");
  await conn.query(
    `INSERT IGNORE INTO ${MEETINGS_TABLE} (run_id, meeting, clients, start_at) VALUES (?, ?, ?, NULL)`,
    [runId, meeting, clients],
  );
  count("Com_replace");
  await conn.query(
    `REPLACE INTO ${SHARDS_TABLE} (run_id, meeting, client_index, clients, host, arrived_at) VALUES (?, ?, ?, ?, ?, NOW(6))`,
    [runId, meeting, index, clients, options.host.slice(0, 255)],
  );
  while (true) {
    if (options.signal?.aborted) throw new Error("interrupted");
    count("Com_select");
    const present = await rows<{ client_index: number }>(
      conn,
      `SELECT client_index FROM ${SHARDS_TABLE} WHERE run_id = ? AND meeting = ? ORDER BY client_index`,
      [runId, meeting],
    );
    if (present.length >= clients) break;
    if (epochNowMs() - arrived > options.timeoutMs) {
      const here = new Set(present.map((r) => Number(r.client_index)));
      const missing = Array.from({ length: clients }, (_, i) => i).filter((i) => !here.has(i));
      throw new TargetError(
        `run ${runId}: client${missing.length === 1 ? "" : "s"} ${missing.join(", ")} of ${clients} never arrived at ${meeting} within ${options.timeoutMs / 1000} s (--barrier-timeout); ${present.length} did`,
      );
    }
    await sleep(POLL_MS);
  }
  // Whoever sees everyone first sets the start; the others keep it.
  count("Com_update");
  count("Com_select");
  await conn.query(
    `UPDATE ${MEETINGS_TABLE} SET start_at = NOW(6) + INTERVAL ? MICROSECOND WHERE run_id = ? AND meeting = ? AND start_at IS NULL`,
    [LEAD_MS * 1000, runId, meeting],
  );
  const sentAt = epochNowMs();
  const placed = await rows<{ untilUs: number; startAt: string }>(
    conn,
    `SELECT TIMESTAMPDIFF(MICROSECOND, NOW(6), start_at) AS untilUs, DATE_FORMAT(start_at, '%Y-%m-%dT%H:%i:%s.%f') AS startAt FROM ${MEETINGS_TABLE} WHERE run_id = ? AND meeting = ?`,
    [runId, meeting],
  );
  const answeredAt = epochNowMs();
  const row = placed[0];
  if (!row) throw new TargetError(`run ${runId}: the meeting row of ${meeting} disappeared`);
  // The server read its clock somewhere in the round trip; its middle is the best guess.
  const startEpochMs = (sentAt + answeredAt) / 2 + Number(row.untilUs) / 1000;
  return {
    startEpochMs,
    serverStartAt: row.startAt,
    uncertaintyMs: (answeredAt - sentAt) / 2,
    waitedMs: Math.max(0, startEpochMs - arrived),
    statements,
  };
}
