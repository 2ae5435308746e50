const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest run this tool times, warm-up and measured phase together: 24 days. Node's timers
 * take at most 2^31-1 ms (about 24.8 days; a longer delay fires after 1 ms, with a
 * TimeoutOverflowWarning), and a phase may be slept in one piece; this leaves room for the lead
 * before a phase starts.
 */
export const MAX_TIMED_MS = 24 * 24 * 3_600_000;

/**
 * Parses "600s", "10m", "1500ms", "1h" or a bare number of seconds into milliseconds.
 * Returns undefined for anything else so callers can name the field in their own error.
 */
export function parseDurationMs(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? "s";
  const factor = UNIT_MS[unit];
  return factor === undefined ? undefined : Math.round(value * factor);
}

/**
 * The one-line complaint about a duration flag longer than this tool can time (`ms` over
 * MAX_TIMED_MS), or undefined when it fits.
 */
export function tooLongToTime(
  flag: string,
  text: string,
  ms: number,
  what: "run" | "wait" = "run",
): string | undefined {
  if (ms <= MAX_TIMED_MS) return undefined;
  return `${flag}: '${text.trim()}' is longer than the longest ${what} this tool can time (${MAX_TIMED_MS / 86_400_000} days); give at most ${formatDurationMs(MAX_TIMED_MS)}`;
}

export function formatDurationMs(durationMs: number): string {
  if (durationMs % 3_600_000 === 0 && durationMs >= 3_600_000) return `${durationMs / 3_600_000}h`;
  if (durationMs % 1000 === 0) return `${durationMs / 1000}s`;
  return `${durationMs}ms`;
}
