import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "../result/schema.js";
import {
  crashScenario,
  intervals,
  lagScenario,
  lagStep,
  resultOf,
  type ServerSecondFigures,
  withServerFigures,
  writeScenario,
} from "../testing/results.js";
import { chartsFor, timelineEvents } from "./charts.js";
import { renderSvg, svgToPng } from "./render-charts.js";
import { SERVER_PANELS, serverTimelineChart } from "./server-charts.js";

const MIB = 1024 * 1024;

/** Every figure the chart has a panel for, with second t's values set from t so each is traceable. */
function everyFigure(t: number): ServerSecondFigures {
  return {
    ratesPerSec: {
      Innodb_row_lock_waits: 10 + t,
      Innodb_row_lock_time: 250 * t,
      Innodb_data_writes: 400 + t,
      Innodb_os_log_written: (2 + t) * MIB,
      Innodb_buffer_pool_reads: 30 + t,
      // Read by the sampler but not drawn: no panel of its own.
      Com_commit: 5000,
    },
    gauges: {
      Threads_running: t === 3 ? 7 : 2,
      Innodb_buffer_pool_pages_dirty: 1000 * t,
      Innodb_checkpoint_age: 8 * MIB,
      Threads_connected: 64,
    },
  };
}

/** The write scenario over 5 s (3,500 txn/s, 200 at t=3: a stall) with `seconds` of server figures. */
function stalled(seconds: readonly (ServerSecondFigures | undefined)[]): ScenarioResult {
  const txnPerSec = [3500, 3500, 3500, 200, 3500];
  return writeScenario({
    intervals: withServerFigures(
      intervals({ txnPerSec, writesPerSec: txnPerSec.map((v) => v * 4) }),
      seconds,
    ),
  });
}

interface Panel {
  title: { text: string };
  layer: { data: { values: Record<string, unknown>[] }; mark: unknown; encoding: Record<string, unknown> }[];
}

/** The chart's panels, top to bottom. */
function panelsOf(scenario: ScenarioResult): Panel[] {
  const chart = serverTimelineChart(scenario);
  if (!chart) throw new Error("no server timeline chart");
  return (chart.spec as unknown as { vconcat: Panel[] }).vconcat;
}

/** A panel's plotted rows: its last layer's (the events come before it). */
const rowsOf = (panel: Panel | undefined) => panel?.layer.at(-1)?.data.values ?? [];

describe("serverTimelineChart", () => {
  it("plots the server's figures as recorded, each second at its own t, under the throughput", () => {
    const panels = panelsOf(stalled([0, 1, 2, 3, 4].map(everyFigure)));
    expect(panels.map((p) => p.title.text)).toEqual(["throughput", ...SERVER_PANELS.map((p) => p.title)]);
    expect(rowsOf(panels[0])).toContainEqual({ second: 3, metric: "txn/s", value: 200 });
    // A transactional scenario shows txn/s alone, as its headline figure.
    expect(new Set(rowsOf(panels[0]).map((r) => r.metric))).toEqual(new Set(["txn/s"]));
    const panel = (name: string) => rowsOf(panels.find((p) => p.title.text.includes(`(${name})`)));
    expect(panel("Threads_running")).toContainEqual({ second: 3, figure: "Threads_running", value: 7 });
    expect(panel("Threads_running")).toContainEqual({ second: 2, figure: "Threads_running", value: 2 });
    expect(panel("Innodb_row_lock_waits")).toContainEqual({
      second: 3,
      figure: "Innodb_row_lock_waits",
      value: 13,
    });
    expect(panel("Innodb_row_lock_time")).toContainEqual({
      second: 4,
      figure: "Innodb_row_lock_time",
      value: 1000,
    });
    expect(panel("Innodb_data_writes")).toContainEqual({
      second: 1,
      figure: "Innodb_data_writes",
      value: 401,
    });
    // Redo in MiB/s, checkpoint age in MiB: the server's bytes divided by 1,048,576.
    expect(panel("Innodb_os_log_written")).toContainEqual({
      second: 3,
      figure: "Innodb_os_log_written",
      value: 5,
    });
    expect(panel("Innodb_checkpoint_age")).toContainEqual({
      second: 0,
      figure: "Innodb_checkpoint_age",
      value: 8,
    });
    expect(panel("Innodb_buffer_pool_reads")).toContainEqual({
      second: 4,
      figure: "Innodb_buffer_pool_reads",
      value: 34,
    });
    expect(panel("Innodb_buffer_pool_pages_dirty")).toContainEqual({
      second: 2,
      figure: "Innodb_buffer_pool_pages_dirty",
      value: 2000,
    });
    expect(panel("Innodb_buffer_pool_pages_dirty")).toHaveLength(5);
  });

  it("leaves out the panels of figures the server does not report", () => {
    // A MySQL before 8.0.30: no checkpoint age; this one reports only three of the figures.
    const only: ServerSecondFigures = {
      ratesPerSec: { Innodb_data_writes: 50, Com_commit: 5000 },
      gauges: { Threads_running: 4, Innodb_buffer_pool_pages_dirty: 10 },
    };
    const panels = panelsOf(stalled([only, only, only, only, only]));
    expect(panels.map((p) => p.title.text)).toEqual([
      "throughput",
      "threads running (Threads_running)",
      "InnoDB data-file writes per second (Innodb_data_writes)",
      "dirty pages in the buffer pool (Innodb_buffer_pool_pages_dirty)",
    ]);
  });

  it("breaks a line at a second the server was not read, rather than drawing across it", () => {
    const panels = panelsOf(stalled([everyFigure(0), everyFigure(1), undefined, everyFigure(3)]));
    const threads = rowsOf(panels[1]);
    expect(threads.map((r) => r.value)).toEqual([2, 2, null, 7, null]);
  });

  it("is undefined when no second has the server's figures", () => {
    expect(serverTimelineChart(writeScenario())).toBeUndefined();
    expect(serverTimelineChart(stalled([]))).toBeUndefined();
    expect(serverTimelineChart(lagScenario())).toBeUndefined();
  });

  it("shows writes and reads per second for a scenario without transactions", () => {
    const scenario = writeScenario({
      intervals: withServerFigures(intervals({ writesPerSec: [900, 1000], readsPerSec: [0, 20] }), [
        everyFigure(0),
        everyFigure(1),
      ]),
    });
    const top = rowsOf(panelsOf(scenario)[0]);
    expect(top).toEqual([
      { second: 0, metric: "writes/s", value: 900 },
      { second: 1, metric: "writes/s", value: 1000 },
      { second: 0, metric: "reads/s", value: 0 },
      { second: 1, metric: "reads/s", value: 20 },
    ]);
  });

  it("marks the events throughputChart marks, on every panel", () => {
    const scenario = crashScenario();
    // Seconds 18 to 21 around the crash at 20 s, the server read in each but the crash's.
    const seconds: ServerSecondFigures[] = [];
    for (const t of [18, 19, 21]) seconds[t] = { gauges: { Threads_running: 5 } };
    scenario.intervals = withServerFigures(
      intervals({ txnPerSec: [5000, 5000, 0, 5000] }).map((i) => ({ ...i, t: i.t + 18 })),
      seconds,
    );
    const events = timelineEvents(scenario);
    expect(events).toContainEqual({ from: 20, to: 20, event: "crash", detail: "sandbox-kill (cold)" });
    for (const panel of panelsOf(scenario)) {
      expect(panel.layer[0]?.data.values).toEqual(events);
      expect(panel.layer[1]?.data.values).toEqual(events.filter((e) => e.from === e.to));
    }
  });

  it("draws a rate-steps scenario's last step with server figures, named by its rate", () => {
    const scenario = lagScenario();
    const measured = intervals({ txnPerSec: [4700, 4800] });
    scenario.steps = [
      lagStep(2000, 1.45, { intervals: withServerFigures(measured, [{ gauges: { Threads_running: 3 } }]) }),
      lagStep(13_800, 3320, { intervals: withServerFigures(measured, [{ gauges: { Threads_running: 9 } }]) }),
      // The last step's run had no reads of the server: the one before it is drawn.
      lagStep(20_000, 5000, { intervals: measured }),
    ];
    const chart = serverTimelineChart(scenario);
    expect(chart?.spec.title).toBe(
      "replica-lag: throughput and the server's status per second (step at 13,800/s)",
    );
    const threads = rowsOf(panelsOf(scenario)[1]);
    expect(threads).toEqual([
      { second: 0, figure: "Threads_running", value: 9 },
      { second: 1, figure: "Threads_running", value: null },
    ]);
  });
});

describe("the server timeline in the report", () => {
  it("is among a run's charts for each scenario with server figures, after its other charts", () => {
    const names = chartsFor(resultOf([writeScenario(), stalled([everyFigure(0)])])).map((c) => c.name);
    // Both scenarios are aurora-write: the second one's charts follow the first's.
    expect(names).toEqual([
      "claims",
      "throughput-aurora-write",
      "latency-aurora-write",
      "throughput-aurora-write",
      "latency-aurora-write",
      "server-timeline-aurora-write",
    ]);
  });

  it("renders to SVG with its title and every panel's, and to PNG, as the other charts do", async () => {
    const scenario = stalled([0, 1, 2, 3, 4].map(everyFigure));
    const chart = chartsFor(resultOf([scenario])).find((c) => c.name === "server-timeline-aurora-write");
    if (!chart) throw new Error("no server timeline among the charts");
    const svg = await renderSvg(chart);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(chart.spec.title as string);
    for (const panel of SERVER_PANELS) expect(svg).toContain(panel.title);
    expect(svg).toContain("second of the measured phase");
    expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(SERVER_PANELS.length);
    const png = svgToPng(svg);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  }, 30_000);
});
