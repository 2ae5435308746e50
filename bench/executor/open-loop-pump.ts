import type { OpenLoopInit, ScheduleReport } from "./protocol.js";
import { OpenLoopScheduler } from "./schedule.js";
import type { WorkerPhase } from "./worker-phase.js";

/** What the pump needs of a connection: whether it is open, and a way to hand it an op. */
export interface ScheduledConnection {
  readonly alive: boolean;
  /** Runs the op the scheduler handed out, timed from its intended start. */
  startScheduled(intendedMs: number, lateMs: number, nowMs: number): void;
}

/**
 * How long the end of a measured window may go on sending its backlog. A target that keeps up
 * leaves a few ops, sent in milliseconds; one that fell behind could leave seconds of schedule,
 * and the step is already reported as not sustained. What is still waiting then is discarded.
 */
export const BACKLOG_DRAIN_MS = 2000;

/**
 * The open loop of one worker: each phase's schedule (OpenLoopScheduler), the connections waiting
 * for an op, the timer that wakes when the next op is due, and the end of the window with its
 * backlog. Busy connections are counted on the WorkerPhase, so a drain waits for them.
 */
export class OpenLoopPump<C extends ScheduledConnection> {
  private scheduler: OpenLoopScheduler | undefined;
  /** Open connections waiting for an op (a stack: the last freed is the first reused). */
  private readonly free: C[] = [];
  /** The phase's window ends here: ops intended at or after it belong to no phase. */
  private untilEpochMs = Number.POSITIVE_INFINITY;
  private pumpTimer: NodeJS.Timeout | undefined;
  /** Draining, and the window's backlog is still being sent. */
  private sendingBacklog = false;
  private backlogTimer: NodeJS.Timeout | undefined;
  /** The timer's callback, made once rather than per wake-up. */
  private readonly pumpCallback = () => this.pump();

  constructor(
    private readonly options: OpenLoopInit,
    private readonly workerIndex: number,
    private readonly phase: WorkerPhase,
    private readonly now: () => number,
  ) {}

  /** Ops waiting for a free connection (0 before the first phase). */
  get backlogLength(): number {
    return this.scheduler?.backlogLength ?? 0;
  }

  /**
   * A phase is announced: its own schedule, starting at its start instant, over the window
   * [startEpochMs, startEpochMs + durationMs).
   */
  startPhase(startEpochMs: number, durationMs: number): void {
    this.scheduler = new OpenLoopScheduler({
      ratePerSec: this.options.ratePerSec,
      startMs: startEpochMs,
      worker: this.workerIndex,
      workers: this.options.workers,
      backlogMs: this.options.backlogMs,
      now: this.now,
    });
    this.untilEpochMs = startEpochMs + durationMs;
  }

  /** The phase's start instant has come: every open connection is free, and due ops go out. */
  begin(connections: readonly C[]): void {
    this.free.length = 0;
    for (const conn of connections) if (conn.alive) this.free.push(conn);
    this.pump();
  }

  /** A connection finished its op; it takes the next due one or waits for one. */
  freed(conn: C, nowMs: number): void {
    if ((this.phase.accepting || this.sendingBacklog) && conn.alive && this.takeDue(nowMs)) {
      const s = this.scheduler as OpenLoopScheduler;
      conn.startScheduled(s.lastIntendedMs, s.lastLateMs, nowMs);
      return;
    }
    if (this.phase.accepting && conn.alive) this.free.push(conn);
    this.phase.markIdle();
  }

  /** A reopened connection joins the free ones (the caller checked that the phase accepts load). */
  rejoin(conn: C): void {
    this.free.push(conn);
    if (!this.pumpTimer) this.pump();
  }

  /**
   * End of the window (after WorkerPhase.beginDrain). Every op intended inside the window is
   * accounted for: it waits in the backlog (dropped only past its bound) and is sent as connections
   * free up, timed from its intended start, for BACKLOG_DRAIN_MS at most. After an interrupt
   * (`abandonBacklog`) the backlog is counted as discarded instead, so the run stops at once.
   */
  drain(abandonBacklog = true): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    const scheduler = this.scheduler;
    if (scheduler) {
      scheduler.admitDue(Math.min(this.now(), this.lastInWindowMs()));
      this.sendingBacklog = !abandonBacklog;
      if (abandonBacklog) scheduler.discardBacklog();
      else {
        this.backlogTimer = setTimeout(() => {
          this.sendingBacklog = false;
          scheduler.discardBacklog();
        }, BACKLOG_DRAIN_MS);
      }
      if (this.sendingBacklog) this.startDueOnFree(scheduler, this.now());
    }
    this.free.length = 0;
  }

  /** The phase is over: the backlog is no longer sent. */
  stopBacklog(): void {
    this.sendingBacklog = false;
    if (this.backlogTimer) clearTimeout(this.backlogTimer);
    this.backlogTimer = undefined;
  }

  /** How the latest phase's schedule went (undefined before the first phase). */
  report(): ScheduleReport | undefined {
    const s = this.scheduler;
    if (!s) return undefined;
    return {
      scheduled: s.scheduled,
      started: s.started,
      dropped: s.dropped,
      discarded: s.discarded,
      maxBacklog: s.maxBacklog,
    };
  }

  /**
   * Hands due ops to free connections; with none free, due ops join the backlog (or are dropped
   * past its bound). Then sleeps until the next op is due. Timers fire on whole milliseconds, so a
   * send can be up to about 1 ms late; that lateness is recorded, not hidden.
   */
  private pump(): void {
    this.pumpTimer = undefined;
    const s = this.scheduler;
    if (!this.phase.accepting || !s) return;
    const nowMs = this.now();
    this.startDueOnFree(s, nowMs);
    if (this.free.length === 0) s.admitDue(Math.min(nowMs, this.lastInWindowMs()));
    const nextMs = s.nextDueMs();
    if (nextMs >= this.untilEpochMs) return;
    this.pumpTimer = setTimeout(this.pumpCallback, Math.max(0, nextMs - this.now()));
  }

  /** Each free connection takes a due op, while both last. */
  private startDueOnFree(s: OpenLoopScheduler, nowMs: number): void {
    while (this.free.length > 0 && this.takeDue(nowMs)) {
      const conn = this.free.pop() as C;
      this.phase.markBusy();
      conn.startScheduled(s.lastIntendedMs, s.lastLateMs, nowMs);
    }
  }

  /** The oldest op whose time has come and that belongs to the phase, if any. */
  private takeDue(nowMs: number): boolean {
    const s = this.scheduler as OpenLoopScheduler;
    if (s.backlogLength === 0 && s.nextDueMs() >= this.untilEpochMs) return false;
    return s.take(nowMs);
  }

  /**
   * The latest intended time that still belongs to the phase's window [start, until). At epoch
   * magnitudes (~1.8e12 ms) a double's step is ~0.24 us, so "until - 1e-6" would equal until; one
   * relative epsilon below is the next representable time or just under it.
   */
  private lastInWindowMs(): number {
    return this.untilEpochMs - Math.abs(this.untilEpochMs) * Number.EPSILON;
  }
}
