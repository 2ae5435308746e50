import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_DELAY_MS, runAt, sleepUntil } from "./timer.js";

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

describe("runAt past Node's longest timer", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const DAY_MS = 86_400_000;

  // Without pieces, a delay over 2^31-1 ms fires after 1 ms with a TimeoutOverflowWarning; runAt
  // then finds its time not come and sets it again: a timer every millisecond for the whole wait.
  it("sleeps in pieces no timer overflows, without a warning or a timer every millisecond", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    let ran = false;
    const cancel = runAt(epochNow() + 30 * DAY_MS, () => {
      ran = true;
    });
    const abort = new AbortController();
    const slept = sleepUntil(epochNow() + 700 * 3_600_000, { signal: abort.signal });
    // Real time passes: an overflowed timer would have fired, and been set again, many times.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const delays = setTimeoutSpy.mock.calls.map((call) => call[1] ?? 0);
    cancel();
    abort.abort();
    await slept;
    process.off("warning", onWarning);
    expect(delays.filter((delay) => delay > MAX_TIMER_DELAY_MS)).toEqual([]);
    expect(delays.filter((delay) => delay === MAX_TIMER_DELAY_MS)).toHaveLength(2);
    expect(ran).toBe(false);
    expect(warnings).not.toContain("TimeoutOverflowWarning");
  });

  it("sets the timer again for the rest when a piece ends, and runs at the time itself", () => {
    const pending: { fn: () => void; delay: number }[] = [];
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, delay: number) => {
      pending.push({ fn, delay });
      return { ref() {}, unref() {} } as unknown as NodeJS.Timeout;
    }) as unknown as typeof setTimeout);
    vi.spyOn(globalThis, "clearTimeout").mockImplementation(() => {});
    let ran = 0;
    runAt(epochNow() + 60 * DAY_MS, () => {
      ran++;
    });
    // The first piece ends with most of the wait still to come: it is set again, at most a piece.
    (pending.shift() as { fn: () => void }).fn();
    expect(ran).toBe(0);
    expect(pending).toHaveLength(1);
    expect(pending[0]?.delay).toBe(MAX_TIMER_DELAY_MS);
    // A time already past runs at once, and a wait that is not a number does not spin either.
    runAt(epochNow() - 1, () => {
      ran++;
    });
    runAt(Number.NaN, () => {
      ran++;
    });
    expect(ran).toBe(2);
    expect(pending).toHaveLength(1);
  });
});
