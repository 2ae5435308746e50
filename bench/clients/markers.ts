/**
 * A result printed into a log (a Kubernetes pod's, for example) between two marker lines, so
 * `merge` can take it from `kubectl logs` output, with or without kubectl's "[pod/name/container]"
 * line prefixes, several results to a file. With prefixes, lines of several pods may be interleaved
 * (`kubectl logs -f -l job-name=X --prefix`): each pod's result is put together from its own lines.
 */

export const BEGIN_MARKER = "----- reinvent-bench result.json begin -----";
export const END_MARKER = "----- reinvent-bench result.json end -----";

export function wrapResult(json: string): string {
  return `${BEGIN_MARKER}\n${json}\n${END_MARKER}\n`;
}

/** kubectl logs --prefix puts "[pod/name/container] " before every line. */
const PREFIX = /^\[([^\]\s]+)\] ?/;

/** One result found in a log: its JSON text, and the pod it came from (kubectl's prefix) if any. */
export interface FoundResult {
  text: string;
  /** The prefix without its brackets, "pod/job-0-abcde/client"; undefined for a line without. */
  source?: string;
}

/**
 * Every result found between markers in a log, in the order they end. Lines are grouped by their
 * kubectl prefix, so results of several pods whose lines are interleaved come apart; lines without
 * a prefix form one group of their own.
 */
export function extractResultBlocks(text: string): FoundResult[] {
  const found: FoundResult[] = [];
  const open = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const prefix = PREFIX.exec(raw);
    const key = prefix?.[1] ?? "";
    const line = prefix ? raw.slice(prefix[0].length) : raw;
    const current = open.get(key);
    if (line.trim() === BEGIN_MARKER) open.set(key, []);
    else if (line.trim() === END_MARKER && current) {
      found.push({ text: current.join("\n"), ...(prefix ? { source: key } : {}) });
      open.delete(key);
    } else if (current) current.push(line);
  }
  return found;
}

/** Every result found between markers in a log, in order (the JSON texts of extractResultBlocks). */
export function extractResults(text: string): string[] {
  return extractResultBlocks(text).map((block) => block.text);
}
