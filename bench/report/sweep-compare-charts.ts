import type { TopLevelSpec } from "vega-lite";
import type { PointResult, ScenarioResult, SweepResult } from "../result/schema.js";
import { CHART_BASE, type ChartSpec } from "./chart-base.js";
import type { ResultSeries } from "./charts.js";
import { publishedMarkers } from "./sweep-charts.js";

/**
 * A scenario several results ran as a sweep, compared on one axis: throughput and the main
 * operation's p99 against the swept value, one series per result. Pure: built from result.json alone.
 */

type Parameter = SweepResult["parameter"];
type Metric = keyof PointResult["throughput"];

const PARAMETER_WORDS: Record<Parameter, string> = {
  connections: "connections per client",
  tableSize: "rows per table",
};

/** Values spanning more than this factor go on a log axis; closer ones read better on a linear one. */
export const LOG_SPAN = 10;

/** Latency is drawn on a log axis, where 0 has no place: a figure below this is drawn at it. */
const LATENCY_FLOOR_MS = 0.001;

/** What a point stands for, as its shape says: a sweep's point or a single run, client-bound or not. */
const POINT_SHAPES = {
  measured: "circle",
  "measured (client-bound)": "cross",
  "single run": "diamond",
  "single run (client-bound)": "triangle-down",
} as const;
type PointKind = keyof typeof POINT_SHAPES;

/** One result's figures at one value of the swept parameter. */
export interface SweepRow {
  result: string;
  value: number;
  throughputPerSec: number;
  /** The main operation's p99; null when that operation has no sample there. */
  p99Ms: number | null;
  point: PointKind;
}

/** The charts of a scenario's sweeps, and the sentences saying which results they leave out or miss. */
export interface SweepComparison {
  charts: ChartSpec[];
  notes: string[];
}

/** One chart's worth: the results set on the parameter's axis, and why others are not. */
export interface SweepGroup {
  scenarioId: string;
  parameter: Parameter;
  metric: Metric;
  /** The operation whose p99 is compared: txn when any result has it, else the first result's first. */
  op: string | undefined;
  labels: string[];
  rows: SweepRow[];
  published: { sweep: SweepResult; from: string } | undefined;
  notes: string[];
}

/** The points a sweep measured; a point that never reached its measured phase has no figure. */
function measuredPoints(scenario: ScenarioResult): PointResult[] {
  return (scenario.points ?? []).filter((p) => p.measuredMs > 0);
}

function isSweep(scenario: ScenarioResult): boolean {
  return scenario.sweep !== undefined && (scenario.points?.length ?? 0) > 0;
}

/** The parameters at least two results swept the scenario over, in the order first met. */
export function comparedParameters(series: readonly ResultSeries[]): Parameter[] {
  const swept = series.flatMap(({ scenario }) =>
    isSweep(scenario) && scenario.sweep ? [scenario.sweep.parameter] : [],
  );
  return [...new Set(swept)].filter((parameter) => swept.filter((p) => p === parameter).length >= 2);
}

/**
 * The value of the parameter a single run ran at: its connections per client or rows per table, as
 * its resolved scenario (config) has them; null when the result does not record it.
 */
export function singleRunValue(scenario: ScenarioResult, parameter: Parameter): number | null {
  const config = scenario.config as {
    load?: { connectionsPerClient?: unknown };
    dataset?: { tableSize?: unknown };
  } | null;
  const value =
    parameter === "connections"
      ? config?.load?.connectionsPerClient
      : (config?.dataset?.tableSize ?? scenario.dataset?.tableSize);
  return typeof value === "number" && value > 0 ? value : null;
}

/** txn (a whole transaction) when any result timed one; else the first operation the first result timed. */
function mainOp(scenarios: readonly ScenarioResult[]): string | undefined {
  const timed = scenarios.flatMap((scenario) =>
    [...measuredPoints(scenario).map((p) => p.latencyMs), scenario.latencyMs].flatMap((latency) =>
      Object.entries(latency).filter(([, summary]) => summary.count > 0),
    ),
  );
  return timed.some(([op]) => op === "txn") ? "txn" : timed[0]?.[0];
}

function p99Of(latency: PointResult["latencyMs"], op: string | undefined): number | null {
  const summary = op ? latency[op] : undefined;
  return summary && summary.count > 0 ? summary.p99 : null;
}

function kindOf(single: boolean, clientBound: boolean | undefined): PointKind {
  if (single) return clientBound ? "single run (client-bound)" : "single run";
  return clientBound ? "measured (client-bound)" : "measured";
}

/** A sweep's rows: one per point measured. */
function sweepRows(
  label: string,
  scenario: ScenarioResult,
  metric: Metric,
  op: string | undefined,
): SweepRow[] {
  return measuredPoints(scenario).map((p) => ({
    result: label,
    value: p.value,
    throughputPerSec: p.throughput[metric],
    p99Ms: p99Of(p.latencyMs, op),
    point: kindOf(false, p.generator?.clientBound),
  }));
}

/**
 * A single run's row. It is drawn as a lone point at the value it ran at, not as a horizontal rule:
 * throughput and latency move with the swept parameter, and a rule across the axis would say the
 * result held its figure at values it never ran.
 */
function singleRunRow(
  label: string,
  scenario: ScenarioResult,
  value: number,
  metric: Metric,
  op: string | undefined,
): SweepRow {
  return {
    result: label,
    value,
    throughputPerSec: scenario.throughput[metric],
    p99Ms: p99Of(scenario.latencyMs, op),
    point: kindOf(true, scenario.generator?.clientBound),
  };
}

/**
 * The published table drawn once: the first result's that matched its rows by value (like for
 * like), else the first result's that has one in the compared metric.
 */
function publishedOf(
  members: readonly ResultSeries[],
  metric: Metric,
): { sweep: SweepResult; from: string } | undefined {
  const candidates = members.flatMap(({ label, scenario }) =>
    scenario.sweep?.published?.metric === metric ? [{ sweep: scenario.sweep, from: label }] : [],
  );
  return candidates.find((c) => c.sweep.published?.matchedBy === "value") ?? candidates[0];
}

/** Splits the results into those drawn on the parameter's axis and notes on the ones that are not. */
export function sweepGroup(
  scenarioId: string,
  parameter: Parameter,
  series: readonly ResultSeries[],
): SweepGroup {
  const notes: string[] = [];
  const members: { label: string; scenario: ScenarioResult; single: number | null }[] = [];
  for (const { label, scenario } of series) {
    const other = isSweep(scenario) ? scenario.sweep?.parameter : undefined;
    if (other !== undefined && other !== parameter) {
      notes.push(`${label}: left out, it swept ${PARAMETER_WORDS[other]}`);
    } else if (other !== undefined && measuredPoints(scenario).length === 0) {
      notes.push(`${label}: left out, no point of its sweep was measured`);
    } else if (other !== undefined) {
      members.push({ label, scenario, single: null });
    } else if (scenario.measuredMs <= 0) {
      notes.push(`${label}: left out, its single run was not measured`);
    } else {
      const value = singleRunValue(scenario, parameter);
      if (value === null)
        notes.push(`${label}: left out, its single run does not record its ${PARAMETER_WORDS[parameter]}`);
      else members.push({ label, scenario, single: value });
    }
  }
  const firstSweep = members.find((m) => m.single === null)?.scenario.sweep;
  const metric = (firstSweep?.metric ?? "txnPerSec") as Metric;
  const op = mainOp(members.map((m) => m.scenario));
  const rows = members.flatMap(({ label, scenario, single }) =>
    single === null
      ? sweepRows(label, scenario, metric, op)
      : [singleRunRow(label, scenario, single, metric, op)],
  );
  for (const { label } of members) {
    if (op && rows.every((r) => r.result !== label || r.p99Ms === null))
      notes.push(`${label}: no ${op} latency`);
  }
  return {
    scenarioId,
    parameter,
    metric,
    op,
    labels: members.map((m) => m.label),
    rows,
    published: publishedOf(members, metric),
    notes,
  };
}

/** Whether values spread over more than LOG_SPAN (all positive, as a log axis needs). */
export function spansLogAxis(values: readonly number[]): boolean {
  if (values.length === 0 || values.some((v) => v <= 0)) return false;
  return Math.max(...values) / Math.min(...values) > LOG_SPAN;
}

/** The x encoding both charts of a group share: the swept value, log when the values span the factor. */
function xAxis(group: SweepGroup, markerValues: readonly number[]) {
  const log = spansLogAxis([...group.rows.map((r) => r.value), ...markerValues]);
  return {
    field: "value",
    type: "quantitative",
    scale: log ? { type: "log" } : { zero: false },
    title: `${PARAMETER_WORDS[group.parameter]}${log ? " (log)" : ""}`,
  } as const;
}

/**
 * Colours for the results: Vega's category10 without its orange and green, which the published
 * Aurora and MySQL markers wear (as in a single result's sweep chart).
 */
const RESULT_COLOURS = [
  "#1f77b4",
  "#9467bd",
  "#d62728",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** Colour per result, in the order given, the same in both charts of a group. */
function resultColour(group: SweepGroup) {
  return {
    field: "result",
    type: "nominal",
    title: null,
    sort: null,
    scale: { domain: group.labels, range: RESULT_COLOURS },
  } as const;
}

/** Shape per kind of point, only those present, so the legend names nothing the chart lacks. */
function pointShape(rows: readonly SweepRow[]) {
  const kinds = (Object.keys(POINT_SHAPES) as PointKind[]).filter((k) => rows.some((r) => r.point === k));
  return {
    field: "point",
    type: "nominal",
    title: null,
    scale: { domain: kinds, range: kinds.map((k) => POINT_SHAPES[k]) },
  } as const;
}

/** The lines (sweeps only: a single run has nothing to join) and every point over them. */
function resultLayers(group: SweepGroup, rows: readonly SweepRow[], y: Record<string, unknown>, x: object) {
  const lineRows = rows.filter((r) => r.point === "measured" || r.point === "measured (client-bound)");
  return [
    {
      data: { values: lineRows },
      mark: { type: "line" },
      encoding: { x, y, color: resultColour(group) },
    },
    {
      data: { values: rows },
      mark: { type: "point", size: 90, filled: true },
      encoding: {
        x,
        y,
        color: resultColour(group),
        shape: pointShape(rows),
        tooltip: [{ field: "result" }, { field: "value" }, { field: y.field as string }, { field: "point" }],
      },
    },
  ];
}

/** What the shapes mean, naming only what the chart shows. */
function shapeWords(rows: readonly SweepRow[]): string {
  const words = ["one line per result"];
  if (rows.some((r) => r.point.endsWith("(client-bound)"))) {
    words.push(
      "client-bound points (more of the client than of the server): crosses, a single run's a downward triangle",
    );
  }
  if (rows.some((r) => r.point.startsWith("single run"))) {
    words.push("a result that ran the scenario once: a lone point at its own value");
  }
  return words.join("; ");
}

function publishedWords(published: NonNullable<SweepGroup["published"]>): string {
  const byPosition = published.sweep.published?.matchedBy === "position";
  return `triangles and squares: the published Aurora and MySQL figures${byPosition ? `, each at the --quick point standing for its row in ${published.from} (matched by position)` : ""}`;
}

function noteLines(notes: readonly string[]): string[] {
  return notes.length > 0 ? [notes.join("; ")] : [];
}

function chartName(kind: "throughput" | "latency", group: SweepGroup): string {
  return `compare-sweep-${kind}-${group.scenarioId}-by-${group.parameter}`;
}

/** Throughput against the swept value, a line per result, with the published figures once. */
export function sweepThroughputByResultChart(group: SweepGroup): ChartSpec | undefined {
  if (group.rows.length === 0) return undefined;
  const markers = group.published ? publishedMarkers(group.published.sweep) : [];
  const x = xAxis(
    group,
    markers.map((m) => m.value),
  );
  // A published figure far above every one measured would flatten the curves: y turns log then, as
  // in a single result's sweep chart.
  const highestMeasured = Math.max(...group.rows.map((r) => r.throughputPerSec));
  const logY =
    group.rows.every((r) => r.throughputPerSec > 0) &&
    markers.some((m) => m.throughput > LOG_SPAN * highestMeasured);
  const y = {
    field: "throughputPerSec",
    type: "quantitative",
    title: group.metric,
    ...(logY ? { scale: { type: "log" } } : {}),
  };
  // The results' lines and points share one colour legend; the published markers, drawn beside
  // them, have their own (resolved apart below).
  const layers: object[] = [{ layer: resultLayers(group, group.rows, y, x) }];
  if (markers.length > 0) {
    const series = [...new Set(markers.map((m) => m.series))];
    layers.push({
      data: { values: markers.map((m) => ({ ...m, throughputPerSec: m.throughput })) },
      mark: { type: "point", size: 120, filled: true },
      encoding: {
        x,
        y,
        shape: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { domain: series, range: ["triangle-up", "square"] },
        },
        color: {
          field: "series",
          type: "nominal",
          title: null,
          scale: { domain: series, range: ["#ff7f0e", "#2ca02c"] },
        },
        tooltip: [{ field: "series" }, { field: "row" }, { field: "throughputPerSec" }],
      },
    });
  }
  const title = `${group.scenarioId}: ${group.metric} against ${PARAMETER_WORDS[group.parameter]}, one line per result`;
  return {
    name: chartName("throughput", group),
    title,
    scenarioId: group.scenarioId,
    spec: {
      ...CHART_BASE,
      ...(group.notes.length > 0 ? { description: group.notes.join("; ") } : {}),
      title: {
        text: title,
        subtitle: [
          shapeWords(group.rows),
          ...(group.published && markers.length > 0 ? [publishedWords(group.published)] : []),
          ...noteLines(group.notes),
        ],
      },
      layer: layers,
      // The published markers keep a legend and colours of their own, apart from the results'.
      ...(markers.length > 0 ? { resolve: { scale: { color: "independent", shape: "independent" } } } : {}),
    } as TopLevelSpec,
  };
}

/** The main operation's p99 against the swept value (log latency), a line per result. */
export function sweepLatencyByResultChart(group: SweepGroup): ChartSpec | undefined {
  const rows = group.rows.flatMap((r) =>
    r.p99Ms === null ? [] : [{ ...r, p99Ms: Math.max(r.p99Ms, LATENCY_FLOOR_MS) }],
  );
  if (rows.length === 0 || !group.op) return undefined;
  const markerValues = group.published ? publishedMarkers(group.published.sweep).map((m) => m.value) : [];
  // The x axis is the throughput chart's, decided over the same values, so the two read together.
  const x = xAxis(group, markerValues);
  const y = { field: "p99Ms", type: "quantitative", scale: { type: "log" }, title: `${group.op} p99 (ms)` };
  const title = `${group.scenarioId}: ${group.op} p99 against ${PARAMETER_WORDS[group.parameter]}, one line per result`;
  return {
    name: chartName("latency", group),
    title,
    scenarioId: group.scenarioId,
    spec: {
      ...CHART_BASE,
      ...(group.notes.length > 0 ? { description: group.notes.join("; ") } : {}),
      title: { text: title, subtitle: [shapeWords(rows), ...noteLines(group.notes)] },
      layer: resultLayers(group, rows, y, x),
    } as TopLevelSpec,
  };
}

/**
 * Per parameter that at least two results swept the scenario over: throughput and p99 latency
 * against it, one series per result. A result that swept another parameter is left out of that
 * chart and named in the notes (and in the chart's subtitle and description).
 */
export function sweepComparisonCharts(scenarioId: string, series: readonly ResultSeries[]): SweepComparison {
  const charts: ChartSpec[] = [];
  const notes: string[] = [];
  for (const parameter of comparedParameters(series)) {
    const group = sweepGroup(scenarioId, parameter, series);
    for (const chart of [sweepThroughputByResultChart(group), sweepLatencyByResultChart(group)]) {
      if (chart) charts.push(chart);
    }
    notes.push(...group.notes.map((note) => `${scenarioId} against ${PARAMETER_WORDS[parameter]}: ${note}`));
  }
  return { charts, notes };
}
