export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** Rates with three significant figures, thousands separated: 1,234 or 12.3. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return "-";
  if (value === 0) return "0";
  if (value >= 100) return formatCount(value);
  return value.toPrecision(3);
}

/** Milliseconds as people read them: 1.25 ms, 12.5 ms, 125 ms, 1250 ms, then seconds from 10 s. */
export function formatMs(valueMs: number): string {
  if (!Number.isFinite(valueMs)) return "-";
  if (valueMs >= 10_000) return `${(valueMs / 1000).toFixed(1)} s`;
  if (valueMs >= 100) return `${Math.round(valueMs)} ms`;
  if (valueMs >= 10) return `${valueMs.toFixed(1)} ms`;
  return `${valueMs.toFixed(2)} ms`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
