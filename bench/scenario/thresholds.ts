import { UsageError } from "../util/errors.js";

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
 * Where several values are checked (steps, replicas), the one nearest to failing is reported. This
 * file parses thresholds; report/thresholds.ts checks them against a result.
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
