import Table from "cli-table3";
import { worstReplica } from "../result/lag-verdict.js";
import type { Result, ScenarioResult, StepResult } from "../result/schema.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";
import { markdownCell, markdownTable } from "./markdown-table.js";
import {
  DEFAULT_CONFIDENCE,
  formatConfidence,
  type RatioEstimate,
  ratioOfMeans,
  relativeTo,
} from "./stats.js";

/**
 * `compare`: results side by side. Each later result (b) is compared with the first (a), scenario by
 * scenario (matched by id) and metric by metric: a's figure, b's figure, the ratio b / a, and a
 * confidence interval of the ratio from the per-second samples (Fieller's, see stats.ts). A ratio
 * whose interval holds 1.0 is within noise: "inconclusive". Pure: no I/O.
 */

export interface LoadedResult {
  /** Where the result was read from, as the user named it. */
  file: string;
  result: Result;
}

/** Which run a side of the comparison is. */
export interface RunLabel {
  file: string;
  flavor: string;
  version: string;
  url: string;
  startedAt: string;
  status: Result["status"];
}

export type MetricVerdict =
  | "b faster"
  | "b slower"
  | "b better"
  | "b worse"
  | "inconclusive"
  | "no interval"
  | "no ratio";

export type MetricName =
  | "writesPerSec"
  | "readsPerSec"
  | "txnPerSec"
  | "latencyMs"
  | "lagMs"
  | "achievedRatePerSec";

export interface MetricComparison {
  metric: MetricName;
  /** The operation of a latency (txn, update_index...); null otherwise. */
  op: string | null;
  /** The percentile of a latency or lag; null for rates. */
  statistic: "p50" | "p99" | null;
  /** As shown: "writesPerSec", "txn p99", "lag p50 (worst replica)". */
  label: string;
  unit: "/s" | "ms";
  /** Throughput: higher is better ("faster"); latency and lag: lower is better ("better"). */
  higherIsBetter: boolean;
  /** The figures of the two results (throughput over the phase, percentiles of the phase). */
  a: number | null;
  b: number | null;
  /** b / a; null when a is 0 or either figure is missing. */
  ratio: number | null;
  /** Interval of the ratio of the per-second means; null when there is none (see note). */
  interval: { low: number; high: number; df: number | null } | null;
  /** The per-second samples the interval is built from; null for point values (no samples). */
  samples: { a: number; b: number; meanA: number | null; meanB: number | null } | null;
  verdict: MetricVerdict;
  /** Why there is no ratio or interval, or why the verdict is inconclusive despite the interval. */
  note: string | null;
}

export interface StepComparison {
  targetRatePerSec: number;
  metrics: MetricComparison[];
}

export interface ScenarioComparison {
  id: string;
  title: string;
  /** Differences between the two runs of the scenario worth knowing before reading the ratios. */
  notes: string[];
  /** Throughput and latency; empty for fixed-rate scenarios, compared per step. */
  metrics: MetricComparison[];
  /** Fixed-rate scenarios (replica-lag): one per rate both ran; null otherwise. */
  steps: StepComparison[] | null;
  stepsOnlyInA: number[];
  stepsOnlyInB: number[];
}

export interface AwsClaimCheck {
  id: "write" | "read";
  /** The claim in words: "Aurora 3x MySQL's writes/s". */
  claim: string;
  scenario: "aurora-write" | "aurora-read";
  metric: "writesPerSec" | "readsPerSec";
  factor: number;
  ratio: number | null;
  interval: { low: number; high: number } | null;
  /** met: the interval's lower bound >= factor; not met: its upper bound < factor; else inconclusive. */
  verdict: "met" | "not met" | "inconclusive" | "not measured";
  text: string;
}

export interface AwsClaimsVerdict {
  /** Stated only when a is a MySQL or MariaDB baseline and b another target. */
  stated: boolean;
  /** Why it is not stated; null when it is. */
  reason: string | null;
  checks: AwsClaimCheck[];
}

export interface PairComparison {
  a: RunLabel;
  b: RunLabel;
  scenarios: ScenarioComparison[];
  onlyInA: string[];
  onlyInB: string[];
  awsClaims: AwsClaimsVerdict;
}

export interface Comparison {
  confidence: number;
  /** One per later result, each against the first. */
  pairs: PairComparison[];
}

export interface CompareOptions {
  /** Confidence level of the intervals (default 0.95). */
  confidence?: number;
}

/** Fewest per-second samples on each side for an interval of a latency percentile. */
export const LATENCY_MIN_SAMPLES = 5;
/** Fewest per-second samples on each side for an interval of a rate (a variance needs 2). */
export const THROUGHPUT_MIN_SAMPLES = 2;

const THROUGHPUT_METRICS = ["writesPerSec", "readsPerSec", "txnPerSec"] as const;
const PERCENTILES = ["p50", "p99"] as const;

/** AWS's "3x write / 5x read": Aurora against MySQL on the same hardware. */
const AWS_FACTORS = [
  {
    id: "write",
    claim: "Aurora 3x MySQL's writes/s",
    scenario: "aurora-write",
    metric: "writesPerSec",
    factor: 3,
  },
  {
    id: "read",
    claim: "Aurora 5x MySQL's reads/s",
    scenario: "aurora-read",
    metric: "readsPerSec",
    factor: 5,
  },
] as const;

const BASELINE_FLAVORS = new Set(["mysql", "mariadb"]);

/** Compares each result after the first with the first. */
export function compareResults(inputs: readonly LoadedResult[], options: CompareOptions = {}): Comparison {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const [first, ...rest] = inputs;
  if (!first || rest.length === 0) throw new RangeError("compare needs at least two results");
  return { confidence, pairs: rest.map((b) => comparePair(first, b, confidence)) };
}

export function comparePair(a: LoadedResult, b: LoadedResult, confidence: number): PairComparison {
  const bById = new Map(b.result.scenarios.map((s) => [s.id, s]));
  const aIds = new Set(a.result.scenarios.map((s) => s.id));
  const scenarios: ScenarioComparison[] = [];
  const onlyInA: string[] = [];
  for (const scenarioA of a.result.scenarios) {
    const scenarioB = bById.get(scenarioA.id);
    if (scenarioB) scenarios.push(compareScenario(scenarioA, scenarioB, confidence));
    else onlyInA.push(scenarioA.id);
  }
  const onlyInB = b.result.scenarios.filter((s) => !aIds.has(s.id)).map((s) => s.id);
  return {
    a: labelOf(a),
    b: labelOf(b),
    scenarios,
    onlyInA,
    onlyInB,
    awsClaims: awsClaims(a.result, b.result, scenarios, confidence),
  };
}

function labelOf(loaded: LoadedResult): RunLabel {
  const target = loaded.result.environment.target;
  return {
    file: loaded.file,
    flavor: target.flavor,
    version: target.version,
    url: target.url,
    startedAt: loaded.result.startedAt,
    status: loaded.result.status,
  };
}

/** The per-second intervals of whole seconds: the last one, cut short by the end of the phase, is left out. */
export function fullSeconds(scenario: ScenarioResult): ScenarioResult["intervals"] {
  return scenario.intervals.filter((interval) => scenario.measuredMs - interval.t * 1000 >= 1000);
}

export function compareScenario(
  a: ScenarioResult,
  b: ScenarioResult,
  confidence: number,
): ScenarioComparison {
  const notes = scenarioNotes(a, b);
  const base = { id: a.id, title: a.title, notes, stepsOnlyInA: [], stepsOnlyInB: [] };
  const aSteps = a.steps ?? [];
  const bSteps = b.steps ?? [];
  if (aSteps.length > 0 && bSteps.length > 0) {
    const bByRate = new Map(bSteps.map((s) => [s.targetRatePerSec, s]));
    const aRates = new Set(aSteps.map((s) => s.targetRatePerSec));
    const steps: StepComparison[] = [];
    const stepsOnlyInA: number[] = [];
    for (const stepA of aSteps) {
      const stepB = bByRate.get(stepA.targetRatePerSec);
      if (stepB)
        steps.push({ targetRatePerSec: stepA.targetRatePerSec, metrics: compareSteps(stepA, stepB) });
      else stepsOnlyInA.push(stepA.targetRatePerSec);
    }
    const stepsOnlyInB = bSteps.map((s) => s.targetRatePerSec).filter((rate) => !aRates.has(rate));
    return { ...base, metrics: [], steps, stepsOnlyInA, stepsOnlyInB };
  }
  if (aSteps.length > 0 || bSteps.length > 0) {
    notes.push(
      `only ${aSteps.length > 0 ? "a" : "b"} ran fixed-rate steps: compared over the whole phase (the last step)`,
    );
  }
  return { ...base, metrics: throughputAndLatency(a, b, confidence), steps: null };
}

function scenarioNotes(a: ScenarioResult, b: ScenarioResult): string[] {
  const notes: string[] = [];
  for (const [side, s] of [
    ["a", a],
    ["b", b],
  ] as const) {
    if (s.status !== "complete") notes.push(`${side}'s run is ${s.status}`);
    if (s.verdict.outcome === "client-bound")
      notes.push(`${side} was client-bound: its figures say more about its client than about its database`);
  }
  if (a.connections.opened !== b.connections.opened) {
    notes.push(
      `different load: a ${formatCount(a.connections.opened)} connections, b ${formatCount(b.connections.opened)}`,
    );
  }
  if (
    a.dataset &&
    b.dataset &&
    (a.dataset.tables !== b.dataset.tables || a.dataset.tableSize !== b.dataset.tableSize)
  ) {
    notes.push(
      `different dataset: a ${formatCount(a.dataset.tables)} x ${formatCount(a.dataset.tableSize)} rows, b ${formatCount(b.dataset.tables)} x ${formatCount(b.dataset.tableSize)} rows`,
    );
  }
  return notes;
}

function throughputAndLatency(a: ScenarioResult, b: ScenarioResult, confidence: number): MetricComparison[] {
  const secondsA = fullSeconds(a);
  const secondsB = fullSeconds(b);
  const metrics: MetricComparison[] = [];
  for (const metric of THROUGHPUT_METRICS) {
    const valueA = a.throughput[metric];
    const valueB = b.throughput[metric];
    if (valueA === 0 && valueB === 0) continue;
    const estimate = ratioOfMeans(
      secondsA.map((i) => i[metric]),
      secondsB.map((i) => i[metric]),
      { confidence, minSamples: THROUGHPUT_MIN_SAMPLES },
    );
    metrics.push(
      sampled(
        { metric, op: null, statistic: null, label: metric, unit: "/s", higherIsBetter: true },
        valueA,
        valueB,
        estimate,
      ),
    );
  }
  for (const [op, summaryA] of Object.entries(a.latencyMs)) {
    const summaryB = b.latencyMs[op];
    if (!summaryB) continue;
    for (const statistic of PERCENTILES) {
      const perSecond = (seconds: ScenarioResult["intervals"]) =>
        seconds.flatMap((i) => {
          const value = i.latencyMs[op]?.[statistic];
          return value === undefined ? [] : [value];
        });
      const estimate = ratioOfMeans(perSecond(secondsA), perSecond(secondsB), {
        confidence,
        minSamples: LATENCY_MIN_SAMPLES,
      });
      metrics.push(
        sampled(
          {
            metric: "latencyMs",
            op,
            statistic,
            label: `${op} ${statistic}`,
            unit: "ms",
            higherIsBetter: false,
          },
          summaryA[statistic],
          summaryB[statistic],
          estimate,
        ),
      );
    }
  }
  return metrics;
}

type MetricHead = Pick<MetricComparison, "metric" | "op" | "statistic" | "label" | "unit" | "higherIsBetter">;

const ratioOf = (a: number | null, b: number | null) => (a === null || b === null || a === 0 ? null : b / a);

/** A metric with per-second samples: the figures' ratio, the samples' interval, and the verdict. */
function sampled(head: MetricHead, a: number, b: number, estimate: RatioEstimate): MetricComparison {
  const ratio = ratioOf(a, b);
  const interval = estimate.interval
    ? { low: estimate.interval.low, high: estimate.interval.high, df: estimate.interval.df }
    : null;
  const samples = { a: estimate.a.n, b: estimate.b.n, meanA: estimate.a.mean, meanB: estimate.b.mean };
  const out = { ...head, a, b, ratio, interval, samples };
  if (ratio === null) return { ...out, verdict: "no ratio", note: `a's ${head.label} is 0: no ratio` };
  if (!interval) {
    return {
      ...out,
      verdict: estimate.issue === "unbounded" ? "inconclusive" : "no interval",
      note: `interval unavailable: ${estimate.reason ?? "no samples"}`,
    };
  }
  // The figures are over the whole phase, the interval is of the means of its whole seconds (for a
  // percentile, the mean of the per-second percentiles is not the phase's percentile). When the two
  // fall on opposite sides of 1.0, the seconds do not support the figures' direction.
  const where = relativeTo(interval, 1);
  if (where !== "contains" && relativeTo({ low: ratio, high: ratio }, 1) !== where) {
    return {
      ...out,
      verdict: "inconclusive",
      note: `the ratio of the figures, ${formatRatio(ratio)}, and the interval of the per-second means, ${formatInterval(interval)}, are on opposite sides of 1.0`,
    };
  }
  return { ...out, verdict: verdictOf(where, head.higherIsBetter), note: null };
}

function verdictOf(where: "above" | "below" | "contains", higherIsBetter: boolean): MetricVerdict {
  if (where === "contains") return "inconclusive";
  const up = where === "above";
  if (higherIsBetter) return up ? "b faster" : "b slower";
  return up ? "b worse" : "b better";
}

const POINT_NOTE = "one value per run: no interval";

/** A metric without samples: the ratio of the two figures, no interval. */
function point(
  head: MetricHead,
  a: number | null,
  b: number | null,
  missing: string | null,
): MetricComparison {
  const ratio = ratioOf(a, b);
  const note = missing ?? (ratio === null ? `a's ${head.label} is 0: no ratio` : POINT_NOTE);
  return {
    ...head,
    a,
    b,
    ratio,
    interval: null,
    samples: null,
    verdict: ratio === null ? "no ratio" : "no interval",
    note,
  };
}

function compareSteps(a: StepResult, b: StepResult): MetricComparison[] {
  const metrics: MetricComparison[] = [
    point(
      {
        metric: "achievedRatePerSec",
        op: null,
        statistic: null,
        label: "achievedRatePerSec",
        unit: "/s",
        higherIsBetter: true,
      },
      a.achievedRatePerSec,
      b.achievedRatePerSec,
      null,
    ),
  ];
  for (const statistic of PERCENTILES) {
    const worstA = worstReplica(a, statistic);
    const worstB = worstReplica(b, statistic);
    const valueA = worstA?.valueMs ?? null;
    const valueB = worstB?.valueMs ?? null;
    const missing = [
      valueA === null ? `a has no lag ${statistic}` : null,
      valueB === null ? `b has no lag ${statistic}` : null,
    ].filter((x) => x !== null);
    metrics.push(
      point(
        {
          metric: "lagMs",
          op: null,
          statistic,
          label: `lag ${statistic} (worst replica)`,
          unit: "ms",
          higherIsBetter: false,
        },
        valueA,
        valueB,
        missing.length > 0 ? missing.join("; ") : null,
      ),
    );
  }
  return metrics;
}

function awsClaims(
  a: Result,
  b: Result,
  scenarios: readonly ScenarioComparison[],
  confidence: number,
): AwsClaimsVerdict {
  const ta = a.environment.target;
  const tb = b.environment.target;
  if (!BASELINE_FLAVORS.has(ta.flavor)) {
    return {
      stated: false,
      reason: `a runs ${ta.flavor} ${ta.version}, not a MySQL or MariaDB baseline`,
      checks: [],
    };
  }
  if (ta.url === tb.url && ta.flavor === tb.flavor && ta.version === tb.version) {
    return { stated: false, reason: `a and b ran against the same target (${ta.url})`, checks: [] };
  }
  const level = formatConfidence(confidence);
  const checks = AWS_FACTORS.map((f): AwsClaimCheck => {
    const base = { id: f.id, claim: f.claim, scenario: f.scenario, metric: f.metric, factor: f.factor };
    const metric = scenarios.find((s) => s.id === f.scenario)?.metrics.find((m) => m.metric === f.metric);
    if (!metric) {
      return {
        ...base,
        ratio: null,
        interval: null,
        verdict: "not measured",
        text: `${f.scenario} ${f.metric} is not in both results`,
      };
    }
    const interval = metric.interval ? { low: metric.interval.low, high: metric.interval.high } : null;
    const ratio = metric.ratio;
    const at = `${f.factor}x`;
    if (!interval) {
      return {
        ...base,
        ratio,
        interval,
        verdict: "inconclusive",
        text: `b/a ${ratio === null ? "-" : formatRatio(ratio)}, no interval (${metric.note ?? "no samples"})`,
      };
    }
    const where = relativeTo(interval, f.factor);
    const verdict = interval.low >= f.factor ? "met" : where === "below" ? "not met" : "inconclusive";
    const how = {
      met: `at or above ${at}`,
      "not met": `below ${at}`,
      inconclusive: `holds ${at}`,
    }[verdict];
    return {
      ...base,
      ratio,
      interval,
      verdict,
      text: `b/a ${ratio === null ? "-" : formatRatio(ratio)}, ${level} interval ${formatInterval(interval)} ${how}`,
    };
  });
  return { stated: true, reason: null, checks };
}

// --- Rendering ----------------------------------------------------------------------------------

/** A ratio with three significant figures: 2.00, 0.795, 1,234. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "-";
  if (Math.abs(ratio) >= 1000) return formatCount(ratio);
  return ratio.toPrecision(3);
}

function formatInterval(interval: { low: number; high: number }): string {
  return `[${formatRatio(interval.low)}, ${formatRatio(interval.high)}]`;
}

function formatValue(value: number | null, unit: "/s" | "ms"): string {
  if (value === null) return "-";
  return unit === "ms" ? formatMs(value) : `${formatRate(value)}/s`;
}

function intervalCell(m: MetricComparison): string {
  if (m.interval) return formatInterval(m.interval);
  if (m.ratio === null) return "-";
  if (m.verdict === "inconclusive") return "unbounded";
  return "unavailable";
}

function describeRun(label: RunLabel): string {
  return `${label.file} (${label.flavor} ${label.version}, ${label.url}, ${label.startedAt}${label.status === "complete" ? "" : `, ${label.status}`})`;
}

const HEAD = (confidence: number) => [
  "scenario",
  "metric",
  "a",
  "b",
  "b/a",
  `${formatConfidence(confidence)} CI`,
  "verdict",
];

/** The table rows of a pair: metric rows, then scenarios and steps only one side ran. */
function pairRows(pair: PairComparison): string[][] {
  const rows: string[][] = [];
  const metricRow = (scenario: string, m: MetricComparison) => [
    scenario,
    m.label,
    formatValue(m.a, m.unit),
    formatValue(m.b, m.unit),
    m.ratio === null ? "-" : formatRatio(m.ratio),
    intervalCell(m),
    m.verdict,
  ];
  const onlyRow = (scenario: string, side: "a" | "b") => [
    scenario,
    "-",
    "-",
    "-",
    "-",
    "-",
    `only in ${side}`,
  ];
  for (const s of pair.scenarios) {
    for (const m of s.metrics) rows.push(metricRow(s.id, m));
    for (const step of s.steps ?? []) {
      for (const m of step.metrics) rows.push(metricRow(stepName(s.id, step.targetRatePerSec), m));
    }
    for (const rate of s.stepsOnlyInA) rows.push(onlyRow(stepName(s.id, rate), "a"));
    for (const rate of s.stepsOnlyInB) rows.push(onlyRow(stepName(s.id, rate), "b"));
  }
  for (const id of pair.onlyInA) rows.push(onlyRow(id, "a"));
  for (const id of pair.onlyInB) rows.push(onlyRow(id, "b"));
  return rows;
}

const stepName = (id: string, rate: number) => `${id} @ ${formatRate(rate)}/s`;

function claimRows(pair: PairComparison): string[][] {
  return pair.awsClaims.checks.map((c) => [
    c.claim,
    `${c.scenario} ${c.metric}`,
    c.ratio === null ? "-" : formatRatio(c.ratio),
    c.interval ? formatInterval(c.interval) : c.verdict === "not measured" ? "-" : "unavailable",
    c.verdict.toUpperCase(),
  ]);
}

/** Notes worth reading with the table: per scenario, then per metric. */
function pairNotes(pair: PairComparison): string[] {
  const notes: string[] = [];
  const worthNoting = (m: MetricComparison) => m.note !== null && m.note !== POINT_NOTE;
  for (const s of pair.scenarios) {
    for (const note of s.notes) notes.push(`${s.id}: ${note}`);
    for (const m of s.metrics) if (worthNoting(m)) notes.push(`${s.id} ${m.label}: ${m.note}`);
    for (const step of s.steps ?? []) {
      for (const m of step.metrics) {
        if (worthNoting(m)) notes.push(`${stepName(s.id, step.targetRatePerSec)} ${m.label}: ${m.note}`);
      }
    }
  }
  return notes;
}

const LEGEND = (confidence: number) =>
  `b/a: b's figure over a's. ${formatConfidence(confidence)} CI: Fieller's interval of the ratio of the means of the per-second ` +
  "values (whole seconds; for latency, of the per-second percentiles, so it may not hold the phase's ratio); " +
  "inconclusive when it holds 1.0 (within noise). Throughput: higher is faster; latency and lag: lower is better. " +
  "Fixed-rate steps are single values per run: no interval.";

const CLAIM_CONTEXT =
  "AWS compared Aurora with MySQL 5.6 on the same r3.8xlarge hardware; here b is compared with a as each was run.";

/** The comparison for the terminal: per pair, the runs, the table, AWS's claim, and the notes. */
export function renderComparisonTable(comparison: Comparison): string {
  const blocks: string[] = [];
  for (const pair of comparison.pairs) {
    const lines = [`a: ${describeRun(pair.a)}`, `b: ${describeRun(pair.b)}`];
    const table = new Table({
      head: HEAD(comparison.confidence),
      style: { head: [], border: [], compact: true },
    });
    for (const row of pairRows(pair)) table.push(row);
    lines.push(table.toString(), LEGEND(comparison.confidence));
    if (pair.awsClaims.stated) {
      lines.push(`AWS's "3x write / 5x read" claim, b against the baseline a:`);
      const claims = new Table({
        head: ["claim", "metric", "b/a", `${formatConfidence(comparison.confidence)} CI`, "verdict"],
        style: { head: [], border: [], compact: true },
      });
      for (const row of claimRows(pair)) claims.push(row);
      lines.push(claims.toString(), CLAIM_CONTEXT);
    } else {
      lines.push(`AWS's "3x write / 5x read" claim: not stated (${pair.awsClaims.reason})`);
    }
    for (const note of pairNotes(pair)) lines.push(`note: ${note}`);
    blocks.push(lines.join("\n"));
  }
  return blocks.join("\n\n");
}

/** The comparison as Markdown, for reports: per pair, the runs, the table, AWS's claim, and the notes. */
export function renderComparisonMarkdown(comparison: Comparison): string {
  const parts: string[] = [];
  for (const pair of comparison.pairs) {
    parts.push(`## \`${pair.b.file}\` against \`${pair.a.file}\``);
    parts.push(
      `- **a**: ${markdownCell(describeRun(pair.a))}\n- **b**: ${markdownCell(describeRun(pair.b))}`,
    );
    parts.push(markdownTable(HEAD(comparison.confidence), pairRows(pair)));
    parts.push(LEGEND(comparison.confidence));
    if (pair.awsClaims.stated) {
      parts.push(`### AWS's "3x write / 5x read" claim`);
      parts.push(
        markdownTable(
          ["claim", "metric", "b/a", `${formatConfidence(comparison.confidence)} CI`, "verdict"],
          claimRows(pair),
        ),
      );
      parts.push(CLAIM_CONTEXT);
    } else {
      parts.push(`AWS's "3x write / 5x read" claim: not stated (${pair.awsClaims.reason}).`);
    }
    const notes = pairNotes(pair);
    if (notes.length > 0) parts.push(notes.map((note) => `- ${note}`).join("\n"));
  }
  return `${parts.join("\n\n")}\n`;
}
