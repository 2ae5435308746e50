import { addErrors } from "../metrics/aggregate.js";
import type { CommitGap, CommitTimelineReport } from "../metrics/commit-timeline.js";
import type { Histogram } from "../metrics/histogram.js";
import { newLatencyHistogram } from "../metrics/histogram.js";

/** One second of the measured phase, as the crash analysis needs it. */
export interface SecondFigures {
  writes: number;
  txns: number;
  /** Whole-transaction latency (microseconds) of the second; null when none completed. */
  txnHistogram: Histogram | null;
  errorsByCode: Record<string, number>;
  lost: number;
  reconnected: number;
}

export interface CrashAnalysisInput {
  /** When the crash began (the kill, the statement, the command), on the client's clock. */
  crashAtEpochMs: number;
  phaseStartEpochMs: number;
  phaseEndEpochMs: number;
  /** The phase's scheduled length: seconds past it are the drain, not a full second of load. */
  scheduledMs: number;
  /** Length of the before and after windows, whole seconds. */
  windowMs: number;
  /** Index = second of the measured phase. */
  seconds: SecondFigures[];
  /** The whole client's commit timeline over the phase. */
  commits: CommitTimelineReport | null;
}

export interface CrashWindow {
  /** ms from the measured phase's start. */
  fromMs: number;
  toMs: number;
  writesPerSec: number;
  txnPerSec: number;
  /** Whole-transaction latency p99, ms; null when no transaction completed. */
  p99Ms: number | null;
}

export interface CrashAnalysis {
  /** ms from the measured phase's start. */
  atMs: number;
  /** Last commit before the crash to the first after it; null when none came before the phase ended. */
  downtimeMs: number | null;
  /** The outage: ms from the phase start (toMs null: still down at the end). Null: none seen. */
  outage: { fromMs: number; toMs: number | null } | null;
  /** Crash to the start of the first second whose commits reach 90% of the rate before it. */
  recoveryMs: number | null;
  /** The share of the before window's rate a second must reach to count as recovered. */
  recoveryShare: number;
  before: CrashWindow | null;
  after: CrashWindow | null;
  /** From the crash's second through the recovery (or the phase's end). */
  errors: Record<string, number>;
  connectionsLost: number;
  reconnected: number;
  /** Timing resolution: the commit timeline's tick. */
  tickMs: number;
  notes: string[];
}

/** Throughput back to this share of the before window counts as recovered (the 90%). */
export const RECOVERY_SHARE = 0.9;

const endOf = (gap: CommitGap, phaseEndEpochMs: number) => gap.toEpochMs ?? phaseEndEpochMs;

/** The longest time without a commit that ended after the crash began (or never ended). */
export function outageAfter(
  gaps: readonly CommitGap[],
  crashAtEpochMs: number,
  phaseEndEpochMs: number,
): CommitGap | null {
  let best: CommitGap | null = null;
  for (const gap of gaps) {
    if (endOf(gap, phaseEndEpochMs) <= crashAtEpochMs) continue;
    if (
      !best ||
      endOf(gap, phaseEndEpochMs) - gap.fromEpochMs > endOf(best, phaseEndEpochMs) - best.fromEpochMs
    )
      best = gap;
  }
  return best;
}

function windowOf(seconds: SecondFigures[], from: number, to: number): CrashWindow | null {
  if (to <= from) return null;
  let writes = 0;
  let txns = 0;
  const histogram = newLatencyHistogram();
  for (let i = from; i < to; i++) {
    const second = seconds[i];
    if (!second) continue;
    writes += second.writes;
    txns += second.txns;
    if (second.txnHistogram) histogram.add(second.txnHistogram);
  }
  const spanSec = to - from;
  return {
    fromMs: from * 1000,
    toMs: to * 1000,
    writesPerSec: writes / spanSec,
    txnPerSec: txns / spanSec,
    p99Ms: histogram.totalCount > 0 ? histogram.getValueAtPercentile(99) / 1000 : null,
  };
}

/**
 * What one crash did to the load: how long nothing committed, how long until throughput was back,
 * and throughput and p99 in equal windows before the crash and right after the first commit.
 * Pure: the inputs are what the load measured.
 */
export function analyseCrash(input: CrashAnalysisInput): CrashAnalysis {
  const notes: string[] = [];
  const atMs = input.crashAtEpochMs - input.phaseStartEpochMs;
  const windowSec = Math.round(input.windowMs / 1000);
  const scheduledSec = Math.floor(input.scheduledMs / 1000);
  const tickMs = input.commits?.tickMs ?? 1000;

  const gap = input.commits
    ? outageAfter(input.commits.gaps, input.crashAtEpochMs, input.phaseEndEpochMs)
    : null;
  const outage = gap
    ? {
        fromMs: gap.fromEpochMs - input.phaseStartEpochMs,
        toMs: gap.toEpochMs === null ? null : gap.toEpochMs - input.phaseStartEpochMs,
      }
    : null;
  const downtimeMs = gap
    ? gap.toEpochMs === null
      ? null
      : gap.toEpochMs - gap.fromEpochMs
    : input.commits
      ? 0
      : null;
  if (!input.commits) notes.push("no commit timeline was recorded, so the outage could not be timed");
  else if (!gap)
    notes.push(
      `no pause of ${input.commits.gapMs} ms or more between commits after the crash: no outage seen`,
    );
  else if (gap.toEpochMs === null)
    notes.push("no transaction committed after the crash before the phase ended");

  // Before: whole seconds that ended before the crash.
  const crashSecond = Math.floor(atMs / 1000);
  const beforeFrom = Math.max(0, crashSecond - windowSec);
  const before = windowOf(input.seconds, beforeFrom, crashSecond);
  if (before && crashSecond - beforeFrom < windowSec) {
    notes.push(`only ${crashSecond - beforeFrom} s of load before the crash (window: ${windowSec} s)`);
  }
  if (!before) notes.push("no whole second of load before the crash");

  // After: whole seconds from the first one that starts at or after the first commit.
  const backMs = outage ? outage.toMs : downtimeMs === 0 ? atMs : null;
  let after: CrashWindow | null = null;
  if (backMs !== null) {
    const afterFrom = Math.ceil(backMs / 1000);
    const afterTo = Math.min(scheduledSec, afterFrom + windowSec);
    after = windowOf(input.seconds, afterFrom, afterTo);
    if (!after) notes.push("the phase ended before a whole second of load after the outage");
    else if (afterTo - afterFrom < windowSec) {
      notes.push(
        `only ${afterTo - afterFrom} s of load after the outage before the phase ended (window: ${windowSec} s)`,
      );
    }
  }

  // Recovery: the first full second (sliding by one tick) at the share of the rate before.
  let recoveryMs: number | null = null;
  let recoveredSecond = input.seconds.length - 1;
  const ticks = input.commits?.ticks ?? [];
  const perSecond = Math.max(1, Math.round(1000 / tickMs));
  if (before && before.txnPerSec > 0 && backMs !== null) {
    const needed = (RECOVERY_SHARE * before.txnPerSec * (perSecond * tickMs)) / 1000;
    const lastStart = Math.floor(input.scheduledMs / tickMs) - perSecond;
    let start = Math.max(0, Math.floor(backMs / tickMs));
    let sum = 0;
    for (let i = start; i < start + perSecond; i++) sum += ticks[i] ?? 0;
    for (; start <= lastStart; start++) {
      if (sum >= needed) {
        const recoveredAtMs = Math.max(start * tickMs, backMs);
        recoveryMs = Math.max(0, recoveredAtMs - atMs);
        recoveredSecond = Math.floor(recoveredAtMs / 1000);
        break;
      }
      sum += (ticks[start + perSecond] ?? 0) - (ticks[start] ?? 0);
    }
    if (recoveryMs === null)
      notes.push(
        `throughput did not get back to ${RECOVERY_SHARE * 100}% of the rate before the crash within the phase`,
      );
  } else if (before && before.txnPerSec === 0) {
    notes.push("nothing committed before the crash, so recovery has no rate to return to");
  }

  const errors: Record<string, number> = {};
  let connectionsLost = 0;
  let reconnected = 0;
  for (let i = crashSecond; i <= Math.max(crashSecond, recoveredSecond); i++) {
    const second = input.seconds[i];
    if (!second) continue;
    addErrors(errors, second.errorsByCode);
    connectionsLost += second.lost;
    reconnected += second.reconnected;
  }
  return {
    atMs,
    downtimeMs,
    outage,
    recoveryMs,
    recoveryShare: RECOVERY_SHARE,
    before,
    after,
    errors,
    connectionsLost,
    reconnected,
    tickMs,
    notes,
  };
}
