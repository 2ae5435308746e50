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
import {
  checkReplicaGtidWait,
  checkServerClock,
  chooseLagMethod,
  committedGtid,
  type GtidDialect,
  GtidWaitUnavailable,
  LAG_METHOD_CHOICES,
  type LagMethod,
  type LagMethodChoice,
  type MethodDecision,
  type PreparedPrimary,
  preparePrimaryGtid,
  type ReplicaGtidSupport,
  trialGtidWait,
} from "./lag-method.js";
import {
  type LagSummaryMs,
  type PerSecondLag,
  PollTiming,
  ReplicaLagStats,
  type WaitSummary,
  WaitTiming,
} from "./lag-stats.js";
import {
  DEFAULT_WAIT_TIMEOUT_MS,
  DEFAULT_WAITS_IN_FLIGHT,
  GtidWaiter,
  MAX_WAITS_IN_FLIGHT,
} from "./lag-wait.js";

export type { LagMethod, LagMethodChoice, WaitSummary };

/**
 * Replica lag measured by sequence visibility, with no clock shared between servers: a heartbeat
 * row on the primary gets an increasing number at a steady pace, and this client notes when each
 * commit is acknowledged. When a replica is first known to show number v, every heartbeat up to v
 * not yet seen there gets lag = (that moment) - (its ack), both on this process's monotonic clock.
 * Each replica learns it by one of two methods (lag-method.ts), chosen per replica:
 *
 * - gtid-wait, where the replica can wait for the primary's GTIDs (a MariaDB replica following by
 *   GTID, a MySQL one with gtid_mode ON): the primary returns each heartbeat's GTID with its commit,
 *   and as soon as the ack arrives the replica is asked, on connections of its own, to wait for it
 *   (MASTER_GTID_WAIT, WAIT_FOR_EXECUTED_GTID_SET; lag-wait.ts). The server answers when the replica
 *   has applied the heartbeat, with its own clock around the wait, which the waits pin to this
 *   process's clock: a sample's error is about half the fastest round trip (lag-stats.ts
 *   WaitTiming). It times the replica recording the GTID as applied, which MariaDB does a little
 *   after the commit makes the row visible (about 0.3 ms on a loaded 2-core sandbox), and the
 *   server's waking of the held wait, which that bound leaves out: on a machine short of CPU it
 *   can run to milliseconds (3 busy processes on a 2-core sandbox: the wait 1-7 ms after the poll
 *   at the median).
 * - poll, elsewhere (Aurora readers, Galera nodes, replicas following by file and position): a
 *   connection per replica reads the row about every millisecond. A read's moment is the midpoint
 *   of its send and its reply, and the row may have changed at any time since the previous read:
 *   a sample's error is at most one poll interval + half a round trip.
 *
 * The error bound of a typical sample is reported per replica as resolutionMs, with the method. A
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
  /**
   * This replica's method, over the probe's. A server may be listed twice when its two entries ask
   * for different methods ("wait" and "poll"): both then time the same heartbeats, side by side.
   */
  method?: LagMethodChoice;
}

/** One heartbeat seen on one replica, as recorded (before negative lags become 0). */
export interface ProbeSample {
  replica: string;
  seq: number;
  /** On performance.now()'s clock. */
  ackMs: number;
  lagMs: number;
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
  /**
   * auto (default): the GTID wait on every replica that allows it, the poll elsewhere; wait: the
   * GTID wait or a TargetError naming the replica that cannot; poll: the poll everywhere.
   */
  method?: LagMethodChoice;
  /** GTID waits in flight per replica, each on a connection of its own; default 16. */
  waitsInFlight?: number;
  /** A GTID wait unanswered this long returns, is counted and sent again; default 10 s. */
  waitTimeoutMs?: number;
  /** Called with every sample as it is recorded (a side-by-side compares them heartbeat by heartbeat). */
  onSample?: (sample: ProbeSample) => void;
  /** Called with each reading of what a replica says of its own lag, as it is read. */
  onServerReported?: (replica: string, sample: ServerReportedSample) => void;
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
  /** How its sightings were timed: GTID waits, or reads of the heartbeat row. */
  method: LagMethod;
  /** Why that method, in words. */
  methodReason: string;
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
  /** poll: reads made; gtid-wait: waits answered that the heartbeat was applied. */
  polls: number;
  /** Measured mean time between reads; null for gtid-wait. */
  pollIntervalMs: number | null;
  pollIntervalP99Ms: number | null;
  /** Measured median round trip of a read (gtid-wait: of a wait, less the time the server held it). */
  roundTripMs: number | null;
  /**
   * Error bound of a typical sample. poll: pollIntervalMs + roundTripMs / 2; gtid-wait: the median
   * of each sample's bound (for a wait held until its heartbeat was applied, how closely the waits
   * pin the server's clock to this process's: about half the fastest round trip).
   */
  resolutionMs: number | null;
  /** gtid-wait only: the waits' own figures (timeouts among them); null for poll. */
  waits: WaitSummary | null;
  serverReported: ServerReportedSample[];
  /** What interrupted this replica's reads or server-lag readings; empty when nothing did. */
  errors: string[];
  /** Times its probe connections were lost and reopened on the same server. */
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
 * matched with the server-reported lag of another. Returns each replica's server. Two replicas
 * reaching one server are refused unless `twinAllowed` says that pair is listed twice on purpose.
 */
export async function checkProbeIdentities(
  writer: AdminConnection,
  replicas: readonly LagProbeReplica[],
  pollConns: readonly AdminConnection[],
  lagConns: readonly AdminConnection[],
  twinAllowed: (a: number, b: number) => boolean = () => false,
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
    const twin = identities.findIndex((identity, j) => identity === polled && !twinAllowed(j, i));
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
  done: Promise<void>;
  errors: string[];
  /** Drops the loop's connections (a query that never returns). */
  abandon(): void;
}

function methodChoice(value: string | undefined, where: string): LagMethodChoice {
  const choice = value ?? "auto";
  if (!LAG_METHOD_CHOICES.includes(choice as LagMethodChoice)) {
    throw new UsageError(
      `lag probe: ${where} must be one of ${LAG_METHOD_CHOICES.join(", ")}, not '${choice}'`,
    );
  }
  return choice as LagMethodChoice;
}

/** The GTID wait was asked for and a replica cannot do it (named, with why, in the message). */
export class GtidWaitRefused extends TargetError {}

/** One replica's method, and for a GTID wait its connections and figures. */
interface ReplicaPlan {
  decision: MethodDecision;
  wait?: { dialect: GtidDialect; conns: AdminConnection[]; timing: WaitTiming };
}

/** A reopened probe connection that reached another server than the one it measured. */
class WrongServer extends Error {}

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
  const waitTimeoutMs = msOption("waitTimeoutMs", options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
  const waitsInFlight = options.waitsInFlight ?? DEFAULT_WAITS_IN_FLIGHT;
  if (!Number.isInteger(waitsInFlight) || waitsInFlight < 1 || waitsInFlight > MAX_WAITS_IN_FLIGHT) {
    throw new UsageError(`lag probe: waitsInFlight must be a whole number from 1 to ${MAX_WAITS_IN_FLIGHT}`);
  }
  const replicas = options.replicas;
  if (replicas.length === 0) throw new UsageError("lag probe: no replicas to watch");
  if (new Set(replicas.map((r) => r.name)).size !== replicas.length) {
    throw new UsageError("lag probe: replica names must be distinct");
  }
  const probeChoice = methodChoice(options.method, "method");
  const choices = replicas.map((r) => methodChoice(r.method ?? probeChoice, `${r.name}'s method`));
  const explicit = replicas.map((r) => r.method);
  // The same server twice, once per method: a side-by-side of the two on the same heartbeats.
  const twinAllowed = (a: number, b: number) =>
    explicit[a] !== undefined &&
    explicit[b] !== undefined &&
    explicit[a] !== "auto" &&
    explicit[b] !== "auto" &&
    explicit[a] !== explicit[b];
  const table = `${quoteIdentifier(options.database ?? options.primary.database)}.${HEARTBEAT_TABLE}`;
  const secrets = [options.primary.password, ...replicas.map((r) => r.target.password)];
  const describe = (error: unknown) => redactText((error as Error).message ?? String(error), secrets);
  const heartbeatSql = `UPDATE ${table} SET seq = ? WHERE id = ${HEARTBEAT_ID}`;

  const opened: AdminConnection[] = [];
  // Each replica's server once checked, and its connections: one the server closed while idle is
  // reopened at its next read, and must be back on that server (an endpoint may route elsewhere).
  let knownServers: string[] = [];
  const replicaConns: AdminConnection[][] = replicas.map(() => []);
  const sameServer = (replica: number) => async (conn: AdminConnection) => {
    const expected = knownServers[replica];
    if (expected === undefined) return;
    const server = await serverIdentityKey(conn);
    if (server !== expected) throw new WrongServer(`reopened connection reached ${server}, not ${expected}`);
  };
  const open = async (target: TargetSpec, replica?: number) => {
    const conn = await openAdminConnection(
      target,
      false,
      replica === undefined ? undefined : sameServer(replica),
    );
    opened.push(conn);
    if (replica !== undefined) replicaConns[replica]?.push(conn);
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
  let primaryGtid: PreparedPrimary = { dialect: null, reason: "poll asked for" };
  const plans: ReplicaPlan[] = [];
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
    if (choices.some((c) => c !== "poll")) {
      // One heartbeat before the first, written to check that its commit comes back with a GTID.
      const setupSeq = firstSeq;
      primaryGtid = await preparePrimaryGtid(writer, async () => {
        firstSeq = setupSeq + 1;
        return (await writer.query(heartbeatSql, [setupSeq]))[0];
      });
    }
    pollConns = await Promise.all(replicas.map((r, i) => open(r.target, i)));
    lagConns = await Promise.all(replicas.map((r, i) => open(r.target, i)));
    identities = await checkProbeIdentities(writer, replicas, pollConns, lagConns, twinAllowed);
    knownServers = identities;
    // Galera: a read that waits for causality would measure the wait, not what the node shows.
    for (const conn of [...pollConns, ...lagConns]) {
      if ((await readVariable(conn, "wsrep_sync_wait")) !== null)
        await conn.query("SET SESSION wsrep_sync_wait = 0");
    }
    for (const [i, replica] of replicas.entries()) {
      plans.push(
        await planReplica(i, replica, choices[i] as LagMethodChoice, primaryGtid, {
          lagConn: lagConns[i] as AdminConnection,
          identity: identities[i] as string,
          open: (target) => open(target, i),
          waitsInFlight,
          waitTimeoutMs,
          describe,
        }),
      );
      // A replica timed by waits has no use for its read connection.
      if (plans[i]?.wait) await (pollConns[i] as AdminConnection).end();
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  const dialect = primaryGtid.dialect;

  const startMs = performance.now();
  const stats = replicas.map(() => new ReplicaLagStats(startMs));
  const timings = replicas.map(() => new PollTiming());
  const reported: ServerReportedSample[][] = replicas.map(() => []);
  const matcher = new LagMatcher({
    firstSeq,
    capacity: Math.ceil(matchWindowMs / heartbeatIntervalMs),
    replicas: replicas.length,
    onSample: (sample) => {
      stats[sample.replica]?.add(sample.ackMs, sample.lagMs);
      options.onSample?.({
        replica: replicas[sample.replica]?.name ?? "",
        seq: sample.seq,
        ackMs: sample.ackMs,
        lagMs: sample.lagMs,
      });
    },
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
   * (its reopen checks that, as a round-robin endpoint could place it elsewhere); false to stop this
   * loop.
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
        // Any statement reopens it; the reopen's own check (sameServer) refuses another server.
        await conn.query("SELECT 1");
        return true;
      } catch (error) {
        note(errors, error);
        if (error instanceof WrongServer) return false;
        if (!(await sleep(RECONNECT_PAUSE_MS, signal))) return false;
      }
    }
    return false;
  };

  const readErrors: string[][] = replicas.map(() => []);
  const waiters: (GtidWaiter | undefined)[] = plans.map((plan, i) => {
    if (!plan.wait) return undefined;
    return new GtidWaiter({
      dialect: plan.wait.dialect,
      conns: plan.wait.conns,
      timeoutMs: waitTimeoutMs,
      capacity: Math.ceil(matchWindowMs / heartbeatIntervalMs),
      timing: plan.wait.timing,
      seenThrough: () => matcher.seenThrough(i),
      seen: (seq, seenMs) => matcher.seen(i, seq, seenMs),
      recover: (conn, error) =>
        reopenedOnSameServer(conn, i, readErrors[i] as string[], pollStop.signal, error),
      note: (error) => note(readErrors[i] as string[], error),
    });
  });

  const commitUs: Histogram = newLatencyHistogram();
  let written = 0;
  let skippedSlots = 0;
  const heartbeatErrors: string[] = [];
  const heartbeatLoop: Loop = {
    abandon: () => writer.destroy(),
    errors: heartbeatErrors,
    done: (async () => {
      const signal = heartbeatStop.signal;
      // Slots from an absolute start: a late write does not push every later one back.
      for (let slot = 0; !signal.aborted; ) {
        const waitMs = startMs + slot * heartbeatIntervalMs - performance.now();
        if (waitMs > 0 && !(await sleep(waitMs, signal))) break;
        const seq = matcher.next();
        const sentMs = performance.now();
        let ok: unknown;
        try {
          [ok] = await writer.query(heartbeatSql, [seq]);
        } catch (error) {
          if (!signal.aborted) note(heartbeatErrors, error);
          break;
        }
        const ackMs = performance.now();
        matcher.acked(seq, ackMs);
        if (dialect !== null) {
          // The waits go out now, before anything else: each ms here is a ms of blind spot.
          const gtid = committedGtid(dialect, ok);
          for (const [i, waiter] of waiters.entries()) {
            if (!waiter) continue;
            if (gtid === null) (plans[i]?.wait?.timing as WaitTiming).withoutGtid += 1;
            else waiter.enqueue(seq, gtid, ackMs);
          }
        }
        commitUs.recordValue(Math.round((ackMs - sentMs) * 1000));
        written += 1;
        const next = nextSlot(slot, startMs, heartbeatIntervalMs);
        skippedSlots += next - slot - 1;
        slot = next;
      }
    })(),
  };

  const pollLoops: Loop[] = [];
  for (const [i, plan] of plans.entries()) {
    const conn = pollConns[i] as AdminConnection;
    const errors: string[] = readErrors[i] as string[];
    if (plan.wait) {
      const waiter = waiters[i] as GtidWaiter;
      const waitConns = plan.wait.conns;
      pollLoops.push({
        errors,
        abandon: () => {
          for (const c of waitConns) c.destroy();
        },
        done: waiter.run(pollStop.signal, () => draining && matcher.caughtUp(i)),
      });
      continue;
    }
    const timing = timings[i] as PollTiming;
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
    pollLoops.push({ errors, abandon: () => conn.destroy(), done });
  }

  const auroraIds: (string | null | undefined)[] = replicas.map(() => undefined);
  const lagErrors: string[][] = replicas.map(() => []);
  const lagLoops: Loop[] = replicas.map((_, i) => {
    const conn = lagConns[i] as AdminConnection;
    const samples = reported[i] as ServerReportedSample[];
    const errors = lagErrors[i] as string[];
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
          const sample = {
            tMs: Math.round(tMs),
            secondsBehind: lag.secondsBehindSource,
            auroraLagMs: auroraLagFor(lag.aurora, auroraIds[i] ?? null),
          };
          samples.push(sample);
          options.onServerReported?.((replicas[i] as LagProbeReplica).name, sample);
        } catch (error) {
          if (signal.aborted) break;
          note(errors, error);
          if (!(await reopenedOnSameServer(conn, i, errors, signal, error))) break;
        }
        slot = nextSlot(slot, startMs, serverLagIntervalMs);
      }
    })();
    return { abandon: () => conn.destroy(), done, errors };
  });

  // At a hard stop (the drain's time is up) a wait still blocked in a replica is killed there,
  // from the replica's idle server-lag connection: it would otherwise hold its server thread until
  // its own timeout.
  pollStop.signal.addEventListener(
    "abort",
    () => {
      for (const [i, waiter] of waiters.entries()) {
        for (const id of waiter?.busyThreadIds() ?? []) {
          void lagConns[i]?.query(`KILL QUERY ${Number(id)}`).catch(() => undefined);
        }
      }
    },
    { once: true },
  );

  /** Waits for a loop that was told to stop; a query that never returns loses its connection. */
  const finish = async (loop: Loop) => {
    if (await settlesWithin(loop.done, HUNG_QUERY_GRACE_MS)) return;
    note(
      loop.errors,
      new Error(`a query was still running ${HUNG_QUERY_GRACE_MS} ms after stop; connection dropped`),
    );
    loop.abandon();
    await loop.done;
  };

  let stopping: Promise<LagProbeResult> | undefined;
  const stop = async (): Promise<LagProbeResult> => {
    heartbeatStop.abort();
    await Promise.all([heartbeatLoop, ...lagLoops].map(finish));
    const stoppedMs = performance.now();
    // Reads and waits go on until each replica shows the last acknowledged heartbeat, or the time is up.
    draining = true;
    for (const waiter of waiters) waiter?.wake();
    const deadline = new AbortController();
    void sleep(drainTimeoutMs, deadline.signal).then((elapsed) => {
      if (elapsed) pollStop.abort();
    });
    await Promise.race([
      Promise.all(pollLoops.map((loop) => loop.done)),
      new Promise<void>((resolve) =>
        pollStop.signal.addEventListener("abort", () => resolve(), { once: true }),
      ),
    ]);
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
      replicas: replicas.map((replica, i): ReplicaLagResult => {
        const s = stats[i] as ReplicaLagStats;
        const plan = plans[i] as ReplicaPlan;
        const timing = plan.wait
          ? plan.wait.timing.summary()
          : { ...(timings[i] as PollTiming).summary(), waits: null };
        return {
          name: replica.name,
          method: plan.decision.method,
          methodReason: plan.decision.reason,
          server: identities[i] as string,
          lagMs: s.summary(),
          histogram: s.encoded(),
          perSecond: s.perSecond(),
          unseen: matcher.unseen(i),
          overWindow: matcher.overWindow(i),
          beforeAck: s.beforeAck,
          foreign: matcher.foreign(i),
          ...timing,
          serverReported: reported[i] as ServerReportedSample[],
          errors: [...(readErrors[i] ?? []), ...(lagErrors[i] ?? [])],
          // Every reopen of its connections, those at a failed read and those of an idle one alike.
          reconnects: (replicaConns[i] ?? []).reduce((sum, conn) => sum + conn.reopened, 0),
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

/**
 * Decides one replica's method. For a GTID wait it opens the replica's wait connections, checks
 * that each reaches the replica's server and may call the wait; a replica that fails a check is
 * polled instead (or refused, when the wait was asked for).
 */
async function planReplica(
  index: number,
  replica: LagProbeReplica,
  choice: LagMethodChoice,
  primary: PreparedPrimary,
  context: {
    lagConn: AdminConnection;
    identity: string;
    open: (target: TargetSpec) => Promise<AdminConnection>;
    waitsInFlight: number;
    waitTimeoutMs: number;
    describe: (error: unknown) => string;
  },
): Promise<ReplicaPlan> {
  let support: ReplicaGtidSupport | undefined;
  const conns: AdminConnection[] = [];
  if (choice !== "poll" && primary.dialect !== null) {
    try {
      support = await checkReplicaGtidWait(context.lagConn, primary.dialect, primary.identity);
    } catch (error) {
      support = { ok: false, reason: `its replication could not be checked: ${context.describe(error)}` };
    }
    if (support.ok) {
      const dialect = primary.dialect;
      try {
        const opening = await Promise.allSettled(
          Array.from({ length: context.waitsInFlight }, () => context.open(replica.target)),
        );
        for (const outcome of opening) if (outcome.status === "fulfilled") conns.push(outcome.value);
        const failed = opening.find((outcome) => outcome.status === "rejected");
        if (failed) throw failed.reason;
        await Promise.all(
          conns.map(async (conn) => {
            const server = await serverIdentityKey(conn);
            if (server !== context.identity) throw new Error(`a wait connection reached ${server}`);
            await trialGtidWait(conn, dialect);
          }),
        );
        await checkServerClock(conns[0] as AdminConnection);
      } catch (error) {
        support = { ok: false, reason: `its GTID wait failed: ${context.describe(error)}` };
        await Promise.all(conns.map((conn) => conn.end()));
        conns.length = 0;
      }
    }
  }
  let decision: MethodDecision;
  try {
    decision = chooseLagMethod(choice, primary, support);
  } catch (error) {
    if (!(error instanceof GtidWaitUnavailable)) throw error;
    throw new GtidWaitRefused(
      `lag probe: ${replica.name} (${replica.target.displayUrl}, replica ${index + 1}) cannot time heartbeats by GTID wait, which was asked for: ${context.describe(error)}`,
    );
  }
  decision.reason = context.describe(new Error(decision.reason));
  if (decision.method !== "gtid-wait" || primary.dialect === null) return { decision };
  return {
    decision,
    wait: {
      dialect: primary.dialect,
      conns,
      timing: new WaitTiming(context.waitsInFlight, context.waitTimeoutMs),
    },
  };
}
