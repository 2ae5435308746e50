import type { LagClaimResult, Result, ScenarioResult, StepResult } from "../result/schema.js";
import { formatMs, formatRate } from "../util/format.js";
import { formatInterval, formatRatio } from "./ratio-format.js";
import { formatConfidence, type RatioIssue, ratioOfMeans, relativeTo } from "./stats.js";

/**
 * Fewest per-second lag samples on each side for an interval. Three, not the five latency asks:
 * a `--quick` step measures 4 s, and the factors AWS claims (hundreds to tens of thousands) are far
 * wider than the Student-t widening of three samples.
 */
export const LAG_CONTRAST_MIN_SAMPLES = 3;

/** One side of a contrast: the step its claim was checked at, and its worst replica's lag there. */
export interface LagContrastSide {
  /** The claim's rate as its source stated it; null for "little load". */
  claimedRatePerSec: number | null;
  stepRatePerSec: number | null;
  achievedRatePerSec: number | null;
  sustained: boolean | null;
  replica: string | null;
  valueMs: number | null;
  /** Seconds of the step with a lag figure of that replica (the interval's sample). */
  seconds: number;
}

/**
 * The lag counterpart of "3x write / 5x read": an Aurora lag claim and the MySQL figure its source
 * set it against (the keynote's 7.2 ms at 13.8K/s against ~2 s at 2K/s; the paper's Table 4 row by
 * row), checked as the same contrast between the baseline (a) and the target (b): the baseline's lag
 * at the MySQL figure's rate over the target's at Aurora's, at least the claimed factor.
 */
export interface LagContrastCheck {
  scenario: string;
  /** The claim ids: Aurora's (from the target's result) and MySQL's (from the baseline's). */
  auroraClaim: string;
  mysqlClaim: string;
  statistic: string;
  /** The contrast in words: "MySQL 5.6 2,000 ms at 2,000/s against Aurora 7.20 ms at 13,800/s". */
  claim: string;
  /** MySQL's figure over Aurora's: how many times lower Aurora's lag was. */
  factor: number;
  baseline: LagContrastSide;
  target: LagContrastSide;
  /** The baseline's lag over the target's (the two figures); null without both. */
  ratio: number | null;
  /** Fieller's interval of the ratio of the per-second means; null without enough seconds. */
  interval: { low: number; high: number } | null;
  /**
   * met: the interval's lower bound >= factor; not met: its upper bound < factor; inconclusive:
   * it holds the factor, there is no interval, or a step that was not sustained could have swayed
   * the verdict; not measured: a side has no step or no lag for its claim.
   */
  verdict: "met" | "not met" | "inconclusive" | "not measured";
  text: string;
}

type Statistic = "p50" | "p99" | "max";

/** Every Aurora lag claim of b with a `versus`, checked against a's run of the same scenario. */
export function lagContrasts(a: Result, b: Result, confidence: number, name: string): LagContrastCheck[] {
  const checks: LagContrastCheck[] = [];
  for (const scenarioB of b.scenarios) {
    const scenarioA = a.scenarios.find((s) => s.id === scenarioB.id);
    for (const aurora of scenarioB.claims ?? []) {
      if (aurora.system !== "aurora" || aurora.versus === undefined) continue;
      const mysql =
        scenarioA?.claims?.find((c) => c.id === aurora.versus) ??
        scenarioB.claims?.find((c) => c.id === aurora.versus);
      if (!mysql) continue;
      checks.push(contrast(scenarioA, scenarioB, aurora, mysql, confidence, name));
    }
  }
  return checks;
}

function contrast(
  scenarioA: ScenarioResult | undefined,
  scenarioB: ScenarioResult,
  aurora: LagClaimResult,
  mysql: LagClaimResult,
  confidence: number,
  name: string,
): LagContrastCheck {
  const statistic = aurora.statistic as Statistic;
  const factor = mysql.value / aurora.value;
  const baseline = side(
    scenarioA,
    scenarioA?.claims?.find((c) => c.id === mysql.id),
    mysql,
    statistic,
  );
  const target = side(scenarioB, aurora, aurora, statistic);
  const head = {
    scenario: scenarioB.id,
    auroraClaim: aurora.id,
    mysqlClaim: mysql.id,
    statistic,
    claim: `MySQL ${formatMs(mysql.value)}${at(mysql.ratePerSec)} against Aurora ${formatMs(aurora.value)}${at(aurora.ratePerSec)}: ${formatRatio(factor)}x lower`,
    factor,
    baseline: baseline.side,
    target: target.side,
  };
  const missing = [
    scenarioA ? baseline.missing : `a did not run ${scenarioB.id}`,
    target.missing === null ? null : `${name}: ${target.missing}`,
  ].filter((m) => m !== null);
  if (missing.length > 0) {
    return { ...head, ratio: null, interval: null, verdict: "not measured", text: missing.join("; ") };
  }
  const valueA = baseline.side.valueMs as number;
  const valueB = target.side.valueMs as number;
  const ratio = valueB > 0 ? valueA / valueB : null;
  // ratioOfMeans gives mean(second) / mean(first): the target's seconds first, so the ratio is a/b.
  const estimate = ratioOfMeans(target.samples, baseline.samples, {
    confidence,
    minSamples: LAG_CONTRAST_MIN_SAMPLES,
  });
  const interval = estimate.interval ? { low: estimate.interval.low, high: estimate.interval.high } : null;
  const figures = `a/${name} ${ratio === null ? "-" : formatRatio(ratio)} (${formatMs(valueA)} / ${formatMs(valueB)})`;
  if (!interval) {
    // In this check's own words: ratioOfMeans calls the target's seconds "a" and the baseline's "b".
    const why = lagIntervalMissing(estimate.issue, target.samples.length, baseline.samples.length, name);
    return { ...head, ratio, interval, verdict: "inconclusive", text: `${figures}, no interval (${why})` };
  }
  const where = relativeTo(interval, factor);
  let verdict: LagContrastCheck["verdict"] =
    interval.low >= factor ? "met" : where === "below" ? "not met" : "inconclusive";
  const caveats: string[] = [];
  // A target that did not keep Aurora's rate lagged under less load than claimed: its "met" is not
  // earned. A baseline that did not keep MySQL's rate lagged under less load too: its "not met" is not.
  if (verdict === "met" && target.side.sustained === false) {
    verdict = "inconclusive";
    caveats.push(`${name} did not sustain ${formatRate(target.side.stepRatePerSec ?? 0)}/s`);
  }
  if (verdict === "not met" && baseline.side.sustained === false) {
    verdict = "inconclusive";
    caveats.push(`a did not sustain ${formatRate(baseline.side.stepRatePerSec ?? 0)}/s`);
  }
  const how = { met: "at or above", "not met": "below", inconclusive: "holds", "not measured": "" }[verdict];
  const text =
    `${figures}, ${formatConfidence(confidence)} interval ${formatInterval(interval)} ${how} ${formatRatio(factor)}x` +
    (caveats.length > 0 ? ` (${caveats.join("; ")})` : "");
  return { ...head, ratio, interval, verdict, text };
}

/** Why the contrast has no interval, with a as the baseline and `name` as the target. */
function lagIntervalMissing(
  issue: RatioIssue | null,
  targetSeconds: number,
  baselineSeconds: number,
  name: string,
): string {
  if (issue === "zero-mean") return `${name}'s lag is 0 in every second`;
  if (issue === "too-few-samples" || issue === "no-samples") {
    return `too few seconds with lag for an interval (a ${baselineSeconds}, ${name} ${targetSeconds}; ${LAG_CONTRAST_MIN_SAMPLES} needed each)`;
  }
  if (issue === "unbounded") return `${name}'s lag cannot be told from 0 at this confidence`;
  return "no interval";
}

const at = (ratePerSec: number | null) =>
  ratePerSec === null ? " with little load" : ` at ${formatRate(ratePerSec)}/s`;

/**
 * A side's step is the one its own run checked the claim at (the claim result's `measured`), so a
 * `--quick` run's scaled rates are followed as its verdicts followed them.
 */
function side(
  scenario: ScenarioResult | undefined,
  checked: LagClaimResult | undefined,
  claim: LagClaimResult,
  statistic: Statistic,
): { side: LagContrastSide; samples: number[]; missing: string | null } {
  const empty: LagContrastSide = {
    claimedRatePerSec: claim.ratePerSec,
    stepRatePerSec: null,
    achievedRatePerSec: null,
    sustained: null,
    replica: null,
    valueMs: null,
    seconds: 0,
  };
  const measured = checked?.measured ?? null;
  const step = measured
    ? scenario?.steps?.find((s) => s.targetRatePerSec === measured.stepRatePerSec)
    : undefined;
  if (!measured || !step) {
    return { side: empty, samples: [], missing: `no step for ${claim.id}${at(claim.ratePerSec)}` };
  }
  const samples = perSecond(step, measured.replica, statistic);
  const found: LagContrastSide = {
    ...empty,
    stepRatePerSec: step.targetRatePerSec,
    achievedRatePerSec: step.achievedRatePerSec,
    sustained: step.sustained,
    replica: measured.replica,
    valueMs: measured.valueMs,
    seconds: samples.length,
  };
  const missing =
    measured.valueMs === null
      ? `no lag ${statistic} on ${measured.replica} at ${formatRate(step.targetRatePerSec)}/s`
      : null;
  return { side: found, samples, missing };
}

/** The replica's lag statistic second by second over the step. */
function perSecond(step: StepResult, replica: string, statistic: Statistic): number[] {
  const seconds = step.lag?.replicas.find((r) => r.name === replica)?.perSecond ?? [];
  const key = { p50: "p50Ms", p99: "p99Ms", max: "maxMs" } as const;
  return seconds.map((s) => s[key[statistic]]);
}

/** Column heads of lagContrastRows, with the confidence level and b's name. */
export function lagContrastHead(confidence: number, name: string): string[] {
  return [
    "scenario",
    "AWS's contrast",
    "a's lag",
    `${name}'s lag`,
    `a/${name}`,
    `${formatConfidence(confidence)} CI`,
    "verdict",
  ];
}

/** One table row per check: each side's lag with its step, the ratio, its interval and the verdict. */
export function lagContrastRows(checks: readonly LagContrastCheck[]): string[][] {
  return checks.map((c) => [
    c.scenario,
    c.claim,
    sideCell(c.baseline),
    sideCell(c.target),
    c.ratio === null ? "-" : formatRatio(c.ratio),
    c.interval ? formatInterval(c.interval) : c.verdict === "not measured" ? "-" : "unavailable",
    c.verdict.toUpperCase(),
  ]);
}

function sideCell(side: LagContrastSide): string {
  if (side.valueMs === null || side.stepRatePerSec === null) return "-";
  const sustained =
    side.sustained === false ? `, ${formatRate(side.achievedRatePerSec ?? 0)}/s achieved` : "";
  return `${formatMs(side.valueMs)} at ${formatRate(side.stepRatePerSec)}/s${sustained}`;
}

/** How to read the lag table, under it. */
export const LAG_CONTRAST_CONTEXT =
  "Each of AWS's lag figures for Aurora was set against one for MySQL 5.6 (its factor: how many times lower Aurora's lag was); " +
  "here the baseline a's lag at the MySQL figure's rate over the target's at Aurora's, worst replica, interval of the per-second values. " +
  "met: at least the factor; a step a side did not sustain cannot earn a verdict in its favour.";
