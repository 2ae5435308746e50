import type { TopLevelSpec } from "vega-lite";
import type { ScenarioResult } from "../result/schema.js";
import { formatCount, formatRate } from "../util/format.js";
import { CHART_BASE, type ChartSpec } from "./chart-base.js";
import { eventLayers, type TimelineEvents, timelineEvents } from "./timeline-events.js";

/**
 * The server's own status per second under the throughput, on one x axis, so a dip in throughput
 * can be read against what the server was doing in the same second (threads piling up, lock waits,
 * a flush storm, the checkpoint age at its limit). Pure: built from result.json's intervals alone.
 */

type Interval = ScenarioResult["intervals"][number];

const BYTES_PER_MIB = 1024 * 1024;

/** One small panel: a figure of SHOW GLOBAL STATUS, by the server's own name, in the unit shown. */
interface ServerPanel {
  name: string;
  kind: "ratesPerSec" | "gauges";
  title: string;
  /** The y axis's title: the unit of the plotted value. */
  unit: string;
  /** What the server's figure is divided by to give `unit` (bytes to MiB). */
  divisor?: number;
}

/** The panels, top to bottom: load on the server, then locks, then writes, then reads and memory. */
export const SERVER_PANELS: readonly ServerPanel[] = [
  { name: "Threads_running", kind: "gauges", title: "threads running (Threads_running)", unit: "threads" },
  {
    name: "Innodb_row_lock_waits",
    kind: "ratesPerSec",
    title: "row lock waits per second (Innodb_row_lock_waits)",
    unit: "waits/s",
  },
  {
    name: "Innodb_row_lock_time",
    kind: "ratesPerSec",
    // Summed over every session: 4,000 ms/s is four sessions waiting the whole second.
    title: "row lock time per second, all sessions (Innodb_row_lock_time)",
    unit: "ms/s",
  },
  {
    name: "Innodb_data_writes",
    kind: "ratesPerSec",
    title: "InnoDB data-file writes per second (Innodb_data_writes)",
    unit: "writes/s",
  },
  {
    name: "Innodb_os_log_written",
    kind: "ratesPerSec",
    title: "redo written per second (Innodb_os_log_written)",
    unit: "MiB/s",
    divisor: BYTES_PER_MIB,
  },
  {
    name: "Innodb_buffer_pool_reads",
    kind: "ratesPerSec",
    title: "buffer pool misses read from disk per second (Innodb_buffer_pool_reads)",
    unit: "reads/s",
  },
  {
    name: "Innodb_buffer_pool_pages_dirty",
    kind: "gauges",
    title: "dirty pages in the buffer pool (Innodb_buffer_pool_pages_dirty)",
    unit: "pages",
  },
  {
    name: "Innodb_checkpoint_age",
    kind: "gauges",
    title: "checkpoint age: redo a crash would replay (Innodb_checkpoint_age)",
    unit: "MiB",
    divisor: BYTES_PER_MIB,
  },
];

const TOP_HEIGHT = 160;
const PANEL_HEIGHT = 60;

/** One row of a panel: null where the second has no server read, so the line breaks there. */
export interface ServerRow {
  second: number;
  figure: string;
  value: number | null;
}

/**
 * The seconds the chart draws and what they are: a rate-steps scenario's last step with server
 * figures (as its latency spectrum shows the last step: each step is a run of its own, and the last
 * is usually the highest rate, where a stall shows; one chart per step would bury the report); a
 * sweep's headline point (the scenario's intervals are its run); otherwise the measured phase.
 */
function secondsToDraw(
  scenario: ScenarioResult,
): { intervals: readonly Interval[]; which: string; xTitle: string } | undefined {
  const hasServer = (intervals: readonly Interval[]) => intervals.some((i) => i.server !== undefined);
  if (scenario.steps?.length) {
    const step = scenario.steps.findLast((s) => hasServer(s.intervals));
    if (!step) return undefined;
    return {
      intervals: step.intervals,
      which: `step at ${formatRate(step.targetRatePerSec)}/s`,
      xTitle: "second of the step",
    };
  }
  if (!hasServer(scenario.intervals)) return undefined;
  const sweep = scenario.sweep;
  return {
    intervals: scenario.intervals,
    // A sweep's scenario fields are its peak point's run, else its last point's.
    which: !sweep
      ? "measured phase"
      : sweep.peak
        ? `peak point, ${sweep.parameter} ${formatCount(sweep.peak.value)}`
        : "last point",
    xTitle: sweep ? "second of the point's measured phase" : "second of the measured phase",
  };
}

/**
 * Throughput as throughputChart names it: transactions per second when the scenario commits
 * transactions, else writes and reads per second (whichever moved).
 */
export function throughputRows(
  intervals: readonly Interval[],
): { second: number; metric: string; value: number }[] {
  if (intervals.some((i) => i.txnPerSec > 0)) {
    return intervals.map((i) => ({ second: i.t, metric: "txn/s", value: i.txnPerSec }));
  }
  return [
    ...(intervals.some((i) => i.writesPerSec > 0)
      ? intervals.map((i) => ({ second: i.t, metric: "writes/s", value: i.writesPerSec }))
      : []),
    ...(intervals.some((i) => i.readsPerSec > 0)
      ? intervals.map((i) => ({ second: i.t, metric: "reads/s", value: i.readsPerSec }))
      : []),
  ];
}

/** A panel's rows, or undefined when no second has its figure (the server does not report it). */
export function serverRows(intervals: readonly Interval[], panel: ServerPanel): ServerRow[] | undefined {
  if (!intervals.some((i) => i.server?.[panel.kind][panel.name] !== undefined)) return undefined;
  return intervals.map((i) => {
    const value = i.server?.[panel.kind][panel.name];
    return {
      second: i.t,
      figure: panel.name,
      value: value === undefined ? null : value / (panel.divisor ?? 1),
    };
  });
}

/** Only the bottom panel carries the x axis's labels and title; the others keep its grid. */
const xEncoding = (bottom: boolean, title: string) => ({
  field: "second",
  type: "quantitative",
  title: bottom ? title : null,
  axis: bottom ? {} : { labels: false, ticks: false, domain: false },
});

/** The chart's panels; the throughput's first. */
function panels(intervals: readonly Interval[], events: TimelineEvents, xTitle: string): object[] {
  const server = SERVER_PANELS.flatMap((panel) => {
    const rows = serverRows(intervals, panel);
    return rows ? [{ panel, rows }] : [];
  });
  const throughput = throughputRows(intervals);
  const top = {
    title: { text: "throughput", anchor: "start", frame: "group", fontSize: 12 },
    width: CHART_BASE.width,
    height: TOP_HEIGHT,
    layer: [
      ...eventLayers(events),
      {
        data: { values: throughput },
        mark: { type: "line", point: true },
        encoding: {
          x: xEncoding(server.length === 0, xTitle),
          y: { field: "value", type: "quantitative", title: "per second" },
          color: { field: "metric", type: "nominal", title: null },
          tooltip: [{ field: "metric" }, { field: "second" }, { field: "value", format: ",.0f" }],
        },
      },
    ],
    // The events' fill and the metrics' colour are two legends, not one scale.
    resolve: { scale: { color: "independent" } },
  };
  const below = server.map(({ panel, rows }, index) => ({
    title: { text: panel.title, anchor: "start", frame: "group", fontSize: 11, fontWeight: "normal" },
    width: CHART_BASE.width,
    height: PANEL_HEIGHT,
    layer: [
      ...eventLayers(events),
      {
        data: { values: rows },
        // A second without a read breaks the line rather than being drawn across.
        mark: {
          type: "line",
          point: { size: 12 },
          color: "#4c78a8",
          strokeWidth: 1.5,
          invalid: "break-paths-show-domains",
        },
        encoding: {
          x: xEncoding(index === server.length - 1, xTitle),
          y: { field: "value", type: "quantitative", title: panel.unit, axis: { tickCount: 3 } },
          tooltip: [{ field: "figure" }, { field: "second" }, { field: "value", format: ",.3~f" }],
        },
      },
    ],
  }));
  return [top, ...below];
}

/**
 * Throughput per second over the server's figures of the same seconds, one small panel per figure
 * the result has (a panel is left out when the server reports no such name), with the run's events
 * marked on each; undefined when no second has the server's figures.
 */
export function serverTimelineChart(scenario: ScenarioResult): ChartSpec | undefined {
  const drawn = secondsToDraw(scenario);
  if (!drawn) return undefined;
  // The events are the measured phase's; a step's own connection losses are in its intervals.
  const events = timelineEvents({ ...scenario, intervals: [...drawn.intervals] });
  const { $schema, background, config } = CHART_BASE;
  return {
    name: `server-timeline-${scenario.id}`,
    title: `${scenario.id}: throughput and the server's status per second`,
    scenarioId: scenario.id,
    spec: {
      $schema,
      background,
      config: { ...config, concat: { spacing: 8 } },
      title: `${scenario.id}: throughput and the server's status per second (${drawn.which})`,
      vconcat: panels(drawn.intervals, events, drawn.xTitle),
      // One x axis down the panels: the same second is at the same place in every one.
      resolve: { scale: { x: "shared" } },
    } as TopLevelSpec,
  };
}
