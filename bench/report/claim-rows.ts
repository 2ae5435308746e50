import type { CrashResult, LagClaimResult, Result, ScenarioResult } from "../result/schema.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";

/**
 * The rows of the claims table, shared by the terminal and report.md: scenario, claim, measured,
 * measured as a share of the claim, verdict. One row per scenario, or per lag claim.
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
      for (const claim of scenario.claims) rows.push(lagClaimRow(scenario.id, claim, labels, long));
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
  scenarioId: string,
  claim: LagClaimResult,
  labels: OutcomeLabels,
  long: boolean,
): string[] {
  const rate =
    claim.ratePerSec === null
      ? "little load"
      : `${formatRate(claim.ratePerSec)}${long ? " updates/s" : "/s"}`;
  const system = claim.system === "mysql" ? (long ? "MySQL 5.6: " : "MySQL 5.6 ") : "";
  const replicas = long ? `, ${claim.replicas} replica(s)` : "";
  const m = claim.measured;
  return [
    long ? `${scenarioId} / ${claim.id}` : `${scenarioId} ${claim.id}`,
    `${system}${claim.statistic} ${formatMs(claim.value)} at ${rate}${replicas}`,
    m && m.valueMs !== null ? `${formatMs(m.valueMs)} at ${formatRate(m.achievedRatePerSec)}/s` : "-",
    percentOfClaim(claim.verdict.ratioToClaim),
    labels[claim.verdict.outcome],
  ];
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
