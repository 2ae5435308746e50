import { redactText } from "../../bench/util/redact.js";

/** Progress and problems go to stderr, so that stdout holds the report alone. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * A log that hides every one of `secrets`. The list is read at each line, so a password learnt
 * later (a sandbox's, once it has started) is hidden from then on.
 */
export function redactingLog(secrets: readonly string[]): (line: string) => void {
  return (line) => log(redactText(line, secrets));
}
