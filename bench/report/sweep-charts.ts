import { uslThroughput } from "../metrics/usl.js";
import type { PointResult, ScenarioResult } from "../result/schema.js";
import { CHART_BASE, type ChartSpec } from "./chart-base.js";

const PARAMETER_TITLES: Record<PointResult["parameter"], string> = {
  connections: "connections per client (log)",
  tableSize: "rows per table (log)",
};

/** Points of the law's curve between the sweep's ends, evenly spaced on the log axis. */
const CURVE_POINTS = 60;

/** A claim this many times the highest point measured puts throughput on a log axis. */
const LOG_Y_ABOVE = 10;

/** Below this R² the law is said not to describe the points (noise, or a client-bound sweep). */
export const POOR_FIT_R_SQUARED = 0.9;

/** The fit in a few words, for a chart's subtitle or a report line. */
export function uslWords(fit: NonNullable<ScenarioResult["sweep"]>["usl"] & object): string {
  const held = (name: "sigma" | "kappa") => (fit.constrained.includes(name) ? " (held at 0)" : "");
  const kappa = fit.kappa === 0 ? "0" : fit.kappa.toExponential(2);
  const peak =
    fit.peakConcurrency !== null ? `, peak at ${Math.round(fit.peakConcurrency)} connections` : ", no peak";
  const poor =
    fit.rSquared < POOR_FIT_R_SQUARED ? ": a poor fit, the law does not describe these points" : "";
  return `USL sigma ${fit.sigma.toFixed(3)}${held("sigma")}, kappa ${kappa}${held("kappa")}, R² ${fit.rSquared.toFixed(2)}${peak}${poor}`;
}

/** The claim's own figure at the claim's value of the swept parameter, where the claim names one. */
function claimedPoint(
  scenario: ScenarioResult,
  parameter: PointResult["parameter"],
): { value: number; y: number } | null {
  const claim = scenario.claim;
  if (!claim?.method) return null;
  const value = parameter === "connections" ? claim.method.connectionsPerClient : claim.method.tableSize;
  return { value, y: claim.value };
}

const PUBLISHED_SERIES = ["Aurora (published)", "MySQL (published)"] as const;

type PublishedRowResult = NonNullable<NonNullable<ScenarioResult["sweep"]>["published"]>["rows"][number];

/** The published row a point stands for, if any. */
export function publishedRowAt(
  sweep: NonNullable<ScenarioResult["sweep"]>,
  value: number,
): PublishedRowResult | undefined {
  return sweep.published?.rows.find((row) => row.pointValue === value);
}

/** measured / published as a percentage of three significant figures; "-" without a figure. */
export function percentOfPublished(ratio: number | null): string {
  if (ratio === null) return "-";
  const pct = ratio * 100;
  return `${pct >= 1000 ? Math.round(pct).toLocaleString("en-US") : pct.toPrecision(3)}%`;
}

/**
 * The cells a sweep table adds for a published table, per point: the row it stands for, Aurora's
 * figure, the point as a share of it, MySQL's, the point as a share of it. Empty without one.
 */
export function publishedCells(sweep: NonNullable<ScenarioResult["sweep"]>, value: number): string[] {
  if (!sweep.published) return [];
  const row = publishedRowAt(sweep, value);
  if (!row) return ["-", "-", "-", "-", "-"];
  const figure = (v: number) => Math.round(v).toLocaleString("en-US");
  return [
    row.label,
    figure(row.aurora),
    percentOfPublished(row.ofAurora),
    figure(row.mysql),
    percentOfPublished(row.ofMysql),
  ];
}

/** The heads of publishedCells' columns. */
export function publishedHeads(sweep: NonNullable<ScenarioResult["sweep"]>): string[] {
  const published = sweep.published;
  if (!published) return [];
  return [`published ${published.label}`, "Aurora", "of Aurora", "MySQL", "of MySQL"];
}

/** A marker per published figure, at the point standing for its row; none for a row no point stands for. */
export function publishedMarkers(
  sweep: NonNullable<ScenarioResult["sweep"]>,
): { value: number; throughput: number; series: string; row: string }[] {
  const published = sweep.published;
  if (!published) return [];
  return published.rows.flatMap((row) => {
    if (row.pointValue === null) return [];
    const at = `${published.label} ${row.label}`;
    return [
      { value: row.pointValue, throughput: row.aurora, series: PUBLISHED_SERIES[0], row: at },
      { value: row.pointValue, throughput: row.mysql, series: PUBLISHED_SERIES[1], row: at },
    ];
  });
}

function pointsOf(scenario: ScenarioResult): PointResult[] {
  return (scenario.points ?? []).filter((p) => p.measuredMs > 0);
}

/**
 * Throughput against the swept value (log x): the points measured (client-bound ones marked, as
 * they say more of the client than of the server), the Universal Scalability Law fitted to them,
 * and the claim's own figure where it has one on this axis.
 */
export function sweepThroughputChart(scenario: ScenarioResult): ChartSpec | undefined {
  const sweep = scenario.sweep;
  const points = pointsOf(scenario);
  if (!sweep || points.length === 0) return undefined;
  const metric = sweep.metric as keyof PointResult["throughput"];
  const measured = points.map((p) => ({
    value: p.value,
    throughput: p.throughput[metric],
    series: p.generator?.clientBound ? "measured (client-bound)" : "measured",
  }));
  const layers: NonNullable<Extract<ChartSpec["spec"], { layer: unknown }>["layer"]> = [
    {
      data: { values: measured },
      mark: { type: "line", point: { size: 70, filled: true } },
      encoding: {
        x: {
          field: "value",
          type: "quantitative",
          scale: { type: "log" },
          title: PARAMETER_TITLES[sweep.parameter],
        },
        y: { field: "throughput", type: "quantitative", title: sweep.metric },
        color: { value: "#1f77b4" },
      },
    },
    {
      data: { values: measured },
      mark: { type: "point", size: 90, filled: true },
      encoding: {
        x: { field: "value", type: "quantitative", scale: { type: "log" } },
        y: { field: "throughput", type: "quantitative" },
        shape: { field: "series", type: "nominal", title: null },
        color: { field: "series", type: "nominal", title: null, scale: { range: ["#1f77b4", "#d62728"] } },
      },
    },
  ];
  const fit = sweep.usl;
  if (fit && points.length > 0) {
    // The fit is against connections opened (all clients): the axis is per client.
    const first = points[0] as PointResult;
    const perValue = first.connections / first.value;
    const lo = Math.log(Math.min(...points.map((p) => p.value)));
    const hi = Math.log(Math.max(...points.map((p) => p.value)));
    const curve = Array.from({ length: CURVE_POINTS }, (_, i) => {
      const value = Math.exp(lo + ((hi - lo) * i) / (CURVE_POINTS - 1));
      return { value, throughput: uslThroughput(fit, value * perValue) };
    });
    layers.push({
      data: { values: curve },
      mark: { type: "line", strokeDash: [6, 4], color: "#7f7f7f" },
      encoding: {
        x: { field: "value", type: "quantitative", scale: { type: "log" } },
        y: { field: "throughput", type: "quantitative" },
      },
    });
  }
  // Published figures (a paper's table) stand at the points measured for their rows; they replace
  // the claim's own point, which is one of them.
  const published = publishedMarkers(sweep);
  if (published.length > 0) {
    layers.push({
      data: { values: published },
      mark: { type: "point", size: 120, filled: true },
      encoding: {
        x: { field: "value", type: "quantitative", scale: { type: "log" } },
        y: { field: "throughput", type: "quantitative" },
        shape: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { domain: [...PUBLISHED_SERIES], range: ["triangle-up", "square"] },
        },
        color: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { domain: [...PUBLISHED_SERIES], range: ["#ff7f0e", "#2ca02c"] },
        },
        tooltip: [{ field: "series" }, { field: "row" }, { field: "throughput" }],
      },
    });
  }
  const claimed = published.length > 0 ? null : claimedPoint(scenario, sweep.parameter);
  if (claimed) {
    layers.push({
      data: {
        values: [{ value: claimed.value, throughput: claimed.y, label: `claim ${scenario.claim?.id}` }],
      },
      mark: { type: "point", shape: "diamond", size: 140, filled: true, color: "#ff7f0e" },
      encoding: {
        x: { field: "value", type: "quantitative", scale: { type: "log" } },
        y: { field: "throughput", type: "quantitative" },
        tooltip: [{ field: "label" }, { field: "throughput" }],
      },
    });
  }
  const fitText = fit ? `; ${uslWords(fit)} (dashed)` : "";
  // A claim far above what was measured would flatten the measured curve: the axis turns log then.
  const highest = Math.max(...measured.map((p) => p.throughput));
  const highestOther = Math.max(claimed?.y ?? 0, ...published.map((p) => p.throughput));
  if (highestOther > LOG_Y_ABOVE * highest) {
    for (const layer of layers) {
      const y = (layer as { encoding?: { y?: Record<string, unknown> } }).encoding?.y;
      if (y) y.scale = { type: "log" };
    }
  }
  return {
    name: `sweep-throughput-${scenario.id}`,
    title: `${scenario.id}: ${sweep.metric} against ${sweep.parameter}`,
    scenarioId: scenario.id,
    spec: {
      ...CHART_BASE,
      title: {
        text: `${scenario.id}: ${sweep.metric} against ${sweep.parameter}`,
        // A line of its own for the published figures: the subtitle is long enough with the fit.
        subtitle:
          published.length > 0
            ? [
                `measured points${fitText}`,
                `triangles and squares: the published Aurora and MySQL figures${sweep.published?.matchedBy === "position" ? ", each at the --quick point standing for its row (matched by position)" : ""}`,
              ]
            : `measured points${fitText}; diamond: the claim`,
      },
      layer: layers,
      // The measured points and the published markers keep legends and colours of their own.
      ...(published.length > 0 ? { resolve: { scale: { color: "independent", shape: "independent" } } } : {}),
    },
  };
}

/** p99 latency of a transaction (or of the one statement) against the swept value, both axes log. */
export function sweepLatencyChart(scenario: ScenarioResult): ChartSpec | undefined {
  const sweep = scenario.sweep;
  const points = pointsOf(scenario);
  if (!sweep || points.length === 0) return undefined;
  const rows = points.flatMap((p) => {
    const op = p.latencyMs.txn ? "txn" : Object.keys(p.latencyMs)[0];
    const summary = op ? p.latencyMs[op] : undefined;
    if (!op || !summary || summary.count === 0) return [];
    return [
      { value: p.value, latencyMs: Math.max(summary.p50, 0.001), series: `${op} p50` },
      { value: p.value, latencyMs: Math.max(summary.p99, 0.001), series: `${op} p99` },
    ];
  });
  if (rows.length === 0) return undefined;
  return {
    name: `sweep-latency-${scenario.id}`,
    title: `${scenario.id}: latency against ${sweep.parameter}`,
    scenarioId: scenario.id,
    spec: {
      ...CHART_BASE,
      title: `${scenario.id}: latency against ${sweep.parameter}`,
      data: { values: rows },
      mark: { type: "line", point: true },
      encoding: {
        x: {
          field: "value",
          type: "quantitative",
          scale: { type: "log" },
          title: PARAMETER_TITLES[sweep.parameter],
        },
        y: { field: "latencyMs", type: "quantitative", scale: { type: "log" }, title: "latency (ms)" },
        color: { field: "series", type: "nominal", title: null },
      },
    },
  };
}
