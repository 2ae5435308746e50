/**
 * A result printed into a log (a Kubernetes pod's, for example) between two marker lines, so
 * `merge` can take it from `kubectl logs` output, with or without kubectl's "[pod/name/container]"
 * line prefixes, several results to a file.
 */

export const BEGIN_MARKER = "----- reinvent-bench result.json begin -----";
export const END_MARKER = "----- reinvent-bench result.json end -----";

export function wrapResult(json: string): string {
  return `${BEGIN_MARKER}\n${json}\n${END_MARKER}\n`;
}

/** kubectl logs --prefix puts "[pod/name/container] " before every line. */
const PREFIX = /^\[[^\]\s]+\] ?/;

/** Every result found between markers in a log, in order. */
export function extractResults(text: string): string[] {
  const found: string[] = [];
  let current: string[] | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(PREFIX, "");
    if (line.trim() === BEGIN_MARKER) current = [];
    else if (line.trim() === END_MARKER && current) {
      found.push(current.join("\n"));
      current = null;
    } else if (current) current.push(line);
  }
  return found;
}
