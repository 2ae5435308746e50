import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readResultFile } from "../result/read.js";
import { checkKindFlags, checkSplitRun } from "../run/kinds.js";
import type { RunOptions } from "../run/options.js";
import { runSession } from "../run/session.js";
import { loadCatalog, selectScenarios } from "../scenario/load.js";
import { resolveScenario } from "../scenario/resolve.js";
import { preflightClient } from "../target/preflight.js";
import { ExitCode, type ExitCodeValue, UsageError } from "../util/errors.js";
import { ensureWritableDir } from "../util/paths-check.js";
import { parseRunFlags, type RawRunFlags } from "./run-flags.js";

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * `run`: checks the flags and the scenarios they name, then runs them (run/session.ts), each by its
 * kind's runner. Returns the exit code.
 */
export async function runCommand(
  names: string[],
  flags: RawRunFlags,
  argv: string[],
): Promise<ExitCodeValue> {
  const options = parseRunFlags(flags);
  // Checked before anything starts: topologies and clusters make folders of their own inside it.
  if (options.sandboxDir)
    ensureWritableDir(options.sandboxDir, { what: "sandbox folder", flag: "--sandbox-dir" });
  if (options.baseline) return runWithBaseline(names, flags, argv, options);
  const selection = selectScenarios(names, loadCatalog());
  const scenarios = selection.scenarios.map(({ file, scenario }) =>
    resolveScenario(file, scenario, options.overrides),
  );
  checkKindFlags(scenarios, options, selection.label);
  const clientCount = checkSplitRun(scenarios, options);
  preflightClient(Math.max(...scenarios.map((s) => s.load.connections)));
  const startedAt = new Date();
  return runSession({
    scenarios,
    settings: options,
    outDir: options.out ?? join("results", `${selection.label}-${timestamp(startedAt)}`),
    startedAt,
    argv,
    ...(clientCount !== undefined ? { clientCount } : {}),
  });
}

/**
 * `run --baseline URL`: the same scenarios on the baseline target (into OUT/baseline) and on the
 * target (into OUT/target), then the comparison of the two (a = baseline, b = target) as
 * OUT/comparison.md and OUT/comparison.json, with the verdict of the "3x writes, 5x reads" claim
 * when the baseline is MySQL or MariaDB. Returns the first non-zero exit code of the two runs.
 */
async function runWithBaseline(
  names: string[],
  flags: RawRunFlags,
  argv: string[],
  options: RunOptions,
): Promise<ExitCodeValue> {
  if (!flags.target)
    throw new UsageError("--baseline: give the target to compare with it too (--target URL)");
  const selection = selectScenarios(names, loadCatalog());
  const lag = selection.scenarios
    .filter(({ scenario }) => scenario.replication)
    .map(({ scenario }) => scenario.id);
  // Replica lag on both: each target with replicas of its own, given on each side.
  if (lag.length > 0 && (options.replicas.length === 0 || options.baselineReplicas.length === 0)) {
    throw new UsageError(
      `--baseline: ${lag.join(", ")} needs replicas of each target; give the target's with --replica URL and the baseline's with --baseline-replica URL`,
    );
  }
  if (lag.length === 0 && options.baselineReplicas.length > 0) {
    throw new UsageError(
      `--baseline-replica: none of ${selection.label} measures replica lag (replica-lag does)`,
    );
  }
  const outDir = options.out ?? join("results", `${selection.label}-vs-baseline-${timestamp(new Date())}`);
  const { baseline: _baseline, baselineReplica, ...single } = flags;
  const baselineDir = join(outDir, "baseline");
  const targetDir = join(outDir, "target");
  log(`baseline: running on ${options.baseline?.displayUrl} first, then on ${options.target?.displayUrl}`);
  const first = await runCommand(
    names,
    {
      ...single,
      target: flags.baseline,
      out: baselineDir,
      replica: baselineReplica ?? [],
      runRole: "baseline",
      // Its own stream (x.jsonl -> x.baseline.jsonl): the target's run would overwrite a shared one.
      ...(flags.outIntervals
        ? { outIntervals: flags.outIntervals.replace(/(\.[^./\\]+)$/, ".baseline$1") }
        : {}),
    },
    argv,
  );
  // A failed threshold on the baseline is a finding, not a reason to skip the target.
  if (first !== ExitCode.ok && first !== ExitCode.gateFailed) return first;
  const second = await runCommand(names, { ...single, out: targetDir, runRole: "target" }, argv);
  // Loaded here, after both runs: only a run with --baseline compares, and the comparison's
  // statistics and tables would cost every run's start-up.
  const { compareResults, renderComparisonMarkdown, renderComparisonTable } = await import(
    "../report/compare.js"
  );
  const comparison = compareResults(
    [
      { file: join(baselineDir, "result.json"), result: readResultFile(baselineDir) },
      { file: join(targetDir, "result.json"), result: readResultFile(targetDir) },
    ],
    {},
  );
  writeFileSync(join(outDir, "comparison.json"), `${JSON.stringify(comparison, null, 2)}\n`);
  writeFileSync(join(outDir, "comparison.md"), renderComparisonMarkdown(comparison));
  process.stdout.write(`${renderComparisonTable(comparison)}\n`);
  log(`comparison: ${join(outDir, "comparison.md")}`);
  return second === ExitCode.ok ? first : second;
}
