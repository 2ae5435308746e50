import type { ClientCost } from "../result/scenario-result.js";

const RSS_SAMPLE_MS = 250;

/**
 * The client process's own cost over a measured window: CPU time of all its threads and the
 * highest resident memory seen (sampled every 250 ms).
 */
export class ClientCostMeter {
  private cpuBefore: NodeJS.CpuUsage | undefined;
  private rssPeakBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly hotPath: ClientCost["hotPath"]) {}

  start(): void {
    this.cpuBefore = process.cpuUsage();
    this.rssPeakBytes = process.memoryUsage.rss();
    this.timer = setInterval(() => {
      this.rssPeakBytes = Math.max(this.rssPeakBytes, process.memoryUsage.rss());
    }, RSS_SAMPLE_MS);
  }

  /** Ends the window; null if it never started. Safe to call more than once. */
  stop(): ClientCost | null {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.cpuBefore) return null;
    const cpu = process.cpuUsage(this.cpuBefore);
    this.cpuBefore = undefined;
    this.rssPeakBytes = Math.max(this.rssPeakBytes, process.memoryUsage.rss());
    return {
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      rssPeakBytes: this.rssPeakBytes,
      hotPath: this.hotPath,
    };
  }
}
