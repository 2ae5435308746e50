import { describe, expect, it } from "vitest";
import { uslThroughput } from "../metrics/usl.js";
import { assembleSweep } from "../result/sweep.js";
import { loadCatalog } from "../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../scenario/resolve.js";
import { resultOf, writeScenario } from "../testing/results.js";
import { chartsFor } from "./charts.js";
import { renderMarkdown } from "./markdown.js";
import { scenarioDetail } from "./summary.js";
import { publishedMarkers, sweepLatencyChart, sweepThroughputChart } from "./sweep-charts.js";

/** aurora-read swept over 1..64 connections, its reads/s following a law whose truth is set here. */
function readSweep(levels = [1, 2, 4, 8, 16, 32, 64], clientBoundAt = 64) {
  const found = loadCatalog().scenarios.get("aurora-read");
  if (!found) throw new Error("no aurora-read");
  const scenario = resolveScenario(found.file, found.scenario, {
    sweep: { parameter: "connections", values: levels, flag: "--connections" },
  }) as ResolvedScenario & { sweep: NonNullable<ResolvedScenario["sweep"]> };
  const truth = { sigma: 0.05, kappa: 0.0005, lambdaPerSec: 1000 };
  const outcomes = levels.map((n) => {
    const base = writeScenario({
      id: "aurora-read",
      title: "Aurora read claim",
      claim: scenario.claim ?? null,
    });
    return {
      value: n,
      built: {
        ...base,
        connections: { opened: n, aliveAtEnd: n },
        throughput: { ...base.throughput, readsPerSec: uslThroughput(truth, n) },
        generator: base.generator
          ? { ...base.generator, clientBound: n === clientBoundAt }
          : {
              intervals: 10,
              clientBoundIntervals: n === clientBoundAt ? 9 : 0,
              utilizationMean: 0.5,
              utilizationMax: 0.9,
              delayP99MaxMs: 1,
              clientCpuCores: 1,
              clientBound: n === clientBoundAt,
            },
      },
    };
  });
  return assembleSweep(scenario, outcomes, "complete", writeScenario({ measured: null }));
}

type Layer = { data: { values: Record<string, number | string>[] }; mark: unknown };

describe("sweep charts", () => {
  it("throughput against the swept value: the points, client-bound ones marked, the fitted law and the claim", () => {
    const entry = readSweep();
    const chart = sweepThroughputChart(entry);
    if (!chart) throw new Error("no chart");
    expect(chart.name).toBe("sweep-throughput-aurora-read");
    const layers = (chart.spec as { layer: Layer[] }).layer;
    const measured = layers[1]?.data.values ?? [];
    expect(measured.map((p) => p.value)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(measured.find((p) => p.value === 64)?.series).toBe("measured (client-bound)");
    expect(measured.find((p) => p.value === 8)?.series).toBe("measured");
    // The law's curve passes through the truth it was fitted to.
    const curve = layers[2]?.data.values ?? [];
    expect(curve[0]?.value).toBeCloseTo(1, 9);
    expect(curve.at(-1)?.value).toBeCloseTo(64, 9);
    expect(curve.at(-1)?.throughput as number).toBeCloseTo(
      uslThroughput({ sigma: 0.05, kappa: 0.0005, lambdaPerSec: 1000 }, 64),
      3,
    );
    // The claim: 500K reads/s at its own 1,000 connections per client.
    expect(layers[3]?.data.values[0]).toMatchObject({ value: 1000, throughput: 500_000 });
  });

  it("no fit below three levels: no curve; latency against the value; both in the report's charts", () => {
    const two = readSweep([4, 16]);
    const layers = (
      (sweepThroughputChart(two) as NonNullable<ReturnType<typeof sweepThroughputChart>>).spec as {
        layer: Layer[];
      }
    ).layer;
    expect(layers).toHaveLength(3);
    const latency = sweepLatencyChart(readSweep());
    expect(
      (
        (latency as NonNullable<typeof latency>).spec as {
          data: { values: { value: number; series: string }[] };
        }
      ).data.values.map((r) => r.series),
    ).toContain("txn p99");
    const names = chartsFor(resultOf([readSweep()])).map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(["sweep-throughput-aurora-read", "sweep-latency-aurora-read"]),
    );
    expect(names).not.toContain("throughput-aurora-read");
  });

  it("report.md and the terminal show every point, the peak, the past-peak fall and the fit", () => {
    const entry = readSweep([1, 2, 4, 8, 16, 32, 64, 128]);
    entry.points = entry.points?.map((p) =>
      p.value === 128 ? { ...p, throughput: { ...p.throughput, readsPerSec: 5000 } } : p,
    );
    entry.sweep = { ...(entry.sweep as NonNullable<typeof entry.sweep>), pastPeak: [128] };
    const markdown = renderMarkdown(resultOf([entry]));
    expect(markdown).toMatch(/\| 32 \| 32 \| [\d,.]+K? \| .* \| peak \|/);
    expect(markdown).toMatch(/\| 128 \| 128 \| 5,000 \| .* past the peak: fell/);
    expect(markdown).toMatch(
      /Universal Scalability Law, fitted to 8 levels of connections \(lambda from one connection\): sigma 0\.0500/,
    );
    const terminal = scenarioDetail(entry);
    expect(terminal).toMatch(/a sweep of 8 point\(s\)/);
    expect(terminal).toMatch(/fell past the peak/);
    expect(terminal).toMatch(/USL sigma 0\.050, kappa 5\.00e-4, R² 1\.00, peak at 44 connections$/m);
  });
});

/** sigmod-oltp-connections (the paper's Table 3) under --quick: 5, 50, 500 connections for 50, 500, 5,000. */
function table3Sweep(writesPerSec: [number, number, number] = [1200, 3000, 2100]) {
  const found = loadCatalog().scenarios.get("sigmod-oltp-connections");
  if (!found) throw new Error("no sigmod-oltp-connections");
  const scenario = resolveScenario(found.file, found.scenario, { quick: true }) as ResolvedScenario & {
    sweep: NonNullable<ResolvedScenario["sweep"]>;
  };
  const outcomes = scenario.sweep.values.map((n, i) => {
    const base = writeScenario({ id: scenario.id, title: scenario.title, claim: scenario.claim ?? null });
    return {
      value: n,
      built: {
        ...base,
        connections: { opened: n, aliveAtEnd: n },
        throughput: { ...base.throughput, writesPerSec: writesPerSec[i] as number },
      },
    };
  });
  return assembleSweep(scenario, outcomes, "complete", writeScenario({ measured: null }));
}

describe("sweep charts and tables with the paper's rows", () => {
  it("marks Aurora's and MySQL's published figures at the points standing for their rows, instead of the claim", () => {
    const entry = table3Sweep();
    const chart = sweepThroughputChart(entry);
    if (!chart) throw new Error("no chart");
    const spec = chart.spec as { layer: Layer[]; title: { subtitle: string[] }; resolve?: unknown };
    const markers = spec.layer.at(-1)?.data.values ?? [];
    expect(markers).toEqual([
      { value: 5, throughput: 40_000, series: "Aurora (published)", row: "connections 50" },
      { value: 5, throughput: 10_000, series: "MySQL (published)", row: "connections 50" },
      { value: 50, throughput: 71_000, series: "Aurora (published)", row: "connections 500" },
      { value: 50, throughput: 21_000, series: "MySQL (published)", row: "connections 500" },
      { value: 500, throughput: 110_000, series: "Aurora (published)", row: "connections 5,000" },
      { value: 500, throughput: 13_000, series: "MySQL (published)", row: "connections 5,000" },
    ]);
    expect(markers).toEqual(publishedMarkers(entry.sweep as NonNullable<typeof entry.sweep>));
    // No diamond at the claim's own 5,000 connections, off this axis's points.
    expect(spec.layer.flatMap((l) => l.data.values).some((v) => v.value === 5000)).toBe(false);
    expect(spec.title.subtitle[1]).toBe(
      "triangles and squares: the published Aurora and MySQL figures, each at the --quick point standing for its row (matched by position)",
    );
    expect(spec.resolve).toEqual({ scale: { color: "independent", shape: "independent" } });
    // 110K published against 3K measured: the throughput axis turns log, for every layer.
    const y = (spec.layer[0] as unknown as { encoding: { y: { scale?: unknown } } }).encoding.y;
    expect(y.scale).toEqual({ type: "log" });
  });

  it("report.md's sweep table has the published row, Aurora, MySQL and the shares of each; the matching is said under it", () => {
    const entry = table3Sweep();
    const markdown = renderMarkdown(resultOf([entry]));
    expect(markdown).toContain(
      "| connections per client | connections | writesPerSec | p50 | p99 | errors | published connections | Aurora | of Aurora | MySQL | of MySQL |  |",
    );
    expect(markdown).toMatch(
      /\| 5 \| 5 \| 1,200 \| .* \| 50 \| 40,000 \| 3\.00% \| 10,000 \| 12\.0% \| - \|/,
    );
    expect(markdown).toMatch(
      /\| 50 \| 50 \| 3,000 \| .* \| 500 \| 71,000 \| 4\.23% \| 21,000 \| 14\.3% \| peak \|/,
    );
    expect(markdown).toMatch(
      /\| 500 \| 500 \| 2,100 \| .* \| 5,000 \| 110,000 \| 1\.91% \| 13,000 \| 16\.2% \| /,
    );
    expect(markdown).toContain(
      "Published (writesPerSec, writes/s): Verbitski et al., SIGMOD 2017 (doi:10.1145/3035918.3056101), section 6.1.3, Table 3",
    );
    expect(markdown).toContain(
      "--quick scales the sweep: its n-th value (5, 50, 500) stands for the n-th published row (50, 500, 5,000), matched by position, not a like-for-like comparison.",
    );
  });

  it("the terminal's sweep table has the same columns and says how the rows were matched", () => {
    const terminal = scenarioDetail(table3Sweep());
    const header = terminal.split("\n").find((line) => line.includes("connections/client")) ?? "";
    for (const head of ["published connections", "Aurora", "of Aurora", "MySQL", "of MySQL"]) {
      expect(header).toContain(head);
    }
    expect(terminal).toMatch(/│ 50 +│ 3,000 +│ .* │ 500 +│ 71,000 +│ 4\.23% +│ 21,000 +│ 14\.3% +│ peak/);
    expect(terminal).toMatch(
      /^published: Verbitski et al\., SIGMOD 2017 .*matched by position, not a like-for-like comparison$/m,
    );
  });

  it("a sweep without published rows keeps its columns and its claim's diamond", () => {
    const entry = readSweep();
    expect(publishedMarkers(entry.sweep as NonNullable<typeof entry.sweep>)).toEqual([]);
    expect(renderMarkdown(resultOf([entry]))).toContain(
      "| connections per client | connections | readsPerSec | p50 | p99 | errors |  |",
    );
    expect(scenarioDetail(entry)).not.toContain("published");
  });
});
