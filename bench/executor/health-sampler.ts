import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { type Histogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { WorkerHealth } from "../metrics/interval.js";

const TICK_MS = 10;

/**
 * Watches the thread it runs on: how busy its event loop was since the last sample, and how late a
 * 10 ms timer fired. A busy or late loop means replies waited for the client, not the database.
 * (Node's own monitorEventLoopDelay drops the first tick after a reset, so a stall that straddles two
 * samples would be lost; this timer keeps its clock across samples.)
 */
export class HealthSampler {
  private readonly latenessUs: Histogram = newLatencyHistogram();
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private lastTickMs = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.last = performance.eventLoopUtilization();
    this.lastTickMs = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.latenessUs.recordValue(Math.max(1, Math.round((now - this.lastTickMs - TICK_MS) * 1000)));
      this.lastTickMs = now;
    }, TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(inFlight: number, backlog = 0, alive?: number): WorkerHealth {
    const since = performance.eventLoopUtilization(this.last);
    this.last = performance.eventLoopUtilization();
    // A stall still in progress counts now, not only when the timer finally fires.
    const pendingLateMs = Math.max(0, performance.now() - this.lastTickMs - TICK_MS);
    const ticks = this.latenessUs.totalCount;
    const health: WorkerHealth = {
      utilization: since.utilization,
      delayP99Ms: ticks > 0 ? this.latenessUs.getValueAtPercentile(99) / 1000 : 0,
      delayMaxMs: Math.max(ticks > 0 ? this.latenessUs.maxValue / 1000 : 0, pendingLateMs),
      inFlight,
      backlog,
      ...(alive === undefined ? {} : { alive }),
      spanMs: since.idle + since.active,
    };
    this.latenessUs.reset();
    return health;
  }
}
