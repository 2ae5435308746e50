import { describe, expect, it } from "vitest";
import { crashScenario, histogramOf, lagScenario, resultOf, writeScenario } from "../testing/results.js";
import {
  chartsFor,
  claimsChart,
  crashTimelineChart,
  lagByRateChart,
  lagPerSecondChart,
  SPECTRUM_PERCENTILES,
  spectrumRows,
  throughputChart,
  timelineEvents,
} from "./charts.js";
import { renderSvg, svgToPng } from "./render-charts.js";

/** The data rows a single-view or layered spec carries. */
function rowsOf(spec: unknown, layer = 0): Record<string, unknown>[] {
  const s = spec as {
    data?: { values: Record<string, unknown>[] };
    layer?: { data: { values: Record<string, unknown>[] } }[];
  };
  return s.data?.values ?? s.layer?.[layer]?.data.values ?? [];
}

describe("chart data, taken from the result alone", () => {
  it("plots the latency spectrum from the histograms: 1..1000 ms recorded, p50 = 500 ms, p99 = 990 ms", () => {
    const valuesUs = Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000);
    const rows = spectrumRows({ txn: histogramOf(valuesUs) });
    expect(rows.map((r) => r.percentile)).toEqual([...SPECTRUM_PERCENTILES]);
    const at = (p: number) => rows.find((r) => r.percentile === p)?.latencyMs ?? Number.NaN;
    // HDR histograms keep 3 significant digits: values are exact to 0.1%.
    expect(Math.abs(at(50) - 500) / 500).toBeLessThan(0.001);
    expect(Math.abs(at(99) - 990) / 990).toBeLessThan(0.001);
    expect(Math.abs(at(99.99) - 1000) / 1000).toBeLessThan(0.001);
  });

  it("plots throughput per second as recorded, skipping metrics that stayed at zero", () => {
    const chart = throughputChart(writeScenario());
    const rows = rowsOf(chart?.spec);
    expect(rows).toContainEqual({ second: 2, metric: "writes/s", value: 14_200 });
    expect(rows).toContainEqual({ second: 0, metric: "txn/s", value: 3500 });
    expect(rows.some((r) => r.metric === "reads/s")).toBe(false);
  });

  it("plots lag per second per step and replica, and lag by achieved rate with the claimed points", () => {
    const scenario = lagScenario();
    const perSecond = rowsOf(lagPerSecondChart(scenario)?.spec);
    expect(perSecond).toContainEqual({
      step: "2000/s",
      replica: "replica-1",
      second: 1,
      statistic: "p50",
      lagMs: 1.45 * 1.1,
    });
    const byRate = lagByRateChart(scenario)?.spec;
    expect(rowsOf(byRate, 0)).toContainEqual({
      ratePerSec: 4758,
      lagMs: 3320,
      series: "measured p50 (worst replica)",
    });
    expect(rowsOf(byRate, 1)).toContainEqual({
      ratePerSec: 13_800,
      lagMs: 7.2,
      series: "claimed: Aurora",
      claim: "lag-aurora",
    });
    expect(rowsOf(byRate, 1)).toContainEqual({
      ratePerSec: 2000,
      lagMs: 2000,
      series: "claimed: MySQL 5.6",
      claim: "lag-mysql",
    });
  });

  it("shows each claim as a percentage of the claimed figure", () => {
    const rows = rowsOf(claimsChart(resultOf([writeScenario(), lagScenario()]))?.spec);
    const write = rows.find((r) => r.claim === "write");
    expect(write?.outcome).toBe("client-bound");
    expect(write?.percentOfClaim).toBeCloseTo(14.705, 10);
    expect(rows).toContainEqual({
      claim: "lag-aurora (lag)",
      percentOfClaim: (3320 / 7.2) * 100,
      outcome: "not-met",
      figure: "Aurora's claim",
    });
  });

  it("marks a baseline claim (AWS's MySQL 5.6) with a shape and a legend entry of its own", () => {
    const spec = claimsChart(resultOf([writeScenario(), lagScenario()]))?.spec;
    expect(rowsOf(spec)).toContainEqual({
      claim: "lag-mysql (lag)",
      percentOfClaim: (1.45 / 2000) * 100,
      outcome: "baseline",
      figure: "baseline (AWS's MySQL 5.6)",
    });
    const shape = (spec as { layer: { encoding: { shape: { scale: unknown } } }[] }).layer[0]?.encoding.shape;
    expect(shape?.scale).toEqual({
      domain: ["Aurora's claim", "baseline (AWS's MySQL 5.6)"],
      range: ["circle", "triangle-up"],
    });
    expect(spec?.title).toMatch(/; a baseline is not a bound\)$/);
    // Without a baseline claim, one shape and no word about baselines.
    const own = claimsChart(resultOf([writeScenario()]))?.spec;
    expect(
      (own as { layer: { encoding: { shape: { scale: unknown } } }[] }).layer[0]?.encoding.shape.scale,
    ).toEqual({ domain: ["Aurora's claim"], range: ["circle"] });
    expect(own?.title).not.toMatch(/baseline/);
  });
});

describe("crash and fault charts", () => {
  it("plots each crash's commits per tick as txn/s, aligned on the crash", () => {
    const rows = rowsOf(crashTimelineChart(crashScenario())?.spec);
    const warm = rows.filter((r) => r.crash === "warm (sandbox-kill)");
    expect(warm).toHaveLength(300);
    expect(warm[0]).toEqual({ crash: "warm (sandbox-kill)", secondsFromCrash: -20, txnPerSec: 5000 });
    expect(warm.find((r) => r.secondsFromCrash === 0)?.txnPerSec).toBe(0);
    expect(warm.find((r) => r.secondsFromCrash === 1.5)?.txnPerSec).toBe(5000);
  });

  it("marks the crash, each fault's span and the seconds connections were lost on the timeline", () => {
    const scenario = crashScenario();
    scenario.intervals = [
      {
        ...(scenario.intervals[0] as (typeof scenario.intervals)[number]),
        t: 20,
        connections: { alive: 0, lost: 16, reconnected: 0 },
      },
    ];
    scenario.faults = [
      {
        kind: "disk-congestion",
        sql: "ALTER SYSTEM SIMULATE ...",
        atMs: 5000,
        forMs: 10_000,
        sentAt: "x",
        sentAtMs: 5004,
        ok: true,
        error: null,
      },
      {
        kind: "disk-failure",
        sql: "ALTER SYSTEM SIMULATE ...",
        atMs: 90_000,
        forMs: 1000,
        sentAt: null,
        sentAtMs: null,
        ok: false,
        error: "not sent",
      },
    ];
    expect(timelineEvents(scenario)).toEqual([
      { from: 20, to: 20, event: "crash", detail: "sandbox-kill (cold)" },
      { from: 5.004, to: 15.004, event: "fault: disk-congestion", detail: "ALTER SYSTEM SIMULATE ..." },
      { from: 20, to: 21, event: "connections lost / reopened", detail: "16 lost, 0 reopened" },
    ]);
    expect(rowsOf(throughputChart(scenario)?.spec, 0)).toHaveLength(3);
  });

  it("shows crash claims as a share of the claimed bound", () => {
    const rows = rowsOf(claimsChart(resultOf([crashScenario()]))?.spec);
    expect(rows).toEqual([
      { claim: "crash (warm crash)", percentOfClaim: 5.2, outcome: "met", figure: "Aurora's claim" },
      { claim: "crash (cold crash)", percentOfClaim: 14.2, outcome: "not-met", figure: "Aurora's claim" },
    ]);
  });
});

describe("rendering", () => {
  it("draws every chart of a result as SVG with its title and marks, and as PNG", async () => {
    const charts = chartsFor(resultOf([writeScenario(), lagScenario(), crashScenario()]));
    expect(charts.map((c) => c.name)).toEqual([
      "claims",
      "throughput-aurora-write",
      "latency-aurora-write",
      "lag-by-rate-replica-lag",
      "lag-per-second-replica-lag",
      "latency-replica-lag",
      "crash-timeline-crash-recovery",
      "throughput-crash-recovery",
      "latency-crash-recovery",
    ]);
    for (const chart of charts) {
      const svg = await renderSvg(chart);
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toContain(chart.spec.title as string);
      // Lines, bars and points are SVG paths; an empty chart would have only its axes.
      expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(5);
      const png = svgToPng(svg);
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
  }, 30_000);
});
