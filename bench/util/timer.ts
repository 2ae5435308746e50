import { performance } from "node:perf_hooks";

const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Runs `fn` at `atEpochMs` (performance.timeOrigin + performance.now()), never before it: Node's
 * timers count whole milliseconds and can fire up to about 1 ms early, so one that does is set again
 * for the rest. Returns a cancel function.
 */
export function runAt(atEpochMs: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const waitMs = atEpochMs - epochNow();
    if (waitMs <= 0) {
      timer = undefined;
      fn();
      return;
    }
    timer = setTimeout(arm, Math.ceil(waitMs));
  };
  arm();
  return () => clearTimeout(timer);
}
