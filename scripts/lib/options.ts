import { type ParseArgsConfig, parseArgs } from "node:util";
import { log } from "./log.js";

/** A command line the script cannot run with: it prints the message and its usage, and exits 2. */
export class UsageProblem extends Error {}

type FlagConfig = NonNullable<ParseArgsConfig["options"]>;

/**
 * The values of `argv`, which may hold only the named `flags` (no positional arguments). A flag
 * node:util cannot read becomes a UsageProblem with its message; `firstSentenceOnly` keeps the
 * message's first sentence, without the advice about positionals that node:util goes on with.
 */
export function parseFlags<const T extends FlagConfig>(
  argv: string[],
  flags: T,
  { firstSentenceOnly = false } = {},
) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: flags }).values;
  } catch (error) {
    const message = (error as Error).message;
    if (!firstSentenceOnly) throw new UsageProblem(message);
    const first = message.split(/\n|\. /)[0] ?? String(error);
    throw new UsageProblem(first.replace(/\.$/, ""));
  }
}

/** `text` as a whole number from `min` to `max`, or a UsageProblem naming `flag`. */
export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageProblem(`${flag}: '${text}' must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

/** What a script does with its command line: run with these options, or exit with this code. */
export type OptionsOrExit<O> = { options: O } | { exitCode: number };

/**
 * Reads the options with `parse` (undefined asks for help). Help goes to stdout and exits 0; a
 * command line that cannot be read goes to stderr with the usage and exits 2, whatever the error
 * (a target URL's parser throws errors of its own).
 */
export function optionsOrExit<O>(
  argv: string[],
  parse: (argv: string[]) => O | undefined,
  usage: string,
): OptionsOrExit<O> {
  let options: O | undefined;
  try {
    options = parse(argv);
  } catch (error) {
    log(`error: ${(error as Error).message}\n${usage}`);
    return { exitCode: 2 };
  }
  if (options === undefined) {
    process.stdout.write(`${usage}\n`);
    return { exitCode: 0 };
  }
  return { options };
}
