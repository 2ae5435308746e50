import { join } from "node:path";
import { wrapResult } from "../clients/markers.js";
import type { LiveOutputs } from "../live/second.js";
import { claimsTable, scenarioDetail } from "../report/summary.js";
import { failForErrors } from "../result/error-share.js";
import type { Result, ScenarioResult } from "../result/schema.js";
import { RESULT_SCHEMA_VERSION } from "../result/schema-version.js";
import { writeResultAtomically } from "../result/write.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import type { TargetInspection } from "../target/inspect.js";
import { preflightServer } from "../target/preflight.js";
import { removeEarlySignalExit } from "../util/early-signals.js";
import { BenchError, ExitCode, type ExitCodeValue, TargetError } from "../util/errors.js";
import { redactCommand, redactText } from "../util/redact.js";
import { clientEnvironment, toolVersion } from "./environment.js";
import { runnerFor } from "./kinds.js";
import { openLiveOutputs } from "./live-options.js";
import { describeOneServer, openOneServer } from "./one-server.js";
import type { RunOptions } from "./options.js";
import { preparedStatementsOf } from "./prepare-check.js";
import type { OneServer, RunContext } from "./runner.js";
import { runScenario } from "./runner.js";
import { checkRunThresholds } from "./thresholds.js";

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export interface SessionPlan {
  scenarios: ResolvedScenario[];
  settings: RunOptions;
  /** Where result.json and the reports go. */
  outDir: string;
  startedAt: Date;
  argv: string[];
  /** A split run's client count, checked. */
  clientCount?: number;
}

/** The run's result before anything is measured: what ran, where, and on what. */
function newResult(plan: SessionPlan, secrets: string[]): Result {
  const { settings } = plan;
  const client = clientEnvironment();
  const result: Result = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "reinvent-bench", version: toolVersion() },
    status: "interrupted",
    startedAt: plan.startedAt.toISOString(),
    finishedAt: null,
    command: plan.argv.map((arg) => redactCommand(arg, secrets)),
    environment: {
      client,
      target: {
        url: settings.target?.displayUrl ?? "sandbox",
        version: "unknown",
        flavor: "unknown",
        variables: {},
        sandbox: null,
      },
    },
    scenarios: [],
  };
  if (settings.client && plan.clientCount !== undefined) {
    result.clients = {
      count: plan.clientCount,
      index: settings.client.index,
      runId: settings.client.runId,
      hosts: [client.hostname],
    };
  }
  return result;
}

/**
 * Signals during a run: the first stops the load (the run then writes what was measured and exits
 * 130); once every scenario has run it no longer stops anything, the reports are finished and the
 * run exits 130; a second quits at once.
 */
class Interrupts {
  readonly abort = new AbortController();
  reporting = false;
  duringReports = false;
  private signals = 0;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.signals++;
    if (this.signals > 1) process.exit(ExitCode.interrupted);
    if (this.reporting) {
      this.duringReports = true;
      log(
        `\n${signal}: the measurements are done and saved; finishing the reports, then exit 130 (again to quit at once)`,
      );
      return;
    }
    log(`\n${signal}: stopping the load and writing what was measured (again to quit at once)`);
    this.abort.abort();
  };

  listen(): void {
    removeEarlySignalExit();
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
  }

  stop(): void {
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
  }
}

/** The run's environment.target from a scenario's own primary, when the run has no other server. */
function targetFromReplication(result: Result, entry: ScenarioResult): void {
  if (result.environment.target.version !== "unknown" || !entry.replication) return;
  result.environment.target.url = entry.replication.primary;
  const inspected = entry.replication.inspection as TargetInspection | undefined;
  if (inspected) {
    result.environment.target.version = inspected.version;
    result.environment.target.flavor = inspected.flavor;
    result.environment.target.flavorSource = inspected.flavorSource;
    result.environment.target.inspection = inspected;
  }
}

/**
 * One `run` of resolved scenarios: the servers (given or sandbox), each scenario by its kind's
 * runner, result.json rewritten after every trial, so an interrupted or failed run still leaves
 * everything measured so far; then the reports, the claims table and the thresholds. Returns the
 * exit code.
 */
export async function runSession(plan: SessionPlan): Promise<ExitCodeValue> {
  const { scenarios, settings, outDir } = plan;
  const secrets = settings.target?.password ? [settings.target.password] : [];
  const result = newResult(plan, secrets);
  const save = () => writeResultAtomically(outDir, result);
  for (const scenario of scenarios) {
    if (scenario.scaled.length > 0) {
      log(
        `${scenario.id}: ${scenario.quick ? "--quick, " : ""}scaled from the claim's method: ${scenario.scaled.join("; ")}`,
      );
    } else if (scenario.quick) {
      log(`${scenario.id}: --quick: its scaled-down shape (see its quick: section)`);
    }
  }
  const interrupts = new Interrupts();
  interrupts.listen();
  const signal = interrupts.abort.signal;
  let finalSaveFailure: unknown;
  /** The message of the error the run failed with, if it did. */
  let earlierError: string | undefined;
  let server: (OneServer & { stop: () => Promise<void> }) | undefined;
  let exitCode: ExitCodeValue = ExitCode.ok;
  let live: LiveOutputs | undefined;
  // Scenarios whose runner needs servers of its own (a primary with replicas) do not share one.
  const sharing = scenarios.filter((s) => runnerFor(s).servers(s) === "one");
  try {
    save();
    live = await openLiveOutputs(settings, outDir, log);
    if (settings.target || sharing.length > 0) {
      const opened = await openOneServer(sharing.length > 0 ? sharing : scenarios, settings, log);
      server = opened;
      result.environment.target = describeOneServer(opened);
      for (const scenario of sharing) {
        preflightServer(
          opened.facts,
          scenario.load.connections,
          opened.target.displayUrl,
          preparedStatementsOf(scenario),
        );
        runnerFor(scenario).check?.(scenario, opened, settings);
      }
    }
    save();

    for (const [index, scenario] of scenarios.entries()) {
      if (signal.aborted) break;
      const runner = runnerFor(scenario);
      const own = runner.servers(scenario) === "own";
      // The one-server sandbox is done with once no later scenario needs it: its CPU and memory go
      // to the primary and replicas.
      if (
        own &&
        !settings.target &&
        !scenarios.slice(index + 1).some((s) => runnerFor(s).servers(s) === "one")
      ) {
        await server?.stop();
        server = undefined;
      }
      const slot = result.scenarios.length;
      const ctx: RunContext = {
        settings,
        client: result.environment.client,
        ...(server && !own ? { server } : {}),
        hotPath: settings.hotPath,
        seed: settings.seed,
        signal,
        secrets,
        ...(settings.unreachableAfterMs !== undefined
          ? { unreachableAfterMs: settings.unreachableAfterMs }
          : {}),
        log,
        ...(live ? { live } : {}),
        ...(settings.client ? { clientIndex: settings.client.index } : {}),
        ...(settings.runRole ? { liveLabelPrefix: `${settings.runRole}: ` } : {}),
        onProgress: (partial) => {
          result.scenarios[slot] = partial;
          save();
        },
      };
      // Mostly errors: the figures are the server's refusals, and the scenario failed.
      const entry = failForErrors(await runScenario(runner, scenario, ctx), settings.maxErrorShare);
      result.scenarios[slot] = entry;
      targetFromReplication(result, entry);
      save();
      log(scenarioDetail(entry));
      if (entry.status === "failed")
        throw new TargetError(`${entry.id}: ${entry.verdict.warnings.join("; ")}`);
    }
    result.status = signal.aborted ? "interrupted" : "complete";
    exitCode = signal.aborted ? ExitCode.interrupted : ExitCode.ok;
  } catch (error) {
    if (signal.aborted) {
      result.status = "interrupted";
      exitCode = ExitCode.interrupted;
    } else {
      result.status = "failed";
      const code = error instanceof BenchError ? error.exitCode : ExitCode.target;
      result.failure = { message: redactText((error as Error).message, secrets), exitCode: code };
      exitCode = code;
      earlierError = (error as Error).message ?? "";
      throw error;
    }
  } finally {
    interrupts.reporting = true;
    result.finishedAt = new Date().toISOString();
    let path = join(outDir, "result.json");
    try {
      path = save();
    } catch (error) {
      // The last save failing (a full disk) must not hide an earlier error, nor skip stopping servers.
      finalSaveFailure = error;
      // An earlier error is the one reported; this one is said here so it is not lost.
      if (earlierError !== undefined && earlierError !== (error as Error).message)
        log(`error: ${redactText((error as Error).message, secrets)}`);
    }
    await server?.stop();
    // The endpoint stops and the files close with the run, before the reports.
    await live?.close();
    await writeRunReports(result, outDir, path);
    interrupts.stop();
    if (interrupts.duringReports) exitCode = ExitCode.interrupted;
    exitCode = closingOutput(result, exitCode, settings.printResult);
    log(finalSaveFailure ? `result: not written to ${path}` : `result: ${path} (${result.status})`);
  }
  if (finalSaveFailure) throw finalSaveFailure;
  return exitCode;
}

/**
 * The reports, derived from result.json: one that cannot be drawn costs the report, not the run.
 * The renderers (Vega, resvg, marked) are loaded here, at the end, not when `run` starts: they cost
 * more CPU to load than the rest of the run's start-up, and a run refused early draws nothing.
 */
async function writeRunReports(result: Result, outDir: string, path: string): Promise<void> {
  if (result.scenarios.length === 0) return;
  try {
    const { writeReports } = await import("../report/write-reports.js");
    const written = await writeReports(result, outDir);
    log(`report: ${written.markdown} (${written.charts.length} charts)`);
  } catch (error) {
    log(
      `report: not written (${(error as Error).message}); result.json is complete, try: reinvent-bench report ${path}`,
    );
  }
}

/**
 * The claims table, the scenarios' thresholds on a complete run (a failed one is exit 1, as `gate`
 * would say) and, for a pod's log, result.json between markers. Returns the exit code.
 */
function closingOutput(result: Result, exitCode: ExitCodeValue, printResult: boolean): ExitCodeValue {
  if (result.scenarios.length > 0) process.stdout.write(`${claimsTable(result)}\n`);
  let code = exitCode;
  if (result.status === "complete" && exitCode === ExitCode.ok) {
    const thresholds = checkRunThresholds(result);
    if (thresholds) {
      for (const warning of thresholds.warnings) log(`warning: ${warning}`);
      process.stdout.write(`${thresholds.table}\n`);
      if (thresholds.failed) {
        code = ExitCode.gateFailed;
        log("thresholds: at least one failed (exit 1); the results and reports are written");
      }
    }
  }
  // For `merge` reading a pod's log: indented, so no line is long enough for a runtime to split it.
  if (printResult) process.stdout.write(wrapResult(JSON.stringify(result, null, 1)));
  return code;
}
