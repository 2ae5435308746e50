import type { PhaseName } from "../metrics/interval.js";
import { epochNowMs, sleepUntil } from "../util/timer.js";
import { type AdminConnection, openAdminConnection } from "./connection.js";
import type { TargetSpec } from "./url.js";

/**
 * Cumulative counters read each second, reported as their change per second. Names are the
 * server's own (SHOW GLOBAL STATUS); a name the server does not report is left out, not zeroed
 * (MariaDB 10.11 has no Innodb_rows_*, MySQL no Innodb_checkpoint_age, TiDB no Innodb_* at all).
 */
export const RATE_COUNTERS = [
  "Questions",
  "Com_select",
  "Com_insert",
  "Com_update",
  "Com_delete",
  "Com_begin",
  "Com_commit",
  "Com_rollback",
  // Rows written by statements, on every flavor (MariaDB counts its temporary tables apart).
  "Handler_write",
  "Handler_update",
  "Handler_delete",
  "Innodb_rows_read",
  "Innodb_rows_inserted",
  "Innodb_rows_updated",
  "Innodb_rows_deleted",
  "Innodb_row_lock_waits",
  // Milliseconds spent waiting for row locks: its rate is ms of waiting per second, over all sessions.
  "Innodb_row_lock_time",
  "Innodb_buffer_pool_read_requests",
  "Innodb_buffer_pool_reads",
  "Innodb_buffer_pool_pages_flushed",
  "Innodb_data_reads",
  "Innodb_data_read",
  "Innodb_data_writes",
  "Innodb_data_written",
  "Innodb_data_fsyncs",
  "Innodb_dblwr_writes",
  "Innodb_dblwr_pages_written",
  "Innodb_log_writes",
  "Innodb_os_log_written",
  "Innodb_os_log_fsyncs",
  "Bytes_sent",
  "Bytes_received",
] as const;

/** Levels read at each second's end, reported as they are. */
export const GAUGES = [
  "Threads_running",
  "Threads_connected",
  "Innodb_buffer_pool_pages_dirty",
  "Innodb_buffer_pool_pages_data",
  "Innodb_buffer_pool_pages_total",
  "Innodb_row_lock_current_waits",
  "Innodb_history_list_length",
  // MariaDB's: redo bytes not yet covered by a checkpoint (what a crash would replay).
  "Innodb_checkpoint_age",
] as const;

/**
 * MySQL 8.0.30+ reports the two ends of the checkpoint age instead of the age: read in the same
 * query, their difference is given as Innodb_checkpoint_age, so one name means one thing across
 * flavors. Older MySQL keeps it in information_schema.innodb_metrics, off by default: not read.
 */
const CHECKPOINT_LSNS = ["Innodb_redo_log_current_lsn", "Innodb_redo_log_checkpoint_lsn"] as const;

/** Read beside the rest to tell a restart: after one, every counter started again from zero. */
const UPTIME = "Uptime";

export const STATUS_NAMES: readonly string[] = [...RATE_COUNTERS, ...GAUGES, ...CHECKPOINT_LSNS, UPTIME];

/** One read of the server's status: its numeric values by name, and when they were read. */
export interface StatusRead {
  /**
   * This process's clock (epochNowMs) halfway between sending the query and its reply: the server
   * took its figures somewhere in between, so this is off by at most half the round trip.
   */
  readEpochMs: number;
  /** From sending the query to its reply. */
  roundTripMs: number;
  values: Readonly<Record<string, number>>;
}

/**
 * The server's figures for one second of a phase. The shape live/second.ts's ServerSecond takes
 * (that module sits above this one, so it is not imported here; trial.ts passes one as the other
 * and the compiler checks they agree), with spanMs besides.
 */
export interface ServerStatusSecond {
  /** The second of the phase it covers (intervals[].t): its read was due at the phase start + (t+1) s. */
  t: number;
  phase: PhaseName;
  /** When the counters at the second's end were read. */
  readEpochMs: number;
  /** The time the rates divide by: from the read before to this one, as the clock measured it. */
  spanMs: number;
  /** The read's round trip: readEpochMs is uncertain by half of it. */
  readMs: number;
  /** Change of each RATE_COUNTERS name over spanMs, per second. */
  ratesPerSec: Record<string, number>;
  /** GAUGES at the second's end. */
  gauges: Record<string, number>;
}

/**
 * The second from two reads: each counter's change divided by the real time between them (a read
 * that came late spans more than a second, and its rates are still per second). A counter that
 * went down (FLUSH STATUS), or every counter after a restart (Uptime went down), has no rate.
 */
export function serverSecondOf(
  phase: PhaseName,
  t: number,
  before: StatusRead,
  after: StatusRead,
): ServerStatusSecond {
  const spanMs = after.readEpochMs - before.readEpochMs;
  const upBefore = before.values[UPTIME];
  const upAfter = after.values[UPTIME];
  const restarted = upBefore !== undefined && upAfter !== undefined && upAfter < upBefore;
  const ratesPerSec: Record<string, number> = {};
  if (spanMs > 0 && !restarted) {
    for (const name of RATE_COUNTERS) {
      const a = after.values[name];
      const b = before.values[name];
      if (a !== undefined && b !== undefined && a >= b) ratesPerSec[name] = ((a - b) * 1000) / spanMs;
    }
  }
  const gauges: Record<string, number> = {};
  for (const name of GAUGES) {
    const value = after.values[name];
    if (value !== undefined) gauges[name] = value;
  }
  const [currentLsn, checkpointLsn] = CHECKPOINT_LSNS.map((name) => after.values[name]);
  if (gauges.Innodb_checkpoint_age === undefined && currentLsn !== undefined && checkpointLsn !== undefined)
    gauges.Innodb_checkpoint_age = Math.max(0, currentLsn - checkpointLsn);
  return { t, phase, readEpochMs: after.readEpochMs, spanMs, readMs: after.roundTripMs, ratesPerSec, gauges };
}

/** SHOW GLOBAL STATUS rows as numbers by the names asked for (matched without case), the rest dropped. */
export function statusValues(
  rows: readonly { Variable_name: string; Value: unknown }[],
): Record<string, number> {
  const byLowerName = new Map(STATUS_NAMES.map((name) => [name.toLowerCase(), name]));
  const values: Record<string, number> = {};
  for (const row of rows) {
    const name = byLowerName.get(row.Variable_name.toLowerCase());
    const value = typeof row.Value === "number" ? row.Value : Number(row.Value);
    if (name && row.Value !== "" && row.Value !== null && Number.isFinite(value)) values[name] = value;
  }
  return values;
}

/**
 * One query for every name: the server still walks its whole status, but the reply is a few dozen
 * rows, not 500, so the sampler's own bytes barely show in Bytes_sent.
 */
export const STATUS_QUERY = `SHOW GLOBAL STATUS WHERE Variable_name IN (${STATUS_NAMES.map((n) => `'${n}'`).join(",")})`;

export async function readStatus(conn: AdminConnection): Promise<Record<string, number>> {
  const [rows] = await conn.query(STATUS_QUERY);
  return statusValues(rows as { Variable_name: string; Value: unknown }[]);
}

/** The sampler's clock: the project's timers, replaced in tests by one the test moves. */
export interface SamplerClock {
  nowMs(): number;
  /** Resolves at atMs, or as soon as signal aborts. */
  sleepUntil(atMs: number, signal: AbortSignal): Promise<void>;
}

const REAL_CLOCK: SamplerClock = {
  nowMs: epochNowMs,
  sleepUntil: (atMs, signal) => sleepUntil(atMs, { signal }),
};

/** A read that failed, in the sampler's words; the second it was for has no figures. */
export interface SampleError {
  phase: PhaseName;
  /** The second whose end it was due at; -1 for the read at the phase's start. */
  t: number;
  message: string;
}

export interface ServerSamplerOptions {
  /** One read of the status (one query). May throw: the error is recorded and the next second read. */
  read: () => Promise<Record<string, number>>;
  /** The run's interrupt: sampling stops at once. */
  signal?: AbortSignal;
  clock?: SamplerClock;
  /** Errors kept word for word (the count is kept for all). */
  keepErrors?: number;
}

const SECOND_MS = 1000;
/** How long stopping a phase waits for a read in flight (a server that does not answer must not hold the run). */
export const STOP_GRACE_MS = 2000;

interface PhaseRun {
  phase: PhaseName;
  stop: AbortController;
  done: Promise<void>;
}

/**
 * Reads the server's status at each second boundary of a phase (its start + (t+1) s, on the load's
 * clock) and keeps one second of figures per read: never more than one query in flight, one per
 * second at most. A read that fails is recorded, not thrown, and the next second is read as usual;
 * a read that comes back late is kept with its own read time, and the seconds whose ends passed
 * meanwhile are covered by the next read instead of being read in a burst.
 */
export class ServerSampler {
  private readonly byPhase = new Map<PhaseName, Map<number, ServerStatusSecond>>();
  private readonly clock: SamplerClock;
  private current: PhaseRun | undefined;
  private readonly errorCountByPhase = new Map<PhaseName, number>();
  private inFlight = false;
  readonly errors: SampleError[] = [];
  /** Reads that failed, all of them (errors keeps the first few). */
  errorCount = 0;
  /** Reads sent, the failed ones included. */
  reads = 0;

  constructor(private readonly options: ServerSamplerOptions) {
    this.clock = options.clock ?? REAL_CLOCK;
  }

  /**
   * Starts sampling `phase`, which begins at startEpochMs and is scheduled to last durationMs (its
   * last second may be short). The phase sampled before is stopped first. Returns at once.
   */
  samplePhase(phase: PhaseName, startEpochMs: number, durationMs: number): void {
    const previous = this.current;
    previous?.stop.abort();
    const stop = new AbortController();
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, stop.signal]) : stop.signal;
    // The phase before ends its last read first. One the server has not answered within the grace
    // is let be: the connection sends the next query only after it, so one is on the wire at most.
    const before = previous ? withGrace(previous.done, this.clock) : Promise.resolve();
    const done = before
      .then(() => this.run(phase, startEpochMs, durationMs, signal))
      .catch((error: unknown) => this.recordError(phase, -1, error));
    this.current = { phase, stop, done };
  }

  /**
   * Ends the phase being sampled: a read whose second has ended is still taken, none after; waits
   * for the read in flight, at most STOP_GRACE_MS.
   */
  async stopPhase(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.stop.abort();
    await withGrace(current.done, this.clock);
  }

  /** The figures of one second, once read. */
  second(phase: PhaseName, t: number): ServerStatusSecond | undefined {
    return this.byPhase.get(phase)?.get(t);
  }

  /** Every second read of a phase, in order. */
  seconds(phase: PhaseName): ServerStatusSecond[] {
    return [...(this.byPhase.get(phase)?.values() ?? [])].sort((a, b) => a.t - b.t);
  }

  /** Errors of one phase, as counted (errors beyond keepErrors are counted, not kept). */
  errorsIn(phase: PhaseName): { count: number; first: string | undefined } {
    const kept = this.errors.filter((e) => e.phase === phase);
    return { count: this.errorCountByPhase.get(phase) ?? 0, first: kept[0]?.message };
  }

  /** A read is out (sent, not answered). */
  get reading(): boolean {
    return this.inFlight;
  }

  private async run(phase: PhaseName, startEpochMs: number, durationMs: number, signal: AbortSignal) {
    const { clock } = this;
    const endEpochMs = startEpochMs + Math.max(0, durationMs);
    const lastT = Math.max(0, Math.ceil(durationMs / SECOND_MS) - 1);
    const dueAt = (t: number) => Math.min(startEpochMs + (t + 1) * SECOND_MS, endEpochMs);
    // The read at the phase's start: the first second's rates are counted from it.
    await clock.sleepUntil(startEpochMs, signal);
    if (signal.aborted && clock.nowMs() < startEpochMs) return;
    if (this.options.signal?.aborted) return;
    let previous = await this.read(phase, -1);
    for (let t = 0; t <= lastT; t++) {
      await clock.sleepUntil(dueAt(t), signal);
      // Interrupted, or stopped before this second ended: it is not a whole second, so not read.
      if (this.options.signal?.aborted) return;
      const now = clock.nowMs();
      if (now < dueAt(t)) return;
      // Seconds whose ends passed while the last read was out are covered by this one.
      while (t < lastT && dueAt(t + 1) <= now) t++;
      const current = await this.read(phase, t);
      if (current && previous) this.keep(serverSecondOf(phase, t, previous, current));
      if (current) previous = current;
    }
  }

  private keep(second: ServerStatusSecond): void {
    let seconds = this.byPhase.get(second.phase);
    if (!seconds) {
      seconds = new Map();
      this.byPhase.set(second.phase, seconds);
    }
    seconds.set(second.t, second);
  }

  private async read(phase: PhaseName, t: number): Promise<StatusRead | undefined> {
    const sentMs = this.clock.nowMs();
    this.reads += 1;
    this.inFlight = true;
    try {
      const values = await this.options.read();
      const repliedMs = this.clock.nowMs();
      return { readEpochMs: (sentMs + repliedMs) / 2, roundTripMs: repliedMs - sentMs, values };
    } catch (error) {
      this.recordError(phase, t, error);
      return undefined;
    } finally {
      this.inFlight = false;
    }
  }

  private recordError(phase: PhaseName, t: number, error: unknown): void {
    this.errorCount += 1;
    this.errorCountByPhase.set(phase, (this.errorCountByPhase.get(phase) ?? 0) + 1);
    if (this.errors.length < (this.options.keepErrors ?? 5))
      this.errors.push({ phase, t, message: error instanceof Error ? error.message : String(error) });
  }
}

/** Resolves when `done` settles or STOP_GRACE_MS later, whichever comes first. */
function withGrace(done: Promise<void>, clock: SamplerClock): Promise<void> {
  const grace = new AbortController();
  const timeout = clock.sleepUntil(clock.nowMs() + STOP_GRACE_MS, grace.signal);
  return Promise.race([done.catch(() => undefined), timeout]).finally(() => grace.abort());
}

/** A sampler over a connection of its own, and how to close it. */
export interface OpenSampler {
  sampler: ServerSampler;
  /** Stops sampling and closes the connection (a read still out is cut). Never rejects. */
  close(): Promise<void>;
}

/**
 * Opens the sampler's own admin connection: the counters read at the phase boundaries keep theirs,
 * so a status read late or stuck never delays them, and a lost sampler connection never costs them.
 */
export async function openServerSampler(target: TargetSpec, signal?: AbortSignal): Promise<OpenSampler> {
  const conn = await openAdminConnection(target, false);
  const sampler = new ServerSampler({ read: () => readStatus(conn), ...(signal ? { signal } : {}) });
  return {
    sampler,
    async close() {
      await sampler.stopPhase();
      // A read still out after the grace would hold end() behind it: cut it.
      if (sampler.reading) conn.destroy();
      else await conn.end();
    },
  };
}
