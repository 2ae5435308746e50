import type { LatencySummary, ScenarioResult, StepResult } from "../result/schema.js";
import {
  type Comparison,
  type LatencyStatistic,
  type Threshold,
  thresholdMetric,
} from "../scenario/thresholds.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";

/**
 * Thresholds checked against a result: each parsed threshold (scenario/thresholds.ts) is measured in
 * one scenario of a result.json and passes, fails, or has no data. Where several values are checked
 * (steps, replicas), the one nearest to failing is reported.
 */

/** pass; fail; no-data (the metric is absent: fails); inconclusive (a change within the noise). */
export type CheckStatus = "pass" | "fail" | "no-data" | "inconclusive";

/** One check of the gate: a threshold, a comparison with the baseline, or the run's status. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** Counts as passed. An inconclusive check passes unless the gate is strict. */
  ok: boolean;
  /** null: no data. */
  measured: number | null;
  measuredText: string;
  limitText: string;
  /** One line: what was measured against what, and why it passed or failed. */
  message: string;
}

export function compare(value: number, comparison: Comparison, limit: number): boolean {
  switch (comparison) {
    case "<":
      return value < limit;
    case "<=":
      return value <= limit;
    case ">":
      return value > limit;
    case ">=":
      return value >= limit;
  }
}

/** Three significant figures: 0.05%, 12.3%, 100%. */
export function formatPercent(value: number): string {
  return `${value === 0 ? "0" : String(Number(value.toPrecision(3)))}%`;
}

function formatValue(threshold: Threshold, value: number): string {
  switch (threshold.kind) {
    case "latency":
    case "lag":
      return formatMs(value);
    case "throughput":
      return `${formatRate(value)}/s`;
    case "errors":
      return threshold.share ? formatPercent(value) : formatCount(value);
    case "achievedRate":
      return threshold.share ? `${formatPercent(value)} of target` : `${formatRate(value)}/s`;
  }
}

/** A value measured somewhere: `at` names where when there are several (a step, a replica). */
interface Sample {
  value: number;
  at?: string;
}
type Measurement = { samples: Sample[]; detail?: string } | { noData: string };

const stepName = (step: StepResult) => `step ${formatRate(step.targetRatePerSec)}/s`;

function latencyOf(summary: LatencySummary | undefined, statistic: LatencyStatistic): number | undefined {
  if (!summary || !(summary.count > 0)) return undefined;
  const value = summary[statistic];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function recorded(latency: Record<string, LatencySummary> | undefined): string {
  const names = Object.keys(latency ?? {});
  return names.length > 0 ? names.join(", ") : "none";
}

/** Statements sent: every statement timing (transaction views excluded) plus the errors. */
function statementsSent(latency: Record<string, LatencySummary>, errors: number): number {
  let sent = errors;
  for (const [name, summary] of Object.entries(latency)) {
    if (name !== "txn" && name !== "intended" && name !== "lateness") sent += summary.count;
  }
  return sent;
}

function measure(threshold: Threshold, scenario: ScenarioResult): Measurement {
  const steps = scenario.steps ?? [];
  switch (threshold.kind) {
    case "latency": {
      const { op, statistic } = threshold;
      if (steps.length === 0) {
        const value = latencyOf(scenario.latencyMs?.[op], statistic);
        if (value === undefined)
          return { noData: `no latency recorded for '${op}' (recorded: ${recorded(scenario.latencyMs)})` };
        return { samples: [{ value }] };
      }
      const samples: Sample[] = [];
      for (const step of steps) {
        // The transaction's latency from its intended start; a statement's, from its send.
        const summary = op === "txn" ? Object.values(step.latencyMs ?? {})[0] : step.serviceTimeMs?.[op];
        const value = latencyOf(summary, statistic);
        if (value === undefined) {
          return {
            noData: `no latency recorded for '${op}' at ${stepName(step)} (recorded: ${recorded(step.serviceTimeMs)})`,
          };
        }
        samples.push({ value, at: stepName(step) });
      }
      return { samples };
    }
    case "throughput": {
      const value = scenario.throughput?.[threshold.metric];
      if (typeof value !== "number" || !Number.isFinite(value)) return { noData: "no throughput recorded" };
      return { samples: [{ value }] };
    }
    case "errors": {
      const parts =
        steps.length > 0
          ? steps.map((step) => ({ latency: step.serviceTimeMs ?? {}, errors: step.counts?.errors ?? 0 }))
          : [{ latency: scenario.latencyMs ?? {}, errors: scenario.counts?.errors ?? 0 }];
      const errors = parts.reduce((sum, part) => sum + part.errors, 0);
      if (!threshold.share) return { samples: [{ value: errors }] };
      const sent = parts.reduce((sum, part) => sum + statementsSent(part.latency, part.errors), 0);
      if (sent === 0) return { noData: "no statement was sent" };
      return {
        samples: [{ value: (errors / sent) * 100 }],
        detail: `${formatCount(errors)} of ${formatCount(sent)} statements`,
      };
    }
    case "lag": {
      if (steps.length === 0)
        return { noData: "no fixed-rate steps (lag is measured in replica-lag scenarios)" };
      const samples: Sample[] = [];
      for (const step of steps) {
        const replicas = Object.entries(step.lagMs ?? {});
        if (replicas.length === 0) return { noData: `no replica lag measured at ${stepName(step)}` };
        for (const [replica, lag] of replicas) {
          const value = lag?.[threshold.statistic];
          if (typeof value !== "number" || !Number.isFinite(value)) {
            return { noData: `no lag samples from ${replica} at ${stepName(step)}` };
          }
          samples.push({ value, at: `${replica}, ${stepName(step)}` });
        }
      }
      return { samples };
    }
    case "achievedRate": {
      if (steps.length === 0) return { noData: "no fixed-rate steps (achievedRatePerSec needs load.rates)" };
      const samples: Sample[] = [];
      for (const step of steps) {
        if (threshold.share && !(step.targetRatePerSec > 0))
          return { noData: `${stepName(step)} has no target` };
        const value = threshold.share
          ? (step.achievedRatePerSec / step.targetRatePerSec) * 100
          : step.achievedRatePerSec;
        samples.push({ value, at: stepName(step) });
      }
      return { samples };
    }
  }
}

/** The sample nearest to failing: the highest under an upper limit, the lowest under a lower one. */
function worst(samples: Sample[], comparison: Comparison): Sample | undefined {
  const upper = comparison === "<" || comparison === "<=";
  let chosen: Sample | undefined;
  for (const sample of samples) {
    if (!chosen || (upper ? sample.value > chosen.value : sample.value < chosen.value)) chosen = sample;
  }
  return chosen;
}

/** Checks one threshold against one scenario of a result. A metric that is absent fails as no data. */
export function evaluateThreshold(threshold: Threshold, scenario: ScenarioResult): CheckResult {
  const metric = thresholdMetric(threshold);
  const limitText = `${threshold.comparison} ${formatValue(threshold, threshold.limit)}`;
  const noData = (why: string): CheckResult => ({
    name: threshold.text,
    status: "no-data",
    ok: false,
    measured: null,
    measuredText: "-",
    limitText,
    message: `${metric}: no data: ${why}`,
  });
  if (!(scenario.measuredMs > 0) && (scenario.steps ?? []).length === 0)
    return noData("nothing was measured");
  const measurement = measure(threshold, scenario);
  if ("noData" in measurement) return noData(measurement.noData);
  const sample = worst(measurement.samples, threshold.comparison);
  if (!sample) return noData("nothing was measured");
  const passed = compare(sample.value, threshold.comparison, threshold.limit);
  const shown = formatValue(threshold, sample.value);
  const context = [
    measurement.detail,
    sample.at && measurement.samples.length > 1 ? `worst: ${sample.at}` : sample.at,
  ]
    .filter(Boolean)
    .join("; ");
  return {
    name: threshold.text,
    status: passed ? "pass" : "fail",
    ok: passed,
    measured: sample.value,
    measuredText: shown,
    limitText,
    message: `${metric} is ${shown}${context ? ` (${context})` : ""}${passed ? `, limit ${limitText}` : `, not ${limitText}`}`,
  };
}
