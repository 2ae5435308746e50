import Table from "cli-table3";
import type { Result, ScenarioResult } from "../result/schema.js";
import { parseThreshold } from "../scenario/thresholds.js";
import { UsageError } from "../util/errors.js";
import { formatMs, formatRate } from "../util/format.js";
import { parseShareText } from "../util/share.js";
import { markdownCell, markdownTable } from "./markdown-table.js";
import { studentTQuantile, summarizeSample, welchDf } from "./stats.js";
import { type CheckResult, type CheckStatus, evaluateThreshold, formatPercent } from "./thresholds.js";

/**
 * The gate: a result's thresholds, and optionally a comparison with a baseline result. Pure.
 *
 * Regression rule. Per scenario present in both files, each throughput (writesPerSec, readsPerSec,
 * txnPerSec, where the baseline's is above 0) may drop, and the transaction's p99 latency may rise,
 * by at most `maxRegression` (a fraction), comparing the figures of result.json. A change beyond that
 * fails only when it is larger than the noise: a 95% Welch confidence interval of the difference of
 * the means of the per-second samples (`intervals[]`: the rate, or the second's txn p99), new minus
 * baseline, lies entirely beyond the allowed change (maxRegression x the baseline's per-second mean).
 * Otherwise it is inconclusive: it passes with a warning, or fails when the gate is strict.
 */

export const DEFAULT_MAX_REGRESSION = 0.05;
/** Confidence of the interval that tells a regression from noise. */
export const CONFIDENCE = 0.95;
/** The suite of checks about the whole run (ids of scenarios cannot contain parentheses). */
export const RUN_SUITE = "(run)";

/** "5%" -> 0.05, "0.05" -> 0.05. A bare number must be a fraction below 1. */
export function parseMaxRegression(text: string): number {
  const value = parseShareText(text);
  if (!(Number.isFinite(value) && value >= 0 && value < 1)) {
    throw new UsageError(
      `--max-regression: '${text}' must be a percentage such as 5% or a fraction such as 0.05 (below 100%)`,
    );
  }
  return value;
}

export interface WelchInterval {
  /** mean(sample) - mean(reference). */
  difference: number;
  low: number;
  high: number;
  standardError: number;
  /** Welch-Satterthwaite degrees of freedom (Infinity when both samples are constant). */
  df: number;
  sampleMean: number;
  referenceMean: number;
}

/**
 * Welch's confidence interval of mean(sample) - mean(reference). null with fewer than 2 values on
 * either side. Two constant samples give a zero-width interval.
 */
export function welchInterval(
  sample: readonly number[],
  reference: readonly number[],
  confidence = CONFIDENCE,
): WelchInterval | null {
  if (sample.length < 2 || reference.length < 2) return null;
  const a = summarizeSample(sample) as { mean: number; variance: number };
  const b = summarizeSample(reference) as { mean: number; variance: number };
  const va = a.variance / sample.length;
  const vb = b.variance / reference.length;
  const standardError = Math.sqrt(va + vb);
  const difference = a.mean - b.mean;
  if (standardError === 0) {
    return { difference, low: difference, high: difference, standardError, df: Infinity, ...means(a, b) };
  }
  const df = welchDf(va, sample.length, vb, reference.length, 1);
  const half = studentTQuantile(1 - (1 - confidence) / 2, df) * standardError;
  return { difference, low: difference - half, high: difference + half, standardError, df, ...means(a, b) };
}

const means = (a: { mean: number }, b: { mean: number }) => ({ sampleMean: a.mean, referenceMean: b.mean });

// ---------------------------------------------------------------------------------------------
// The gate

export interface GateOptions {
  baseline?: Result;
  /** The largest allowed change against the baseline, a fraction (default 0.05). */
  maxRegression?: number;
  /** Inconclusive checks fail. */
  strict?: boolean;
  /** How the files are named in messages. */
  resultName?: string;
  baselineName?: string;
}

export interface GateSuite {
  /** A scenario's id, or RUN_SUITE for checks about the whole run. */
  name: string;
  checks: CheckResult[];
}

export interface GateReport {
  passed: boolean;
  /** 0: every check passed; 1: one failed. */
  exitCode: 0 | 1;
  strict: boolean;
  maxRegression: number;
  baseline: boolean;
  suites: GateSuite[];
  /** Inconclusive checks, scenarios not compared. */
  warnings: string[];
  totals: { checks: number; passed: number; failed: number; inconclusive: number };
}

function check(
  name: string,
  status: CheckStatus,
  ok: boolean,
  measured: number | null,
  measuredText: string,
  limitText: string,
  message: string,
): CheckResult {
  return { name, status, ok, measured, measuredText, limitText, message };
}

/** The thresholds a scenario of a result declares (its resolved scenario's `thresholds`). */
export function scenarioThresholds(scenario: ScenarioResult, where: string): string[] {
  const list = (scenario.config as { thresholds?: unknown } | null)?.thresholds;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
    throw new UsageError(`${where}: config.thresholds: must be a list of strings`);
  }
  return list as string[];
}

/** Scenarios paired by id; a repeated id pairs by its occurrence. */
function pairScenarios(result: Result, baseline: Result) {
  const byId = new Map<string, ScenarioResult[]>();
  for (const scenario of baseline.scenarios)
    byId.set(scenario.id, [...(byId.get(scenario.id) ?? []), scenario]);
  const pairs = new Map<ScenarioResult, ScenarioResult>();
  const seen = new Map<string, number>();
  for (const scenario of result.scenarios) {
    const index = seen.get(scenario.id) ?? 0;
    seen.set(scenario.id, index + 1);
    const match = byId.get(scenario.id)?.[index];
    if (match) pairs.set(scenario, match);
  }
  const unmatched = baseline.scenarios.filter((scenario) => ![...pairs.values()].includes(scenario));
  return { pairs, unmatched };
}

const THROUGHPUT_METRICS = ["writesPerSec", "readsPerSec", "txnPerSec"] as const;

function signedPercent(fraction: number): string {
  return `${fraction >= 0 ? "+" : "-"}${formatPercent(Math.abs(fraction) * 100)}`;
}

interface RegressionInput {
  name: string;
  /** As named in the message: writesPerSec, txn.p99... */
  metric: string;
  /** up: a rise is a regression (latency); down: a drop is (throughput). */
  worse: "up" | "down";
  current: number;
  baseline: number;
  currentSamples: number[];
  baselineSamples: number[];
  format: (value: number) => string;
  maxRegression: number;
  strict: boolean;
}

/** One metric against the baseline, with the noise rule above. */
export function regressionCheck(input: RegressionInput): CheckResult {
  const { name, metric, worse, current, baseline, maxRegression, strict, format } = input;
  const change = (current - baseline) / baseline;
  const allowed = worse === "down" ? baseline * (1 - maxRegression) : baseline * (1 + maxRegression);
  const measuredText = `${format(current)} (${signedPercent(change)})`;
  const limitText = `${worse === "down" ? ">=" : "<="} ${format(allowed)} (baseline ${format(baseline)} ${worse === "down" ? "-" : "+"} ${formatPercent(maxRegression * 100)})`;
  const what = `${metric} ${format(current)} against baseline ${format(baseline)}: ${signedPercent(change)}`;
  const withinLimit = worse === "down" ? current >= allowed : current <= allowed;
  if (withinLimit) {
    return check(
      name,
      "pass",
      true,
      current,
      measuredText,
      limitText,
      `${what}, within ${formatPercent(maxRegression * 100)}`,
    );
  }
  const inconclusive = (why: string) =>
    check(
      name,
      "inconclusive",
      !strict,
      current,
      measuredText,
      limitText,
      `${what}, beyond ${formatPercent(maxRegression * 100)} but ${why}: inconclusive${strict ? " (fails: strict)" : " (passes; --strict fails it)"}`,
    );
  const interval = welchInterval(input.currentSamples, input.baselineSamples);
  if (!interval) {
    return inconclusive(
      `too few per-second samples (${input.currentSamples.length} and ${input.baselineSamples.length}; 2 each needed) to tell it from noise`,
    );
  }
  // The allowed change, on the scale of the per-second means.
  const margin = maxRegression * interval.referenceMean;
  const signed = (value: number) => `${value < 0 ? "-" : value > 0 ? "+" : ""}${format(Math.abs(value))}`;
  const ci = `${Math.round(CONFIDENCE * 100)}% CI of the per-second mean difference [${signed(interval.low)}, ${signed(interval.high)}]`;
  const beyond = worse === "down" ? interval.high < -margin : interval.low > margin;
  const bound = signed(worse === "down" ? -margin : margin);
  if (beyond) {
    return check(
      name,
      "fail",
      false,
      current,
      measuredText,
      limitText,
      `${what}; ${ci} is beyond the allowed ${bound}: a regression`,
    );
  }
  return inconclusive(`the ${ci} reaches the allowed ${bound}, so the change is within the noise`);
}

function finite(values: readonly (number | undefined)[]): number[] {
  return values.filter((value): value is number => typeof value === "number" && Number.isFinite(value));
}

function regressionChecks(
  current: ScenarioResult,
  baseline: ScenarioResult,
  maxRegression: number,
  strict: boolean,
): CheckResult[] {
  const checks: CheckResult[] = [];
  const currentIntervals = current.intervals ?? [];
  const baselineIntervals = baseline.intervals ?? [];
  for (const metric of THROUGHPUT_METRICS) {
    const reference = baseline.throughput?.[metric];
    if (typeof reference !== "number" || !(reference > 0)) continue;
    const value = current.throughput?.[metric];
    const name = `${metric} vs baseline`;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      checks.push(check(name, "no-data", false, null, "-", "-", `${metric}: no data in the result`));
      continue;
    }
    checks.push(
      regressionCheck({
        name,
        metric,
        worse: "down",
        current: value,
        baseline: reference,
        currentSamples: finite(currentIntervals.map((interval) => interval[metric])),
        baselineSamples: finite(baselineIntervals.map((interval) => interval[metric])),
        format: (rate) => `${formatRate(rate)}/s`,
        maxRegression,
        strict,
      }),
    );
  }
  const reference = baseline.latencyMs?.txn;
  if (reference && reference.count > 0 && reference.p99 > 0) {
    const name = "txn.p99 vs baseline";
    const value = current.latencyMs?.txn;
    if (!value || !(value.count > 0)) {
      checks.push(
        check(name, "no-data", false, null, "-", "-", "txn.p99: no transaction latency in the result"),
      );
    } else {
      checks.push(
        regressionCheck({
          name,
          metric: "txn.p99",
          worse: "up",
          current: value.p99,
          baseline: reference.p99,
          currentSamples: finite(currentIntervals.map((interval) => interval.latencyMs?.txn?.p99)),
          baselineSamples: finite(baselineIntervals.map((interval) => interval.latencyMs?.txn?.p99)),
          format: formatMs,
          maxRegression,
          strict,
        }),
      );
    }
  }
  return checks;
}

function statusCheck(name: string, status: string, failure?: string): CheckResult {
  const ok = status === "complete";
  return check(
    name,
    ok ? "pass" : "fail",
    ok,
    null,
    status,
    "complete",
    `the ${name === "status" ? "run" : "scenario"}'s status is ${status}${failure ? `: ${failure}` : ""}`,
  );
}

/**
 * Checks a result: its status, each scenario's thresholds and, with a baseline, each scenario
 * present in both against its baseline. Throws a UsageError when there is nothing to check or a
 * threshold in the result cannot be parsed.
 */
export function runGate(result: Result, options: GateOptions = {}): GateReport {
  const maxRegression = options.maxRegression ?? DEFAULT_MAX_REGRESSION;
  const strict = options.strict === true;
  const resultName = options.resultName ?? "result";
  const baseline = options.baseline;
  const warnings: string[] = [];

  const thresholds = result.scenarios.map((scenario, index) => {
    const where = `${resultName}: scenarios[${index}] (${scenario.id})`;
    return scenarioThresholds(scenario, where).map((text, i) =>
      parseThreshold(text, `${where}: config.thresholds[${i}]`),
    );
  });
  if (!baseline && thresholds.every((list) => list.length === 0)) {
    throw new UsageError("nothing to check: add thresholds to the scenario or give --baseline");
  }

  const run: GateSuite = {
    name: RUN_SUITE,
    checks: [statusCheck("status", result.status, result.failure?.message)],
  };
  const pairing = baseline ? pairScenarios(result, baseline) : null;
  if (baseline && pairing) {
    const baselineName = options.baselineName ?? "baseline";
    if (pairing.pairs.size === 0) {
      run.checks.push(
        check(
          "baseline",
          "no-data",
          false,
          null,
          "-",
          "-",
          `no scenario of ${resultName} is in ${baselineName} (${baseline.scenarios.map((s) => s.id).join(", ") || "none"}): nothing compared`,
        ),
      );
    }
    for (const missing of pairing.unmatched) {
      warnings.push(`${missing.id}: in ${baselineName} but not in ${resultName}: not compared`);
    }
    if (baseline.status !== "complete")
      warnings.push(`${baselineName}: the baseline run is ${baseline.status}`);
  }

  const suites: GateSuite[] = [run];
  const names = new Map<string, number>();
  result.scenarios.forEach((scenario, index) => {
    const count = (names.get(scenario.id) ?? 0) + 1;
    names.set(scenario.id, count);
    const suite: GateSuite = { name: count > 1 ? `${scenario.id}#${count}` : scenario.id, checks: [] };
    if (scenario.status !== "complete") suite.checks.push(statusCheck("scenario status", scenario.status));
    for (const threshold of thresholds[index] ?? [])
      suite.checks.push(evaluateThreshold(threshold, scenario));
    const reference = pairing?.pairs.get(scenario);
    if (pairing && !reference) warnings.push(`${suite.name}: not in the baseline: not compared`);
    if (reference) {
      if (reference.status !== "complete")
        warnings.push(`${suite.name}: the baseline's scenario is ${reference.status}`);
      suite.checks.push(...regressionChecks(scenario, reference, maxRegression, strict));
    }
    suites.push(suite);
  });

  for (const suite of suites) {
    for (const item of suite.checks) {
      if (item.status === "inconclusive") warnings.push(`${suite.name}: ${item.name}: ${item.message}`);
    }
  }
  const all = suites.flatMap((suite) => suite.checks);
  const failed = all.filter((item) => !item.ok).length;
  return {
    passed: failed === 0,
    exitCode: failed === 0 ? 0 : 1,
    strict,
    maxRegression,
    baseline: baseline !== undefined,
    suites,
    warnings,
    totals: {
      checks: all.length,
      passed: all.length - failed,
      failed,
      inconclusive: all.filter((item) => item.status === "inconclusive").length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function verdictLabel(item: CheckResult): string {
  switch (item.status) {
    case "pass":
      return "pass";
    case "fail":
      return "FAIL";
    case "no-data":
      return "FAIL (no data)";
    case "inconclusive":
      return item.ok ? "inconclusive (passes)" : "INCONCLUSIVE (fails: strict)";
  }
}

function summaryLine(report: GateReport): string {
  const { checks, failed, inconclusive } = report.totals;
  const extra = inconclusive > 0 ? `, ${inconclusive} inconclusive` : "";
  return report.passed
    ? `gate: PASSED, ${checks} check(s)${extra}`
    : `gate: FAILED, ${failed} of ${checks} check(s) failed${extra}`;
}

/** The terminal view: one row per check, then why each failed or inconclusive check is so. */
export function renderGateTable(report: GateReport): string {
  const table = new Table({
    head: ["scenario", "check", "measured", "limit", "verdict"],
    style: { head: [], border: [] },
  });
  const notes: string[] = [];
  for (const suite of report.suites) {
    for (const item of suite.checks) {
      table.push([suite.name, item.name, item.measuredText, item.limitText, verdictLabel(item)]);
      if (item.status !== "pass") notes.push(`${suite.name}: ${item.name}: ${item.message}`);
    }
  }
  return [table.toString(), ...notes, summaryLine(report)].join("\n");
}

/** Text and attribute content of XML 1.0: markup characters escaped, characters XML forbids dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** JUnit XML: one testsuite per scenario (plus RUN_SUITE), one testcase per check. */
export function renderJUnit(report: GateReport): string {
  const attr = (name: string, value: string | number) => `${name}="${escapeXml(String(value))}"`;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites ${attr("name", "reinvent-bench gate")} ${attr("tests", report.totals.checks)} ${attr("failures", report.totals.failed)} ${attr("errors", 0)}>`,
  ];
  for (const suite of report.suites) {
    const failures = suite.checks.filter((item) => !item.ok).length;
    lines.push(
      `  <testsuite ${attr("name", suite.name)} ${attr("tests", suite.checks.length)} ${attr("failures", failures)} ${attr("errors", 0)} ${attr("skipped", 0)}>`,
    );
    for (const item of suite.checks) {
      const head = `    <testcase ${attr("classname", suite.name)} ${attr("name", item.name)}`;
      const detail = `measured ${item.measuredText}, limit ${item.limitText}: ${item.message}`;
      if (!item.ok) {
        lines.push(`${head}>`);
        lines.push(
          `      <failure ${attr("message", item.message)} ${attr("type", item.status)}>${escapeXml(detail)}</failure>`,
        );
        lines.push("    </testcase>");
      } else if (item.status === "inconclusive") {
        lines.push(`${head}>`);
        lines.push(`      <system-out>${escapeXml(`inconclusive: ${detail}`)}</system-out>`);
        lines.push("    </testcase>");
      } else {
        lines.push(`${head}/>`);
      }
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return `${lines.join("\n")}\n`;
}

/** A step summary is shown as HTML: a check such as "p99 < 15ms" must not open a tag. */
const SUMMARY_CELLS = { escapeHtml: true };

/** A GitHub step summary: a heading with the verdict, a table of checks, then the notes. */
export function renderGateMarkdown(report: GateReport): string {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const suite of report.suites) {
    for (const item of suite.checks) {
      rows.push([suite.name, item.name, item.measuredText, item.limitText, verdictLabel(item)]);
      if (item.status !== "pass")
        notes.push(`- ${markdownCell(`${suite.name}: ${item.name}: ${item.message}`, SUMMARY_CELLS)}`);
    }
  }
  const lines = [
    `### reinvent-bench gate: ${report.passed ? "passed" : "FAILED"}`,
    "",
    markdownTable(["scenario", "check", "measured", "limit", "verdict"], rows, SUMMARY_CELLS),
    "",
    markdownCell(summaryLine(report), SUMMARY_CELLS),
  ];
  if (notes.length > 0) lines.push("", ...notes);
  return `${lines.join("\n")}\n`;
}
