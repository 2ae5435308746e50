const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

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

export function formatDurationMs(durationMs: number): string {
  if (durationMs % 3_600_000 === 0 && durationMs >= 3_600_000) return `${durationMs / 3_600_000}h`;
  if (durationMs % 1000 === 0) return `${durationMs / 1000}s`;
  return `${durationMs}ms`;
}
