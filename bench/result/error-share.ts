import type { ScenarioResult } from "./schema.js";

/** Past this share of failed transactions a scenario's figures are not about a working database. */
export const DEFAULT_MAX_ERROR_SHARE = 0.1;

/**
 * Why a scenario must be called failed for its errors, or null: errors / (errors + completed
 * transactions) above `maxShare`, with the most frequent codes named. Such figures measure how fast
 * the server refuses (a missing table: 1146 on every statement), never the client.
 */
export function errorShareFailure(
  scenario: Pick<ScenarioResult, "counts" | "errors">,
  maxShare: number = DEFAULT_MAX_ERROR_SHARE,
): string | null {
  const errors = scenario.counts.errors;
  if (errors === 0) return null;
  const share = errors / (errors + scenario.counts.txns);
  if (share <= maxShare) return null;
  const top = Object.entries(scenario.errors)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([code, count]) => `${code} x ${count.toLocaleString("en-US")}`)
    .join(", ");
  return `${(share * 100).toFixed(1)}% of the transactions failed (${top}), more than the ${(maxShare * 100).toFixed(0)}% allowed: the figures are the server's errors, not its performance`;
}

/** The scenario marked failed for its errors (its verdict saying why), or unchanged when they are few. */
export function failForErrors(
  scenario: ScenarioResult,
  maxShare: number = DEFAULT_MAX_ERROR_SHARE,
): ScenarioResult {
  if (scenario.status !== "complete") return scenario;
  const problem = errorShareFailure(scenario, maxShare);
  if (!problem) return scenario;
  return {
    ...scenario,
    status: "failed",
    verdict: {
      ...scenario.verdict,
      outcome: "incomplete",
      ratioToClaim: null,
      text: `Failed: ${problem}.`,
      warnings: [problem, ...scenario.verdict.warnings],
    },
  };
}
