/** "5%" -> 0.05, "0.05" -> 0.05; NaN for anything else. Callers check the bounds they allow. */
export function parseShareText(text: string): number {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(trimmed);
  if (percent) return Number(percent[1]) / 100;
  return /^\d+(?:\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}
