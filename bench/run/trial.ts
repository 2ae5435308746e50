import type { DatasetOutcome } from "../dataset/sbtest.js";
import { type LoadOptions, type LoadOutcome, runLoad } from "../executor/load.js";
import type { HotPath } from "../executor/protocol.js";
import type { LiveContext, LiveOutputs } from "../live/second.js";
import { buildScenarioResult, type ClientCost } from "../result/scenario-result.js";
import type { ScenarioResult } from "../result/schema.js";
import { withServerSeconds } from "../result/server-seconds.js";
import { serverWorkOf } from "../result/server-work.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { identityToVerify, loadConnection, openAdminConnection } from "../target/connection.js";
import {
  type Counters,
  counterDeltaOrNote,
  readCountersOrNote,
  type WorkCounterName,
  workCounterDelta,
} from "../target/facts.js";
import { type OpenSampler, openServerSampler, type ServerSampler } from "../target/server-sampler.js";
import type { TargetSpec } from "../target/url.js";
import { ClientCostMeter } from "./client-cost.js";
import { liveSecondOf } from "./live-second.js";
import { checkStatementsPrepare } from "./prepare-check.js";
import { ProgressLine } from "./progress-line.js";

/** What every trial of a run shares: how the load is sent, and where its errors and lines go. */
export interface LoadSettings {
  hotPath: HotPath;
  seed: number;
  signal: AbortSignal;
  secrets: string[];
  /** --unreachable-after. */
  unreachableAfterMs?: number;
  log: (line: string) => void;
  /** Where each second goes while the run goes (the interval stream, the metrics endpoint, the .hlog). */
  live?: LiveOutputs;
  /** Which client of a split run this process is (a label on its live seconds); 0 alone. */
  clientIndex?: number;
  /** Put before each trial's label on the live outputs: "baseline: " or "target: " in `run --baseline`. */
  liveLabelPrefix?: string;
}

/**
 * Points of a trial where a kind adds its own work, in the order they come: each runs while no
 * statement is in flight. The counters are read between `beforeCounters` and `startMeasured`,
 * and again between `afterMeasured` and `afterCounters`.
 */
export interface TrialHooks {
  beforeWarmup?: () => Promise<void>;
  /** Before the counters are read: what must not be counted in the window starts here (the lag probe). */
  beforeCounters?: () => Promise<void>;
  /** After the counters are read, just before the measured phase (clients of a split run start together). */
  startMeasured?: () => Promise<void>;
  /** After the measured phase, before the counters are read again (every client of a split run drained). */
  afterMeasured?: () => Promise<void>;
  /** After the counters are read again, with their change; may correct it for the kind's own statements. */
  afterCounters?: (delta: Counters | null) => Promise<void>;
  onPhaseStart?: LoadOptions["onPhaseStart"];
}

export interface TrialPlan {
  scenario: ResolvedScenario;
  target: TargetSpec;
  dataset: DatasetOutcome | null;
  /** The progress line's label. */
  label: string;
  workers: number;
  /** Closed loop with workers the user did not fix: raise starved workers to this many after the warm-up. */
  adaptWorkersTo?: number;
  seed: number;
  /** Read the server's counters over the measured window, and the client's cost. */
  counters: boolean;
  openLoop?: LoadOptions["openLoop"];
  reconnectMaxMs?: number;
  expectedOutageMs?: number;
  commitTimeline?: LoadOptions["commitTimeline"];
  serverOnClientMachine: boolean;
  /** Where it ran, in words; from the load's outcome where it names its workers. */
  measuredEnvironment: string | ((loop: LoadOutcome) => string);
  /**
   * Whether the result checks its figures against the counters' change (default true). A client of
   * a split run reads them for the merge: its window holds every client's statements.
   */
  compareCounters?: boolean;
  hooks?: TrialHooks;
  /** Notes the kind adds once the load is over, after the counters' notes, before the result is built. */
  afterLoad?: (loop: LoadOutcome) => Promise<string[]> | string[];
}

export interface TrialOutcome {
  loop: LoadOutcome;
  /** The scenario's result as this trial alone measured it. */
  built: ScenarioResult;
  /** The server's counters over the measured window; null when not read or not comparable. */
  counterDelta: Counters | null;
  clientCost: ClientCost | null;
  /**
   * The server's I/O counters' increase over the measured window (serverWork's input); null when
   * not read. A client of a split run keeps it for the merge, which divides it by every client's
   * transactions.
   */
  workDelta: Partial<Record<WorkCounterName, number>> | null;
  /** What the trial noticed (counters not read, a load that stopped early), in the result's words. */
  notes: string[];
}

/** The status a trial's load ended in. */
export function loadStatus(loop: LoadOutcome): ScenarioResult["status"] {
  return loop.failure ? "failed" : loop.interrupted ? "interrupted" : "complete";
}

/** What a load that ended early says of itself; `abandoned` too where the kind reports drained transactions. */
export function loadEndNotes(loop: LoadOutcome, options: { abandoned: boolean }): string[] {
  const notes: string[] = [];
  if (loop.failure) notes.push(`the load stopped early: ${loop.failure}`);
  if (options.abandoned && loop.abandoned)
    notes.push("some transactions never finished after the interrupt; the phase ended without them");
  return notes;
}

/**
 * One trial: the load on the target (warm-up, then the measured phase), with the server's counters
 * and the client's own cost over the measured window, and the scenario result it measured. Every
 * kind's runner runs its trials through this.
 */
export async function runTrial(plan: TrialPlan, settings: LoadSettings): Promise<TrialOutcome> {
  const { scenario, target, hooks = {} } = plan;
  const progress = new ProgressLine();
  const transactional = scenario.workload.transaction !== false && !plan.openLoop;
  const notes: string[] = [];
  const admin = plan.counters ? await openAdminConnection(plan.target) : undefined;
  // The server's status each second, on a connection of its own (see openServerSampler).
  const sampling = admin ? await openSamplerOrNote(plan.target, settings.signal, notes) : undefined;
  const sampler = sampling?.sampler;
  const meter = new ClientCostMeter(settings.hotPath);
  const liveContext: LiveContext = {
    scenario: scenario.id,
    label: `${settings.liveLabelPrefix ?? ""}${plan.label}`,
    targetRatePerSec: plan.openLoop?.ratePerSec ?? null,
    client: settings.clientIndex ?? 0,
  };
  let warmupStarted = false;
  let before: Counters | undefined;
  let counterDelta: Counters | null = null;
  let workDelta: Partial<Record<WorkCounterName, number>> | null = null;
  let clientCost: ClientCost | null = null;
  try {
    const verifyHost = identityToVerify(target);
    await checkStatementsPrepare(scenario, target, settings.hotPath);
    const loop = await runLoad({
      workload: scenario.workload,
      dataset: scenario.dataset,
      ...loadConnection(target),
      connections: scenario.load.connections,
      workers: Math.max(1, Math.min(plan.workers, scenario.load.connections)),
      ...(plan.adaptWorkersTo !== undefined && scenario.load.warmupMs > 0
        ? {
            adaptWorkers: {
              maxWorkers: plan.adaptWorkersTo,
              onJudged: (j) => {
                if (!j.trial) return;
                progress.message("");
                settings.log(`${plan.label}: ${j.chosen} load worker(s) for the measured phase: ${j.reason}`);
              },
            },
          }
        : {}),
      warmupMs: scenario.load.warmupMs,
      durationMs: scenario.load.durationMs,
      seed: plan.seed,
      signal: settings.signal,
      secrets: settings.secrets,
      hotPath: settings.hotPath,
      ...(plan.openLoop ? { openLoop: plan.openLoop } : {}),
      ...(plan.reconnectMaxMs !== undefined ? { reconnectMaxMs: plan.reconnectMaxMs } : {}),
      ...(plan.expectedOutageMs !== undefined ? { expectedOutageMs: plan.expectedOutageMs } : {}),
      ...(plan.commitTimeline ? { commitTimeline: plan.commitTimeline } : {}),
      ...(settings.unreachableAfterMs !== undefined
        ? { unreachableAfterMs: settings.unreachableAfterMs }
        : {}),
      ...(verifyHost ? { verifyHost } : {}),
      onInterval: (second) => {
        if (!second.afterPhase) {
          progress.interval(plan.label, second.phase, second.interval, second.ops, transactional);
        }
        if (settings.live?.size)
          // Counted as the result counts them (an open loop's transactions too), so the figures agree.
          settings.live.second(
            liveSecondOf(
              second,
              liveContext,
              scenario.workload.transaction !== false,
              // The server's read of the same second, when it has come back (it is due at the second's end).
              sampler?.second(second.phase, second.interval.index) ?? null,
            ),
          );
      },
      ...(sampler || hooks.onPhaseStart || settings.live?.size
        ? {
            onPhaseStart: (phase, startEpochMs) => {
              // A warm-up again (workers replaced after the first): the first one's seconds end here.
              if (phase === "warmup" && warmupStarted) settings.live?.phaseEnd(liveContext, "warmup");
              if (phase === "warmup") warmupStarted = true;
              const { warmupMs, durationMs } = scenario.load;
              sampler?.samplePhase(phase, startEpochMs, phase === "warmup" ? warmupMs : durationMs);
              hooks.onPhaseStart?.(phase, startEpochMs);
            },
          }
        : {}),
      atBoundary: async (boundary) => {
        if (boundary === "before-warmup") {
          await hooks.beforeWarmup?.();
        } else if (boundary === "before-measured") {
          await sampler?.stopPhase();
          if (scenario.load.warmupMs > 0) settings.live?.phaseEnd(liveContext, "warmup");
          await hooks.beforeCounters?.();
          if (admin) before = await readCountersOrNote(admin, notes);
          await hooks.startMeasured?.();
          if (plan.counters) meter.start();
        } else if (boundary === "after-measured") {
          clientCost = meter.stop();
          await sampler?.stopPhase();
          await hooks.afterMeasured?.();
          const after = admin && before ? await readCountersOrNote(admin, notes) : undefined;
          counterDelta = before && after ? counterDeltaOrNote(before, after, notes) : null;
          // Null with counterDelta: a restart in the window started these counters again too.
          workDelta = before && after && counterDelta ? workCounterDelta(before, after) : null;
          await hooks.afterCounters?.(counterDelta);
        }
      },
    });
    progress.message("");
    // A phase that ended early (a failure) has no after-measured boundary: its sampling ends here.
    await sampler?.stopPhase();
    if (loop.measured) settings.live?.phaseEnd(liveContext, "measured");
    notes.push(...((await plan.afterLoad?.(loop)) ?? []));
    if (sampler) notes.push(...samplerNotes(sampler));
    const built = buildScenarioResult({
      scenario,
      status: loadStatus(loop),
      notes,
      serverOnClientMachine: plan.serverOnClientMachine,
      dataset: plan.dataset,
      loop,
      counterDelta: plan.compareCounters === false ? null : counterDelta,
      clientCost,
      measuredEnvironment:
        typeof plan.measuredEnvironment === "function"
          ? plan.measuredEnvironment(loop)
          : plan.measuredEnvironment,
    });
    const withServer: ScenarioResult = {
      ...built,
      ...(loop.workerJudgement ? { workerJudgement: loop.workerJudgement } : {}),
      intervals: sampler ? withServerSeconds(built.intervals, sampler.seconds("measured")) : built.intervals,
      // One client of a split run would divide the whole server's work by its own share: the merge's
      // to do. A server without InnoDB's counters (TiDB) has no work to figure.
      ...(workDelta && Object.keys(workDelta).length > 0 && plan.compareCounters !== false
        ? { serverWork: serverWorkOf(workDelta, built.counts.txns) }
        : {}),
    };
    return { loop, built: withServer, counterDelta, clientCost, workDelta, notes };
  } finally {
    meter.stop();
    await sampling?.close();
    await admin?.end().catch(() => admin.destroy());
  }
}

/** The sampler over a connection of its own; one that cannot be opened costs the seconds' figures, not the run. */
async function openSamplerOrNote(
  target: TargetSpec,
  signal: AbortSignal,
  notes: string[],
): Promise<OpenSampler | undefined> {
  try {
    return await openServerSampler(target, signal);
  } catch (error) {
    notes.push(`the server's status could not be sampled each second (${(error as Error).message})`);
    return undefined;
  }
}

/** What the measured phase's status reads missed, in the result's words. */
function samplerNotes(sampler: ServerSampler): string[] {
  const { count, first } = sampler.errorsIn("measured");
  if (count === 0) return [];
  return [
    `the server's status could not be read ${count} time(s) in the measured phase (first: ${first ?? "?"}); those seconds have no server figures`,
  ];
}
