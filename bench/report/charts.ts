import type { TopLevelSpec } from "vega-lite";
import { decodeHistogram } from "../metrics/histogram.js";
import { isBaselineClaim, subjectName } from "../result/lag-verdict.js";
import type { Result, ScenarioResult } from "../result/schema.js";
import { CHART_BASE as base, type ChartSpec } from "./chart-base.js";
import { serverTimelineChart } from "./server-charts.js";
import { sweepLatencyChart, sweepThroughputChart } from "./sweep-charts.js";
import { sweepComparisonCharts } from "./sweep-compare-charts.js";
import { eventLayers, timelineEvents } from "./timeline-events.js";

export type { ChartSpec } from "./chart-base.js";
export { timelineEvents } from "./timeline-events.js";

/**
 * The report's charts as Vega-Lite specifications, built from result.json alone (pure: nothing is
 * measured again). Rendering them to SVG and PNG is render-charts.ts's job.
 */

/** Percentiles of the latency spectrum, as HdrHistogram plots it: 50% to 99.99%. */
export const SPECTRUM_PERCENTILES = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99] as const;

/** Reads, writes and transactions per second over the measured phase, with its events marked. */
export function throughputChart(scenario: ScenarioResult): ChartSpec | undefined {
  const rows = scenario.intervals.flatMap((interval) => [
    { second: interval.t, metric: "reads/s", value: interval.readsPerSec },
    { second: interval.t, metric: "writes/s", value: interval.writesPerSec },
    { second: interval.t, metric: "txn/s", value: interval.txnPerSec },
  ]);
  const shown = rows.filter((row) => scenario.intervals.some((i) => metricValue(i, row.metric) > 0));
  if (shown.length === 0) return undefined;
  const events = timelineEvents(scenario);
  const line = {
    data: { values: shown },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "second", type: "quantitative", title: "second of the measured phase" },
      y: { field: "value", type: "quantitative", title: "per second" },
      color: { field: "metric", type: "nominal", title: null },
    },
  } as const;
  return {
    name: `throughput-${scenario.id}`,
    title: `${scenario.id}: throughput per second`,
    scenarioId: scenario.id,
    spec: {
      ...base,
      title: `${scenario.id}: throughput per second (measured phase)`,
      ...(events.length === 0
        ? line
        : {
            layer: [...eventLayers(events), line],
            resolve: { scale: { color: "independent" } },
          }),
    } as TopLevelSpec,
  };
}

/**
 * Each crash's transactions per second at the commit timeline's resolution, aligned on the crash
 * (x = 0), so a warm and a cold restart can be compared at a glance.
 */
export function crashTimelineChart(scenario: ScenarioResult): ChartSpec | undefined {
  const rows: { crash: string; secondsFromCrash: number; txnPerSec: number }[] = [];
  for (const crash of scenario.crashes ?? []) {
    const perSecond = 1000 / crash.tickMs;
    crash.commitsPerTick.forEach((commits, i) => {
      rows.push({
        crash: `${crash.cache} (${crash.method})`,
        secondsFromCrash: (i * crash.tickMs - crash.atMs) / 1000,
        txnPerSec: commits * perSecond,
      });
    });
  }
  if (rows.length === 0) return undefined;
  return {
    name: `crash-timeline-${scenario.id}`,
    title: `${scenario.id}: transactions per second around each crash`,
    scenarioId: scenario.id,
    spec: {
      ...base,
      title: `${scenario.id}: txn/s around each crash (${scenario.crashes?.[0]?.tickMs ?? 100} ms steps; crash at 0)`,
      layer: [
        {
          data: { values: rows },
          mark: { type: "line", interpolate: "step-after" },
          encoding: {
            x: { field: "secondsFromCrash", type: "quantitative", title: "seconds from the crash" },
            y: { field: "txnPerSec", type: "quantitative", title: "transactions per second" },
            color: { field: "crash", type: "nominal", title: "crash" },
          },
        },
        {
          data: { values: [{ x: 0 }] },
          mark: { type: "rule", strokeDash: [4, 4], color: "#d62728" },
          encoding: { x: { field: "x", type: "quantitative" } },
        },
      ],
    },
  };
}

function metricValue(interval: ScenarioResult["intervals"][number], metric: string): number {
  if (metric === "reads/s") return interval.readsPerSec;
  if (metric === "writes/s") return interval.writesPerSec;
  return interval.txnPerSec;
}

/** Latency at each percentile of the spectrum, per operation, from the merged histograms. */
export function spectrumRows(
  histograms: Record<string, string>,
): { op: string; percentile: number; latencyMs: number }[] {
  const rows: { op: string; percentile: number; latencyMs: number }[] = [];
  for (const [op, encoded] of Object.entries(histograms)) {
    const histogram = decodeHistogram(encoded);
    if (histogram.totalCount === 0) continue;
    for (const percentile of SPECTRUM_PERCENTILES) {
      rows.push({ op, percentile, latencyMs: histogram.getValueAtPercentile(percentile) / 1000 });
    }
  }
  return rows;
}

/** The latency percentile spectrum, p50 to p99.99 on a log scale, one line per operation. */
export function spectrumChart(scenario: ScenarioResult): ChartSpec | undefined {
  const histograms = scenario.steps?.length
    ? histogramsOfLastStep(scenario)
    : Object.fromEntries(Object.entries(scenario.histograms).filter(([op]) => op !== "lateness"));
  const rows = spectrumRows(histograms).map((row) => ({
    ...row,
    // Plotted against 1 / (1 - q): each "nine" gets the same width, as HdrHistogram's plots do.
    nines: 1 / (1 - row.percentile / 100),
    label: `p${row.percentile}`,
  }));
  if (rows.length === 0) return undefined;
  return {
    name: `latency-${scenario.id}`,
    title: `${scenario.id}: latency by percentile`,
    scenarioId: scenario.id,
    spec: {
      ...base,
      title: `${scenario.id}: latency by percentile${scenario.steps?.length ? " (last step; intended = from the scheduled start)" : ""}`,
      data: { values: rows },
      mark: { type: "line", point: true },
      encoding: {
        x: {
          field: "nines",
          type: "quantitative",
          scale: { type: "log" },
          title: "percentile",
          axis: {
            values: [2, 10, 100, 1000, 10000],
            labelExpr:
              "datum.value == 2 ? 'p50' : datum.value == 10 ? 'p90' : datum.value == 100 ? 'p99' : datum.value == 1000 ? 'p99.9' : 'p99.99'",
          },
        },
        y: { field: "latencyMs", type: "quantitative", scale: { type: "log" }, title: "latency (ms)" },
        color: { field: "op", type: "nominal", title: "operation" },
        tooltip: [{ field: "op" }, { field: "label" }, { field: "latencyMs", format: ".3f" }],
      },
    },
  };
}

function histogramsOfLastStep(scenario: ScenarioResult): Record<string, string> {
  const step = scenario.steps?.at(-1);
  if (!step) return {};
  return Object.fromEntries(Object.entries(step.histograms).filter(([op]) => op !== "lateness"));
}

/** Lag per second of each step and replica: p50 and p99 of the heartbeats acknowledged in that second. */
export function lagPerSecondChart(scenario: ScenarioResult): ChartSpec | undefined {
  const rows: { step: string; replica: string; second: number; statistic: string; lagMs: number }[] = [];
  for (const step of scenario.steps ?? []) {
    for (const replica of step.lag?.replicas ?? []) {
      for (const second of replica.perSecond) {
        const common = { step: `${step.targetRatePerSec}/s`, replica: replica.name, second: second.second };
        rows.push({ ...common, statistic: "p50", lagMs: Math.max(second.p50Ms, 0.001) });
        rows.push({ ...common, statistic: "p99", lagMs: Math.max(second.p99Ms, 0.001) });
      }
    }
  }
  if (rows.length === 0) return undefined;
  return {
    name: `lag-per-second-${scenario.id}`,
    title: `${scenario.id}: replica lag per second`,
    scenarioId: scenario.id,
    spec: {
      ...base,
      title: `${scenario.id}: replica lag per second, by step`,
      data: { values: rows },
      mark: { type: "line" },
      encoding: {
        x: { field: "second", type: "quantitative", title: "second of the step" },
        y: { field: "lagMs", type: "quantitative", scale: { type: "log" }, title: "lag (ms)" },
        color: { field: "step", type: "nominal", title: "step" },
        strokeDash: { field: "statistic", type: "nominal", title: null },
        detail: { field: "replica", type: "nominal" },
      },
    },
  };
}

/** Lag against update rate, the worst replica's p50 and p99 per step, with the claimed points marked. */
export function lagByRateChart(scenario: ScenarioResult): ChartSpec | undefined {
  const measured: { ratePerSec: number; lagMs: number; series: string }[] = [];
  for (const step of scenario.steps ?? []) {
    const summaries = Object.values(step.lagMs);
    for (const statistic of ["p50", "p99"] as const) {
      const values = summaries.map((s) => s[statistic]).filter((v): v is number => v !== null);
      if (values.length === 0) continue;
      measured.push({
        ratePerSec: step.achievedRatePerSec,
        lagMs: Math.max(...values, 0.001),
        series: `measured ${statistic} (worst replica)`,
      });
    }
  }
  const claimed = (scenario.claims ?? [])
    .filter((claim) => claim.ratePerSec !== null)
    .map((claim) => ({
      ratePerSec: claim.ratePerSec as number,
      lagMs: claim.value,
      series: claim.system === "mysql" ? "claimed: MySQL 5.6" : "claimed: Aurora",
      claim: claim.id,
    }));
  if (measured.length === 0) return undefined;
  return {
    name: `lag-by-rate-${scenario.id}`,
    title: `${scenario.id}: lag against update rate`,
    scenarioId: scenario.id,
    spec: {
      ...base,
      title: `${scenario.id}: replica lag against update rate (x: achieved rate)`,
      layer: [
        {
          data: { values: measured },
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "ratePerSec", type: "quantitative", title: "updates per second" },
            y: { field: "lagMs", type: "quantitative", scale: { type: "log" }, title: "lag (ms)" },
            color: { field: "series", type: "nominal", title: null },
          },
        },
        {
          data: { values: claimed },
          mark: { type: "point", shape: "diamond", size: 120, filled: true },
          encoding: {
            x: { field: "ratePerSec", type: "quantitative" },
            y: { field: "lagMs", type: "quantitative", scale: { type: "log" } },
            color: { field: "series", type: "nominal", title: null },
            tooltip: [{ field: "claim" }, { field: "lagMs" }],
          },
        },
      ],
    },
  };
}

/** How the claims chart names a figure about Aurora, the system the claims are about. */
export const OWN_CLAIM = "Aurora's claim";

/** How the claims chart names a baseline figure: "baseline (AWS's MySQL 5.6)". */
export const baselineLabel = (system: string) => `baseline (AWS's ${subjectName(system)})`;

/**
 * Each claim's measured figure as a share of the claimed one (log scale), with 100% marked. A
 * baseline claim (a figure about the MySQL 5.6 AWS compared Aurora with) has a mark of its own shape
 * and its own legend entry: the target is set beside it, it does not have to meet it.
 */
export function claimsChart(result: Result): ChartSpec | undefined {
  const rows: { claim: string; percentOfClaim: number; outcome: string; figure: string }[] = [];
  for (const scenario of result.scenarios) {
    if (scenario.claims) {
      for (const claim of scenario.claims) {
        if (claim.verdict.ratioToClaim === null) continue;
        rows.push({
          claim: `${claim.id} (lag)`,
          percentOfClaim: claim.verdict.ratioToClaim * 100,
          outcome: claim.verdict.outcome,
          figure: isBaselineClaim(claim) ? baselineLabel(claim.system) : OWN_CLAIM,
        });
      }
    } else if (scenario.crashes?.some((crash) => crash.claims.length > 0)) {
      for (const crash of scenario.crashes) {
        for (const claim of crash.claims) {
          if (claim.verdict.ratioToClaim === null) continue;
          rows.push({
            claim: `${claim.id} (${crash.cache} crash)`,
            percentOfClaim: Math.max(claim.verdict.ratioToClaim * 100, 0.01),
            outcome: claim.verdict.outcome,
            figure: OWN_CLAIM,
          });
        }
      }
    } else if (scenario.verdict.ratioToClaim !== null) {
      rows.push({
        claim: scenario.claim?.id ?? scenario.id,
        percentOfClaim: scenario.verdict.ratioToClaim * 100,
        outcome: scenario.verdict.outcome,
        figure: OWN_CLAIM,
      });
    }
  }
  if (rows.length === 0) return undefined;
  // Circles for Aurora's claims, triangles for each baseline, in that order in the legend.
  const figures = [...new Set(rows.map((r) => r.figure))].sort(
    (a, b) => Number(a !== OWN_CLAIM) - Number(b !== OWN_CLAIM) || a.localeCompare(b),
  );
  const shapes = ["circle", "triangle-up", "diamond", "square"];
  const baselines = figures.length > 1 || figures[0] !== OWN_CLAIM;
  return {
    name: "claims",
    title: "Measured as a share of each claim",
    spec: {
      ...base,
      title: `Measured as a share of each claim (throughput: higher is better; lag, downtime: lower is better${baselines ? "; a baseline is not a bound" : ""})`,
      layer: [
        {
          data: { values: rows },
          // Points, not bars: a bar on a log scale has no zero to start from.
          mark: { type: "point", filled: true, size: 140 },
          encoding: {
            y: { field: "claim", type: "nominal", title: null, sort: null },
            x: {
              field: "percentOfClaim",
              type: "quantitative",
              scale: { type: "log" },
              title: "% of the claimed figure",
            },
            color: { field: "outcome", type: "nominal", title: "verdict" },
            shape: {
              field: "figure",
              type: "nominal",
              title: "figure about",
              scale: { domain: figures, range: figures.map((_, i) => shapes[i % shapes.length] as string) },
            },
          },
        },
        {
          data: { values: [{ x: 100 }] },
          mark: { type: "rule", strokeDash: [4, 4] },
          encoding: { x: { field: "x", type: "quantitative" } },
        },
      ],
    },
  };
}

/** Every chart the report shows for this result, in report order. */
export function chartsFor(result: Result): ChartSpec[] {
  const charts: (ChartSpec | undefined)[] = [claimsChart(result)];
  for (const scenario of result.scenarios) {
    if (scenario.steps?.length) {
      charts.push(lagByRateChart(scenario), lagPerSecondChart(scenario), spectrumChart(scenario));
    } else if (scenario.crashes?.length) {
      charts.push(crashTimelineChart(scenario), throughputChart(scenario), spectrumChart(scenario));
    } else if (scenario.points?.length) {
      charts.push(sweepThroughputChart(scenario), sweepLatencyChart(scenario), spectrumChart(scenario));
    } else {
      charts.push(throughputChart(scenario), spectrumChart(scenario));
    }
    charts.push(serverTimelineChart(scenario));
  }
  return charts.filter((chart): chart is ChartSpec => chart !== undefined);
}

// --- Comparison charts: one series per result ------------------------------------------------------

/** One result's run of a scenario, as a series of a comparison chart ("a: mysql.json (mysql 8.0.36)"). */
export interface ResultSeries {
  label: string;
  scenario: ScenarioResult;
}

const RATE_FIELDS = {
  writesPerSec: "writes/s",
  readsPerSec: "reads/s",
  txnPerSec: "txn/s",
} as const;

/**
 * The rate a comparison plots for a scenario: its claim's (or measured) metric; else the only one of
 * writes and reads that any series has; else transactions, when any; else writes.
 */
function comparedRate(series: readonly ResultSeries[]): keyof typeof RATE_FIELDS {
  for (const { scenario } of series) {
    const metric = scenario.claim?.metric ?? scenario.measured?.metric;
    if (metric && metric in RATE_FIELDS) return metric as keyof typeof RATE_FIELDS;
  }
  const any = (field: keyof typeof RATE_FIELDS) =>
    series.some(({ scenario }) => scenario.intervals.some((i) => i[field] > 0));
  if (any("writesPerSec") !== any("readsPerSec")) return any("writesPerSec") ? "writesPerSec" : "readsPerSec";
  return any("txnPerSec") ? "txnPerSec" : "writesPerSec";
}

/** A scenario's throughput per second over the measured phase, one line per result. */
export function throughputByResultChart(
  scenarioId: string,
  series: readonly ResultSeries[],
): ChartSpec | undefined {
  const field = comparedRate(series);
  const rows = series.flatMap(({ label, scenario }) =>
    scenario.intervals.map((interval) => ({ second: interval.t, result: label, value: interval[field] })),
  );
  if (rows.length === 0) return undefined;
  return {
    name: `compare-throughput-${scenarioId}`,
    title: `${scenarioId}: ${RATE_FIELDS[field]} per second, one line per result`,
    scenarioId,
    spec: {
      ...base,
      title: `${scenarioId}: ${RATE_FIELDS[field]} per second (measured phase), one line per result`,
      data: { values: rows },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "second", type: "quantitative", title: "second of the measured phase" },
        y: { field: "value", type: "quantitative", title: RATE_FIELDS[field] },
        color: { field: "result", type: "nominal", title: null, sort: null },
        tooltip: [{ field: "result" }, { field: "second" }, { field: "value", format: ",.0f" }],
      },
    },
  };
}

/** Lag against achieved update rate, the worst replica's p50 and p99 per step, one line per result. */
export function lagByResultChart(scenarioId: string, series: readonly ResultSeries[]): ChartSpec | undefined {
  const rows: { ratePerSec: number; lagMs: number; result: string; statistic: string }[] = [];
  for (const { label, scenario } of series) {
    for (const step of scenario.steps ?? []) {
      for (const statistic of ["p50", "p99"] as const) {
        const values = Object.values(step.lagMs)
          .map((s) => s[statistic])
          .filter((v): v is number => v !== null);
        if (values.length === 0) continue;
        rows.push({
          ratePerSec: step.achievedRatePerSec,
          lagMs: Math.max(...values, 0.001),
          result: label,
          statistic: `${statistic} (worst replica)`,
        });
      }
    }
  }
  if (rows.length === 0) return undefined;
  return {
    name: `compare-lag-${scenarioId}`,
    title: `${scenarioId}: lag against update rate, one line per result`,
    scenarioId,
    spec: {
      ...base,
      title: `${scenarioId}: replica lag against update rate (x: achieved rate), one line per result`,
      data: { values: rows },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "ratePerSec", type: "quantitative", title: "updates per second" },
        y: { field: "lagMs", type: "quantitative", scale: { type: "log" }, title: "lag (ms)" },
        color: { field: "result", type: "nominal", title: null, sort: null },
        strokeDash: { field: "statistic", type: "nominal", title: null },
        tooltip: [{ field: "result" }, { field: "statistic" }, { field: "ratePerSec" }, { field: "lagMs" }],
      },
    },
  };
}

/**
 * The charts of a comparison, per scenario any result ran (in the first result's order, then the
 * others'): lag against rate for a fixed-rate scenario, throughput per second otherwise, and for a
 * scenario two or more results swept, throughput and latency against the swept value; each with one
 * series per result that ran it, in the order given.
 */
export function comparisonCharts(results: readonly { label: string; result: Result }[]): ChartSpec[] {
  const ids: string[] = [];
  for (const { result } of results) {
    for (const scenario of result.scenarios) if (!ids.includes(scenario.id)) ids.push(scenario.id);
  }
  const charts = ids.flatMap((id) => {
    const series = results.flatMap(({ label, result }) => {
      const scenario = result.scenarios.find((s) => s.id === id);
      return scenario ? [{ label, scenario }] : [];
    });
    return series.some((s) => s.scenario.steps?.length)
      ? [lagByResultChart(id, series)]
      : [throughputByResultChart(id, series), ...sweepComparisonCharts(id, series).charts];
  });
  return charts.filter((chart): chart is ChartSpec => chart !== undefined);
}
