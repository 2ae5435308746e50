/** The leading a.b.c of a server version ("8.0.36-0ubuntu0.22.04.1", "10.11.6-MariaDB"), zeros if none. */
export function parseVersion(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  return [major, minor, patch];
}

/** True when version a.b.c is at least the given one. */
export function atLeastVersion(version: string, major: number, minor: number, patch: number): boolean {
  const [a, b, c] = parseVersion(version);
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}
