import type { DatasetOutcome } from "../dataset/sbtest.js";
import { type LoadOptions, type LoadOutcome, runLoad } from "../executor/load.js";
import type { HotPath } from "../executor/protocol.js";
import type { LiveContext, LiveOutputs } from "../live/second.js";
import { buildScenarioResult, type ClientCost } from "../result/scenario-result.js";
import type { ScenarioResult } from "../result/schema.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { identityToVerify, loadConnection, openAdminConnection } from "../target/connection.js";
import { type Counters, counterDeltaOrNote, readCountersOrNote } from "../target/facts.js";
import type { TargetSpec } from "../target/url.js";
import { ClientCostMeter } from "./client-cost.js";
import { liveSecondOf } from "./live-second.js";
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
  const meter = new ClientCostMeter(settings.hotPath);
  const liveContext: LiveContext = {
    scenario: scenario.id,
    label: plan.label,
    targetRatePerSec: plan.openLoop?.ratePerSec ?? null,
    client: settings.clientIndex ?? 0,
  };
  let before: Counters | undefined;
  let counterDelta: Counters | null = null;
  let clientCost: ClientCost | null = null;
  try {
    const verifyHost = identityToVerify(target);
    const loop = await runLoad({
      workload: scenario.workload,
      dataset: scenario.dataset,
      ...loadConnection(target),
      connections: scenario.load.connections,
      workers: Math.max(1, Math.min(plan.workers, scenario.load.connections)),
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
          settings.live.second(liveSecondOf(second, liveContext, scenario.workload.transaction !== false));
      },
      ...(hooks.onPhaseStart ? { onPhaseStart: hooks.onPhaseStart } : {}),
      atBoundary: async (boundary) => {
        if (boundary === "before-warmup") {
          await hooks.beforeWarmup?.();
        } else if (boundary === "before-measured") {
          if (scenario.load.warmupMs > 0) settings.live?.phaseEnd(liveContext, "warmup");
          await hooks.beforeCounters?.();
          if (admin) before = await readCountersOrNote(admin, notes);
          await hooks.startMeasured?.();
          if (plan.counters) meter.start();
        } else if (boundary === "after-measured") {
          clientCost = meter.stop();
          await hooks.afterMeasured?.();
          const after = admin && before ? await readCountersOrNote(admin, notes) : undefined;
          counterDelta = before && after ? counterDeltaOrNote(before, after, notes) : null;
          await hooks.afterCounters?.(counterDelta);
        }
      },
    });
    progress.message("");
    if (loop.measured) settings.live?.phaseEnd(liveContext, "measured");
    notes.push(...((await plan.afterLoad?.(loop)) ?? []));
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
    return { loop, built, counterDelta, clientCost, notes };
  } finally {
    meter.stop();
    await admin?.end().catch(() => admin.destroy());
  }
}
