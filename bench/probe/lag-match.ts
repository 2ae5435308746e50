/**
 * Matches heartbeats to the moment each replica first shows them. Pure: the caller owns the clock,
 * the writes and the polls, and passes their times in (ms, one monotonic clock for all of them).
 *
 * Heartbeats are numbered firstSeq, firstSeq + 1, ... and written one at a time by one connection,
 * so at most one is in flight, and they are acknowledged in order. A replica that shows seq v has
 * applied every heartbeat up to v: when it first shows v, every heartbeat not yet seen there, up to
 * v, gets lag = seenMs - ackMs.
 */

/** One heartbeat seen on one replica. lagMs is negative when the sighting came before the ack. */
export interface LagSample {
  replica: number;
  seq: number;
  ackMs: number;
  lagMs: number;
}

export interface LagMatcherOptions {
  /** The first heartbeat number of this probe; replicas showing less still show an earlier run's. */
  firstSeq: number;
  /**
   * Acknowledgements kept: the longest lag that can still be measured is this many heartbeats.
   * Older ones are dropped, and a heartbeat seen only after its ack was dropped counts in overWindow.
   */
  capacity: number;
  replicas: number;
  onSample: (sample: LagSample) => void;
}

export class LagMatcher {
  readonly firstSeq: number;
  private readonly capacity: number;
  private readonly onSample: (sample: LagSample) => void;
  // A ring of acknowledgements indexed by seq % capacity; the seq tag says which one a slot holds.
  private readonly ringSeq: Float64Array;
  private readonly ringAckMs: Float64Array;
  private lastSentSeq: number;
  private lastAckedSeq: number;
  /** Per replica: every heartbeat up to this one was seen there. */
  private readonly seenUpTo: number[];
  /** Per replica: when the heartbeat in flight (lastAcked + 1) was seen before its ack arrived. */
  private readonly pendingSeenMs: (number | undefined)[];
  private readonly overWindowCounts: number[];
  private readonly foreignCounts: number[];

  constructor(options: LagMatcherOptions) {
    if (!Number.isSafeInteger(options.firstSeq) || options.firstSeq < 1) {
      throw new RangeError(`firstSeq must be a positive integer, not ${options.firstSeq}`);
    }
    if (!Number.isSafeInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, not ${options.capacity}`);
    }
    this.firstSeq = options.firstSeq;
    this.capacity = options.capacity;
    this.onSample = options.onSample;
    this.ringSeq = new Float64Array(options.capacity).fill(-1);
    this.ringAckMs = new Float64Array(options.capacity);
    this.lastSentSeq = options.firstSeq - 1;
    this.lastAckedSeq = options.firstSeq - 1;
    this.seenUpTo = Array.from({ length: options.replicas }, () => options.firstSeq - 1);
    this.pendingSeenMs = Array.from({ length: options.replicas }, () => undefined);
    this.overWindowCounts = Array.from({ length: options.replicas }, () => 0);
    this.foreignCounts = Array.from({ length: options.replicas }, () => 0);
  }

  /** The next heartbeat is about to be written; returns its number. */
  next(): number {
    if (this.lastSentSeq !== this.lastAckedSeq) {
      throw new Error(
        `heartbeat ${this.lastSentSeq} is still in flight: heartbeats are written one at a time`,
      );
    }
    this.lastSentSeq += 1;
    return this.lastSentSeq;
  }

  /** The primary acknowledged the commit of heartbeat `seq` (the one in flight) at `ackMs`. */
  acked(seq: number, ackMs: number): void {
    if (seq !== this.lastSentSeq || seq === this.lastAckedSeq) {
      throw new Error(`ack for heartbeat ${seq}, but the one in flight is ${this.lastSentSeq}`);
    }
    const slot = seq % this.capacity;
    this.ringSeq[slot] = seq;
    this.ringAckMs[slot] = ackMs;
    this.lastAckedSeq = seq;
    for (const [replica, seenMs] of this.pendingSeenMs.entries()) {
      if (seenMs === undefined) continue;
      this.pendingSeenMs[replica] = undefined;
      this.onSample({ replica, seq, ackMs, lagMs: seenMs - ackMs });
    }
  }

  /** Replica `replica` showed heartbeat `seq` in a read made at `seenMs`. */
  seen(replica: number, seq: number, seenMs: number): void {
    const upTo = this.seenUpTo[replica];
    if (upTo === undefined) throw new RangeError(`no replica ${replica}`);
    if (seq > this.lastSentSeq) {
      // Not written by this probe: another writer uses the same heartbeat row.
      this.foreignCounts[replica] = (this.foreignCounts[replica] ?? 0) + 1;
      return;
    }
    if (seq <= upTo) return;
    this.seenUpTo[replica] = seq;
    // Acks already dropped from the ring: seen, but too late to say how late.
    const oldestKept = Math.max(this.firstSeq, this.lastAckedSeq - this.capacity + 1);
    const dropped = Math.min(seq, oldestKept - 1) - upTo;
    if (dropped > 0) this.overWindowCounts[replica] = (this.overWindowCounts[replica] ?? 0) + dropped;
    for (let s = Math.max(upTo + 1, oldestKept); s <= Math.min(seq, this.lastAckedSeq); s++) {
      const ackMs = this.ringAckMs[s % this.capacity] as number;
      this.onSample({ replica, seq: s, ackMs, lagMs: seenMs - ackMs });
    }
    // The replica applied the heartbeat in flight before this client processed its ack: matched
    // when the ack arrives (it must, before the next heartbeat is written).
    if (seq > this.lastAckedSeq) this.pendingSeenMs[replica] = seenMs;
  }

  /** Every heartbeat up to this number was seen on `replica` (firstSeq - 1 before any). */
  seenThrough(replica: number): number {
    return this.seenUpTo[replica] ?? this.firstSeq - 1;
  }

  /** Every acknowledged heartbeat was seen on `replica`. */
  caughtUp(replica: number): boolean {
    return (this.seenUpTo[replica] ?? -1) >= this.lastAckedSeq;
  }

  get lastAcked(): number {
    return this.lastAckedSeq;
  }

  /** Heartbeats acknowledged so far. */
  get acknowledged(): number {
    return this.lastAckedSeq - this.firstSeq + 1;
  }

  /** Acknowledged heartbeats `replica` has not shown (yet). */
  unseen(replica: number): number {
    return Math.max(0, this.lastAckedSeq - (this.seenUpTo[replica] ?? this.firstSeq - 1));
  }

  /** Heartbeats seen on `replica` after their ack had left the ring. */
  overWindow(replica: number): number {
    return this.overWindowCounts[replica] ?? 0;
  }

  /** Reads of `replica` showing a number this probe never wrote. */
  foreign(replica: number): number {
    return this.foreignCounts[replica] ?? 0;
  }
}
