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
