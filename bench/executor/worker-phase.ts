import type { PhaseName } from "../metrics/interval.js";

/**
 * Where a load worker is in the coordinator's phases, and how many of its connections are busy.
 * A phase takes load (accepting) until the coordinator says "drain"; then it waits for every busy
 * connection to finish what it was doing, and only when the last one is idle is the phase over
 * (`drained`), so every statement sent in the phase is recorded in it.
 */
export class WorkerPhase {
  private name: PhaseName = "warmup";
  private acceptingLoad = false;
  private draining = false;
  /** Connections with a transaction under way: what a drain waits for. */
  private busyConnections = 0;
  private tickTimer: NodeJS.Timeout | undefined;

  constructor(
    /** Closes quiet intervals on time: an interval also ends when no statement completes in it. */
    private readonly tick: () => void,
    private readonly tickPeriodMs: number,
    /** The phase is over and no connection is busy. Runs once per drain. */
    private readonly drained: () => void,
  ) {}

  get current(): PhaseName {
    return this.name;
  }

  /** New transactions may start (a phase is running and not draining). */
  get accepting(): boolean {
    return this.acceptingLoad;
  }

  get inFlight(): number {
    return this.busyConnections;
  }

  /** A phase is announced: load is accepted from now on (its start instant may still be ahead). */
  start(name: PhaseName): void {
    this.name = name;
    this.acceptingLoad = true;
    this.draining = false;
  }

  /** The phase's start instant has come: the interval clock runs until the phase is over. */
  startTicking(): void {
    this.tickTimer = setInterval(this.tick, this.tickPeriodMs);
  }

  markBusy(): void {
    this.busyConnections++;
  }

  /** A connection finished (or lost) its work; the last one to do so while draining ends the phase. */
  markIdle(): void {
    this.busyConnections--;
    if (this.draining && this.busyConnections === 0) this.finish();
  }

  /** No new transactions; the phase ends when the busy connections are idle (see endIfIdle). */
  beginDrain(): void {
    this.acceptingLoad = false;
    this.draining = true;
  }

  /** Called once the drain's own work is done: with no connection busy, the phase ends now. */
  endIfIdle(): void {
    if (this.busyConnections === 0) this.finish();
  }

  private finish(): void {
    this.draining = false;
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    this.drained();
  }
}
