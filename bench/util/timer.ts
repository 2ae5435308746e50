import { performance } from "node:perf_hooks";

/**
 * This process's clock as epoch milliseconds, monotonic within a run: every phase start, crash,
 * fault and meeting is placed on it (worker threads read the same clock).
 */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The longest delay one Node timer takes (2^31-1 ms, about 24.8 days): a longer one fires after
 * 1 ms, with a TimeoutOverflowWarning, so a longer wait is slept in pieces of at most this.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Runs `fn` at `atEpochMs` (epochNowMs), never before it: Node's timers count whole milliseconds
 * and can fire up to about 1 ms early, so one that does is set again for the rest. A wait longer
 * than one timer can take is slept in pieces. Returns a cancel function.
 */
export function runAt(atEpochMs: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const waitMs = atEpochMs - epochNowMs();
    // Not a number (NaN): there is nothing to wait for; run now rather than re-arm every 1 ms.
    if (!(waitMs > 0)) {
      timer = undefined;
      fn();
      return;
    }
    timer = setTimeout(arm, Math.min(Math.ceil(waitMs), MAX_TIMER_DELAY_MS));
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Resolves at `atEpochMs`, or as soon as `signal` aborts (at once if it already has), or when
 * `orWhen` settles; takes its timer and listener away whichever comes first.
 */
export function sleepUntil(
  atEpochMs: number,
  options: { signal?: AbortSignal | undefined; orWhen?: Promise<unknown> } = {},
): Promise<void> {
  const { signal, orWhen } = options;
  return new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    let cancel = () => {};
    const done = () => {
      cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    signal?.addEventListener("abort", done, { once: true });
    cancel = runAt(atEpochMs, done);
    void orWhen?.then(done, done);
  });
}

/**
 * Waits `ms`, or less when `signal` aborts (at once if it already has). Returns false when it was
 * cut short, so a loop can stop; never rejects, and leaves no timer or listener behind.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const finish = (slept: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", aborted);
      resolve(slept);
    };
    const aborted = () => finish(false);
    const timer = setTimeout(() => finish(true), Math.max(0, Math.min(ms, MAX_TIMER_DELAY_MS)));
    signal?.addEventListener("abort", aborted, { once: true });
  });
}
