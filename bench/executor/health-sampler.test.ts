import { describe, expect, it } from "vitest";
import { sleep } from "../util/timer.js";
import { HealthSampler } from "./health-sampler.js";

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Hold the event loop, as an overloaded load generator would.
  }
}

describe("HealthSampler", () => {
  it("sees a loop held busy, then a quiet one", async () => {
    const sampler = new HealthSampler();
    sampler.start();
    try {
      await sleep(50);
      sampler.sample(0);
      blockFor(300);
      await sleep(300);
      const stalled = sampler.sample(7);
      expect(stalled.inFlight).toBe(7);
      expect(stalled.spanMs).toBeGreaterThanOrEqual(550);
      // 300 ms busy out of about 600: half, give or take a noisy machine whose sleeps run long.
      expect(stalled.utilization).toBeGreaterThan(0.2);
      expect(stalled.utilization).toBeLessThan(0.9);
      // A timer due every 10 ms fired at least ~250 ms late during the block.
      expect(stalled.delayMaxMs).toBeGreaterThan(250);

      await sleep(400);
      const quiet = sampler.sample(0);
      expect(quiet.utilization).toBeLessThan(0.3);
      expect(quiet.delayMaxMs).toBeLessThan(stalled.delayMaxMs / 2);
    } finally {
      sampler.stop();
    }
  });
});
