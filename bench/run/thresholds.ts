import { renderGateTable, runGate, scenarioThresholds } from "../report/gate.js";
import type { Result } from "../result/schema.js";

export interface ThresholdOutcome {
  /** The checks as `gate` prints them. */
  table: string;
  failed: boolean;
  warnings: string[];
}

/**
 * The thresholds the run's scenarios declare, checked as `gate` checks them (no baseline); null
 * when none declares any. `run` exits 1 when one fails, as `gate` on the same result would.
 */
export function checkRunThresholds(result: Result): ThresholdOutcome | null {
  const declared = result.scenarios.some((scenario) => scenarioThresholds(scenario, scenario.id).length > 0);
  if (!declared) return null;
  const report = runGate(result, { resultName: "result.json" });
  return { table: renderGateTable(report), failed: report.exitCode === 1, warnings: report.warnings };
}
