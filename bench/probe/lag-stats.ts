import { encodeHistogram, type Histogram, newLatencyHistogram } from "../metrics/histogram.js";

/**
 * What a probe keeps per replica: lag samples in an HDR histogram and a per-second series, and
 * the measured timing of its polls (which bounds the error of every sample). Pure: times come in.
 */

const US_PER_MS = 1000;
const toUs = (ms: number) => Math.max(0, Math.round(ms * US_PER_MS));
const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

export interface LagSummaryMs {
  /** null when there are no samples. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  samples: number;
}

export interface PerSecondLag {
  /** Whole seconds from the probe's start to the heartbeat's commit acknowledgement. */
  second: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentile of sorted values: one of the values, never interpolated. `sorted` must not be empty. */
export function nearestRank(sorted: readonly number[], percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

function summarizeSecond(second: number, lagsUs: number[]): PerSecondLag {
  const sorted = lagsUs.sort((a, b) => a - b);
  return {
    second,
    count: sorted.length,
    p50Ms: nearestRank(sorted, 50) / US_PER_MS,
    p99Ms: nearestRank(sorted, 99) / US_PER_MS,
    maxMs: (sorted.at(-1) as number) / US_PER_MS,
  };
}

/**
 * Lags grouped by the second they belong to, exact within each second. Seconds must come in
 * non-decreasing order (a replica shows heartbeats in the order they were acknowledged), so only
 * the open second's values are held: memory stays one row per second whatever the run length.
 */
export class PerSecondSeries {
  private readonly closed: PerSecondLag[] = [];
  private openSecond = -1;
  private openUs: number[] = [];

  add(second: number, lagUs: number): void {
    if (second > this.openSecond) {
      this.close();
      this.openSecond = second;
    }
    // An earlier second cannot come (see above); were it to, it is counted in the open one rather
    // than lost, so the series still adds up to the total.
    this.openUs.push(lagUs);
  }

  private close(): void {
    if (this.openUs.length > 0) this.closed.push(summarizeSecond(this.openSecond, this.openUs));
    this.openUs = [];
  }

  /** Every second with samples, in order; the open second is included (and stays open). */
  rows(): PerSecondLag[] {
    if (this.openUs.length === 0) return [...this.closed];
    return [...this.closed, summarizeSecond(this.openSecond, [...this.openUs])];
  }
}

/** Lag samples of one replica. A negative lag (seen before the ack arrived) is recorded as 0. */
export class ReplicaLagStats {
  private readonly histogram: Histogram = newLatencyHistogram();
  private readonly series = new PerSecondSeries();
  /** Samples whose sighting came no later than the ack: the lag was within the error bound of 0. */
  beforeAck = 0;

  /** `startMs` is the probe's start, on the clock of ackMs. */
  constructor(private readonly startMs: number) {}

  add(ackMs: number, lagMs: number): void {
    if (lagMs <= 0) this.beforeAck += 1;
    const lagUs = toUs(lagMs);
    this.histogram.recordValue(lagUs);
    this.series.add(Math.max(0, Math.floor((ackMs - this.startMs) / 1000)), lagUs);
  }

  get samples(): number {
    return this.histogram.totalCount;
  }

  summary(): LagSummaryMs {
    const h = this.histogram;
    const samples = h.totalCount;
    const at = (p: number) => (samples === 0 ? null : h.getValueAtPercentile(p) / US_PER_MS);
    return {
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: samples === 0 ? null : h.maxValue / US_PER_MS,
      samples,
    };
  }

  encoded(): string {
    return encodeHistogram(this.histogram);
  }

  perSecond(): PerSecondLag[] {
    return this.series.rows();
  }
}

export interface PollTimingSummary {
  polls: number;
  /** Mean time from one poll's send to the next's: how long a new value can go unnoticed. */
  pollIntervalMs: number | null;
  /** 99th percentile of that gap (a stalled event loop or a slow reply widens it). */
  pollIntervalP99Ms: number | null;
  /** Median time from sending a poll to reading its reply. */
  roundTripMs: number | null;
  /** Error bound of a typical sample: mean poll interval + half the median round trip. */
  resolutionMs: number | null;
}

/** Measured timing of one replica's polls. */
export class PollTiming {
  private readonly gapUs: Histogram = newLatencyHistogram();
  private readonly roundTripUs: Histogram = newLatencyHistogram();
  private polls = 0;
  private firstSentMs = 0;
  private lastSentMs = 0;

  record(sentMs: number, receivedMs: number): void {
    if (this.polls === 0) this.firstSentMs = sentMs;
    else this.gapUs.recordValue(toUs(sentMs - this.lastSentMs));
    this.lastSentMs = sentMs;
    this.polls += 1;
    this.roundTripUs.recordValue(toUs(receivedMs - sentMs));
  }

  summary(): PollTimingSummary {
    const interval = this.polls > 1 ? (this.lastSentMs - this.firstSentMs) / (this.polls - 1) : null;
    const roundTrip = this.polls > 0 ? this.roundTripUs.getValueAtPercentile(50) / US_PER_MS : null;
    return {
      polls: this.polls,
      pollIntervalMs: interval === null ? null : round3(interval),
      pollIntervalP99Ms: this.polls > 1 ? this.gapUs.getValueAtPercentile(99) / US_PER_MS : null,
      roundTripMs: roundTrip,
      resolutionMs: interval === null || roundTrip === null ? null : round3(interval + roundTrip / 2),
    };
  }
}

/** How one replica's GTID waits went (ReplicaLagResult.waits; null for a polled replica). */
export interface WaitSummary {
  /** Connections waiting at once: at most this many heartbeats are waited for at a time. */
  connections: number;
  /** A wait still unanswered after this long returns, is counted in timedOut and is sent again. */
  timeoutMs: number;
  /** Waits sent, first sends and sends again after a timeout or a lost connection. */
  issued: number;
  reached: number;
  timedOut: number;
  /** Samples from waits the server held until their heartbeat was applied: off by half a round trip. */
  held: number;
  /**
   * Samples from waits that found their heartbeat applied already: the sample's bound runs from the
   * last moment it cannot have been applied (its ack, or the sighting of the heartbeat before it).
   */
  atOnce: number;
  /** Heartbeats shown by an answer's applied position beyond the one waited for (applied together). */
  shownAlong: number;
  /** From a heartbeat's ack to its wait being sent (queued behind busy connections included). */
  issueDelayP50Ms: number | null;
  issueDelayP99Ms: number | null;
  /** 99th percentile of the per-sample error bound whose median is resolutionMs. */
  resolutionP99Ms: number | null;
  /** Heartbeats acknowledged without a GTID: not waited for, each matched by the next one's wait. */
  withoutGtid: number;
  /** Times the waits' readings of the server's clock disagreed (a clock stepped) and were restarted. */
  clockResets: number;
}

/** Where a wait's answer places its sighting, and how it was answered. */
export interface WaitAnswer {
  seenMs: number;
  /** The server held the wait until the heartbeat was applied (it was not applied when it arrived). */
  held: boolean;
  /** How far off placing the server's moment on this process's clock may be. */
  uncertaintyMs: number;
}

/** A wait's moments by the server's clock (SYSDATE(6) before and after it), in epoch ms. */
export interface ServerMoments {
  t0Ms: number;
  t1Ms: number;
}

/** Waits within this long of the newest pin the server's clock (wall clocks can be slewed slowly). */
const CLOCK_WINDOW_MS = 1000;
const CLOCK_WINDOW_MAX = 512;

/**
 * Measured timing of one replica's GTID waits. Each wait's row carries the server's clock before
 * and after the wait, so every wait pins the server's clock against this process's, NTP-style:
 * the server read t0 after the send and t1 before the answer arrived, so (server - ours) lies in
 * [t1 - received, t0 - sent]. The waits of the last second together narrow that to the fastest
 * way there and back seen. A held wait's sighting is then t1 on this process's clock, off by at
 * most half that narrowed interval however slow its own answer was; a wait that found its
 * heartbeat applied is placed at t0 (the moment the server said so), and its bound runs from the
 * last moment the heartbeat cannot have been applied.
 */
export class WaitTiming {
  private readonly issueUs: Histogram = newLatencyHistogram();
  private readonly roundTripUs: Histogram = newLatencyHistogram();
  private readonly boundUs: Histogram = newLatencyHistogram();
  /** Per wait: when answered, and the bounds it puts on (server clock - ours). */
  private pins: { receivedMs: number; low: number; high: number }[] = [];
  issued = 0;
  reached = 0;
  timedOut = 0;
  held = 0;
  atOnce = 0;
  shownAlong = 0;
  withoutGtid = 0;
  /** Times the pins disagreed (a clock stepped or slewed fast) and were started again. */
  clockResets = 0;

  constructor(
    readonly connections: number,
    readonly timeoutMs: number,
  ) {}

  /** A wait is sent `delayMs` after its heartbeat's ack (first: not a send again after a timeout). */
  issue(first: boolean, delayMs: number): void {
    this.issued += 1;
    if (first) this.issueUs.recordValue(toUs(delayMs));
  }

  /** A wait answered that it timed out: its clock readings still pin the server's clock. */
  timeout(sentMs?: number, receivedMs?: number, server?: ServerMoments | null): void {
    this.timedOut += 1;
    if (sentMs !== undefined && receivedMs !== undefined && server) this.pin(sentMs, receivedMs, server);
  }

  /** Adds a wait's pin; returns (server - ours) and its uncertainty from the recent pins. */
  private pin(
    sentMs: number,
    receivedMs: number,
    server: ServerMoments,
  ): { offsetMs: number; halfWidthMs: number } {
    this.pins.push({ receivedMs, low: server.t1Ms - receivedMs, high: server.t0Ms - sentMs });
    const oldest = this.pins.findIndex((p) => p.receivedMs >= receivedMs - CLOCK_WINDOW_MS);
    if (oldest > 0) this.pins = this.pins.slice(oldest);
    if (this.pins.length > CLOCK_WINDOW_MAX) this.pins = this.pins.slice(-CLOCK_WINDOW_MAX);
    let low = Number.NEGATIVE_INFINITY;
    let high = Number.POSITIVE_INFINITY;
    for (const p of this.pins) {
      low = Math.max(low, p.low);
      high = Math.min(high, p.high);
    }
    if (high < low) {
      // Pins that cannot all hold: start again from this wait's own.
      this.clockResets += 1;
      this.pins = this.pins.slice(-1);
      const own = this.pins[0] as { low: number; high: number };
      low = own.low;
      high = Math.max(own.low, own.high);
    }
    return { offsetMs: (low + high) / 2, halfWidthMs: (high - low) / 2 };
  }

  /**
   * A wait sent at `sentMs` answered at `receivedMs` that its heartbeat was applied. `server`: its
   * t0 and t1 (null when unreadable: then it is placed at the midpoint of its round trip, as not
   * held); `held`: the heartbeat was not applied when the wait arrived.
   */
  answered(sentMs: number, receivedMs: number, server: ServerMoments | null, held: boolean): WaitAnswer {
    this.reached += 1;
    const tookMs = Math.max(0, receivedMs - sentMs);
    if (server === null) {
      return { seenMs: receivedMs - tookMs / 2, held: false, uncertaintyMs: tookMs / 2 };
    }
    const heldMs = Math.min(Math.max(0, server.t1Ms - server.t0Ms), tookMs);
    this.roundTripUs.recordValue(toUs(tookMs - heldMs));
    const { offsetMs, halfWidthMs } = this.pin(sentMs, receivedMs, server);
    const atMs = (held ? server.t1Ms : server.t0Ms) - offsetMs;
    return {
      seenMs: Math.min(receivedMs, Math.max(sentMs, atMs)),
      held,
      uncertaintyMs: halfWidthMs,
    };
  }

  /** A heartbeat first shown by an answer, with the error bound of its sample. */
  sample(boundMs: number, answer: WaitAnswer, along: boolean): void {
    this.boundUs.recordValue(toUs(Math.max(0, boundMs)));
    if (answer.held) this.held += 1;
    else this.atOnce += 1;
    if (along) this.shownAlong += 1;
  }

  /** In PollTiming's terms (polls: waits reached; no poll interval), and the wait's own figures. */
  summary(): PollTimingSummary & { waits: WaitSummary } {
    const p = (h: Histogram, percentile: number) =>
      h.totalCount === 0 ? null : h.getValueAtPercentile(percentile) / US_PER_MS;
    return {
      polls: this.reached,
      pollIntervalMs: null,
      pollIntervalP99Ms: null,
      roundTripMs: p(this.roundTripUs, 50),
      resolutionMs: p(this.boundUs, 50),
      waits: {
        connections: this.connections,
        timeoutMs: this.timeoutMs,
        issued: this.issued,
        reached: this.reached,
        timedOut: this.timedOut,
        held: this.held,
        atOnce: this.atOnce,
        shownAlong: this.shownAlong,
        issueDelayP50Ms: p(this.issueUs, 50),
        issueDelayP99Ms: p(this.issueUs, 99),
        resolutionP99Ms: p(this.boundUs, 99),
        withoutGtid: this.withoutGtid,
        clockResets: this.clockResets,
      },
    };
  }
}
