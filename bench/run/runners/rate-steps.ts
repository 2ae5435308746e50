import { type DatasetOutcome, ensureDataset } from "../../dataset/sbtest.js";
import { DEFAULT_BACKLOG_MS } from "../../executor/schedule.js";
import {
  GtidWaitRefused,
  type LagMethodChoice,
  type LagProbe,
  type LagProbeOptions,
  type LagProbeResult,
  type ProbeSample,
  type ServerReportedSample,
  startLagProbe,
} from "../../probe/lag.js";
import { lagClaimVerdicts, lagHeadline } from "../../result/lag-verdict.js";
import { unmeasuredScenarioResult } from "../../result/scenario-result.js";
import type { ScenarioResult, StepResult } from "../../result/schema.js";
import { buildStepResult } from "../../result/step-result.js";
import type { ResolvedScenario } from "../../scenario/resolve.js";
import { openAdminConnection } from "../../target/connection.js";
import { preflightServer } from "../../target/preflight.js";
import { TargetError, UsageError } from "../../util/errors.js";
import { formatCount, formatMs, formatRate } from "../../util/format.js";
import { protocolOf, protocolWords } from "../../workload/protocol.js";
import { describeMeasuredEnvironment } from "../environment.js";
import type { LagMethodRequest } from "../options.js";
import { preparedStatementsOf } from "../prepare-check.js";
import { catchUp, openReplicatedServers, type ReplicatedServers } from "../replicated-servers.js";
import type { RunContext, Runner } from "../runner.js";
import { loadStatus, runTrial } from "../trial.js";
import { defaultOpenLoopWorkers, sharesMachine } from "../workers.js";

export interface RateStepsSetup {
  servers: ReplicatedServers;
  dataset: DatasetOutcome | null;
  replicaCount: number;
  measuredEnvironment: string;
  serverOnClientMachine: boolean;
}

/** One step as the scenario's result takes it. */
export interface StepOutcome {
  ratePerSec: number;
  /** The scenario's result as this step alone measured it. */
  built: ScenarioResult;
  step: StepResult;
  status: ScenarioResult["status"];
  /** Why the load stopped early, if it did. */
  loadFailure: string | null;
  /** What interrupted the lag probe during the step. */
  probeProblems: string[];
}

/** What interrupted the lag probe during a step: its lag figures then cover part of the step only. */
export function probeProblems(lag: LagProbeResult | null): string[] {
  if (!lag) return [];
  const out: string[] = [];
  if (lag.heartbeat.errors.length > 0)
    out.push(
      `heartbeats stopped (${lag.heartbeat.errors[0]}); lag covers only the part of the step before that`,
    );
  for (const replica of lag.replicas) {
    if (replica.errors.length === 0) {
      // Lost while idle and reopened before the next read: nothing failed, but the reads paused.
      if (replica.reconnects > 0)
        out.push(
          `lag probe on ${replica.name}: ${replica.reconnects} probe connection(s) lost and reopened on the same server; readings around each reopen may be late by its time`,
        );
      continue;
    }
    const reopened = replica.reconnects > 0 ? `, ${replica.reconnects} probe connection(s) reopened` : "";
    out.push(`lag probe on ${replica.name}: ${replica.errors[0]}${reopened}`);
  }
  return out;
}

/** The probe's name for a --lag-method value. */
export function probeMethod(request: LagMethodRequest | undefined): LagMethodChoice {
  if (request === "gtid-wait") return "wait";
  return request ?? "auto";
}

/**
 * A replica refused for a GTID wait that was asked for: the run stops, saying what would time it
 * instead. Any other error is left as it is.
 */
export function withLagMethodHint(error: unknown): unknown {
  if (!(error instanceof GtidWaitRefused)) return error;
  return new TargetError(
    `${error.message}; --lag-method auto or poll times such a replica by reading the heartbeat row`,
  );
}

/** Starts the lag probe on the servers' replicas by the method asked for. */
async function startProbe(
  servers: ReplicatedServers,
  request: LagMethodRequest | undefined,
  live: Pick<LagProbeOptions, "onSample" | "onServerReported"> = {},
): Promise<LagProbe> {
  try {
    return await startLagProbe({
      primary: servers.primary,
      replicas: servers.replicas,
      method: probeMethod(request),
      ...(live.onSample ? { onSample: live.onSample } : {}),
      ...(live.onServerReported ? { onServerReported: live.onServerReported } : {}),
    });
  } catch (error) {
    throw withLagMethodHint(error);
  }
}

/**
 * With --lag-method gtid-wait, a probe started and stopped at once: a replica that cannot wait for
 * GTIDs refuses the run before the dataset load and the first warm-up, not after them.
 */
async function checkGtidWaitAsked(
  servers: ReplicatedServers,
  request: LagMethodRequest | undefined,
): Promise<void> {
  if (request !== "gtid-wait" || servers.replicas.length === 0) return;
  await (await startProbe(servers, request)).stop();
}

/** A one-statement autocommit workload's transaction is that statement; otherwise "txn". */
function transactionName(scenario: ResolvedScenario): string {
  const statements = scenario.workload.steps.flatMap((s) => s.statements);
  const only = statements[0];
  return scenario.workload.transaction === false && statements.length === 1 && only ? only.name : "txn";
}

function stepLine(step: StepResult): string {
  const lags = Object.entries(step.lagMs)
    .map(
      ([name, l]) =>
        `${name} p50 ${l.p50 === null ? "-" : formatMs(l.p50)}, p99 ${l.p99 === null ? "-" : formatMs(l.p99)}`,
    )
    .join("; ");
  const share = step.targetRatePerSec > 0 ? step.achievedRatePerSec / step.targetRatePerSec : 0;
  const kept = step.sustained
    ? ""
    : ` (NOT sustained: ${(share * 100).toFixed(0)}% of the target, ${formatCount(step.dropped)} dropped, ${formatCount(step.discarded)} unsent)`;
  return `step ${formatRate(step.targetRatePerSec)}/s: achieved ${formatRate(step.achievedRatePerSec)}/s${kept}; lag ${lags || "no samples"}`;
}

function replicaCountOf(scenario: ResolvedScenario, ctx: RunContext): number {
  const replication = scenario.replication;
  if (!replication) return 0;
  return ctx.settings.target ? ctx.settings.replicas.length : replication.replicas;
}

function workersAt(ratePerSec: number, ctx: RunContext, serverOnClientMachine: boolean): number {
  return ctx.settings.workers ?? defaultOpenLoopWorkers(ratePerSec, undefined, serverOnClientMachine);
}

/**
 * A rate-steps scenario's result from its steps so far: the last step's figures, every step, and
 * with replication the lag claims, the first with a figure as the headline; pure.
 */
export function assembleRateSteps(
  scenario: ResolvedScenario,
  setup: Pick<
    RateStepsSetup,
    "dataset" | "replicaCount" | "measuredEnvironment" | "serverOnClientMachine"
  > & {
    servers: Pick<ReplicatedServers, "replication">;
  },
  outcomes: readonly StepOutcome[],
  status: ScenarioResult["status"],
): ScenarioResult {
  const notes = outcomes.flatMap((o) => [
    ...(o.loadFailure ? [`the load stopped early at ${formatRate(o.ratePerSec)}/s: ${o.loadFailure}`] : []),
    ...o.probeProblems.map((problem) => `at ${formatRate(o.ratePerSec)}/s: ${problem}`),
  ]);
  const steps = outcomes.map((o) => o.step);
  const base =
    outcomes.at(-1)?.built ??
    unmeasuredScenarioResult({
      scenario,
      status,
      dataset: setup.dataset,
      measuredEnvironment: setup.measuredEnvironment,
      notes,
      serverOnClientMachine: setup.serverOnClientMachine,
    });
  const claims = lagClaimVerdicts({
    claims: scenario.claims ?? [],
    steps,
    replicas: setup.replicaCount,
    status,
    measuredEnvironment: setup.measuredEnvironment,
    serverOnClientMachine: setup.serverOnClientMachine,
    warnings: notes,
  });
  const verdict = lagHeadline(claims);
  const replication = setup.servers.replication;
  return {
    ...base,
    status,
    dataset: setup.dataset,
    steps,
    ...(scenario.replication ? { claims } : {}),
    ...(replication ? { replication } : {}),
    ...(verdict ? { verdict } : {}),
  };
}

/**
 * rate-steps: transactions at each rate of the scenario on an absolute schedule, one step per
 * rate. With replication (replica-lag): on a primary and replicas (started by the sandbox or
 * given), with the lag probe on every replica over each step's measured window; replicas catch up
 * between steps, so each step starts from zero lag. Without: on the run's one server.
 */
export const rateStepsRunner: Runner<RateStepsSetup, number, StepOutcome> = {
  kind: "rate-steps",
  flags: [
    {
      flag: "--rates",
      given: (s) => s.overrides.ratesPerSec !== undefined,
      does: "runs at fixed rates (replica-lag does)",
    },
    {
      flag: "--replicas",
      // A Galera sandbox's --replicas is its node count for every scenario, not only replica-lag's.
      given: (s) => s.overrides.replicas !== undefined && s.engine !== "galera",
      usedBy: (scenario) => !!scenario.replication,
      does: "runs at fixed rates (replica-lag does)",
    },
    {
      flag: "--replica",
      given: (s) => s.replicas.length > 0,
      usedBy: (scenario) => !!scenario.replication,
      does: "runs at fixed rates (replica-lag does)",
    },
    {
      flag: "--lag-method",
      given: (s) => s.lagMethod !== undefined,
      usedBy: (scenario) => !!scenario.replication,
      does: "measures replica lag (replica-lag does)",
    },
  ],
  splitRefusal: () => "runs at fixed rates",
  checkSettings: (scenarios, settings) => {
    const lag = scenarios.filter((s) => s.replication);
    if (settings.target && lag.length > 0 && settings.replicas.length === 0) {
      throw new UsageError(
        `${lag.map((s) => s.id).join(", ")}: with --target, name the target's replicas with --replica URL (once per replica), or run the other scenarios by name`,
      );
    }
  },
  servers: (scenario) => (scenario.replication ? "own" : "one"),
  open: async (scenario, ctx) => {
    const rates = scenario.load.ratesPerSec ?? [];
    if (rates.length === 0) throw new Error(`${scenario.id} is not a fixed-rate scenario`);
    const replicaCount = replicaCountOf(scenario, ctx);
    ctx.log(
      `${scenario.id}: steps at ${rates.map((r) => formatRate(r)).join(", ")} updates/s, ${replicaCount} replica${replicaCount === 1 ? "" : "s"}, ${scenario.load.connections} connections, ${scenario.dataset.tables} tables x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows, warm-up ${scenario.load.warmupMs / 1000} s, measured ${scenario.load.durationMs / 1000} s per step, ${protocolWords(protocolOf(scenario.workload))}`,
    );
    const servers = await openReplicatedServers(scenario, ctx);
    // What was asked for, beside each replica's method in its steps (they differ under auto).
    if (servers.replication) servers.replication.lagMethod = ctx.settings.lagMethod ?? "auto";
    const serverOnClientMachine = servers.sandbox || sharesMachine(servers.primary);
    const measuredEnvironment = `${describeMeasuredEnvironment(
      ctx.client,
      {
        flavor: servers.facts.flavor,
        version: servers.facts.version,
        sandbox: servers.sandbox,
        sameMachine: sharesMachine(servers.primary),
      },
      scenario.load.connections,
      Math.min(workersAt(Math.max(...rates), ctx, serverOnClientMachine), scenario.load.connections),
    )}${replicaCount === 0 ? "" : `; ${replicaCount} replica${replicaCount === 1 ? "" : "s"}${servers.sandbox ? " on the same machine" : ""}`}`;
    const setup = {
      servers,
      dataset: null as DatasetOutcome | null,
      replicaCount,
      measuredEnvironment,
      serverOnClientMachine,
      stop: () => servers.stop(),
    };
    try {
      preflightServer(
        servers.facts,
        scenario.load.connections + 8,
        servers.primary.displayUrl,
        preparedStatementsOf(scenario),
      );
      await checkGtidWaitAsked(servers, ctx.settings.lagMethod);
      setup.dataset = await ensureDataset({
        shape: scenario.dataset,
        open: () => openAdminConnection(servers.primary),
        log: ctx.log,
        signal: ctx.signal,
      });
    } catch (error) {
      // Interrupted while the dataset loads: the scenario says so, with no step.
      if (!ctx.signal.aborted) {
        await servers.stop();
        throw error;
      }
    }
    return setup;
  },
  trials: (scenario) => scenario.load.ratesPerSec ?? [],
  runTrial: async ({ scenario, trial: ratePerSec, setup }, ctx) => {
    const { servers, dataset } = setup;
    const caughtUp = await catchUp(servers, ctx.signal);
    if (caughtUp && caughtUp.waitedMs > 1000) {
      ctx.log(
        `${scenario.id}: replicas caught up (by ${caughtUp.method}) in ${formatMs(caughtUp.waitedMs)} before the ${formatRate(ratePerSec)}/s step`,
      );
    }
    const label = `${scenario.id} @${formatRate(ratePerSec)}/s`;
    let probe: LagProbe | undefined;
    let lag: LagProbeResult | null = null;
    const stopProbe = async () => {
      const running = probe;
      probe = undefined;
      if (running) lag = await running.stop();
    };
    try {
      const trial = await runTrial(
        {
          scenario,
          target: servers.primary,
          dataset,
          label,
          workers: workersAt(ratePerSec, ctx, setup.serverOnClientMachine),
          seed: ctx.seed,
          counters: true,
          openLoop: { ratePerSec },
          serverOnClientMachine: setup.serverOnClientMachine,
          measuredEnvironment: setup.measuredEnvironment,
          hooks: {
            // The probe starts first, so its own setup statements fall before the counter window.
            beforeCounters: async () => {
              if (servers.replicas.length === 0) return;
              // Each sample to the live outputs too (the metrics endpoint's lag per replica).
              const context = {
                scenario: scenario.id,
                label: `${ctx.liveLabelPrefix ?? ""}${label}`,
                targetRatePerSec: ratePerSec,
                client: ctx.clientIndex ?? 0,
              };
              const onSample = ctx.live?.size
                ? (s: ProbeSample) =>
                    ctx.live?.lag({ ...context, replica: s.replica, lagMs: Math.max(0, s.lagMs) })
                : undefined;
              const onServerReported = ctx.live?.size
                ? (replica: string, s: ServerReportedSample) =>
                    ctx.live?.replicaReport({
                      ...context,
                      replica,
                      secondsBehind: s.secondsBehind,
                      auroraLagMs: s.auroraLagMs,
                    })
                : undefined;
              probe = await startProbe(servers, ctx.settings.lagMethod, { onSample, onServerReported });
            },
            afterCounters: async (delta) => {
              await stopProbe();
              // The probe's heartbeats are the only other updates on the primary in the window.
              const written = (lag as LagProbeResult | null)?.heartbeat.written ?? 0;
              if (delta?.Com_update !== undefined) delta.Com_update = Math.max(0, delta.Com_update - written);
            },
          },
        },
        ctx,
      );
      await stopProbe();
      const step = buildStepResult({
        targetRatePerSec: ratePerSec,
        built: trial.built,
        schedule: trial.loop.measured?.schedule ?? null,
        backlogMs: DEFAULT_BACKLOG_MS,
        transactionName: transactionName(scenario),
        lag,
        caughtUpBeforeMs: caughtUp?.waitedMs ?? null,
        caughtUpBy: caughtUp?.method ?? null,
      });
      ctx.log(stepLine(step));
      return {
        ratePerSec,
        built: trial.built,
        step,
        status: loadStatus(trial.loop),
        loadFailure: trial.loop.failure ?? null,
        probeProblems: probeProblems(lag),
      };
    } finally {
      await stopProbe().catch(() => undefined);
    }
  },
  ends: (outcome) => (outcome.status === "complete" ? undefined : { status: outcome.status }),
  assemble: ({ scenario, setup, outcomes, status }) => assembleRateSteps(scenario, setup, outcomes, status),
};
