import { describe, expect, it } from "vitest";
import { uslThroughput } from "../metrics/usl.js";
import { loadCatalog } from "../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../scenario/resolve.js";
import { writeScenario } from "../testing/results.js";
import type { ScenarioResult } from "./schema.js";
import { assembleSweep, publishedMatching, type SweepPointOutcome } from "./sweep.js";

function aurora(id: string, overrides: Parameters<typeof resolveScenario>[2]): ResolvedScenario {
  const found = loadCatalog().scenarios.get(id);
  if (!found) throw new Error(`no scenario ${id}`);
  return resolveScenario(found.file, found.scenario, overrides);
}

/** A point whose read throughput is `readsPerSec`, measured over 10 s with `connections` open. */
function point(value: number, readsPerSec: number, connections = value): SweepPointOutcome {
  const base = writeScenario();
  return {
    value,
    built: {
      ...base,
      connections: { opened: connections, aliveAtEnd: connections },
      throughput: { ...base.throughput, readsPerSec },
      verdict: { ...base.verdict, text: `${readsPerSec} reads/s` },
    },
  };
}

const unmeasured = writeScenario({ measured: null, measuredMs: 0 });

describe("assembleSweep", () => {
  const scenario = aurora("aurora-read", {
    sweep: { parameter: "connections", values: [1, 2, 4, 8, 16, 32, 64], flag: "--connections" },
  }) as ResolvedScenario & { sweep: NonNullable<ResolvedScenario["sweep"]> };
  // Throughput from a law whose truth is known: sigma 0.05, kappa 0.0005, lambda 1000 per connection.
  const truth = { sigma: 0.05, kappa: 0.0005, lambdaPerSec: 1000 };
  const levels = [1, 2, 4, 8, 16, 32, 64];
  const outcomes = levels.map((n) => point(n, uslThroughput(truth, n)));

  it("keeps every point in order with the swept value, its connections and figures", () => {
    const entry = assembleSweep(scenario, outcomes, "complete", unmeasured);
    expect(entry.points?.map((p) => [p.parameter, p.value, p.connections])).toEqual(
      levels.map((n) => ["connections", n, n]),
    );
    expect(entry.points?.[2]?.throughput.readsPerSec).toBeCloseTo(uslThroughput(truth, 4), 6);
    expect(entry.config).toBe(scenario);
  });

  it("names the peak (of the claim's metric), fits the law back to its truth, and flags the fall past the peak", () => {
    const entry = assembleSweep(scenario, outcomes, "complete", unmeasured);
    expect(entry.sweep?.metric).toBe("readsPerSec");
    // The law peaks at sqrt(0.95 / 0.0005) = 43.6 connections: of the levels measured, 32.
    expect(entry.sweep?.peak?.value).toBe(32);
    expect(entry.sweep?.usl?.sigma).toBeCloseTo(0.05, 6);
    expect(entry.sweep?.usl?.kappa).toBeCloseTo(0.0005, 8);
    expect(entry.sweep?.usl?.peakConcurrency).toBeCloseTo(Math.sqrt(0.95 / 0.0005), 3);
    expect(entry.sweep?.usl?.rSquared).toBeCloseTo(1, 6);
    // 64 is 1.2% under 32: within the tolerance; a collapse at 128 is named.
    expect(entry.sweep?.pastPeak).toEqual([]);
    const collapsed = assembleSweep(scenario, [...outcomes, point(128, 5000)], "complete", unmeasured);
    expect(collapsed.sweep?.pastPeak).toEqual([128]);
    expect(collapsed.verdict.warnings[0]).toBe(
      "past the peak, throughput fell at 128 connections per client",
    );
  });

  it("the scenario's figures and verdict are the peak point's, and the verdict says so", () => {
    const entry = assembleSweep(scenario, outcomes, "complete", unmeasured);
    const peak = outcomes[5] as SweepPointOutcome;
    expect(entry.throughput).toEqual(peak.built.throughput);
    expect(entry.verdict.text).toBe(
      `at 32 connections per client (the sweep's peak): ${peak.built.verdict.text}`,
    );
  });

  it("fits against the connections each point opened (clients x per client), not the per-client value", () => {
    const clients = levels.map((n) => point(n, uslThroughput(truth, 4 * n), 4 * n));
    const entry = assembleSweep(scenario, clients, "complete", unmeasured);
    // No point at one connection: lambda is estimated from the lowest, so the peak is near, not exact
    // (on the per-client axis it would be a quarter of it).
    const peak = entry.sweep?.usl?.peakConcurrency ?? 0;
    expect(Math.abs(peak / Math.sqrt(0.95 / 0.0005) - 1)).toBeLessThan(0.1);
    expect(entry.sweep?.usl?.lambdaFrom).toBe("lowest concurrency");
  });

  it("a table-size sweep has a peak and falls, but no scalability fit", () => {
    const sizes = aurora("aurora-write", {
      sweep: { parameter: "tableSize", values: [1000, 10_000, 100_000], flag: "--table-size" },
    }) as ResolvedScenario & { sweep: NonNullable<ResolvedScenario["sweep"]> };
    const write = (value: number, writesPerSec: number): SweepPointOutcome => {
      const base = writeScenario();
      return { value, built: { ...base, throughput: { ...base.throughput, writesPerSec } } };
    };
    const entry = assembleSweep(
      sizes,
      [write(1000, 9000), write(10_000, 8000), write(100_000, 3000)],
      "complete",
      unmeasured,
    );
    expect(entry.sweep?.metric).toBe("writesPerSec");
    expect(entry.sweep?.peak).toEqual({ value: 1000, throughputPerSec: 9000 });
    expect(entry.sweep?.pastPeak).toEqual([10_000, 100_000]);
    expect(entry.sweep?.usl).toBeNull();
  });

  it("too few points for a fit, or none measured: no fit, no peak, the status given", () => {
    const two = assembleSweep(scenario, outcomes.slice(0, 2), "interrupted", unmeasured);
    expect(two.sweep?.usl).toBeNull();
    expect(two.status).toBe("interrupted");
    const none = assembleSweep(scenario, [], "interrupted", unmeasured);
    expect(none.points).toEqual([]);
    expect(none.sweep?.peak).toBeNull();
    expect(none.measured).toBe((unmeasured as ScenarioResult).measured);
  });
});

describe("assembleSweep with published rows (the Aurora paper's Table 3)", () => {
  type Swept = ResolvedScenario & { sweep: NonNullable<ResolvedScenario["sweep"]> };
  /** A point measuring `writesPerSec`, its verdict as its own trial gave it. */
  const writes = (value: number, writesPerSec: number, measuredMs = 10_000): SweepPointOutcome => {
    const base = writeScenario();
    return {
      value,
      built: {
        ...base,
        measuredMs,
        throughput: { ...base.throughput, writesPerSec },
        verdict: { ...base.verdict, text: `${writesPerSec} writes/s` },
      },
    };
  };

  it("sets each published row beside the point at its value, with measured / Aurora and measured / MySQL", () => {
    const scenario = aurora("sigmod-oltp-connections", {}) as Swept;
    const entry = assembleSweep(
      scenario,
      [writes(50, 8000), writes(500, 10_500), writes(5000, 6500)],
      "complete",
      unmeasured,
    );
    const published = entry.sweep?.published;
    expect(published).toMatchObject({ metric: "writesPerSec", label: "connections", matchedBy: "value" });
    expect(published?.source).toMatch(/Table 3/);
    expect(published?.rows[0]).toEqual({
      value: 50,
      label: "50",
      aurora: 40_000,
      mysql: 10_000,
      pointValue: 50,
      measured: 8000,
      ofAurora: 0.2,
      ofMysql: 0.8,
    });
    expect(published?.rows[1]?.ofAurora).toBeCloseTo(10_500 / 71_000, 12);
    expect(published?.rows[1]?.ofMysql).toBeCloseTo(0.5, 12);
    expect(published?.rows[2]).toMatchObject({ measured: 6500, ofMysql: 0.5 });
    expect(publishedMatching(entry.sweep as NonNullable<typeof entry.sweep>)).toBe(
      "each published row is set beside the point at its own value",
    );
    // The peak is the 500-connection point, its verdict the scenario's, as at its own value.
    expect(entry.verdict.text).toBe("at 500 connections per client (the sweep's peak): 10500 writes/s");
  });

  it("under --quick, rows are set beside the points in their positions, and the peak's verdict names the row it stands for", () => {
    const scenario = aurora("sigmod-oltp-connections", { quick: true }) as Swept;
    const entry = assembleSweep(
      scenario,
      [writes(5, 1200), writes(50, 3000), writes(500, 2100)],
      "complete",
      unmeasured,
    );
    const rows = entry.sweep?.published?.rows ?? [];
    expect(rows.map((r) => [r.label, r.pointValue, r.measured])).toEqual([
      ["50", 5, 1200],
      ["500", 50, 3000],
      ["5,000", 500, 2100],
    ]);
    expect(rows[1]?.ofAurora).toBeCloseTo(3000 / 71_000, 12);
    expect(entry.sweep?.published?.matchedBy).toBe("position");
    expect(entry.verdict.text).toBe(
      "at 50 connections per client (the sweep's peak, standing for the published connections 500): 3000 writes/s",
    );
    expect(publishedMatching(entry.sweep as NonNullable<typeof entry.sweep>)).toBe(
      "--quick scales the sweep: its n-th value (5, 50, 500) stands for the n-th published row (50, 500, 5,000), matched by position, not a like-for-like comparison",
    );
  });

  it("a row whose point was not measured, or that no point stands for, has no figure and no ratio", () => {
    const scenario = aurora("sigmod-oltp-connections", {
      sweep: { parameter: "connections", values: [50, 500], flag: "--connections" },
    }) as Swept;
    const entry = assembleSweep(scenario, [writes(50, 9000), writes(500, 0, 0)], "interrupted", unmeasured);
    expect(
      entry.sweep?.published?.rows.map((r) => [r.pointValue, r.measured, r.ofAurora, r.ofMysql]),
    ).toEqual([
      [50, 9000, 0.225, 0.9],
      [500, null, null, null],
      [null, null, null, null],
    ]);
    expect(publishedMatching(entry.sweep as NonNullable<typeof entry.sweep>)).toBe(
      "each published row is set beside the point at its own value; no point ran at 5,000",
    );
  });

  it("a sweep without published rows has none in its summary", () => {
    const scenario = aurora("aurora-write", {
      sweep: { parameter: "tableSize", values: [1000, 10_000], flag: "--table-size" },
    }) as Swept;
    const entry = assembleSweep(scenario, [writes(1000, 9000), writes(10_000, 8000)], "complete", unmeasured);
    expect(entry.sweep).not.toHaveProperty("published");
    expect(publishedMatching(entry.sweep as NonNullable<typeof entry.sweep>)).toBeNull();
  });
});
