import { performance } from "node:perf_hooks";
import type { AdminConnection } from "../target/connection.js";
import {
  appliedThrough,
  type GtidDialect,
  type GtidPlace,
  type GtidWaitRow,
  gtidPlace,
  gtidWaitOutcome,
  gtidWaitStatement,
  gtidWaitTimeoutArg,
  serverMoments,
} from "./lag-method.js";
import type { WaitAnswer, WaitTiming } from "./lag-stats.js";

/**
 * The GTID waits of one replica: every acknowledged heartbeat's GTID is waited for on the replica,
 * on a few connections of its own so that a wait still blocked (the replica behind) does not hold
 * back the next one. Waits go out in heartbeat order as connections come free. The server answers
 * when the replica has applied the heartbeat, with what it has applied by then, so one answer shows
 * every heartbeat applied with it; a heartbeat already shown is not waited for. WaitTiming turns
 * the answer into the sighting's moment and each sample's error bound.
 */

/**
 * Waits in flight per replica by default: heartbeats waited for at once. A replica may apply many
 * heartbeats within a round trip (a backlog; a MariaDB replica with MASTER_DELAY applies a second's
 * worth at once): with this many held ahead, each is still answered when its own is applied (on a
 * 2-core sandbox, 4 left about 1 sample in 20 of a delayed replica found applied, 16 none).
 */
export const DEFAULT_WAITS_IN_FLIGHT = 16;
export const MAX_WAITS_IN_FLIGHT = 64;
/** A wait unanswered this long returns (counted) and is sent again. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;

/** A heartbeat acknowledged and not yet shown by an answer. */
interface Unseen {
  seq: number;
  place: GtidPlace | null;
  ackMs: number;
}

interface PendingWait {
  seq: number;
  gtid: string;
  /** The last moment the heartbeat was known not to be applied: its ack, or a timed-out answer. */
  sinceMs: number;
  /** Not sent yet (a send again after a timeout or a lost connection is not first). */
  first: boolean;
}

export interface GtidWaiterOptions {
  dialect: GtidDialect;
  conns: readonly AdminConnection[];
  timeoutMs: number;
  /** The most heartbeats queued; the oldest beyond it are not waited for (the matcher's window). */
  capacity: number;
  timing: WaitTiming;
  /** Every heartbeat up to this one was seen on the replica. */
  seenThrough: () => number;
  /** The replica applied heartbeat `seq`, by the moment `seenMs`. */
  seen: (seq: number, seenMs: number) => void;
  /** After a failed wait: true when `conn` is open again on the same server; false stops its waits. */
  recover: (conn: AdminConnection, error: unknown) => Promise<boolean>;
  note: (error: unknown) => void;
  now?: () => number;
}

export class GtidWaiter {
  private readonly sql: string;
  private readonly timeoutArg: number;
  private readonly now: () => number;
  private queue: PendingWait[] = [];
  private head = 0;
  private unseen: Unseen[] = [];
  private unseenHead = 0;
  /** The newest heartbeat shown was not applied before this (heartbeats are applied in order). */
  private floorMs = Number.NEGATIVE_INFINITY;
  private wakers: (() => void)[] = [];
  private readonly busy = new Set<AdminConnection>();
  /** Heartbeats not waited for because more than `capacity` were queued. */
  dropped = 0;

  constructor(private readonly options: GtidWaiterOptions) {
    this.sql = gtidWaitStatement(options.dialect);
    this.timeoutArg = gtidWaitTimeoutArg(options.dialect, options.timeoutMs);
    this.now = options.now ?? (() => performance.now());
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Heartbeat `seq`, committed with `gtid`, was acknowledged at `ackMs`: wait for it. */
  enqueue(seq: number, gtid: string, ackMs: number): void {
    this.queue.push({ seq, gtid, sinceMs: ackMs, first: true });
    this.unseen.push({ seq, place: gtidPlace(this.options.dialect, gtid), ackMs });
    if (this.queued > this.options.capacity) {
      this.head += 1;
      this.dropped += 1;
    }
    if (this.unseen.length - this.unseenHead > this.options.capacity) this.unseenHead += 1;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.unseenHead > 1024 && this.unseenHead * 2 > this.unseen.length) {
      this.unseen = this.unseen.slice(this.unseenHead);
      this.unseenHead = 0;
    }
    this.wake();
  }

  /** Idle connections look again: at a new heartbeat, a sighting, the drain or the stop. */
  wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }

  /** Server thread ids of the connections with a wait in flight (for KILL QUERY at a hard stop). */
  busyThreadIds(): number[] {
    return [...this.busy].map((conn) => conn.threadId).filter((id): id is number => id !== undefined);
  }

  /**
   * Waits on every connection until `signal` aborts or `finished()` (checked whenever a connection
   * is free) says so; resolves when every connection has stopped.
   */
  async run(signal: AbortSignal, finished: () => boolean): Promise<void> {
    const onAbort = () => this.wake();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.all(this.options.conns.map((conn) => this.waitOn(conn, signal, finished)));
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** The next heartbeat to wait for, past any already seen; undefined when there is none. */
  private take(): PendingWait | undefined {
    const seenThrough = this.options.seenThrough();
    while (this.head < this.queue.length) {
      const item = this.queue[this.head] as PendingWait;
      this.head += 1;
      if (item.seq > seenThrough) return item;
    }
    return undefined;
  }

  /** Puts a heartbeat taken back at the front: every one queued is later than it. */
  private putBack(item: PendingWait): void {
    if (this.head > 0) {
      this.head -= 1;
      this.queue[this.head] = item;
    } else {
      this.queue.unshift(item);
    }
  }

  private idle(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  /**
   * Records what an answer showed: the heartbeat waited for, every one before it, and every later
   * one the replica's applied position (`applied`) holds in the same stream.
   */
  private reached(item: PendingWait, answer: WaitAnswer, applied: unknown): void {
    const { timing } = this.options;
    const place = gtidPlace(this.options.dialect, item.gtid);
    const through = place === null ? null : this.through(applied, place);
    const before = this.options.seenThrough();
    let shown = item.seq;
    while (this.unseenHead < this.unseen.length) {
      const next = this.unseen[this.unseenHead] as Unseen;
      const along =
        next.seq > item.seq &&
        through !== null &&
        next.place !== null &&
        next.place.stream === place?.stream &&
        next.place.n <= through;
      if (next.seq > item.seq && !along) break;
      this.unseenHead += 1;
      shown = Math.max(shown, next.seq);
      if (next.seq <= before) continue;
      // Waited for before it was applied: off by the way back. Applied before the wait arrived:
      // somewhere after its ack (or a timed-out answer), and after the heartbeat shown before it.
      const sinceMs = Math.max(next.seq === item.seq ? item.sinceMs : next.ackMs, this.floorMs);
      const boundMs = answer.held ? answer.uncertaintyMs : answer.seenMs - sinceMs + answer.uncertaintyMs;
      timing.sample(boundMs, answer, along);
    }
    if (shown <= before) return;
    this.options.seen(shown, answer.seenMs);
    // A held wait returns when its heartbeat is applied: the next one was applied no earlier.
    if (answer.held) this.floorMs = Math.max(this.floorMs, answer.seenMs - answer.uncertaintyMs);
  }

  /** How far `applied` reaches in the stream of `place` (null: not as far as `place`). */
  private through(applied: unknown, place: GtidPlace): number | null {
    return appliedThrough(this.options.dialect, applied, place);
  }

  private async waitOn(conn: AdminConnection, signal: AbortSignal, finished: () => boolean): Promise<void> {
    const { timing } = this.options;
    while (!signal.aborted && !finished()) {
      const item = this.take();
      if (!item) {
        await this.idle(signal);
        continue;
      }
      const sentMs = this.now();
      timing.issue(item.first, sentMs - item.sinceMs);
      item.first = false;
      let row: GtidWaitRow;
      this.busy.add(conn);
      try {
        const [rows] = await conn.query(this.sql, [item.gtid, this.timeoutArg]);
        row = (rows as GtidWaitRow[])[0] ?? {};
      } catch (error) {
        this.putBack(item);
        if (signal.aborted) return;
        this.options.note(error);
        if (!(await this.options.recover(conn, error))) return;
        continue;
      } finally {
        this.busy.delete(conn);
      }
      const receivedMs = this.now();
      const outcome = gtidWaitOutcome(this.options.dialect, row.w);
      if (outcome === "reached") {
        const place = gtidPlace(this.options.dialect, item.gtid);
        // Not applied when the wait arrived: the server held it until it was.
        const held =
          place !== null &&
          typeof row.before_pos === "string" &&
          this.through(row.before_pos, place) === null;
        this.reached(item, timing.answered(sentMs, receivedMs, serverMoments(row), held), row.pos);
        // A sighting may have caught the replica up, or covered heartbeats others would wait for.
        this.wake();
      } else if (outcome === "timed-out") {
        timing.timeout(sentMs, receivedMs, serverMoments(row));
        item.sinceMs = receivedMs;
        this.putBack(item);
      } else {
        this.putBack(item);
        this.options.note(new Error(`the GTID wait for ${item.gtid} answered ${String(row.w)}`));
        return;
      }
    }
  }
}
