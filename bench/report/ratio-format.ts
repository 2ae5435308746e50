import { formatCount } from "../util/format.js";

/** A ratio with three significant figures: 2.00, 0.795, 1,234. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "-";
  if (Math.abs(ratio) >= 1000) return formatCount(ratio);
  return ratio.toPrecision(3);
}

/** An interval of ratios: [0.950, 1.05]. */
export function formatInterval(interval: { low: number; high: number }): string {
  return `[${formatRatio(interval.low)}, ${formatRatio(interval.high)}]`;
}
