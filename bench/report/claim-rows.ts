import { baselineFactor, isBaselineClaim, subjectName } from "../result/lag-verdict.js";
import type { CrashResult, LagClaimResult, Result, ScenarioResult } from "../result/schema.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";

/**
 * The rows of the claims table, shared by the terminal and report.md: scenario, claim, measured,
 * measured as a share of the claim, verdict. One row per scenario, or per lag claim. A baseline
 * claim (a figure about the MySQL 5.6 AWS compared Aurora with) names its system and says how far
 * the target's figure is from it, never that the target met it.
 */

export type OutcomeLabels = Record<ScenarioResult["verdict"]["outcome"], string>;

/** measured / claimed as a percentage: three significant figures, thousands separated. */
export function percentOfClaim(ratio: number | null): string {
  if (ratio === null) return "-";
  const pct = ratio * 100;
  return `${pct >= 1000 ? formatCount(pct) : pct.toPrecision(3)}%`;
}

/** The same rows for both renderers; `long` spells out the rate's unit and the replica count. */
export function claimRows(result: Result, labels: OutcomeLabels, long: boolean): string[][] {
  const rows: string[][] = [];
  for (const scenario of result.scenarios) {
    if (scenario.claims) {
      for (const claim of scenario.claims) rows.push(lagClaimRow(scenario, claim, labels, long));
      continue;
    }
    const crashes = scenario.crashes ?? [];
    if (crashes.some((crash) => crash.claims.length > 0)) {
      for (const crash of crashes) {
        for (const claim of crash.claims) rows.push(crashClaimRow(scenario.id, crash, claim, labels, long));
      }
      continue;
    }
    const claim = scenario.claim;
    rows.push([
      scenario.id,
      claim ? `${formatRate(claim.value)} ${claim.unit}` : "-",
      scenario.measured && claim ? `${formatRate(scenario.measured.value)} ${claim.unit}` : "-",
      percentOfClaim(scenario.verdict.ratioToClaim),
      labels[scenario.verdict.outcome],
    ]);
  }
  return rows;
}

function lagClaimRow(
  scenario: ScenarioResult,
  claim: LagClaimResult,
  labels: OutcomeLabels,
  long: boolean,
): string[] {
  const rate =
    claim.ratePerSec === null
      ? "little load"
      : `${formatRate(claim.ratePerSec)}${long ? " updates/s" : "/s"}`;
  const replicas = long ? `, ${claim.replicas} replica(s)` : "";
  const figure = `${claim.statistic} ${formatMs(claim.value)} at ${rate}${replicas}`;
  const m = claim.measured;
  const measured =
    m && m.valueMs !== null ? `${formatMs(m.valueMs)} at ${formatRate(m.achievedRatePerSec)}/s` : "-";
  const id = long ? `${scenario.id} / ${claim.id}` : `${scenario.id} ${claim.id}`;
  const ratio = percentOfClaim(claim.verdict.ratioToClaim);
  if (!isBaselineClaim(claim)) return [id, figure, measured, ratio, labels[claim.verdict.outcome]];
  const subject = subjectName(claim.system);
  return [
    id,
    long ? `${subject} as AWS measured it: ${figure}` : `${subject}: ${figure} (AWS)`,
    measured === "-" ? measured : `this target: ${measured}`,
    ratio,
    baselineVerdict(scenario, claim, labels),
  ];
}

/** "BASELINE: this target 1,400x lower", or why there is no comparison; other outcomes as labelled. */
function baselineVerdict(scenario: ScenarioResult, claim: LagClaimResult, labels: OutcomeLabels): string {
  const verdict = claim.verdict;
  const m = claim.measured;
  if (verdict.outcome !== "baseline" || !m || verdict.ratioToClaim === null) return labels[verdict.outcome];
  const step = scenario.steps?.find((s) => s.targetRatePerSec === m.stepRatePerSec);
  if (step && !step.sustained) return `${labels.baseline}: ${formatRate(m.stepRatePerSec)}/s not sustained`;
  const scaled = verdict.scaled.length > 0 ? " (scaled)" : "";
  return `${labels.baseline}: this target ${baselineFactor(verdict.ratioToClaim)}${scaled}`;
}

function crashClaimRow(
  scenarioId: string,
  crash: CrashResult,
  claim: CrashResult["claims"][number],
  labels: OutcomeLabels,
  long: boolean,
): string[] {
  const what = claim.metric === "downtimeMs" ? "downtime" : long ? "back to 90% throughput" : "recovery";
  return [
    long
      ? `${scenarioId} / ${claim.id} (${crash.cache} crash)`
      : `${scenarioId} ${claim.id} (${crash.cache})`,
    `${what} <= ${formatMs(claim.value)}`,
    claim.measuredMs === null ? "never" : formatMs(claim.measuredMs),
    percentOfClaim(claim.verdict.ratioToClaim),
    labels[claim.verdict.outcome],
  ];
}
