import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { runAt } from "./timer.js";

const epochNow = () => performance.timeOrigin + performance.now();

describe("runAt", () => {
  it("never runs before its time, and a cancelled one never runs", async () => {
    const lateness: number[] = [];
    const targets = Array.from({ length: 20 }, (_, i) => epochNow() + 5 + i * 3.3);
    for (const at of targets) runAt(at, () => lateness.push(epochNow() - at));
    let cancelledRan = false;
    const cancel = runAt(epochNow() + 10, () => {
      cancelledRan = true;
    });
    cancel();
    for (let waited = 0; lateness.length < targets.length && waited < 10_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(lateness).toHaveLength(targets.length);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(cancelledRan).toBe(false);
  });
});
