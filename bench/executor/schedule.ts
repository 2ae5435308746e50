/**
 * The arrival schedule of an open-loop executor (constant arrival rate, as k6's
 * "constant-arrival-rate" or wrk2): operations are due at fixed times whether or not the target
 * kept up, so a slow target shows up as latency instead of silently lowering the offered load
 * (coordinated omission). Pure: the caller owns the clock, the timers and the connections.
 */

/** Default backlog: ten seconds of a worker's schedule may wait for a free connection. */
export const DEFAULT_BACKLOG_MS = 10_000;

export function assertRate(ratePerSec: number): void {
  if (!(Number.isFinite(ratePerSec) && ratePerSec > 0)) {
    throw new RangeError(
      `rate must be a positive, finite number of operations per second, got ${ratePerSec}`,
    );
  }
}

/**
 * When op `seq` of a schedule is intended: `startMs + seq * 1000 / ratePerSec`. Computed from `seq`
 * alone, never by adding up intervals, so op 10,000,000 is as exact as op 1 (adding 1000 / 3 ten
 * million times drifts by a third of a millisecond).
 */
export function intendedMs(startMs: number, ratePerSec: number, seq: number): number {
  return startMs + (seq * 1000) / ratePerSec;
}

/**
 * Worker `worker` of `workers` runs ops `worker`, `worker + workers`, ... of the global schedule; its
 * `k`-th op is global op `seq`. Together the workers run every op of the schedule exactly once.
 */
export function workerSeq(worker: number, workers: number, k: number): number {
  return worker + k * workers;
}

/** Ops one worker may hold waiting: `backlogMs` of its own share of the schedule, rounded up. */
export function backlogCapacityOps(ratePerSec: number, workers: number, backlogMs: number): number {
  return Math.ceil((ratePerSec * backlogMs) / (1000 * workers));
}

/** The moments of one op. The three views below take them by name so they cannot be mixed up. */
export interface OpTimes {
  /** When the schedule meant the op to start. */
  intendedMs: number;
  /** When it was actually sent. */
  sentMs: number;
  /** When its reply arrived. */
  completedMs: number;
}

/** What a client arriving on schedule waited: the latency corrected for coordinated omission. */
export function latencyFromIntendedMs(times: OpTimes): number {
  return times.completedMs - times.intendedMs;
}

/** How long the target took once the op was sent (what a closed loop measures). */
export function serviceTimeMs(times: OpTimes): number {
  return times.completedMs - times.sentMs;
}

/** How late the send was: waiting for a connection, or a late timer in the generator itself. */
export function sendLatenessMs(times: OpTimes): number {
  return times.sentMs - times.intendedMs;
}

export interface OpenLoopOptions {
  /** Operations per second of the global schedule (all workers together). */
  ratePerSec: number;
  /** When op 0 of the global schedule is intended, on the clock's scale (ms). */
  startMs: number;
  /** This scheduler runs ops n ≡ worker (mod workers) of the global schedule. Default 0 of 1. */
  worker?: number;
  workers?: number;
  /** How much of this worker's schedule may wait for a free connection, in ms; default 10 s. */
  backlogMs?: number;
  /** The clock (ms), read when a method is called without `nowMs`. */
  now: () => number;
}

/** One step of constant rate: its ops are those intended in [startMs, endMs). */
interface Step {
  readonly startMs: number;
  readonly ratePerSec: number;
  readonly capacity: number;
  /** The start of the next step; infinite for the last one. */
  endMs: number;
  /** This worker's index of the next op not yet drawn from the step. */
  cursor: number;
}

const MIN_RING_SIZE = 16;

/** A clock reading of NaN or infinity would make every op due, or none, forever. */
function assertNow(nowMs: number): void {
  if (!Number.isFinite(nowMs))
    throw new RangeError(`the clock must read a finite number of ms, got ${nowMs}`);
}

/**
 * Hands a worker its ops at their intended times. The caller drives it:
 *
 * - `take(now)` whenever a connection is free: the oldest op whose time has come, if any;
 * - `admitDue(now)` once no connection is free: the ops whose time has come wait in the backlog;
 * - `nextDueMs()` to set a timer for the next op.
 *
 * The backlog is bounded. When it is full, ops that come due are dropped and counted: the newest
 * are turned away, the oldest kept. Dropping the oldest instead would throw out exactly the ops that
 * had waited longest, just before their wait was recorded: the latency tail would be capped near the
 * backlog's length and look better than what clients got, the bias open-loop measurement exists to
 * remove. Turning new arrivals away is what a real bounded queue does, decides each drop as the op
 * comes due (at the `admitDue` its timer calls), and records every admitted op's whole wait. Latencies then describe the ops that ran;
 * any drop at all means the target did not sustain the rate, so the drop count must be reported
 * next to them.
 *
 * Dropping never moves the schedule: the ops after a stall are intended at their original times.
 */
export class OpenLoopScheduler {
  private readonly worker: number;
  private readonly workers: number;
  private readonly backlogMs: number;
  private readonly now: () => number;
  private current: Step;
  /** Steps announced by `changeRate` that have not begun. */
  private readonly upcoming: Step[] = [];

  // The backlog: a ring of (seq, intendedMs) pairs, grown by doubling up to what is needed.
  private ringSeq = new Float64Array(0);
  private ringIntendedMs = new Float64Array(0);
  private ringHead = 0;
  private ringLength = 0;

  private scheduledCount = 0;
  private startedCount = 0;
  private droppedCount = 0;
  private discardedCount = 0;
  private maxBacklogLength = 0;

  /** The op handed out by the last successful `take`. */
  private takenSeq = -1;
  private takenIntendedMs = Number.NaN;
  private takenLateMs = Number.NaN;

  constructor(options: OpenLoopOptions) {
    this.worker = options.worker ?? 0;
    this.workers = options.workers ?? 1;
    this.backlogMs = options.backlogMs ?? DEFAULT_BACKLOG_MS;
    this.now = options.now;
    if (!(Number.isInteger(this.workers) && this.workers >= 1)) {
      throw new RangeError(`workers must be a positive integer, got ${this.workers}`);
    }
    if (!(Number.isInteger(this.worker) && this.worker >= 0 && this.worker < this.workers)) {
      throw new RangeError(`worker must be an integer from 0 to ${this.workers - 1}, got ${this.worker}`);
    }
    if (!(Number.isFinite(this.backlogMs) && this.backlogMs >= 0)) {
      throw new RangeError(`backlogMs must be a finite number >= 0, got ${this.backlogMs}`);
    }
    this.current = this.newStep(options.ratePerSec, options.startMs);
  }

  /** Ops whose time has come so far: started, dropped, waiting or discarded. */
  get scheduled(): number {
    return this.scheduledCount;
  }

  get started(): number {
    return this.startedCount;
  }

  /** Ops turned away because the backlog was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Ops still waiting when `discardBacklog` was called (never sent, never dropped). */
  get discarded(): number {
    return this.discardedCount;
  }

  get backlogLength(): number {
    return this.ringLength;
  }

  get maxBacklog(): number {
    return this.maxBacklogLength;
  }

  /** How many ops the backlog admits at the rate of the step now running. */
  get backlogCapacity(): number {
    return this.step().capacity;
  }

  /** Of the op handed out by the last `take`: its sequence number in its step's global schedule. */
  get lastSeq(): number {
    return this.takenSeq;
  }

  /** Of the op handed out by the last `take`: when it was intended (latency is timed from here). */
  get lastIntendedMs(): number {
    return this.takenIntendedMs;
  }

  /** Of the op handed out by the last `take`: how late it was taken, `nowMs - intendedMs` (>= 0). */
  get lastLateMs(): number {
    return this.takenLateMs;
  }

  /**
   * A connection is free at `nowMs`: hands it the oldest op whose time has come (the backlog's head,
   * else the next op of the schedule if it is due). Returns false when no op is due; otherwise the op
   * is in `lastSeq`, `lastIntendedMs` and `lastLateMs` until the next call.
   */
  take(nowMs: number = this.now()): boolean {
    assertNow(nowMs);
    if (this.ringLength > 0) {
      const slot = this.ringHead;
      this.ringHead = (slot + 1) & (this.ringSeq.length - 1);
      this.ringLength--;
      this.hand(this.ringSeq[slot] as number, this.ringIntendedMs[slot] as number, nowMs);
      return true;
    }
    const step = this.step();
    const seq = workerSeq(this.worker, this.workers, step.cursor);
    const intended = intendedMs(step.startMs, step.ratePerSec, seq);
    if (intended > nowMs) return false;
    step.cursor++;
    this.scheduledCount++;
    this.hand(seq, intended, nowMs);
    return true;
  }

  /**
   * No connection is free at `nowMs`: the ops whose time has come join the backlog, in order, while
   * it has room; the rest are dropped. Returns how many this call dropped.
   */
  admitDue(nowMs: number = this.now()): number {
    assertNow(nowMs);
    let droppedNow = 0;
    for (;;) {
      const step = this.step();
      const seq = workerSeq(this.worker, this.workers, step.cursor);
      const intended = intendedMs(step.startMs, step.ratePerSec, seq);
      if (intended > nowMs) break;
      if (this.ringLength < step.capacity) {
        this.push(seq, intended);
        step.cursor++;
        this.scheduledCount++;
        continue;
      }
      // Full: every op of this step due by now is turned away, counted without visiting each one
      // (a long stall at a high rate would otherwise loop over millions of ops).
      const count = this.dueInStep(step, nowMs);
      step.cursor += count;
      this.scheduledCount += count;
      this.droppedCount += count;
      droppedNow += count;
    }
    if (this.ringLength > this.maxBacklogLength) this.maxBacklogLength = this.ringLength;
    return droppedNow;
  }

  /** When the next op not yet handed out or admitted is intended (in the past if one is overdue). */
  nextDueMs(): number {
    const step = this.step();
    return intendedMs(step.startMs, step.ratePerSec, workerSeq(this.worker, this.workers, step.cursor));
  }

  /**
   * From `startMs` on, the schedule runs at `ratePerSec` (global), as a new schedule: its op 0 is
   * intended at `startMs`, and ops of the old rate end there. Announce a change before it takes
   * effect: once an op of the old rate intended at or after `startMs` has been handed out or admitted,
   * the two steps would overlap, and this throws. Ops already waiting keep their intended times; if
   * the new capacity is smaller than the backlog, none is evicted, new ones are refused until it fits.
   */
  changeRate(ratePerSec: number, startMs: number): void {
    const step = this.newStep(ratePerSec, startMs);
    const last = this.upcoming.at(-1) ?? this.current;
    if (startMs < last.startMs) {
      throw new RangeError(
        `a rate change at ${startMs} ms comes before the step it follows (${last.startMs} ms)`,
      );
    }
    if (last === this.current && last.cursor > 0) {
      const lastDrawnMs = intendedMs(
        last.startMs,
        last.ratePerSec,
        workerSeq(this.worker, this.workers, last.cursor - 1),
      );
      if (lastDrawnMs >= startMs) {
        throw new RangeError(
          `a rate change at ${startMs} ms comes too late: an op intended at ${lastDrawnMs} ms was already scheduled`,
        );
      }
    }
    last.endMs = startMs;
    this.upcoming.push(step);
  }

  /** Empties the backlog (at the end of a phase: these ops were never sent). Returns how many. */
  discardBacklog(): number {
    const count = this.ringLength;
    this.ringHead = 0;
    this.ringLength = 0;
    this.discardedCount += count;
    return count;
  }

  private newStep(ratePerSec: number, startMs: number): Step {
    assertRate(ratePerSec);
    if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be a finite number, got ${startMs}`);
    return {
      startMs,
      ratePerSec,
      capacity: backlogCapacityOps(ratePerSec, this.workers, this.backlogMs),
      endMs: Number.POSITIVE_INFINITY,
      cursor: 0,
    };
  }

  /** The step the next op comes from; moves on past steps whose ops are all drawn. */
  private step(): Step {
    let step = this.current;
    while (
      intendedMs(step.startMs, step.ratePerSec, workerSeq(this.worker, this.workers, step.cursor)) >=
      step.endMs
    ) {
      // Only the last step has an infinite end, so a step that ended always has a successor.
      step = this.upcoming.shift() as Step;
      this.current = step;
    }
    return step;
  }

  /** How many ops of `step`, from its cursor on, are intended by `nowMs` (and before the step ends). */
  private dueInStep(step: Step, nowMs: number): number {
    const untilMs = Math.min(nowMs, step.endMs);
    // An estimate of the last due op's index, then corrected against the exact intended times.
    const estimate = (((untilMs - step.startMs) * step.ratePerSec) / 1000 - this.worker) / this.workers;
    let last = Math.max(step.cursor - 1, Math.floor(estimate));
    while (this.isDue(step, last + 1, nowMs)) last++;
    while (last >= step.cursor && !this.isDue(step, last, nowMs)) last--;
    return last - step.cursor + 1;
  }

  private isDue(step: Step, k: number, nowMs: number): boolean {
    const intended = intendedMs(step.startMs, step.ratePerSec, workerSeq(this.worker, this.workers, k));
    return intended <= nowMs && intended < step.endMs;
  }

  private hand(seq: number, intended: number, nowMs: number): void {
    this.takenSeq = seq;
    this.takenIntendedMs = intended;
    this.takenLateMs = nowMs - intended;
    this.startedCount++;
  }

  private push(seq: number, intended: number): void {
    if (this.ringLength === this.ringSeq.length) this.grow();
    const slot = (this.ringHead + this.ringLength) & (this.ringSeq.length - 1);
    this.ringSeq[slot] = seq;
    this.ringIntendedMs[slot] = intended;
    this.ringLength++;
  }

  /** Doubles the ring (sizes are powers of two, so a slot is a mask away), keeping the order. */
  private grow(): void {
    const size = Math.max(MIN_RING_SIZE, this.ringSeq.length * 2);
    const seqs = new Float64Array(size);
    const intendeds = new Float64Array(size);
    const mask = this.ringSeq.length - 1;
    for (let i = 0; i < this.ringLength; i++) {
      const slot = (this.ringHead + i) & mask;
      seqs[i] = this.ringSeq[slot] as number;
      intendeds[i] = this.ringIntendedMs[slot] as number;
    }
    this.ringSeq = seqs;
    this.ringIntendedMs = intendeds;
    this.ringHead = 0;
  }
}
