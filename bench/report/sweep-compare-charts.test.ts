import { describe, expect, it } from "vitest";
import type { ScenarioResult, SweepResult } from "../result/schema.js";
import { perSecondScenario, resultOn, sweepPoint, sweptScenario } from "../testing/results.js";
import { type ChartSpec, comparisonCharts } from "./charts.js";
import { renderSvg } from "./render-charts.js";
import {
  comparedParameters,
  LOG_SPAN,
  spansLogAxis,
  sweepComparisonCharts,
  sweepGroup,
} from "./sweep-compare-charts.js";

type Row = Record<string, number | string | null>;
interface Layer {
  data: { values: Row[] };
  mark: { type: string };
  encoding: {
    x: { scale?: unknown; title?: string };
    y: { scale?: unknown };
    color?: { scale?: { domain?: string[] } };
  };
}
interface Spec {
  layer: Layer[];
  title: { text: string; subtitle: string[] };
  description?: string;
  resolve?: unknown;
}

type Nested = Layer | { layer: Nested[] };
const leaves = (layers: readonly Nested[]): Layer[] =>
  layers.flatMap((l) => ("layer" in l ? leaves(l.layer) : [l]));

/** The chart's spec with its layers flattened: lines, points, then the published markers (when drawn). */
const specOf = (chart: ChartSpec | undefined): Spec => {
  if (!chart) throw new Error("no chart");
  const spec = chart.spec as unknown as Omit<Spec, "layer"> & { layer: Nested[] };
  return { ...spec, layer: leaves(spec.layer) };
};
const lineRows = (chart: ChartSpec | undefined) => specOf(chart).layer[0]?.data.values ?? [];
const pointRows = (chart: ChartSpec | undefined) => specOf(chart).layer[1]?.data.values ?? [];
const chartNamed = (charts: readonly ChartSpec[], name: string) => charts.find((c) => c.name === name);

/** [value, txn/s, txn p99 ms, client-bound?] per point: every figure a chart shows comes from here. */
type Figures = [number, number, number, boolean?][];

function sweepOver(
  parameter: "connections" | "tableSize",
  figures: Figures,
  sweep: Partial<SweepResult> = {},
): ScenarioResult {
  return sweptScenario(
    "oltp",
    figures.map(([value, txnPerSec, txnP99Ms, clientBound]) =>
      sweepPoint(parameter, value, { txnPerSec, txnP99Ms, clientBound }),
    ),
    sweep,
  );
}

/** The scenario run once, on `connectionsPerClient` per client and tables of `tableSize` rows. */
function singleRun(txnPerSec: number, txnP99Ms: number, connectionsPerClient: number, tableSize = 10_000) {
  return perSecondScenario(
    "oltp",
    { txnPerSec: [txnPerSec, txnPerSec], txnP99: [txnP99Ms, txnP99Ms] },
    {
      config: {
        id: "oltp",
        load: { clients: 1, connectionsPerClient },
        dataset: { tables: 8, tableSize },
      },
    },
  );
}

const A: Figures = [
  [4, 1000, 10],
  [16, 3000, 20],
  [64, 2500, 80, true],
];
const B: Figures = [
  [4, 400, 30],
  [16, 900, 45],
  [64, 1100, 90],
];

/** Table 3 of the SIGMOD paper, by value: each row at the point of its own connections. */
function table3(matchedBy: "value" | "position", pointValues: (number | null)[]): SweepResult["published"] {
  const rows = [
    { value: 50, label: "50", aurora: 40_000, mysql: 10_000 },
    { value: 500, label: "500", aurora: 71_000, mysql: 21_000 },
    { value: 5000, label: "5,000", aurora: 110_000, mysql: 13_000 },
  ];
  return {
    source: "Verbitski et al., SIGMOD 2017, Table 3",
    metric: "txnPerSec",
    unit: "txn/s",
    label: "connections",
    matchedBy,
    rows: rows.map((row, i) => ({
      ...row,
      pointValue: pointValues[i] ?? null,
      measured: null,
      ofAurora: null,
      ofMysql: null,
    })),
  };
}

describe("sweep comparison charts", () => {
  it("draws one throughput and one latency series per result, each with that result's own points", () => {
    const { charts, notes } = sweepComparisonCharts("oltp", [
      { label: "a: mysql", scenario: sweepOver("connections", A) },
      { label: "b: aurora", scenario: sweepOver("connections", B) },
    ]);
    expect(charts.map((c) => c.name)).toEqual([
      "compare-sweep-throughput-oltp-by-connections",
      "compare-sweep-latency-oltp-by-connections",
    ]);
    expect(notes).toEqual([]);
    const [throughput, latency] = charts;
    expect(pointRows(throughput)).toEqual([
      { result: "a: mysql", value: 4, throughputPerSec: 1000, p99Ms: 10, point: "measured" },
      { result: "a: mysql", value: 16, throughputPerSec: 3000, p99Ms: 20, point: "measured" },
      { result: "a: mysql", value: 64, throughputPerSec: 2500, p99Ms: 80, point: "measured (client-bound)" },
      { result: "b: aurora", value: 4, throughputPerSec: 400, p99Ms: 30, point: "measured" },
      { result: "b: aurora", value: 16, throughputPerSec: 900, p99Ms: 45, point: "measured" },
      { result: "b: aurora", value: 64, throughputPerSec: 1100, p99Ms: 90, point: "measured" },
    ]);
    // The lines join every point of a sweep, client-bound ones too; the shape tells them apart.
    expect(lineRows(throughput)).toEqual(pointRows(throughput));
    expect(pointRows(latency).map((r) => [r.result, r.value, r.p99Ms])).toEqual([
      ["a: mysql", 4, 10],
      ["a: mysql", 16, 20],
      ["a: mysql", 64, 80],
      ["b: aurora", 4, 30],
      ["b: aurora", 16, 45],
      ["b: aurora", 64, 90],
    ]);
    expect(specOf(latency).title.text).toBe(
      "oltp: txn p99 against connections per client, one line per result",
    );
    expect(specOf(throughput).title.subtitle[0]).toContain("client-bound points");
  });

  it("keeps each series on its own result's figures whatever the order the results come in", () => {
    const a = { label: "a", scenario: sweepOver("connections", A) };
    const b = { label: "b", scenario: sweepOver("connections", B) };
    const byResult = (charts: readonly ChartSpec[]) => {
      const rows = pointRows(charts[0]);
      return Object.fromEntries(
        ["a", "b"].map((label) => [
          label,
          rows.filter((r) => r.result === label).map((r) => r.throughputPerSec),
        ]),
      );
    };
    const truth = { a: A.map(([, txnPerSec]) => txnPerSec), b: B.map(([, txnPerSec]) => txnPerSec) };
    expect(byResult(sweepComparisonCharts("oltp", [a, b]).charts)).toEqual(truth);
    expect(byResult(sweepComparisonCharts("oltp", [b, a]).charts)).toEqual(truth);
    // The colours follow the order given, the same in both charts.
    const colours = sweepComparisonCharts("oltp", [b, a]).charts.map(
      (c) => specOf(c).layer[1]?.encoding.color?.scale?.domain,
    );
    expect(colours).toEqual([
      ["b", "a"],
      ["b", "a"],
    ]);
  });

  it("puts the swept value on a log axis only when it spans more than tenfold", () => {
    expect(LOG_SPAN).toBe(10);
    expect(spansLogAxis([4, 16, 64])).toBe(true);
    expect(spansLogAxis([10, 100])).toBe(false);
    expect(spansLogAxis([10, 101])).toBe(true);
    expect(spansLogAxis([0, 100])).toBe(false);
    const narrow: Figures = [
      [8, 100, 5],
      [16, 200, 6],
      [32, 250, 7],
    ];
    for (const [figures, log] of [
      [A, true],
      [narrow, false],
    ] as const) {
      const charts = sweepComparisonCharts("oltp", [
        { label: "a", scenario: sweepOver("connections", figures) },
        { label: "b", scenario: sweepOver("connections", figures) },
      ]).charts;
      expect(charts).toHaveLength(2);
      for (const chart of charts) {
        for (const layer of specOf(chart).layer) {
          expect(layer.encoding.x.scale).toEqual(log ? { type: "log" } : { zero: false });
        }
        expect(specOf(chart).layer[0]?.encoding.x.title).toBe(
          log ? "connections per client (log)" : "connections per client",
        );
      }
    }
  });

  it("leaves out a result that swept another parameter and names it", () => {
    const series = [
      { label: "a", scenario: sweepOver("connections", A) },
      {
        label: "c",
        scenario: sweepOver("tableSize", [
          [1000, 7, 7],
          [100_000, 8, 8],
        ]),
      },
      { label: "b", scenario: sweepOver("connections", B) },
    ];
    expect(comparedParameters(series)).toEqual(["connections"]);
    const { charts, notes } = sweepComparisonCharts("oltp", series);
    expect(notes).toEqual(["oltp against connections per client: c: left out, it swept rows per table"]);
    for (const chart of charts) {
      expect(new Set(pointRows(chart).map((r) => r.result))).toEqual(new Set(["a", "b"]));
      expect(specOf(chart).description).toBe("c: left out, it swept rows per table");
      expect(specOf(chart).title.subtitle).toContain("c: left out, it swept rows per table");
    }
    // Two over each parameter: a chart pair each, the other pair named in each.
    const both = sweepComparisonCharts("oltp", [
      ...series,
      {
        label: "d",
        scenario: sweepOver("tableSize", [
          [1000, 9, 9],
          [100_000, 10, 10],
        ]),
      },
    ]);
    expect(both.charts.map((c) => c.name)).toEqual([
      "compare-sweep-throughput-oltp-by-connections",
      "compare-sweep-latency-oltp-by-connections",
      "compare-sweep-throughput-oltp-by-tableSize",
      "compare-sweep-latency-oltp-by-tableSize",
    ]);
    expect(pointRows(both.charts[2]).map((r) => [r.result, r.value, r.throughputPerSec])).toEqual([
      ["c", 1000, 7],
      ["c", 100_000, 8],
      ["d", 1000, 9],
      ["d", 100_000, 10],
    ]);
    expect(specOf(both.charts[2]).description).toBe(
      "a: left out, it swept connections per client; b: left out, it swept connections per client",
    );
  });

  it("draws no sweep chart unless two results swept the scenario over the same parameter", () => {
    expect(
      sweepComparisonCharts("oltp", [
        { label: "a", scenario: sweepOver("connections", A) },
        { label: "c", scenario: sweepOver("tableSize", [[1000, 7, 7]]) },
        { label: "s", scenario: singleRun(500, 12, 16) },
      ]),
    ).toEqual({ charts: [], notes: [] });
  });

  it("shows a single run as a lone point at its own connections per client, never as a line or rule", () => {
    const { charts, notes } = sweepComparisonCharts("oltp", [
      { label: "a", scenario: sweepOver("connections", A) },
      { label: "s", scenario: singleRun(500, 12, 32) },
      { label: "b", scenario: sweepOver("connections", B) },
    ]);
    expect(notes).toEqual([]);
    const [throughput, latency] = charts;
    expect(pointRows(throughput).filter((r) => r.result === "s")).toEqual([
      { result: "s", value: 32, throughputPerSec: 500, p99Ms: 12, point: "single run" },
    ]);
    expect(lineRows(throughput).some((r) => r.result === "s")).toBe(false);
    expect(
      pointRows(latency)
        .filter((r) => r.result === "s")
        .map((r) => [r.value, r.p99Ms]),
    ).toEqual([[32, 12]]);
    for (const chart of charts) {
      expect(specOf(chart).layer.map((l) => l.mark.type)).not.toContain("rule");
      expect(specOf(chart).title.subtitle[0]).toContain("a lone point at its own value");
    }
    // Over table size, the same run stands at its rows per table.
    const bySize = sweepGroup("oltp", "tableSize", [
      { label: "s", scenario: singleRun(500, 12, 32, 250_000) },
    ]);
    expect(bySize.rows.map((r) => r.value)).toEqual([250_000]);
  });

  it("names a single run that does not record the swept value, rather than guessing where it stands", () => {
    const unplaced = perSecondScenario("oltp", { txnPerSec: [500], txnP99: [12] });
    const { charts, notes } = sweepComparisonCharts("oltp", [
      { label: "a", scenario: sweepOver("connections", A) },
      { label: "s", scenario: unplaced },
      { label: "b", scenario: sweepOver("connections", B) },
    ]);
    expect(notes).toEqual([
      "oltp against connections per client: s: left out, its single run does not record its connections per client",
    ]);
    expect(pointRows(charts[0]).some((r) => r.result === "s")).toBe(false);
  });

  it("marks the published Aurora and MySQL rows once, as the result that matched them by value placed them", () => {
    const quick = sweepOver(
      "connections",
      [
        [5, 1200, 10],
        [50, 3000, 20],
        [500, 2100, 40],
      ],
      { published: table3("position", [5, 50, 500]) },
    );
    const full = sweepOver(
      "connections",
      [
        [50, 5000, 15],
        [500, 9000, 30],
        [5000, 7000, 300],
      ],
      { published: table3("value", [50, 500, 5000]) },
    );
    const { charts } = sweepComparisonCharts("sigmod", [
      { label: "quick", scenario: quick },
      { label: "full", scenario: full },
    ]);
    const spec = specOf(charts[0]);
    expect(spec.layer).toHaveLength(3);
    expect(spec.layer[2]?.data.values).toEqual([
      {
        value: 50,
        throughput: 40_000,
        throughputPerSec: 40_000,
        series: "Aurora (published)",
        row: "connections 50",
      },
      {
        value: 50,
        throughput: 10_000,
        throughputPerSec: 10_000,
        series: "MySQL (published)",
        row: "connections 50",
      },
      {
        value: 500,
        throughput: 71_000,
        throughputPerSec: 71_000,
        series: "Aurora (published)",
        row: "connections 500",
      },
      {
        value: 500,
        throughput: 21_000,
        throughputPerSec: 21_000,
        series: "MySQL (published)",
        row: "connections 500",
      },
      {
        value: 5000,
        throughput: 110_000,
        throughputPerSec: 110_000,
        series: "Aurora (published)",
        row: "connections 5,000",
      },
      {
        value: 5000,
        throughput: 13_000,
        throughputPerSec: 13_000,
        series: "MySQL (published)",
        row: "connections 5,000",
      },
    ]);
    expect(spec.title.subtitle[1]).toBe("triangles and squares: the published Aurora and MySQL figures");
    // The results' lines and points in one layer, the markers in another, their legends apart.
    expect((charts[0] as ChartSpec).spec).toMatchObject({ layer: [{ layer: [{}, {}] }, {}] });
    expect(spec.resolve).toEqual({ scale: { color: "independent", shape: "independent" } });
    // 110K published against 9K at most measured: throughput turns log, for every layer.
    for (const layer of spec.layer) expect(layer.encoding.y.scale).toEqual({ type: "log" });
    // The latency chart has no published figure to show.
    expect(specOf(charts[1]).layer).toHaveLength(2);
  });

  it("with only --quick runs, places the published rows at the quick points and says so", () => {
    const quick = (label: string, txn: number) => ({
      label,
      scenario: sweepOver(
        "connections",
        [
          [5, txn, 10],
          [50, txn * 2, 20],
          [500, txn * 3, 40],
        ],
        { published: table3("position", [5, 50, 500]) },
      ),
    });
    const spec = specOf(sweepComparisonCharts("sigmod", [quick("a", 20_000), quick("b", 30_000)]).charts[0]);
    expect(spec.layer[2]?.data.values.map((m) => [m.value, m.series, m.throughputPerSec])).toEqual([
      [5, "Aurora (published)", 40_000],
      [5, "MySQL (published)", 10_000],
      [50, "Aurora (published)", 71_000],
      [50, "MySQL (published)", 21_000],
      [500, "Aurora (published)", 110_000],
      [500, "MySQL (published)", 13_000],
    ]);
    expect(spec.title.subtitle[1]).toBe(
      "triangles and squares: the published Aurora and MySQL figures, each at the --quick point standing for its row in a (matched by position)",
    );
    // 110K against 90K measured: within tenfold, throughput stays linear.
    expect(spec.layer[0]?.encoding.y.scale).toBeUndefined();
  });
});

describe("sweep comparison charts in compare's charts", () => {
  it("follow each swept scenario's throughput-per-second chart and render to SVG", async () => {
    const charts = comparisonCharts([
      { label: "a: mysql 8.0.36, a.json", result: resultOn("a", [sweepOver("connections", A)]) },
      { label: "b: mysql 8.0.36, b.json", result: resultOn("b", [sweepOver("connections", B)]) },
    ]);
    expect(charts.map((c) => c.name)).toEqual([
      "compare-throughput-oltp",
      "compare-sweep-throughput-oltp-by-connections",
      "compare-sweep-latency-oltp-by-connections",
    ]);
    const throughput = chartNamed(charts, "compare-sweep-throughput-oltp-by-connections");
    expect(
      pointRows(throughput)
        .filter((r) => r.result === "b: mysql 8.0.36, b.json")
        .map((r) => r.throughputPerSec),
    ).toEqual([400, 900, 1100]);
    for (const chart of charts.slice(1)) {
      const svg = await renderSvg(chart);
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toContain("one line per result");
      expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(5);
    }
  }, 30_000);
});
