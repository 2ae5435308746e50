import Table from "cli-table3";
import { worstReplica } from "../result/lag-verdict.js";
import type { Result, ScenarioResult, StepResult } from "../result/schema.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";
import {
  LAG_CONTRAST_CONTEXT,
  type LagContrastCheck,
  lagContrastHead,
  lagContrastRows,
  lagContrasts,
} from "./lag-contrast.js";
import { markdownCell, markdownTable } from "./markdown-table.js";
import { formatInterval, formatRatio } from "./ratio-format.js";
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
 * whose interval holds 1.0 is within noise: "inconclusive". Two results are one pair; three or more
 * are also laid out side by side, one column per result named a, b, c... in argument order (a the
 * base), each later result's ratio and interval against a. Pure: no I/O.
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
  /** The lag counterpart: each Aurora lag claim against the MySQL figure its source set it beside. */
  lag: LagContrastCheck[];
}

export interface PairComparison {
  a: RunLabel;
  b: RunLabel;
  scenarios: ScenarioComparison[];
  onlyInA: string[];
  onlyInB: string[];
  awsClaims: AwsClaimsVerdict;
}

/** Of a later result against the base, in a side-by-side comparison: a MetricVerdict without its "b". */
export type CellVerdict =
  | "base"
  | "faster"
  | "slower"
  | "better"
  | "worse"
  | "inconclusive"
  | "no interval"
  | "no ratio";

/** One result's figure of a metric, side by side with the others. */
export interface ResultCell {
  value: number | null;
  /** This result's figure over the base's; null for the base itself and when there is none. */
  ratio: number | null;
  interval: { low: number; high: number; df: number | null } | null;
  verdict: CellVerdict;
  /** As a pair's note, with this result named by its letter. */
  note: string | null;
}

/** One metric (of the whole phase, or of a fixed-rate step) across the results. */
export interface ResultRow {
  /** The target rate of the fixed-rate step; null for a metric of the whole phase. */
  step: number | null;
  metric: MetricName;
  op: string | null;
  statistic: "p50" | "p99" | null;
  label: string;
  unit: "/s" | "ms";
  higherIsBetter: boolean;
  /**
   * One per result, in argument order (the base first). Null: no such figure to compare, because
   * the result did not run the scenario or the step (see `ran`), or the metric is not compared for it.
   */
  cells: (ResultCell | null)[];
}

/** A scenario across the results. */
export interface ScenarioColumns {
  id: string;
  title: string;
  /** Per result, in argument order: whether it ran the scenario. */
  ran: boolean[];
  /** The notes of each later result against the base, each named by its letter, once each. */
  notes: string[];
  /** The fixed-rate steps any result ran, and which ran each; null when none ran steps. */
  steps: { targetRatePerSec: number; ran: boolean[] }[] | null;
  /** Empty when the base did not run the scenario or no later result did: nothing to compare. */
  rows: ResultRow[];
}

/** A result of a side-by-side comparison, named by its letter. */
export interface ResultColumn extends RunLabel {
  /** "a" (the base), "b", "c"... in argument order. */
  name: string;
  /** AWS's claim for this result against the base; null for the base. */
  awsClaims: AwsClaimsVerdict | null;
}

export interface Comparison {
  confidence: number;
  /** Three or more results only: each, in argument order, the base first. */
  results?: ResultColumn[];
  /** Three or more results only: the scenarios any result ran, the base's first, one column per result. */
  scenarios?: ScenarioColumns[];
  /** One per later result, each against the first, as a comparison of those two alone. */
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

/** Compares each result after the first with the first; three or more also side by side. */
export function compareResults(inputs: readonly LoadedResult[], options: CompareOptions = {}): Comparison {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const [first, ...rest] = inputs;
  if (!first || rest.length === 0) throw new RangeError("compare needs at least two results");
  const pairs = rest.map((b) => comparePair(first, b, confidence));
  if (rest.length === 1) return { confidence, pairs };
  // The same pairs, each later result named by its letter in the notes and texts.
  const named = rest.map((b, i) => comparePair(first, b, confidence, resultName(i + 1)));
  return { confidence, ...sideBySide(inputs, named), pairs };
}

/** The letter of the result at `index` in argument order: a (the base), b, c... then r27, r28... */
export function resultName(index: number): string {
  return index < 26 ? String.fromCharCode(97 + index) : `r${index + 1}`;
}

/**
 * Compares b with a. `name` is what b is called in notes and texts ("b"; in a comparison of three
 * or more, its letter); a is always "a".
 */
export function comparePair(
  a: LoadedResult,
  b: LoadedResult,
  confidence: number,
  name = "b",
): PairComparison {
  const bById = new Map(b.result.scenarios.map((s) => [s.id, s]));
  const aIds = new Set(a.result.scenarios.map((s) => s.id));
  const scenarios: ScenarioComparison[] = [];
  const onlyInA: string[] = [];
  for (const scenarioA of a.result.scenarios) {
    const scenarioB = bById.get(scenarioA.id);
    if (scenarioB) scenarios.push(compareScenario(scenarioA, scenarioB, confidence, name));
    else onlyInA.push(scenarioA.id);
  }
  const onlyInB = b.result.scenarios.filter((s) => !aIds.has(s.id)).map((s) => s.id);
  return {
    a: labelOf(a),
    b: labelOf(b),
    scenarios,
    onlyInA,
    onlyInB,
    awsClaims: awsClaims(a.result, b.result, scenarios, confidence, name),
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

// --- Side by side (three or more results) --------------------------------------------------------

const CELL_VERDICTS: Record<MetricVerdict, CellVerdict> = {
  "b faster": "faster",
  "b slower": "slower",
  "b better": "better",
  "b worse": "worse",
  inconclusive: "inconclusive",
  "no interval": "no interval",
  "no ratio": "no ratio",
};

/** Where a metric's row goes within its scenario or step: rates, then lag, then latency by operation. */
function metricRank(m: MetricComparison, ops: readonly string[]): number {
  const statistic = m.statistic === "p99" ? 1 : 0;
  if (m.metric === "latencyMs") return 10 + Math.max(ops.indexOf(m.op ?? ""), 0) * 2 + statistic;
  if (m.metric === "lagMs") return 5 + statistic;
  if (m.metric === "achievedRatePerSec") return 0;
  return THROUGHPUT_METRICS.indexOf(m.metric);
}

/**
 * The results as columns: per scenario (the base's, then those only later results ran, in argument
 * order) and metric, each result's figure and, for each later one, its ratio and interval against
 * the base, taken from `named` (the pairs, each later result named by its letter).
 */
function sideBySide(
  inputs: readonly LoadedResult[],
  named: readonly PairComparison[],
): { results: ResultColumn[]; scenarios: ScenarioColumns[] } {
  const results = inputs.map(
    (input, i): ResultColumn => ({
      name: resultName(i),
      ...labelOf(input),
      awsClaims: named[i - 1]?.awsClaims ?? null,
    }),
  );
  const ids: string[] = [];
  for (const input of inputs) {
    for (const s of input.result.scenarios) if (!ids.includes(s.id)) ids.push(s.id);
  }
  const scenarios = ids.map((id): ScenarioColumns => {
    const runs = inputs.map((input) => input.result.scenarios.find((s) => s.id === id));
    const ran = runs.map((run) => run !== undefined);
    const rates: number[] = [];
    for (const run of runs) {
      for (const step of run?.steps ?? []) {
        if (!rates.includes(step.targetRatePerSec)) rates.push(step.targetRatePerSec);
      }
    }
    const steps =
      rates.length === 0
        ? null
        : rates.map((rate) => ({
            targetRatePerSec: rate,
            ran: runs.map((run) => (run?.steps ?? []).some((step) => step.targetRatePerSec === rate)),
          }));
    const title = runs.find((run) => run !== undefined)?.title ?? id;
    const base = runs[0];
    if (!base) return { id, title, ran, notes: [], steps, rows: [] };
    const ops = Object.keys(base.latencyMs);
    const notes: string[] = [];
    const rows = new Map<string, ResultRow & { rank: number }>();
    const add = (index: number, step: number | null, m: MetricComparison) => {
      const key = `${step ?? ""}|${m.metric}|${m.op ?? ""}|${m.statistic ?? ""}`;
      let row = rows.get(key);
      if (!row) {
        const { metric, op, statistic, label, unit, higherIsBetter } = m;
        const cells: (ResultCell | null)[] = inputs.map(() => null);
        cells[0] = { value: m.a, ratio: null, interval: null, verdict: "base", note: null };
        const stepRank = step === null ? -1 : rates.indexOf(step);
        row = { step, metric, op, statistic, label, unit, higherIsBetter, cells, rank: 0 };
        row.rank = (stepRank + 1) * 1000 + metricRank(m, ops);
        rows.set(key, row);
      }
      row.cells[index] = {
        value: m.b,
        ratio: m.ratio,
        interval: m.interval,
        verdict: CELL_VERDICTS[m.verdict],
        note: m.note,
      };
    };
    named.forEach((pair, i) => {
      const compared = pair.scenarios.find((s) => s.id === id);
      if (!compared) return;
      for (const note of compared.notes) if (!notes.includes(note)) notes.push(note);
      for (const m of compared.metrics) add(i + 1, null, m);
      for (const step of compared.steps ?? []) {
        for (const m of step.metrics) add(i + 1, step.targetRatePerSec, m);
      }
    });
    const ordered = [...rows.values()].sort((x, y) => x.rank - y.rank).map(({ rank: _rank, ...row }) => row);
    return { id, title, ran, notes, steps, rows: ordered };
  });
  return { results, scenarios };
}

/** The per-second intervals of whole seconds: the last one, cut short by the end of the phase, is left out. */
export function fullSeconds(scenario: ScenarioResult): ScenarioResult["intervals"] {
  return scenario.intervals.filter((interval) => scenario.measuredMs - interval.t * 1000 >= 1000);
}

export function compareScenario(
  a: ScenarioResult,
  b: ScenarioResult,
  confidence: number,
  name = "b",
): ScenarioComparison {
  const notes = scenarioNotes(a, b, name);
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
        steps.push({
          targetRatePerSec: stepA.targetRatePerSec,
          metrics: compareSteps(stepA, stepB, name),
        });
      else stepsOnlyInA.push(stepA.targetRatePerSec);
    }
    const stepsOnlyInB = bSteps.map((s) => s.targetRatePerSec).filter((rate) => !aRates.has(rate));
    return { ...base, metrics: [], steps, stepsOnlyInA, stepsOnlyInB };
  }
  if (aSteps.length > 0 || bSteps.length > 0) {
    notes.push(
      `only ${aSteps.length > 0 ? "a" : name} ran fixed-rate steps: compared over the whole phase (the last step)`,
    );
  }
  return { ...base, metrics: throughputAndLatency(a, b, confidence, name), steps: null };
}

function scenarioNotes(a: ScenarioResult, b: ScenarioResult, name: string): string[] {
  const notes: string[] = [];
  for (const [side, s] of [
    ["a", a],
    [name, b],
  ] as const) {
    if (s.status !== "complete") notes.push(`${side}'s run is ${s.status}`);
    if (s.verdict.outcome === "client-bound")
      notes.push(`${side} was client-bound: its figures say more about its client than about its database`);
  }
  if (a.connections.opened !== b.connections.opened) {
    notes.push(
      `different load: a ${formatCount(a.connections.opened)} connections, ${name} ${formatCount(b.connections.opened)}`,
    );
  }
  if (
    a.dataset &&
    b.dataset &&
    (a.dataset.tables !== b.dataset.tables || a.dataset.tableSize !== b.dataset.tableSize)
  ) {
    notes.push(
      `different dataset: a ${formatCount(a.dataset.tables)} x ${formatCount(a.dataset.tableSize)} rows, ${name} ${formatCount(b.dataset.tables)} x ${formatCount(b.dataset.tableSize)} rows`,
    );
  }
  return notes;
}

function throughputAndLatency(
  a: ScenarioResult,
  b: ScenarioResult,
  confidence: number,
  name: string,
): MetricComparison[] {
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
        name,
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
          name,
        ),
      );
    }
  }
  return metrics;
}

type MetricHead = Pick<MetricComparison, "metric" | "op" | "statistic" | "label" | "unit" | "higherIsBetter">;

const ratioOf = (a: number | null, b: number | null) => (a === null || b === null || a === 0 ? null : b / a);

/** A metric with per-second samples: the figures' ratio, the samples' interval, and the verdict. */
function sampled(
  head: MetricHead,
  a: number,
  b: number,
  estimate: RatioEstimate,
  name: string,
): MetricComparison {
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
      note: `interval unavailable: ${reasonOf(estimate, name) ?? "no samples"}`,
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

/** The estimate's reason, with b called `name`: stats.ts calls the sides a and b. */
function reasonOf(estimate: RatioEstimate, name: string): string | null {
  if (name === "b" || estimate.issue !== "too-few-samples") return estimate.reason;
  return estimate.reason?.replace(/, b (\d+);/, `, ${name} $1;`) ?? null;
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

function compareSteps(a: StepResult, b: StepResult, name: string): MetricComparison[] {
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
      valueB === null ? `${name} has no lag ${statistic}` : null,
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
  name: string,
): AwsClaimsVerdict {
  const ta = a.environment.target;
  const tb = b.environment.target;
  if (!BASELINE_FLAVORS.has(ta.flavor)) {
    return {
      stated: false,
      reason: `a runs ${ta.flavor} ${ta.version}, not a MySQL or MariaDB baseline`,
      checks: [],
      lag: [],
    };
  }
  if (ta.url === tb.url && ta.flavor === tb.flavor && ta.version === tb.version) {
    return {
      stated: false,
      reason: `a and ${name} ran against the same target (${ta.url})`,
      checks: [],
      lag: [],
    };
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
        text: `${name}/a ${ratio === null ? "-" : formatRatio(ratio)}, no interval (${metric.note ?? "no samples"})`,
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
      text: `${name}/a ${ratio === null ? "-" : formatRatio(ratio)}, ${level} interval ${formatInterval(interval)} ${how}`,
    };
  });
  return { stated: true, reason: null, checks, lag: lagContrasts(a, b, confidence, name) };
}

// --- Rendering ----------------------------------------------------------------------------------

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

/** A check's ratio, interval and verdict, as table cells. */
function claimCells(c: AwsClaimCheck): string[] {
  return [
    c.ratio === null ? "-" : formatRatio(c.ratio),
    c.interval ? formatInterval(c.interval) : c.verdict === "not measured" ? "-" : "unavailable",
    c.verdict.toUpperCase(),
  ];
}

/** Whether any of the throughput checks had its scenario in both results (replica-lag alone has none). */
const anyThroughputMeasured = (checks: readonly AwsClaimCheck[]): boolean =>
  checks.some((c) => c.verdict !== "not measured");

/** Said in place of an all-"not measured" table. */
const THROUGHPUT_NOT_MEASURED = `AWS's "3x write / 5x read" claim: not measured (${[
  ...new Set(AWS_FACTORS.map((f) => f.scenario)),
].join(" and ")} not in both results)`;

function claimRows(pair: PairComparison): string[][] {
  return pair.awsClaims.checks.map((c) => [c.claim, `${c.scenario} ${c.metric}`, ...claimCells(c)]);
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

const LEGEND = (confidence: number) => `b/a: b's figure over a's. ${legendBody(confidence)}`;

const legendBody = (confidence: number) =>
  `${formatConfidence(confidence)} CI: Fieller's interval of the ratio of the means of the per-second ` +
  "values (whole seconds; for latency, of the per-second percentiles, so it may not hold the phase's ratio); " +
  "inconclusive when it holds 1.0 (within noise). Throughput: higher is faster; latency and lag: lower is better. " +
  "Fixed-rate steps are single values per run: no interval.";

const CLAIM_CONTEXT =
  "AWS compared Aurora with MySQL 5.6 on the same r3.8xlarge hardware; here b is compared with a as each was run.";

/** The comparison for the terminal: per pair, the runs, the table, AWS's claim, and the notes. */
export function renderComparisonTable(comparison: Comparison): string {
  const wide = sideBySideOf(comparison);
  if (wide) return renderWideTable(wide, comparison.confidence);
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
      if (anyThroughputMeasured(pair.awsClaims.checks)) {
        lines.push(`AWS's "3x write / 5x read" claim, b against the baseline a:`);
        const claims = new Table({
          head: ["claim", "metric", "b/a", `${formatConfidence(comparison.confidence)} CI`, "verdict"],
          style: { head: [], border: [], compact: true },
        });
        for (const row of claimRows(pair)) claims.push(row);
        lines.push(claims.toString(), CLAIM_CONTEXT);
      } else {
        lines.push(THROUGHPUT_NOT_MEASURED);
      }
      if (pair.awsClaims.lag.length > 0) {
        lines.push("AWS's replica-lag contrast (Aurora against MySQL 5.6), b against the baseline a:");
        const lag = new Table({
          head: lagContrastHead(comparison.confidence, "b"),
          style: { head: [], border: [], compact: true },
        });
        for (const row of lagContrastRows(pair.awsClaims.lag)) lag.push(row);
        lines.push(lag.toString(), LAG_CONTRAST_CONTEXT);
      }
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
  const wide = sideBySideOf(comparison);
  if (wide) return renderWideMarkdown(wide, comparison.confidence);
  const parts: string[] = [];
  for (const pair of comparison.pairs) {
    parts.push(`## \`${pair.b.file}\` against \`${pair.a.file}\``);
    parts.push(
      `- **a**: ${markdownCell(describeRun(pair.a))}\n- **b**: ${markdownCell(describeRun(pair.b))}`,
    );
    parts.push(markdownTable(HEAD(comparison.confidence), pairRows(pair)));
    parts.push(LEGEND(comparison.confidence));
    if (pair.awsClaims.stated) {
      if (anyThroughputMeasured(pair.awsClaims.checks)) {
        parts.push(`### AWS's "3x write / 5x read" claim`);
        parts.push(
          markdownTable(
            ["claim", "metric", "b/a", `${formatConfidence(comparison.confidence)} CI`, "verdict"],
            claimRows(pair),
          ),
        );
        parts.push(CLAIM_CONTEXT);
      } else {
        parts.push(`${THROUGHPUT_NOT_MEASURED}.`);
      }
      if (pair.awsClaims.lag.length > 0) {
        parts.push(
          "### AWS's replica-lag contrast (Aurora against MySQL 5.6)",
          markdownTable(lagContrastHead(comparison.confidence, "b"), lagContrastRows(pair.awsClaims.lag)),
          LAG_CONTRAST_CONTEXT,
        );
      }
    } else {
      parts.push(`AWS's "3x write / 5x read" claim: not stated (${pair.awsClaims.reason}).`);
    }
    const notes = pairNotes(pair);
    if (notes.length > 0) parts.push(notes.map((note) => `- ${note}`).join("\n"));
  }
  return `${parts.join("\n\n")}\n`;
}

// --- Rendering side by side (three or more results) ---------------------------------------------

interface SideBySide {
  results: ResultColumn[];
  scenarios: ScenarioColumns[];
}

function sideBySideOf(comparison: Comparison): SideBySide | null {
  const { results, scenarios } = comparison;
  return results && scenarios && results.length > 2 ? { results, scenarios } : null;
}

/** scenario, metric, a, then per later result: its figure, its ratio to a, the interval, the verdict. */
function wideHead(results: readonly ResultColumn[], confidence: number): string[] {
  const level = `${formatConfidence(confidence)} CI`;
  return [
    "scenario",
    "metric",
    "a",
    ...results.slice(1).flatMap((r) => [r.name, `${r.name}/a`, level, "verdict"]),
  ];
}

function cellVerdict(name: string, verdict: CellVerdict): string {
  return verdict === "faster" || verdict === "slower" || verdict === "better" || verdict === "worse"
    ? `${name} ${verdict}`
    : verdict;
}

function wideIntervalCell(cell: ResultCell): string {
  if (cell.interval) return formatInterval(cell.interval);
  if (cell.ratio === null) return "-";
  if (cell.verdict === "inconclusive") return "unbounded";
  return "unavailable";
}

/** A scenario or step that the base, or every later result, did not run: who ran it. */
function presenceRow(name: string, ran: readonly boolean[]): string[] {
  const [baseRan, ...later] = ran;
  return [
    name,
    "-",
    baseRan ? "ran" : "absent",
    ...later.flatMap((r) => [r ? "ran" : "absent", "-", "-", r && !baseRan ? "no base" : "-"]),
  ];
}

const comparedIn = (ran: readonly boolean[]) => ran[0] === true && ran.slice(1).some(Boolean);

/** Whether result `index` ran what `row` measures: the scenario, and the row's step if it has one. */
function ranRow(s: ScenarioColumns, row: ResultRow, index: number): boolean {
  if (!s.ran[index]) return false;
  if (row.step === null) return true;
  return s.steps?.find((step) => step.targetRatePerSec === row.step)?.ran[index] ?? false;
}

function wideRows(wide: SideBySide): string[][] {
  const rows: string[][] = [];
  for (const s of wide.scenarios) {
    if (!comparedIn(s.ran)) {
      rows.push(presenceRow(s.id, s.ran));
      continue;
    }
    for (const row of s.rows) {
      const [base, ...later] = row.cells;
      rows.push([
        row.step === null ? s.id : stepName(s.id, row.step),
        row.label,
        formatValue(base?.value ?? null, row.unit),
        ...later.flatMap((cell, i) => {
          const name = wide.results[i + 1]?.name ?? "";
          if (!cell) return [ranRow(s, row, i + 1) ? "-" : "absent", "-", "-", "-"];
          return [
            formatValue(cell.value, row.unit),
            cell.ratio === null ? "-" : formatRatio(cell.ratio),
            wideIntervalCell(cell),
            cellVerdict(name, cell.verdict),
          ];
        }),
      ]);
    }
    for (const step of s.steps ?? []) {
      if (!comparedIn(step.ran)) rows.push(presenceRow(stepName(s.id, step.targetRatePerSec), step.ran));
    }
  }
  return rows;
}

/** Notes worth reading with the table: per scenario, then per metric, naming the results a note is of. */
function wideNotes(wide: SideBySide): string[] {
  const notes: string[] = [];
  for (const s of wide.scenarios) {
    for (const note of s.notes) notes.push(`${s.id}: ${note}`);
    for (const row of s.rows) {
      const byNote = new Map<string, string[]>();
      row.cells.forEach((cell, i) => {
        if (i === 0 || !cell?.note || cell.note === POINT_NOTE) return;
        byNote.set(cell.note, [...(byNote.get(cell.note) ?? []), wide.results[i]?.name ?? ""]);
      });
      const where = row.step === null ? s.id : stepName(s.id, row.step);
      for (const [note, names] of byNote) notes.push(`${where} ${row.label} (${names.join(", ")}): ${note}`);
    }
  }
  return notes;
}

const wideLegend = (results: readonly ResultColumn[], confidence: number) =>
  `${results
    .slice(1)
    .map((r) => `${r.name}/a`)
    .join(", ")}: each later result's figure over a's (a is the base). ${legendBody(confidence)} ` +
  "absent: the result did not run the scenario or step; no base: a did not, so there is nothing to compare it with.";

const WIDE_CLAIM_CONTEXT =
  "AWS compared Aurora with MySQL 5.6 on the same r3.8xlarge hardware; here each result is compared with a as each was run.";

/** AWS's claim for each later result: a table of those it is stated for, and a line for the others. */
function wideClaims(
  results: readonly ResultColumn[],
  confidence: number,
): { head: string[]; rows: string[][]; unstated: string | null } {
  const later = results.slice(1);
  const statedAll = later.filter((r) => r.awsClaims?.stated);
  // A result whose checks were all "not measured" (a replica-lag comparison) gets no columns of dashes.
  const stated = statedAll.filter((r) => anyThroughputMeasured(r.awsClaims?.checks ?? []));
  const reasons = new Map<string, string[]>();
  for (const r of later) {
    const reason = r.awsClaims?.stated ? null : (r.awsClaims?.reason ?? "no baseline");
    if (reason !== null) reasons.set(reason, [...(reasons.get(reason) ?? []), r.name]);
  }
  const unstatedText = [...reasons].map(([reason, names]) => `${names.join(", ")}: ${reason}`).join("; ");
  if (stated.length === 0) {
    if (statedAll.length === 0) {
      const only = reasons.size === 1 ? [...reasons.keys()][0] : unstatedText;
      return { head: [], rows: [], unstated: `AWS's "3x write / 5x read" claim: not stated (${only})` };
    }
    const lines = [THROUGHPUT_NOT_MEASURED];
    if (reasons.size > 0) lines.push(`AWS's "3x write / 5x read" claim not stated for ${unstatedText}`);
    return { head: [], rows: [], unstated: lines.join("\n") };
  }
  const level = `${formatConfidence(confidence)} CI`;
  const head = ["claim", "metric", ...stated.flatMap((r) => [`${r.name}/a`, level, "verdict"])];
  const rows = AWS_FACTORS.map((f, j) => [
    f.claim,
    `${f.scenario} ${f.metric}`,
    ...stated.flatMap((r) => {
      const check = r.awsClaims?.checks[j];
      return check ? claimCells(check) : ["-", "-", "-"];
    }),
  ]);
  const unstated =
    reasons.size > 0 ? `AWS's "3x write / 5x read" claim not stated for ${unstatedText}` : null;
  return { head, rows, unstated };
}

function describeColumn(r: ResultColumn): string {
  return `${r.name}${r.name === "a" ? " (base)" : ""}`;
}

function renderWideTable(wide: SideBySide, confidence: number): string {
  const lines = wide.results.map((r) => `${describeColumn(r)}: ${describeRun(r)}`);
  const table = new Table({
    head: wideHead(wide.results, confidence),
    style: { head: [], border: [], compact: true },
  });
  for (const row of wideRows(wide)) table.push(row);
  lines.push(table.toString(), wideLegend(wide.results, confidence));
  const claims = wideClaims(wide.results, confidence);
  if (claims.rows.length > 0) {
    lines.push(`AWS's "3x write / 5x read" claim, each result against the baseline a:`);
    const claimTable = new Table({ head: claims.head, style: { head: [], border: [], compact: true } });
    for (const row of claims.rows) claimTable.push(row);
    lines.push(claimTable.toString(), WIDE_CLAIM_CONTEXT);
  }
  if (claims.unstated) lines.push(claims.unstated);
  for (const r of wide.results.slice(1)) {
    if (!r.awsClaims?.lag.length) continue;
    lines.push(`AWS's replica-lag contrast, ${r.name} against the baseline a:`);
    const lag = new Table({
      head: lagContrastHead(confidence, r.name),
      style: { head: [], border: [], compact: true },
    });
    for (const row of lagContrastRows(r.awsClaims.lag)) lag.push(row);
    lines.push(lag.toString());
  }
  if (wide.results.some((r) => r.awsClaims?.lag.length)) lines.push(LAG_CONTRAST_CONTEXT);
  for (const note of wideNotes(wide)) lines.push(`note: ${note}`);
  return lines.join("\n");
}

function renderWideMarkdown(wide: SideBySide, confidence: number): string {
  const [base, ...later] = wide.results;
  const parts: string[] = [
    `## ${later.map((r) => `\`${r.file}\``).join(", ")} against \`${base?.file ?? ""}\``,
    wide.results
      .map((r) => `- **${r.name}**${r.name === "a" ? " (base)" : ""}: ${markdownCell(describeRun(r))}`)
      .join("\n"),
    markdownTable(wideHead(wide.results, confidence), wideRows(wide)),
    wideLegend(wide.results, confidence),
  ];
  const claims = wideClaims(wide.results, confidence);
  if (claims.rows.length > 0) {
    parts.push(
      `### AWS's "3x write / 5x read" claim`,
      markdownTable(claims.head, claims.rows),
      WIDE_CLAIM_CONTEXT,
    );
  }
  if (claims.unstated) parts.push(`${claims.unstated}.`);
  for (const r of wide.results.slice(1)) {
    if (!r.awsClaims?.lag.length) continue;
    parts.push(
      `### AWS's replica-lag contrast, ${r.name} against a`,
      markdownTable(lagContrastHead(confidence, r.name), lagContrastRows(r.awsClaims.lag)),
    );
  }
  if (wide.results.some((r) => r.awsClaims?.lag.length)) parts.push(LAG_CONTRAST_CONTEXT);
  const notes = wideNotes(wide);
  if (notes.length > 0) parts.push(notes.map((note) => `- ${note}`).join("\n"));
  return `${parts.join("\n\n")}\n`;
}
