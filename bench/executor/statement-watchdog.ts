/** Checks for unanswered statements this often at most (and at least 4 times per timeout). */
const WATCHDOG_MAX_PERIOD_MS = 1000;
/** An unanswered statement is given this many times the slowest answer seen, when that is longer. */
const SLOWEST_ANSWER_FACTOR = 10;

/** What the watchdog needs of a connection. */
export interface WatchedConnection {
  /**
   * The slowest answer the connection has had. Kept per connection, so the statement path writes
   * only its own object; the watchdog takes the largest when it looks.
   */
  readonly slowestAnswerMs: number;
  /** Gives up on a statement unanswered for longer than `timeoutMs` (TIMEOUT; the connection is reopened). */
  expireIfStuck(nowMs: number, timeoutMs: number): void;
}

/**
 * Expires every statement unanswered for longer than `baseMs` or, when that is the default
 * (`scales`), SLOWEST_ANSWER_FACTOR x the slowest answer seen if that is longer: a workload of
 * slow statements gets a longer bound. No bound (undefined or <= 0): nothing is watched.
 * Returns a function that stops watching.
 */
export function watchStatements(
  connections: readonly WatchedConnection[],
  baseMs: number | undefined,
  scales: boolean | undefined,
  now: () => number,
): () => void {
  if (baseMs === undefined || baseMs <= 0) return () => {};
  const timer = setInterval(
    () => {
      const nowMs = now();
      const timeoutMs = scales
        ? Math.max(baseMs, SLOWEST_ANSWER_FACTOR * slowestAnswerMs(connections))
        : baseMs;
      for (const conn of connections) conn.expireIfStuck(nowMs, timeoutMs);
    },
    Math.max(10, Math.min(WATCHDOG_MAX_PERIOD_MS, baseMs / 4)),
  );
  // The watchdog alone never keeps the worker alive.
  timer.unref();
  return () => clearInterval(timer);
}

function slowestAnswerMs(connections: readonly WatchedConnection[]): number {
  let slowestMs = 0;
  for (const conn of connections) if (conn.slowestAnswerMs > slowestMs) slowestMs = conn.slowestAnswerMs;
  return slowestMs;
}
