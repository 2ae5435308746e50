import { getEventListeners } from "node:events";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_DELAY_MS, runAt, sleep, sleepUntil } from "./timer.js";

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

describe("sleep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits at least the time asked and says it slept", async () => {
    const startMs = performance.now();
    expect(await sleep(30)).toBe(true);
    // Node may fire a timer up to about 1 ms early by this clock.
    expect(performance.now() - startMs).toBeGreaterThanOrEqual(29);
  });

  it("returns false at once when the signal has already aborted, setting no timer", async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    abort.abort();
    const slept = sleep(60_000, abort.signal);
    expect(vi.getTimerCount()).toBe(0);
    expect(await slept).toBe(false);
  });

  it("returns false when the signal aborts during the wait, long before the time asked", async () => {
    const abort = new AbortController();
    const startMs = performance.now();
    setTimeout(() => abort.abort(), 20);
    expect(await sleep(60_000, abort.signal)).toBe(false);
    expect(performance.now() - startMs).toBeLessThan(5_000);
  });

  it("leaves no timer and no abort listener behind, however it ends", async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const done = sleep(100, abort.signal);
    expect(vi.getTimerCount()).toBe(1);
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(await done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    // A signal kept for a whole run must not gather one listener per wait.
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);

    const cut = sleep(60_000, abort.signal);
    abort.abort();
    expect(await cut).toBe(false);
    // The cut wait's timer is cleared, so it does not hold the process for its minute.
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);
  });
});
