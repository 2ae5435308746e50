import { performance } from "node:perf_hooks";
import { type Histogram, newLatencyHistogram } from "../metrics/histogram.js";
import {
  type AdminConnection,
  errorCode,
  isConnectionLoss,
  openAdminConnection,
} from "../target/connection.js";
import {
  type AuroraReplicaLag,
  readVariable,
  serverIdentityKey,
  serverReportedLag,
} from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { addCleanup } from "../util/cleanup.js";
import { TargetError, UsageError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import { sleep } from "../util/timer.js";
import { LagMatcher } from "./lag-match.js";
import { type LagSummaryMs, type PerSecondLag, PollTiming, ReplicaLagStats } from "./lag-stats.js";

/**
 * Replica lag measured by sequence visibility, with no clock shared between servers: a heartbeat
 * row on the primary gets an increasing number at a steady pace, this client notes when each
 * commit is acknowledged, and a connection per replica reads the row about every millisecond.
 * When a replica first shows number v, every heartbeat up to v not yet seen there gets
 * lag = (moment of that read) - (its ack), both on this process's monotonic clock.
 *
 * The read's moment is the midpoint of its send and its reply, so it is off by at most half a
 * round trip, and the row may have changed at any time since the previous read: a sample's error
 * is at most one poll interval + half a round trip (reported per replica as resolutionMs). A
 * replica can show a heartbeat before this client has processed its ack; such lags are recorded
 * as 0 and counted (beforeAck).
 *
 * One probe per primary at a time: two would write the same row.
 */

export const HEARTBEAT_TABLE = "rb_heartbeat";
const HEARTBEAT_ID = 1;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10;
export const DEFAULT_POLL_INTERVAL_MS = 1;
/** The longest lag still measured; a heartbeat seen later counts in overWindow. */
export const DEFAULT_MATCH_WINDOW_MS = 60_000;
export const DEFAULT_SERVER_LAG_INTERVAL_MS = 1000;
/** How long stop() waits for replicas to show the last heartbeat. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;
/** A query still running this long after stop() is abandoned and its connection destroyed. */
const HUNG_QUERY_GRACE_MS = 2000;
const ER_NO_SUCH_TABLE = "1146";
/** Errors kept per loop; the first says what went wrong. */
const MAX_ERRORS = 5;
/** A replica's probe connections may be lost and reopened this many times before it gives up. */
const MAX_RECONNECTS = 5;
const RECONNECT_PAUSE_MS = 200;

export interface LagProbeReplica {
  name: string;
  target: TargetSpec;
}

export interface LagProbeOptions {
  primary: TargetSpec;
  replicas: readonly LagProbeReplica[];
  /** Time between heartbeats, in ms; default 10. */
  heartbeatIntervalMs?: number;
  /** Aimed-for time between reads on each replica, in ms; default 1 (0: back to back). */
  pollIntervalMs?: number;
  /** Longest measurable lag, in ms; default 60 s. */
  matchWindowMs?: number;
  /** Time between reads of the server's own lag figures, in ms; default 1000. */
  serverLagIntervalMs?: number;
  /** How long stop() waits for the replicas to show the last heartbeat; default 5 s. */
  drainTimeoutMs?: number;
  /** Database holding the heartbeat table (must exist on the primary); default the primary's. */
  database?: string;
}

/** One reading of what a replica says about its own lag. */
export interface ServerReportedSample {
  /** ms from the probe's start. */
  tMs: number;
  /** Seconds_Behind_Master/Source; null when the server says NULL or is not a binlog replica. */
  secondsBehind: number | null;
  /** Aurora only: REPLICA_LAG_IN_MILLISECONDS of this reader; null elsewhere. */
  auroraLagMs: number | null;
}

export interface ReplicaLagResult {
  name: string;
  /** The server both probe connections reached (serverIdentityKey). */
  server: string;
  lagMs: LagSummaryMs;
  /** HdrHistogram of the lags in integer microseconds, compressed base64 (V2). */
  histogram: string;
  /** By the second (from the probe's start) of each heartbeat's commit ack. */
  perSecond: PerSecondLag[];
  /** Acknowledged heartbeats never shown by this replica before the probe stopped. */
  unseen: number;
  /** Heartbeats shown only after more than matchWindowMs: lag unknown but above the window. */
  overWindow: number;
  /** Samples seen no later than their ack (recorded as 0). */
  beforeAck: number;
  /** Reads showing a number this probe never wrote: another writer uses the heartbeat row. */
  foreign: number;
  polls: number;
  /** Measured mean time between reads. */
  pollIntervalMs: number | null;
  pollIntervalP99Ms: number | null;
  /** Measured median round trip of a read. */
  roundTripMs: number | null;
  /** Error bound of a typical sample: pollIntervalMs + roundTripMs / 2. */
  resolutionMs: number | null;
  serverReported: ServerReportedSample[];
  /** What interrupted this replica's reads or server-lag readings; empty when nothing did. */
  errors: string[];
  /** Probe connections to it lost and reopened on the same server. */
  reconnects: number;
}

export interface LagProbeResult {
  /** The probe's start on the wall clock (performance.timeOrigin + its monotonic start). */
  startEpochMs: number;
  durationMs: number;
  heartbeat: {
    intervalMs: number;
    firstSeq: number;
    /** Heartbeats whose commit was acknowledged. */
    written: number;
    /** Slots passed over because a commit took longer than the interval (no catch-up burst). */
    skippedSlots: number;
    /** Time from sending a heartbeat to its ack. */
    commitMs: { p50: number | null; p99: number | null; max: number | null };
    errors: string[];
  };
  matchWindowMs: number;
  replicas: ReplicaLagResult[];
}

export interface LagProbe {
  /** The probe's start on performance.now()'s clock; per-second rows count from it. */
  readonly startMs: number;
  /**
   * Stops the heartbeats, waits (up to drainTimeoutMs) for every replica to show the last one,
   * closes every connection and returns the result. Safe to call more than once.
   */
  stop(): Promise<LagProbeResult>;
}

function msOption(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new UsageError(
      `lag probe: ${name} must be a ${allowZero ? "non-negative" : "positive"} number of ms`,
    );
  }
  return value;
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/** Aurora lists every instance of the cluster; this reader's row is the one with its server id. */
export function auroraLagFor(
  rows: readonly AuroraReplicaLag[] | undefined,
  serverId: string | null,
): number | null {
  if (!rows || serverId === null) return null;
  return rows.find((row) => row.serverId === serverId && !row.isWriter)?.lagMs ?? null;
}

/**
 * Both connections of each replica must reach one server, and none the primary: a reader endpoint
 * behind DNS round robin or a proxy can split them, and the lag read on one server would be
 * matched with the server-reported lag of another. Returns each replica's server.
 */
export async function checkProbeIdentities(
  writer: AdminConnection,
  replicas: readonly LagProbeReplica[],
  pollConns: readonly AdminConnection[],
  lagConns: readonly AdminConnection[],
): Promise<string[]> {
  const primary = await serverIdentityKey(writer);
  const identities: string[] = [];
  for (const [i, replica] of replicas.entries()) {
    const polled = await serverIdentityKey(pollConns[i] as AdminConnection);
    const reported = await serverIdentityKey(lagConns[i] as AdminConnection);
    if (polled !== reported) {
      throw new TargetError(
        `${replica.name} (${replica.target.displayUrl}): two connections to it reached different servers (${polled}; ${reported}): it is a load-balanced or round-robin endpoint; give each replica's own instance endpoint`,
      );
    }
    if (polled === primary) {
      throw new TargetError(
        `${replica.name} (${replica.target.displayUrl}) reached the primary itself (${primary}), not a replica`,
      );
    }
    const twin = identities.indexOf(polled);
    if (twin >= 0) {
      throw new TargetError(
        `${replica.name} and ${replicas[twin]?.name} reached the same server (${polled}); give each replica's own endpoint`,
      );
    }
    identities.push(polled);
  }
  return identities;
}

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, sleep(ms, timer.signal).then(() => false)]);
  timer.abort();
  return result;
}

/** The next slot of a fixed-rate schedule from `startMs`, never one already past (no bursts). */
function nextSlot(slot: number, startMs: number, intervalMs: number): number {
  return Math.max(slot + 1, Math.floor((performance.now() - startMs) / intervalMs) + 1);
}

interface Loop {
  conn: AdminConnection;
  done: Promise<void>;
  errors: string[];
}

export async function startLagProbe(options: LagProbeOptions): Promise<LagProbe> {
  const heartbeatIntervalMs = msOption(
    "heartbeatIntervalMs",
    options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
  );
  const pollIntervalMs = msOption("pollIntervalMs", options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, true);
  const matchWindowMs = msOption("matchWindowMs", options.matchWindowMs ?? DEFAULT_MATCH_WINDOW_MS);
  const serverLagIntervalMs = msOption(
    "serverLagIntervalMs",
    options.serverLagIntervalMs ?? DEFAULT_SERVER_LAG_INTERVAL_MS,
  );
  const drainTimeoutMs = msOption("drainTimeoutMs", options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS, true);
  const replicas = options.replicas;
  if (replicas.length === 0) throw new UsageError("lag probe: no replicas to watch");
  if (new Set(replicas.map((r) => r.name)).size !== replicas.length) {
    throw new UsageError("lag probe: replica names must be distinct");
  }
  const table = `${quoteIdentifier(options.database ?? options.primary.database)}.${HEARTBEAT_TABLE}`;
  const secrets = [options.primary.password, ...replicas.map((r) => r.target.password)];
  const describe = (error: unknown) => redactText((error as Error).message ?? String(error), secrets);

  const opened: AdminConnection[] = [];
  const open = async (target: TargetSpec) => {
    const conn = await openAdminConnection(target, false);
    opened.push(conn);
    return conn;
  };
  const closeAll = async () => {
    await Promise.all(
      opened.map((conn) =>
        conn.end().catch(() => {
          conn.destroy();
        }),
      ),
    );
  };

  let writer: AdminConnection;
  let pollConns: AdminConnection[];
  let lagConns: AdminConnection[];
  let identities: string[];
  let firstSeq: number;
  try {
    writer = await open(options.primary);
    await writer.query(
      `CREATE TABLE IF NOT EXISTS ${table} (id TINYINT UNSIGNED PRIMARY KEY, seq BIGINT UNSIGNED NOT NULL) ENGINE=InnoDB`,
    );
    await writer.query(`INSERT INTO ${table} (id, seq) VALUES (?, 0) ON DUPLICATE KEY UPDATE seq = seq`, [
      HEARTBEAT_ID,
    ]);
    const [rows] = await writer.query(`SELECT seq FROM ${table} WHERE id = ?`, [HEARTBEAT_ID]);
    // Above any number an earlier probe wrote, so a replica still showing one is not matched.
    firstSeq = Number((rows as { seq: number | string }[])[0]?.seq ?? 0) + 1;
    pollConns = await Promise.all(replicas.map((r) => open(r.target)));
    lagConns = await Promise.all(replicas.map((r) => open(r.target)));
    identities = await checkProbeIdentities(writer, replicas, pollConns, lagConns);
    // Galera: a read that waits for causality would measure the wait, not what the node shows.
    for (const conn of [...pollConns, ...lagConns]) {
      if ((await readVariable(conn, "wsrep_sync_wait")) !== null)
        await conn.query("SET SESSION wsrep_sync_wait = 0");
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const startMs = performance.now();
  const stats = replicas.map(() => new ReplicaLagStats(startMs));
  const timings = replicas.map(() => new PollTiming());
  const reported: ServerReportedSample[][] = replicas.map(() => []);
  const matcher = new LagMatcher({
    firstSeq,
    capacity: Math.ceil(matchWindowMs / heartbeatIntervalMs),
    replicas: replicas.length,
    onSample: (sample) => stats[sample.replica]?.add(sample.ackMs, sample.lagMs),
  });
  // Heartbeats and server-lag readings stop first; reads go on until the replicas caught up.
  const heartbeatStop = new AbortController();
  const pollStop = new AbortController();
  let draining = false;
  const note = (errors: string[], error: unknown) => {
    if (errors.length < MAX_ERRORS) errors.push(describe(error));
  };
  const reconnects = replicas.map(() => 0);
  /**
   * After a read failed: true when the connection was lost and is open again to the same server
   * (checked, as a round-robin endpoint could place it elsewhere); false to stop this loop.
   */
  const reopenedOnSameServer = async (
    conn: AdminConnection,
    replica: number,
    errors: string[],
    signal: AbortSignal,
    error: unknown,
  ): Promise<boolean> => {
    if (!isConnectionLoss(error) || (reconnects[replica] ?? 0) >= MAX_RECONNECTS) return false;
    reconnects[replica] = (reconnects[replica] ?? 0) + 1;
    for (let attempt = 0; attempt < MAX_RECONNECTS && !signal.aborted; attempt++) {
      try {
        const server = await serverIdentityKey(conn);
        if (server === identities[replica]) return true;
        note(errors, new Error(`reopened connection reached ${server}, not ${identities[replica]}`));
        return false;
      } catch (error) {
        note(errors, error);
        if (!(await sleep(RECONNECT_PAUSE_MS, signal))) return false;
      }
    }
    return false;
  };

  const commitUs: Histogram = newLatencyHistogram();
  let written = 0;
  let skippedSlots = 0;
  const heartbeatErrors: string[] = [];
  const heartbeatLoop: Loop = {
    conn: writer,
    errors: heartbeatErrors,
    done: (async () => {
      const signal = heartbeatStop.signal;
      const sql = `UPDATE ${table} SET seq = ? WHERE id = ${HEARTBEAT_ID}`;
      // Slots from an absolute start: a late write does not push every later one back.
      for (let slot = 0; !signal.aborted; ) {
        const waitMs = startMs + slot * heartbeatIntervalMs - performance.now();
        if (waitMs > 0 && !(await sleep(waitMs, signal))) break;
        const seq = matcher.next();
        const sentMs = performance.now();
        try {
          await writer.query(sql, [seq]);
        } catch (error) {
          if (!signal.aborted) note(heartbeatErrors, error);
          break;
        }
        const ackMs = performance.now();
        matcher.acked(seq, ackMs);
        commitUs.recordValue(Math.round((ackMs - sentMs) * 1000));
        written += 1;
        const next = nextSlot(slot, startMs, heartbeatIntervalMs);
        skippedSlots += next - slot - 1;
        slot = next;
      }
    })(),
  };

  const pollLoops: Loop[] = replicas.map((_, i) => {
    const conn = pollConns[i] as AdminConnection;
    const timing = timings[i] as PollTiming;
    const errors: string[] = [];
    const done = (async () => {
      const signal = pollStop.signal;
      const sql = `SELECT seq FROM ${table} WHERE id = ${HEARTBEAT_ID}`;
      while (!signal.aborted && !(draining && matcher.caughtUp(i))) {
        const sentMs = performance.now();
        let seq: unknown;
        try {
          const [rows] = await conn.query(sql);
          seq = (rows as { seq: unknown }[])[0]?.seq;
        } catch (error) {
          // Until the CREATE TABLE has replicated, the replica has no heartbeat table.
          if (errorCode(error) !== ER_NO_SUCH_TABLE) {
            if (signal.aborted) break;
            note(errors, error);
            // A read is safe to repeat: a lost connection is reopened by the next one, on the
            // same server or not at all.
            if (!(await reopenedOnSameServer(conn, i, errors, signal, error))) break;
            continue;
          }
        }
        const receivedMs = performance.now();
        timing.record(sentMs, receivedMs);
        if (seq !== undefined && seq !== null) matcher.seen(i, Number(seq), (sentMs + receivedMs) / 2);
        const waitMs = sentMs + pollIntervalMs - performance.now();
        if (waitMs > 0 && !(await sleep(waitMs, signal))) break;
      }
    })();
    return { conn, done, errors };
  });

  const auroraIds: (string | null | undefined)[] = replicas.map(() => undefined);
  const lagLoops: Loop[] = replicas.map((_, i) => {
    const conn = lagConns[i] as AdminConnection;
    const samples = reported[i] as ServerReportedSample[];
    const errors: string[] = [];
    const done = (async () => {
      const signal = heartbeatStop.signal;
      for (let slot = 0; !signal.aborted; ) {
        const waitMs = startMs + slot * serverLagIntervalMs - performance.now();
        if (waitMs > 0 && !(await sleep(waitMs, signal))) break;
        const tMs = performance.now() - startMs;
        try {
          const lag = await serverReportedLag(conn);
          if (lag.aurora && auroraIds[i] === undefined) {
            const [rows] = await conn.query("SELECT @@aurora_server_id AS id");
            auroraIds[i] = String((rows as { id: unknown }[])[0]?.id ?? "") || null;
          }
          samples.push({
            tMs: Math.round(tMs),
            secondsBehind: lag.secondsBehindSource,
            auroraLagMs: auroraLagFor(lag.aurora, auroraIds[i] ?? null),
          });
        } catch (error) {
          if (signal.aborted) break;
          note(errors, error);
          if (!(await reopenedOnSameServer(conn, i, errors, signal, error))) break;
        }
        slot = nextSlot(slot, startMs, serverLagIntervalMs);
      }
    })();
    return { conn, done, errors };
  });

  /** Waits for a loop that was told to stop; a query that never returns loses its connection. */
  const finish = async (loop: Loop) => {
    if (await settlesWithin(loop.done, HUNG_QUERY_GRACE_MS)) return;
    note(
      loop.errors,
      new Error(`a query was still running ${HUNG_QUERY_GRACE_MS} ms after stop; connection dropped`),
    );
    loop.conn.destroy();
    await loop.done;
  };

  let stopping: Promise<LagProbeResult> | undefined;
  const stop = async (): Promise<LagProbeResult> => {
    heartbeatStop.abort();
    await Promise.all([heartbeatLoop, ...lagLoops].map(finish));
    const stoppedMs = performance.now();
    // Reads go on until each replica shows the last acknowledged heartbeat, or the time is up.
    draining = true;
    const deadline = new AbortController();
    void sleep(drainTimeoutMs, deadline.signal).then((elapsed) => {
      if (elapsed) pollStop.abort();
    });
    await Promise.all(pollLoops.map((loop) => loop.done));
    deadline.abort();
    pollStop.abort();
    await Promise.all(pollLoops.map(finish));
    await closeAll();

    const commit = (p: number) => (written === 0 ? null : commitUs.getValueAtPercentile(p) / 1000);
    return {
      startEpochMs: Math.round(performance.timeOrigin + startMs),
      durationMs: Math.round(stoppedMs - startMs),
      heartbeat: {
        intervalMs: heartbeatIntervalMs,
        firstSeq,
        written,
        skippedSlots,
        commitMs: { p50: commit(50), p99: commit(99), max: written === 0 ? null : commitUs.maxValue / 1000 },
        errors: heartbeatErrors,
      },
      matchWindowMs,
      replicas: replicas.map((replica, i) => {
        const s = stats[i] as ReplicaLagStats;
        return {
          name: replica.name,
          server: identities[i] as string,
          lagMs: s.summary(),
          histogram: s.encoded(),
          perSecond: s.perSecond(),
          unseen: matcher.unseen(i),
          overWindow: matcher.overWindow(i),
          beforeAck: s.beforeAck,
          foreign: matcher.foreign(i),
          ...(timings[i] as PollTiming).summary(),
          serverReported: reported[i] as ServerReportedSample[],
          errors: [...(pollLoops[i]?.errors ?? []), ...(lagLoops[i]?.errors ?? [])],
          reconnects: reconnects[i] ?? 0,
        };
      }),
    };
  };

  // On SIGINT or an error the run's cleanup closes the probe's connections too.
  const removeCleanup = addCleanup(async () => {
    stopping ??= stop();
    await stopping;
  });
  return {
    startMs,
    stop: () => {
      removeCleanup();
      stopping ??= stop();
      return stopping;
    },
  };
}
