import type { WorkerHealth } from "../metrics/interval.js";
import type { Opened } from "./failover-connector.js";

const RECONNECT_FIRST_MS = 100;
/** The longest wait between attempts unless the run sets reconnectMaxMs. */
const RECONNECT_MAX_MS = 5000;

/** A connection that can be reopened in place. */
export interface Reconnectable {
  /** Takes the newly opened connection in place of the lost one, and is alive again. */
  reattach(opened: Opened): void;
  /** Takes load again at once, if a phase is running. */
  rejoin(): void;
  /** An attempt to reopen it failed (the attempt is retried). */
  openFailed?(error: unknown): void;
}

/**
 * Reopens lost connections, with backoff, while the others go on; counts the losses and returns
 * for the health samples (the timeline's reconnect marks). Closing the worker cancels what is
 * pending and closes whatever opens after.
 */
export class Reconnector {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing = false;
  private lostSinceSample = 0;
  private reconnectedSinceSample = 0;
  private readonly maxDelayMs: number;

  constructor(
    private readonly connector: { open(): Promise<Opened> },
    maxDelayMs: number | undefined,
  ) {
    this.maxDelayMs = maxDelayMs ?? RECONNECT_MAX_MS;
  }

  /** A connection was lost (the error that lost it is already counted). */
  countLost(): void {
    this.lostSinceSample++;
  }

  /**
   * Opens `conn` again after 0.1 s, doubling with each failed attempt up to maxDelayMs, each wait
   * jittered (x0.5 to x1) so connections lost together do not come back as one burst. Once back,
   * it rejoins the load.
   */
  reopen(conn: Reconnectable, failedAttempts = 0): void {
    if (this.closing) return;
    const delayMs =
      Math.min(this.maxDelayMs, RECONNECT_FIRST_MS * 2 ** failedAttempts) * (0.5 + Math.random() / 2);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.connector.open().then(
        (opened) => {
          if (this.closing) {
            opened.conn.destroy();
            return;
          }
          conn.reattach(opened);
          // Counted before rejoining: rejoining can close an interval, whose sample must include it.
          this.reconnectedSinceSample++;
          conn.rejoin();
        },
        (error: unknown) => {
          conn.openFailed?.(error);
          this.reopen(conn, failedAttempts + 1);
        },
      );
    }, delayMs);
    this.timers.add(timer);
  }

  /** Moves the losses and returns since the last sample into `sample`. */
  takeCounts(sample: WorkerHealth): void {
    sample.lost = this.lostSinceSample;
    sample.reconnected = this.reconnectedSinceSample;
    this.lostSinceSample = 0;
    this.reconnectedSinceSample = 0;
  }

  /** The worker closes: nothing more is reopened. */
  close(): void {
    this.closing = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
