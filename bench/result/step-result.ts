import type { ScheduleReport } from "../executor/protocol.js";
import type { LagProbeResult } from "../probe/lag.js";
import type { LatencySummary, ScenarioResult, StepResult } from "./schema.js";

/** A step kept its rate when nothing was dropped or left unsent and this share of it completed. */
export const SUSTAINED_SHARE = 0.95;

export interface StepData {
  targetRatePerSec: number;
  /** The step's figures, built as a scenario's (its verdict unused). */
  built: ScenarioResult;
  schedule: ScheduleReport | null;
  backlogMs: number;
  /** The name of the transaction: the statement's name for a one-statement autocommit workload. */
  transactionName: string;
  lag: LagProbeResult | null;
  caughtUpBeforeMs: number | null;
  /** How the catch-up before the step was checked; null when there are no replicas. */
  caughtUpBy: "gtid" | "binlog-position" | "heartbeat" | null;
}

const VIEWS = new Set(["intended", "lateness"]);

/**
 * One step of an open-loop scenario: the three views of each op (latency from the intended
 * start, service time, send lateness), the schedule's fate, and the lag per replica. Pure.
 */
export function buildStepResult(data: StepData): StepResult {
  const { built } = data;
  const schedule = data.schedule ?? { scheduled: 0, started: 0, dropped: 0, discarded: 0, maxBacklog: 0 };
  const completed = built.latencyMs.intended?.count ?? 0;
  // Over the window and the drain after it: a backlog still being sent after the window's end
  // lengthens the time, so a target that fell behind cannot look as if it kept up.
  const achievedRatePerSec = built.measuredMs > 0 ? completed / (built.measuredMs / 1000) : 0;
  const serviceTimeMs: Record<string, LatencySummary> = {};
  for (const [name, summary] of Object.entries(built.latencyMs)) {
    if (!VIEWS.has(name)) serviceTimeMs[name] = summary;
  }
  const latencyMs: Record<string, LatencySummary> = {};
  if (built.latencyMs.intended) latencyMs[data.transactionName] = built.latencyMs.intended;
  const lagMs: StepResult["lagMs"] = {};
  for (const replica of data.lag?.replicas ?? []) lagMs[replica.name] = replica.lagMs;
  return {
    targetRatePerSec: data.targetRatePerSec,
    achievedRatePerSec,
    scheduled: schedule.scheduled,
    started: schedule.started,
    dropped: schedule.dropped,
    discarded: schedule.discarded,
    maxBacklog: schedule.maxBacklog,
    backlogMs: data.backlogMs,
    sustained:
      schedule.dropped === 0 &&
      schedule.discarded === 0 &&
      achievedRatePerSec >= data.targetRatePerSec * SUSTAINED_SHARE,
    measuredFrom: built.measuredFrom ?? new Date(0).toISOString(),
    measuredTo: built.measuredTo ?? new Date(0).toISOString(),
    measuredMs: built.measuredMs,
    latencyMs,
    serviceTimeMs,
    sendLatenessMs: built.latencyMs.lateness ?? null,
    errors: built.errors,
    counts: built.counts,
    serverCounters: built.serverCounters,
    intervals: built.intervals,
    histograms: built.histograms,
    generator: built.generator,
    lagMs,
    lag: data.lag
      ? {
          heartbeatIntervalMs: data.lag.heartbeat.intervalMs,
          heartbeatsWritten: data.lag.heartbeat.written,
          heartbeatCommitMs: data.lag.heartbeat.commitMs,
          heartbeatErrors: data.lag.heartbeat.errors,
          matchWindowMs: data.lag.matchWindowMs,
          replicas: data.lag.replicas,
        }
      : null,
    caughtUpBeforeMs: data.caughtUpBeforeMs,
    caughtUpBy: data.caughtUpBy,
  };
}
