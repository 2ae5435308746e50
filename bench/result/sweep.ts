import { fitUsl, pastPeak } from "../metrics/usl.js";
import type { ResolvedScenario, ResolvedSweep } from "../scenario/resolve.js";
import { formatCount } from "../util/format.js";
import type { PointResult, ScenarioResult, SweepResult } from "./schema.js";

/** One point as its trial measured it: the value, and the scenario's result at that value alone. */
export interface SweepPointOutcome {
  value: number;
  built: ScenarioResult;
}

/** The throughput a sweep's peak and fit are of: the claim's metric, else committed transactions. */
export function sweepMetric(scenario: Pick<ResolvedScenario, "claim">): keyof ScenarioResult["throughput"] {
  return scenario.claim?.metric ?? "txnPerSec";
}

function pointOf(parameter: ResolvedSweep["parameter"], outcome: SweepPointOutcome): PointResult {
  const b = outcome.built;
  return {
    parameter,
    value: outcome.value,
    status: b.status,
    connections: b.connections.opened,
    dataset: b.dataset,
    measuredMs: b.measuredMs,
    counts: b.counts,
    throughput: b.throughput,
    latencyMs: b.latencyMs,
    errors: b.errors,
    serverCounters: b.serverCounters,
    histograms: b.histograms,
    client: b.client,
    generator: b.generator,
    verdict: b.verdict,
  };
}

const PARAMETER_WORDS: Record<ResolvedSweep["parameter"], string> = {
  connections: "connections per client",
  tableSize: "rows per table",
};

/**
 * The sweep's summary: the peak (highest throughput measured; measured points only), the points
 * past it where throughput fell, and over connections the Universal Scalability Law fit against
 * the connections each point opened.
 */
export function summarizeSweep(
  sweep: ResolvedSweep,
  metric: keyof ScenarioResult["throughput"],
  points: readonly PointResult[],
): SweepResult {
  const measured = points.filter((p) => p.measuredMs > 0);
  const peak = measured.reduce<PointResult | undefined>(
    (best, p) => (!best || p.throughput[metric] > best.throughput[metric] ? p : best),
    undefined,
  );
  const asPoints = measured.map((p) => ({ concurrency: p.value, throughputPerSec: p.throughput[metric] }));
  const usl =
    sweep.parameter === "connections"
      ? fitUsl(measured.map((p) => ({ concurrency: p.connections, throughputPerSec: p.throughput[metric] })))
      : null;
  const published = sweep.published ? publishedBeside(sweep.published, measured) : undefined;
  return {
    parameter: sweep.parameter,
    values: [...sweep.values],
    metric,
    peak: peak ? { value: peak.value, throughputPerSec: peak.throughput[metric] } : null,
    pastPeak: pastPeak(asPoints).map((p) => p.concurrency),
    usl: usl
      ? {
          sigma: usl.sigma,
          kappa: usl.kappa,
          lambdaPerSec: usl.lambdaPerSec,
          lambdaFrom: usl.lambdaFrom,
          peakConcurrency: usl.peakConcurrency,
          peakThroughputPerSec: usl.peakThroughputPerSec,
          rSquared: usl.rSquared,
          constrained: [...usl.constrained],
          points: usl.points,
          levels: usl.levels,
        }
      : null,
    ...(published ? { published } : {}),
  };
}

/** Each published row with the throughput of the point standing for it, and measured / published. */
function publishedBeside(
  published: NonNullable<ResolvedSweep["published"]>,
  measured: readonly PointResult[],
): NonNullable<SweepResult["published"]> {
  const metric = published.metric;
  return {
    source: published.source,
    metric,
    unit: published.unit,
    label: published.label,
    ...(published.note !== undefined ? { note: published.note } : {}),
    matchedBy: published.matchedBy,
    rows: published.rows.map((row) => {
      const point = row.pointValue === null ? undefined : measured.find((p) => p.value === row.pointValue);
      const value = point ? point.throughput[metric] : null;
      return {
        value: row.value,
        label: row.label,
        aurora: row.aurora,
        mysql: row.mysql,
        pointValue: row.pointValue,
        measured: value,
        ofAurora: value === null ? null : value / row.aurora,
        ofMysql: value === null ? null : value / row.mysql,
      };
    }),
  };
}

/** How a published table was matched to this run's points, in words; null when there is none. */
export function publishedMatching(sweep: Pick<SweepResult, "published" | "values">): string | null {
  const published = sweep.published;
  if (!published) return null;
  if (published.matchedBy === "position") {
    return `--quick scales the sweep: its n-th value (${sweep.values.map((v) => formatCount(v)).join(", ")}) stands for the n-th published row (${published.rows.map((r) => r.label).join(", ")}), matched by position, not a like-for-like comparison`;
  }
  const unmatched = published.rows.filter((r) => r.pointValue === null).map((r) => r.label);
  return unmatched.length > 0
    ? `each published row is set beside the point at its own value; no point ran at ${unmatched.join(", ")}`
    : "each published row is set beside the point at its own value";
}

/**
 * A sweep's scenario result: every point, the summary, and the peak point's figures and verdict
 * as the scenario's own (the verdict says at which value, and which points fell past it); pure.
 * With no point measured, `unmeasured`.
 */
export function assembleSweep(
  scenario: ResolvedScenario & { sweep: ResolvedSweep },
  outcomes: readonly SweepPointOutcome[],
  status: ScenarioResult["status"],
  unmeasured: ScenarioResult,
): ScenarioResult {
  const metric = sweepMetric(scenario);
  const points = outcomes.map((o) => pointOf(scenario.sweep.parameter, o));
  const sweep = summarizeSweep(scenario.sweep, metric, points);
  const peakOutcome = outcomes.find((o) => o.value === sweep.peak?.value);
  const base = peakOutcome?.built ?? outcomes.at(-1)?.built ?? unmeasured;
  const words = PARAMETER_WORDS[scenario.sweep.parameter];
  const fell =
    sweep.pastPeak.length > 0
      ? [`past the peak, throughput fell at ${sweep.pastPeak.map((v) => formatCount(v)).join(", ")} ${words}`]
      : [];
  const peakRow = sweep.published?.rows.find((r) => r.pointValue === peakOutcome?.value);
  const standsFor =
    peakRow && peakRow.value !== peakRow.pointValue
      ? `, standing for the published ${sweep.published?.label} ${peakRow.label}`
      : "";
  const verdict = peakOutcome
    ? {
        ...base.verdict,
        text: `at ${formatCount(peakOutcome.value)} ${words} (the sweep's peak${standsFor}): ${base.verdict.text}`,
        warnings: [...fell, ...base.verdict.warnings],
      }
    : base.verdict;
  return { ...base, config: scenario, status, verdict, points, sweep };
}
