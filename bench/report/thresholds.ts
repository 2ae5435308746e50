import type { LatencySummary, ScenarioResult, StepResult } from "../result/schema.js";
import { UsageError } from "../util/errors.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";

/**
 * Pass/fail thresholds declared in a scenario file (`thresholds:`), one string each, k6 style:
 *
 *   <metric> <op> <value>        op: < <= > >=
 *
 * Metrics:
 * - `p50` `p90` `p95` `p99` `p999` `max`: latency of the whole transaction (`txn`);
 *   `<statement>.<stat>` (or `begin.`, `commit.`, `rollback.`, `txn.`): that operation's latency.
 *   Value in ms, s or us; a bare number is ms. In a fixed-rate scenario every step is checked, the
 *   transaction's latency from its intended start (corrected for coordinated omission) and a
 *   statement's service time.
 * - `readsPerSec` `writesPerSec` `txnPerSec`: the scenario's throughput, a bare number per second.
 * - `errors`: statement errors, as a count (`errors < 10`) or a share of the statements sent
 *   (`errors < 0.1%`); in a fixed-rate scenario, over all its steps.
 * - `lag.p50` `lag.p90` `lag.p99` `lag.max` (fixed-rate scenarios with replicas): replica lag of the
 *   worst replica in every step, a duration as for latency.
 * - `achievedRatePerSec` (fixed-rate scenarios): each step's achieved rate, as a share of its target
 *   (`>= 95%`) or per second (`>= 1000`).
 *
 * Where several values are checked (steps, replicas), the one nearest to failing is reported.
 */

export type Comparison = "<" | "<=" | ">" | ">=";
export type LatencyStatistic = "p50" | "p90" | "p95" | "p99" | "p999" | "max";
export type LagStatistic = "p50" | "p90" | "p99" | "max";
export type ThroughputMetric = "readsPerSec" | "writesPerSec" | "txnPerSec";

interface ThresholdBase {
  /** As written in the scenario file. */
  text: string;
  comparison: Comparison;
  /** In the metric's unit: ms for latency and lag, per second for rates, percent when `share`. */
  limit: number;
}

export type Threshold =
  | (ThresholdBase & { kind: "latency"; op: string; statistic: LatencyStatistic })
  | (ThresholdBase & { kind: "throughput"; metric: ThroughputMetric })
  | (ThresholdBase & { kind: "errors"; share: boolean })
  | (ThresholdBase & { kind: "lag"; statistic: LagStatistic })
  | (ThresholdBase & { kind: "achievedRate"; share: boolean });

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

export const LATENCY_STATISTICS: readonly LatencyStatistic[] = ["p50", "p90", "p95", "p99", "p999", "max"];
export const LAG_STATISTICS: readonly LagStatistic[] = ["p50", "p90", "p99", "max"];
const THROUGHPUT_METRICS: readonly ThroughputMetric[] = ["readsPerSec", "writesPerSec", "txnPerSec"];
const OP_NAME = /^[a-z][a-z0-9_]*$/;
const SYNTAX = /^\s*([^\s<>=]+)\s*(<=|>=|<|>)\s*([^<>=]+?)\s*$/;
const VALUE = /^(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z%/]*)$/;
const LATENCY_UNIT_MS: Record<string, number> = { "": 1, ms: 1, s: 1000, us: 0.001 };

const METRICS_HELP =
  "p50, p90, p95, p99, p999 or max (transaction latency), <op>.<stat> (an operation's latency), lag.<stat>, readsPerSec, writesPerSec, txnPerSec, errors or achievedRatePerSec";

/**
 * Parses one threshold. `where` names its place for the error (`scenarios/x.yaml: thresholds[2]`).
 * Throws a one-line UsageError naming the place and what is allowed.
 */
export function parseThreshold(text: string, where: string): Threshold {
  const fail = (why: string): never => {
    throw new UsageError(`${where}: '${text}': ${why}`);
  };
  const match = SYNTAX.exec(text);
  if (!match) return fail("expected <metric> <op> <value>, with op one of < <= > >=");
  const metric = match[1] ?? "";
  const comparison = (match[2] ?? "<") as Comparison;
  const valueText = match[3] ?? "";
  const value = VALUE.exec(valueText);
  const number = value ? Number(value[1]) : Number.NaN;
  const unit = value?.[2] ?? "";
  const base = { text, comparison };

  const duration = (what: string): number => {
    const factor = LATENCY_UNIT_MS[unit];
    if (!value || factor === undefined) {
      return fail(
        `${what} takes a duration such as 20ms, 1.5s or 500us (a bare number is ms), not '${valueText}'`,
      );
    }
    return number * factor;
  };

  if ((LATENCY_STATISTICS as readonly string[]).includes(metric)) {
    return {
      ...base,
      kind: "latency",
      op: "txn",
      statistic: metric as LatencyStatistic,
      limit: duration("latency"),
    };
  }
  if (metric.includes(".")) {
    const parts = metric.split(".");
    const [op = "", statistic = ""] = parts;
    if (parts.length !== 2 || !OP_NAME.test(op))
      return fail(`unknown metric '${metric}'; expected ${METRICS_HELP}`);
    if (op === "lag") {
      if (!(LAG_STATISTICS as readonly string[]).includes(statistic)) {
        return fail(`unknown lag statistic '${statistic}'; expected ${LAG_STATISTICS.join(", ")}`);
      }
      return { ...base, kind: "lag", statistic: statistic as LagStatistic, limit: duration("lag") };
    }
    if (!(LATENCY_STATISTICS as readonly string[]).includes(statistic)) {
      return fail(`unknown latency statistic '${statistic}'; expected ${LATENCY_STATISTICS.join(", ")}`);
    }
    return {
      ...base,
      kind: "latency",
      op,
      statistic: statistic as LatencyStatistic,
      limit: duration("latency"),
    };
  }
  if ((THROUGHPUT_METRICS as readonly string[]).includes(metric)) {
    if (!value || unit !== "")
      return fail(`${metric} takes a number per second such as 5000, not '${valueText}'`);
    return { ...base, kind: "throughput", metric: metric as ThroughputMetric, limit: number };
  }
  if (metric === "errors") {
    if (!value || (unit !== "" && unit !== "%")) {
      return fail(
        `errors takes a count such as 10 or a share of statements sent such as 0.1%, not '${valueText}'`,
      );
    }
    if (unit === "%" && number > 100) return fail("a share of errors is at most 100%");
    return { ...base, kind: "errors", share: unit === "%", limit: number };
  }
  if (metric === "achievedRatePerSec") {
    if (!value || (unit !== "" && unit !== "%")) {
      return fail(
        `achievedRatePerSec takes a share of each step's target such as 95% or a number per second such as 1000, not '${valueText}'`,
      );
    }
    return { ...base, kind: "achievedRate", share: unit === "%", limit: number };
  }
  return fail(`unknown metric '${metric}'; expected ${METRICS_HELP}`);
}

/** The metric a threshold reads, as written in a threshold: txn.p99, lag.p99, errors... */
export function thresholdMetric(threshold: Threshold): string {
  switch (threshold.kind) {
    case "latency":
      return `${threshold.op}.${threshold.statistic}`;
    case "lag":
      return `lag.${threshold.statistic}`;
    case "throughput":
      return threshold.metric;
    case "errors":
      return "errors";
    case "achievedRate":
      return "achievedRatePerSec";
  }
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
