import { encodeHistogram, type Histogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { IntervalMessage, OpInterval, PhaseName, WorkerHealth } from "../metrics/interval.js";

/**
 * Per-worker recording for one phase: one histogram and counters per operation for the current
 * interval. An interval is closed when the first completion past its end arrives (or the idle timer
 * notices), so every sample lands in the interval it completed in.
 */
export class IntervalRecorder {
  private readonly histograms: Histogram[];
  private readonly counts: number[];
  private readonly errors: number[];
  private readonly rows: number[];
  private errorsByCode: Record<string, number> = {};
  private phase: PhaseName = "warmup";
  private startEpochMs = 0;
  private index = 0;
  private nextBoundaryMs = Number.POSITIVE_INFINITY;
  private dirty = false;

  constructor(
    private readonly opCount: number,
    private readonly intervalMs: number,
    private readonly workerIndex: number,
    private readonly emit: (message: IntervalMessage) => void,
    /** Samples the worker's own health when an interval closes. */
    private readonly health: () => WorkerHealth = () => ({
      utilization: 0,
      delayP99Ms: 0,
      delayMaxMs: 0,
      spanMs: 0,
      inFlight: 0,
      backlog: 0,
    }),
  ) {
    this.histograms = Array.from({ length: opCount }, () => newLatencyHistogram());
    this.counts = new Array<number>(opCount).fill(0);
    this.errors = new Array<number>(opCount).fill(0);
    this.rows = new Array<number>(opCount).fill(0);
  }

  startPhase(phase: PhaseName, startEpochMs: number): void {
    this.phase = phase;
    this.startEpochMs = startEpochMs;
    this.index = 0;
    this.nextBoundaryMs = startEpochMs + this.intervalMs;
    this.dirty = false;
  }

  ok(op: number, latencyUs: number, rows: number, nowEpochMs: number): void {
    if (nowEpochMs >= this.nextBoundaryMs) this.roll(nowEpochMs);
    this.histograms[op]?.recordValue(Math.max(latencyUs, 1));
    this.counts[op] = (this.counts[op] ?? 0) + 1;
    this.rows[op] = (this.rows[op] ?? 0) + rows;
    this.dirty = true;
  }

  error(op: number, code: string, nowEpochMs: number): void {
    if (nowEpochMs >= this.nextBoundaryMs) this.roll(nowEpochMs);
    this.errors[op] = (this.errors[op] ?? 0) + 1;
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
    this.dirty = true;
  }

  /** Called by a timer so that quiet intervals are still reported on time. */
  tick(nowEpochMs: number): void {
    if (nowEpochMs >= this.nextBoundaryMs) this.roll(nowEpochMs);
  }

  /** Sends what the current interval holds (at the end of a phase, a partial interval). */
  flush(): void {
    if (this.dirty) this.emitCurrent();
  }

  private roll(nowEpochMs: number): void {
    this.emitCurrent();
    this.index = Math.floor((nowEpochMs - this.startEpochMs) / this.intervalMs);
    this.nextBoundaryMs = this.startEpochMs + (this.index + 1) * this.intervalMs;
  }

  private emitCurrent(): void {
    const ops: OpInterval[] = [];
    for (let op = 0; op < this.opCount; op++) {
      const histogram = this.histograms[op] as Histogram;
      const count = this.counts[op] ?? 0;
      ops.push({
        count,
        errors: this.errors[op] ?? 0,
        rows: this.rows[op] ?? 0,
        histogram: count > 0 ? encodeHistogram(histogram) : null,
      });
      if (count > 0) histogram.reset();
      this.counts[op] = 0;
      this.errors[op] = 0;
      this.rows[op] = 0;
    }
    this.emit({
      type: "interval",
      workerIndex: this.workerIndex,
      phase: this.phase,
      index: this.index,
      ops,
      errorsByCode: this.errorsByCode,
      health: this.health(),
    });
    this.errorsByCode = {};
    this.dirty = false;
  }
}
