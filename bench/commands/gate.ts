import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  parseMaxRegression,
  renderGateMarkdown,
  renderGateTable,
  renderJUnit,
  runGate,
} from "../report/gate.js";
import { readResultFile } from "../result/read.js";
import { UsageError } from "../util/errors.js";

export interface GateFlags {
  baseline?: string;
  /** "5%" or "0.05" (default 5%). */
  maxRegression?: string;
  strict?: boolean;
  /** Where to write JUnit XML. */
  junit?: string;
}

/**
 * `gate <result.json>`: checks a run's thresholds and, with --baseline, its regressions. Prints the
 * checks (stdout) and warnings (stderr), writes JUnit XML with --junit, appends a Markdown summary to
 * $GITHUB_STEP_SUMMARY when set. Returns 0 when every check passed, 1 when one failed; bad input
 * throws a UsageError (exit 2).
 */
export async function gateCommand(file: string, flags: GateFlags = {}): Promise<number> {
  const maxRegression =
    flags.maxRegression === undefined ? undefined : parseMaxRegression(flags.maxRegression);
  const result = readResultFile(file);
  const baseline = flags.baseline === undefined ? undefined : readResultFile(flags.baseline);
  const report = runGate(result, {
    ...(baseline ? { baseline, baselineName: flags.baseline } : {}),
    ...(maxRegression !== undefined ? { maxRegression } : {}),
    strict: flags.strict === true,
    resultName: file,
  });
  for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write(`${renderGateTable(report)}\n`);
  if (flags.junit) {
    try {
      mkdirSync(dirname(flags.junit), { recursive: true });
      writeFileSync(flags.junit, renderJUnit(report));
    } catch {
      throw new UsageError(`--junit ${flags.junit}: cannot be written`);
    }
  }
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      appendFileSync(summary, renderGateMarkdown(report));
    } catch {
      process.stderr.write(`warning: GITHUB_STEP_SUMMARY ${summary}: cannot be appended to\n`);
    }
  }
  return report.exitCode;
}
