import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { wrapResult } from "../clients/markers.js";
import { ClientSession } from "../clients/session.js";
import { ensureDataset } from "../dataset/sbtest.js";
import { runLoad, START_LEAD_MS } from "../executor/load.js";
import type { HotPath } from "../executor/protocol.js";
import { FaultInjector } from "../fault/inject.js";
import { compareResults, renderComparisonMarkdown, renderComparisonTable } from "../report/compare.js";
import { claimsTable, scenarioDetail } from "../report/summary.js";
import { writeReports } from "../report/write-reports.js";
import { clientCounterEquivalents } from "../result/counting.js";
import { failForErrors } from "../result/error-share.js";
import { readResultFile } from "../result/read.js";
import { buildScenarioResult, type ClientCost } from "../result/scenario-result.js";
import { RESULT_SCHEMA_VERSION, type Result, type ScenarioResult } from "../result/schema.js";
import { writeResultAtomically } from "../result/write.js";
import { ClientCostMeter } from "../run/client-cost.js";
import { clientEnvironment, describeMeasuredEnvironment, toolVersion } from "../run/environment.js";
import { ProgressLine } from "../run/progress-line.js";
import { checkRunThresholds } from "../run/thresholds.js";
import { defaultWorkers, sharesMachine } from "../run/workers.js";
import { type GaleraSandbox, startGaleraSandbox } from "../sandbox/galera-sandbox.js";
import { Sandbox } from "../sandbox/server.js";
import { DEFAULT_GALERA_REPLICAS } from "../sandbox/targets.js";
import { loadCatalog, selectScenarios } from "../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../scenario/resolve.js";
import { identityToVerify, loadConnection, openAdminConnection } from "../target/connection.js";
import {
  type Counters,
  counterDeltaOrNote,
  readCountersOrNote,
  readServerFacts,
  type ServerFacts,
} from "../target/facts.js";
import { inspectTarget, type TargetInspection } from "../target/inspect.js";
import { preflightClient, preflightServer } from "../target/preflight.js";
import type { TargetSpec } from "../target/url.js";
import { removeEarlySignalExit } from "../util/early-signals.js";
import { BenchError, ExitCode, type ExitCodeValue, TargetError, UsageError } from "../util/errors.js";
import { ensureWritableDir } from "../util/paths-check.js";
import { redactCommand, redactText } from "../util/redact.js";
import { crashPlans, runCrashScenario } from "./run-crash.js";
import { parseRunFlags, type RawRunFlags, type RunOptions } from "./run-flags.js";
import { runLagScenario } from "./run-lag.js";

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * `run`: resolve scenarios, get a target (given or sandbox), and run each scenario: dataset, warm-up,
 * measured phase. result.json is rewritten after every scenario, so an interrupted or failed run
 * still leaves everything measured so far. Returns the exit code.
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
  checkLagFlags(scenarios, options, selection.label);
  const shardCount = checkShardFlags(scenarios, options);
  const maxConnections = Math.max(...scenarios.map((s) => s.load.connections));
  preflightClient(maxConnections);

  const startedAt = new Date();
  const outDir = options.out ?? join("results", `${selection.label}-${timestamp(startedAt)}`);
  const secrets = options.target?.password ? [options.target.password] : [];
  const client = clientEnvironment();
  const result: Result = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "reinvent-bench", version: toolVersion() },
    status: "interrupted",
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    command: argv.map((arg) => redactCommand(arg, secrets)),
    environment: {
      client,
      target: {
        url: options.target?.displayUrl ?? "sandbox",
        version: "unknown",
        flavor: "unknown",
        variables: {},
        sandbox: null,
      },
    },
    scenarios: [],
  };
  if (options.client && shardCount !== undefined) {
    result.clients = {
      count: shardCount,
      index: options.client.index,
      runId: options.client.runId,
      hosts: [client.hostname],
    };
  }
  const save = () => writeResultAtomically(outDir, result);

  for (const scenario of scenarios) {
    if (scenario.quick || scenario.scaled.length > 0) {
      log(
        `${scenario.id}: ${scenario.quick ? "--quick, " : ""}scaled from the claim's method: ${scenario.scaled.join("; ")}`,
      );
    }
  }

  const abort = new AbortController();
  let signals = 0;
  // Once every scenario has run, an interrupt no longer stops a load: the reports are finished
  // and the run exits 130 (its result says what was measured: all of it).
  let reporting = false;
  let finalSaveFailure: unknown;
  /** The message of the error the run failed with, if it did. */
  let earlierError: string | undefined;
  let interruptedWhileReporting = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(ExitCode.interrupted);
    if (reporting) {
      interruptedWhileReporting = true;
      log(
        `\n${signal}: the measurements are done and saved; finishing the reports, then exit 130 (again to quit at once)`,
      );
      return;
    }
    log(`\n${signal}: stopping the load and writing what was measured (again to quit at once)`);
    abort.abort();
  };
  removeEarlySignalExit();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let sandbox: Sandbox | undefined;
  let galera: GaleraSandbox | undefined;
  let exitCode: ExitCodeValue = ExitCode.ok;
  // Replica-lag scenarios run on a primary with replicas of their own (a sandbox topology, or
  // --target with --replica); the others share one server.
  const single = scenarios.filter((s) => !s.replication);
  try {
    save();
    let target: TargetSpec | undefined;
    if (options.target) {
      target = options.target;
    } else if (single.length > 0) {
      const largest = single.reduce((a, b) =>
        a.dataset.tables * a.dataset.tableSize >= b.dataset.tables * b.dataset.tableSize ? a : b,
      );
      const sizing = {
        connections: maxConnections,
        tables: largest.dataset.tables,
        tableSize: largest.dataset.tableSize,
      };
      if (options.engine === "galera") {
        galera = await startGaleraSandbox({
          nodes: 1 + (options.overrides.replicas ?? DEFAULT_GALERA_REPLICAS),
          sizing,
          ...(options.sandboxDir ? { parentDir: options.sandboxDir } : {}),
          log,
        });
        target = galera.target;
      } else {
        sandbox = await Sandbox.start({
          ...(options.sandboxDir ? { dir: options.sandboxDir } : {}),
          sizing,
          log,
        });
        target = sandbox.target;
      }
    }
    let facts: ServerFacts | undefined;
    let inspection: TargetInspection | undefined;
    if (target) {
      const admin = await openAdminConnection(target, false);
      try {
        facts = await readServerFacts(admin);
        // What doctor shows, kept with the figures it explains.
        inspection = await inspectTarget(admin, {
          database: target.database,
          facts,
          ...(sandbox ? { sandbox: "mariadb" as const } : galera ? { sandbox: "galera" as const } : {}),
        });
        if (!sandbox && !galera)
          await admin.query(`CREATE DATABASE IF NOT EXISTS \`${target.database.replace(/`/g, "``")}\``);
      } finally {
        await admin.end();
      }
    }
    if (target && facts)
      result.environment.target = {
        url: target.displayUrl,
        version: facts.version,
        flavor: facts.flavor,
        flavorSource: facts.flavorSource,
        variables: facts.variables,
        ...(inspection ? { inspection } : {}),
        sandbox: sandbox
          ? {
              binary: sandbox.info.binary,
              flavor: sandbox.info.flavor,
              version: sandbox.info.version,
              dir: sandbox.info.dir,
              port: sandbox.info.port,
              settings: sandbox.info.settings,
              reusedDatadir: sandbox.info.reusedDatadir,
              sharesMachineWithClient: true,
            }
          : galera
            ? galera.describe()
            : null,
      };
    for (const scenario of single) {
      if (target && facts) {
        preflightServer(facts, scenario.load.connections, target.displayUrl);
        checkFaultsAndCrashes(scenario, target, facts, sandbox, galera, options);
      }
    }
    save();

    for (const [index, scenario] of scenarios.entries()) {
      if (abort.signal.aborted) break;
      if (scenario.load.ratesPerSec) {
        // The one-server sandbox is done with once no later scenario needs it: its CPU and memory
        // go to the primary and replicas.
        if (
          scenario.replication &&
          (sandbox || galera) &&
          !scenarios.slice(index + 1).some((s) => !s.replication)
        ) {
          await sandbox?.stop();
          await galera?.stop();
          sandbox = undefined;
          galera = undefined;
        }
        const slot = result.scenarios.length;
        let entry = await runLagScenario({
          scenario,
          ...(options.unreachableAfterMs !== undefined
            ? { unreachableAfterMs: options.unreachableAfterMs }
            : {}),
          ...(options.target && scenario.replication
            ? { given: { primary: options.target, replicas: options.replicas } }
            : {}),
          ...(!scenario.replication && target && facts
            ? { single: { target, facts, sandbox: !!sandbox || !!galera } }
            : {}),
          ...(options.sandboxDir ? { sandboxDir: options.sandboxDir } : {}),
          engine: options.engine,
          workers: options.workers,
          hotPath: options.hotPath,
          seed: options.seed,
          signal: abort.signal,
          client,
          secrets,
          log,
          onProgress: (partial) => {
            result.scenarios[slot] = partial;
            save();
          },
        });
        // Mostly errors: the figures are the server's refusals, and the scenario failed.
        entry = failForErrors(entry, options.maxErrorShare);
        result.scenarios[slot] = entry;
        if (result.environment.target.version === "unknown" && entry.replication) {
          result.environment.target.url = entry.replication.primary;
          // The run's only server is this scenario's primary: its facts are the target's.
          const inspected = entry.replication.inspection as TargetInspection | undefined;
          if (inspected) {
            result.environment.target.version = inspected.version;
            result.environment.target.flavor = inspected.flavor;
            result.environment.target.flavorSource = inspected.flavorSource;
            result.environment.target.inspection = inspected;
          }
        }
        save();
        log(scenarioDetail(entry));
        if (entry.status === "failed")
          throw new TargetError(`${entry.id}: ${entry.verdict.warnings.join("; ")}`);
        continue;
      }
      if (!target || !facts) throw new Error("no server for a one-server scenario");
      const isSandbox = !!sandbox || !!galera;
      const workers = options.workers ?? defaultWorkers(undefined, isSandbox || sharesMachine(target));
      if (scenario.crash) {
        const slot = result.scenarios.length;
        let entry = await runCrashScenario({
          scenario,
          target,
          facts,
          ...(sandbox ? { sandbox } : {}),
          ...(galera ? { galera: galera.cluster } : {}),
          ...(options.crashCommand
            ? {
                commands: {
                  crash: options.crashCommand,
                  ...(options.restartCommand ? { restart: options.restartCommand } : {}),
                },
              }
            : {}),
          workers,
          hotPath: options.hotPath,
          seed: options.seed,
          signal: abort.signal,
          client,
          secrets,
          ...(options.unreachableAfterMs !== undefined
            ? { unreachableAfterMs: options.unreachableAfterMs }
            : {}),
          log,
          onProgress: (partial) => {
            result.scenarios[slot] = partial;
            save();
          },
        });
        // Mostly errors: the figures are the server's refusals, and the scenario failed.
        entry = failForErrors(entry, options.maxErrorShare);
        result.scenarios[slot] = entry;
        save();
        log(scenarioDetail(entry));
        if (entry.status === "failed")
          throw new TargetError(`${entry.id}: ${entry.verdict.warnings.join("; ")}`);
        continue;
      }
      let entry = await runScenario(
        scenario,
        target,
        facts,
        workers,
        options.hotPath,
        options.seed,
        abort.signal,
        client,
        isSandbox,
        secrets,
        options.unreachableAfterMs,
        options.client,
      );
      entry = failForErrors(entry, options.maxErrorShare);
      result.scenarios.push(entry);
      save();
      log(scenarioDetail(entry));
      if (entry.status === "failed")
        throw new TargetError(`${entry.id}: ${entry.verdict.warnings.join("; ")}`);
    }
    result.status = abort.signal.aborted ? "interrupted" : "complete";
    exitCode = abort.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
  } catch (error) {
    if (abort.signal.aborted) {
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
    reporting = true;
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
    if (sandbox) await sandbox.stop();
    if (galera) await galera.stop();
    // Reports are derived from result.json; one that cannot be drawn costs the report, not the run.
    if (result.scenarios.length > 0) {
      try {
        const written = await writeReports(result, outDir);
        log(`report: ${written.markdown} (${written.charts.length} charts)`);
      } catch (error) {
        log(
          `report: not written (${(error as Error).message}); result.json is complete, try: reinvent-bench report ${path}`,
        );
      }
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (interruptedWhileReporting) exitCode = ExitCode.interrupted;
    if (result.scenarios.length > 0) process.stdout.write(`${claimsTable(result)}\n`);
    // A scenario's thresholds are part of the run: a failed one is exit 1, as `gate` would say.
    if (result.status === "complete" && exitCode === ExitCode.ok) {
      const thresholds = checkRunThresholds(result);
      if (thresholds) {
        for (const warning of thresholds.warnings) log(`warning: ${warning}`);
        process.stdout.write(`${thresholds.table}\n`);
        if (thresholds.failed) {
          exitCode = ExitCode.gateFailed;
          log("thresholds: at least one failed (exit 1); the results and reports are written");
        }
      }
    }
    // For a pod's log: `merge` reads the result from between the markers. Indented, so no line
    // is long enough for a container runtime to split it.
    if (options.printResult) process.stdout.write(wrapResult(JSON.stringify(result, null, 1)));
    log(finalSaveFailure ? `result: not written to ${path}` : `result: ${path} (${result.status})`);
  }
  if (finalSaveFailure) throw finalSaveFailure;
  return exitCode;
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
  if (options.replicas.length > 0) {
    throw new UsageError("--baseline: replica-lag needs replicas of each target; run it on its own for each");
  }
  const selection = selectScenarios(names, loadCatalog());
  const lag = selection.scenarios
    .filter(({ scenario }) => scenario.replication)
    .map(({ scenario }) => scenario.id);
  if (lag.length > 0) {
    throw new UsageError(
      `--baseline: ${lag.join(", ")} needs replicas of each target; compare the throughput scenarios (aurora-write aurora-read) and run ${lag.join(", ")} on each target on its own`,
    );
  }
  const outDir = options.out ?? join("results", `${selection.label}-vs-baseline-${timestamp(new Date())}`);
  const { baseline: _baseline, ...single } = flags;
  const baselineDir = join(outDir, "baseline");
  const targetDir = join(outDir, "target");
  log(`baseline: running on ${options.baseline?.displayUrl} first, then on ${options.target?.displayUrl}`);
  const first = await runCommand(names, { ...single, target: flags.baseline, out: baselineDir }, argv);
  // A failed threshold on the baseline is a finding, not a reason to skip the target.
  if (first !== ExitCode.ok && first !== ExitCode.gateFailed) return first;
  const second = await runCommand(names, { ...single, out: targetDir }, argv);
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

/** Flags that only mean something to replica-lag scenarios, checked before anything starts. */
function checkLagFlags(scenarios: ResolvedScenario[], options: RunOptions, label: string): void {
  const lag = scenarios.filter((s) => s.replication);
  const none = `none of ${label} runs at fixed rates (replica-lag does)`;
  if (options.overrides.ratesPerSec && !scenarios.some((s) => s.load.ratesPerSec)) {
    throw new UsageError(`--rates: ${none}`);
  }
  // A Galera sandbox's --replicas is its node count for every scenario, not only replica-lag's.
  if (options.overrides.replicas !== undefined && lag.length === 0 && options.engine !== "galera")
    throw new UsageError(`--replicas: ${none}`);
  const crashing = scenarios.filter((s) => s.crash);
  if (options.engine === "galera" && crashing.length > 0 && (options.overrides.replicas ?? 2) < 2) {
    throw new UsageError(
      `--replicas: ${crashing.map((s) => s.id).join(", ")} kills a Galera node, and a cluster of ${1 + (options.overrides.replicas ?? 0)} loses its quorum then; give --replicas 2 or more`,
    );
  }
  if (options.replicas.length > 0 && lag.length === 0) throw new UsageError(`--replica: ${none}`);
  if (options.crashCommand && !scenarios.some((s) => s.crash)) {
    throw new UsageError(`--crash-command: none of ${label} crashes the target (crash-recovery does)`);
  }
  if (options.crashCommand && !options.target) {
    throw new UsageError(
      "--crash-command: the sandbox is crashed by the tool itself; give --target too to crash another server",
    );
  }
  if (options.target && lag.length > 0 && options.replicas.length === 0) {
    throw new UsageError(
      `${lag.map((s) => s.id).join(", ")}: with --target, name the target's replicas with --replica URL (once per replica), or run the other scenarios by name`,
    );
  }
}

/**
 * One client of several (--client-index): closed-loop scenarios with the same client count only, as
 * fixed rates, crashes and replicas are not split between clients. Returns the client count.
 */
function checkShardFlags(scenarios: ResolvedScenario[], options: RunOptions): number | undefined {
  if (!options.client) return undefined;
  for (const s of scenarios) {
    const why = s.load.ratesPerSec
      ? "runs at fixed rates"
      : s.crash
        ? "crashes the target"
        : s.faults
          ? "injects faults"
          : undefined;
    if (why)
      throw new UsageError(
        `--client-index: ${s.id} ${why} and runs from one client only; run the throughput scenarios (aurora-write aurora-read) as clients`,
      );
  }
  const counts = [...new Set(scenarios.map((s) => s.shard?.count ?? s.load.clients))];
  if (counts.length > 1) {
    throw new UsageError(
      `--client-index: the scenarios have different client counts (${scenarios.map((s) => `${s.id} ${s.load.clients}`).join(", ")}); run them separately or set --clients`,
    );
  }
  return counts[0];
}

/**
 * Before anything runs: faults are Aurora's statements, and a crash needs a way to crash this
 * target (sandbox, Aurora, or --crash-command). Either missing is a usage error naming what to do.
 */
function checkFaultsAndCrashes(
  scenario: ResolvedScenario,
  target: TargetSpec,
  facts: ServerFacts,
  sandbox: Sandbox | undefined,
  galera: GaleraSandbox | undefined,
  options: RunOptions,
): void {
  if (scenario.faults && facts.flavor !== "aurora-mysql") {
    throw new UsageError(
      `${scenario.id}: its faults (${[...new Set(scenario.faults.map((f) => f.kind))].join(", ")}) are Aurora's ALTER SYSTEM SIMULATE statements, and ${target.displayUrl} is ${facts.flavor} ${facts.version}; run it against an Aurora MySQL instance`,
    );
  }
  if (scenario.crash) {
    crashPlans({
      scenario,
      target,
      facts,
      ...(sandbox ? { sandbox } : {}),
      ...(galera ? { galera: galera.cluster } : {}),
      ...(options.crashCommand ? { commands: { crash: options.crashCommand } } : {}),
      secrets: [],
      log: () => {},
    });
  }
}

async function runScenario(
  scenario: ResolvedScenario,
  target: TargetSpec,
  facts: ServerFacts,
  workers: number,
  hotPath: HotPath,
  seed: number,
  signal: AbortSignal,
  client: Result["environment"]["client"],
  isSandbox: boolean,
  secrets: string[],
  unreachableAfterMs: number | undefined,
  shardOptions?: RunOptions["client"],
): Promise<ScenarioResult> {
  const live = new ProgressLine();
  const label = scenario.id;
  const transactional = scenario.workload.transaction !== false;
  log(
    `${label}: ${scenario.load.clients} x ${scenario.load.connectionsPerClient.toLocaleString("en-US")} connections, ${scenario.dataset.tables} tables x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows, warm-up ${scenario.load.warmupMs / 1000} s, measured ${scenario.load.durationMs / 1000} s`,
  );
  const admin = await openAdminConnection(target);
  const shard =
    shardOptions && scenario.shard
      ? new ClientSession({
          conn: admin,
          scenarioId: scenario.id,
          runId: shardOptions.runId,
          count: scenario.shard.count,
          index: shardOptions.index,
          host: client.hostname,
          timeoutMs: shardOptions.barrierTimeoutMs,
          signal,
          log,
        })
      : undefined;
  let before: Counters | undefined;
  const notes: string[] = [];
  let delta: Counters | null = null;
  let cost: ClientCost | null = null;
  const meter = new ClientCostMeter(hotPath);
  const effectiveWorkers = Math.max(1, Math.min(workers, scenario.load.connections));
  const faults = scenario.faults
    ? new FaultInjector(
        scenario.faults,
        async (sql) => {
          const conn = await openAdminConnection(target, false);
          try {
            await conn.query(sql);
          } finally {
            await conn.end().catch(() => conn.destroy());
          }
        },
        secrets,
      )
    : undefined;
  try {
    const prepare = () =>
      ensureDataset({ shape: scenario.dataset, open: () => openAdminConnection(target), log, signal });
    // One client of several: client 0 prepares the dataset; the others wait for its signal.
    const dataset = shard ? await shard.dataset(prepare) : await prepare();
    const loop = await runLoad({
      workload: scenario.workload,
      dataset: scenario.dataset,
      ...loadConnection(target),
      connections: scenario.load.connections,
      workers: effectiveWorkers,
      warmupMs: scenario.load.warmupMs,
      durationMs: scenario.load.durationMs,
      seed,
      signal,
      secrets,
      hotPath,
      ...(identityToVerify(target) ? { verifyHost: identityToVerify(target) } : {}),
      ...(unreachableAfterMs !== undefined ? { unreachableAfterMs } : {}),
      onInterval: (phase, interval, ops) => live.interval(label, phase, interval, ops, transactional),
      onPhaseStart: (phase, startEpochMs) => {
        if (phase === "measured") faults?.arm(startEpochMs);
      },
      atBoundary: async (boundary) => {
        // Several clients: every one starts each phase at the instant agreed in the target.
        if (boundary === "before-warmup") {
          if (shard) await shard.startTogether(await shard.meet("warmup"), START_LEAD_MS);
        } else if (boundary === "before-measured") {
          const meeting = await shard?.meet("measured");
          before = await readCountersOrNote(admin, notes);
          if (shard && meeting) await shard.startTogether(meeting, START_LEAD_MS);
          meter.start();
        } else if (boundary === "after-measured" && before) {
          cost = meter.stop();
          // Every client drained its measured phase: the counters hold all of it and nothing after.
          await shard?.meet("done");
          const after = await readCountersOrNote(admin, notes);
          delta = after ? counterDeltaOrNote(before, after, notes) : null;
        }
      },
    });
    live.message("");
    if (loop.failure) notes.push(`the load stopped early: ${loop.failure}`);
    if (loop.abandoned)
      notes.push("some transactions never finished after the interrupt; the phase ended without them");
    const injected = faults ? await faults.finish() : undefined;
    for (const fault of injected ?? []) {
      if (!fault.ok) notes.push(`fault ${fault.kind} at ${fault.atMs / 1000} s: ${fault.error}`);
    }
    if (shard)
      notes.push(
        `client ${shard.index} of ${shard.count}: merge the clients' results for the run's figures and verdict`,
      );
    const built = buildScenarioResult({
      scenario,
      status: loop.failure ? "failed" : loop.interrupted ? "interrupted" : "complete",
      notes,
      serverOnClientMachine: isSandbox || sharesMachine(target),
      dataset,
      loop,
      // A client's window holds every client's statements: the check waits for the merge.
      counterDelta: shard ? null : delta,
      clientCost: cost,
      measuredEnvironment: describeMeasuredEnvironment(
        client,
        {
          flavor: facts.flavor,
          version: facts.version,
          sandbox: isSandbox,
          sameMachine: sharesMachine(target),
        },
        scenario.load.connections,
        loop.workers,
      ),
    });
    const withShard = shard
      ? {
          ...built,
          shard: shard.result(
            delta ? { ...(delta as Record<string, number>) } : null,
            loop.measured ? clientCounterEquivalents(loop.measured.aggregate.totals().ops, loop.ops) : {},
          ),
        }
      : built;
    return injected ? { ...withShard, faults: injected } : withShard;
  } finally {
    await faults?.finish();
    meter.stop();
    await admin.end().catch(() => undefined);
  }
}
