import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "../result/schema.js";
import { alternating, perSecondScenario, rateStep, resultOn, summary, verdict } from "../testing/results.js";
import { comparisonCharts } from "./charts.js";
import {
  type Comparison,
  compareResults,
  fullSeconds,
  type LoadedResult,
  type MetricComparison,
  type ResultRow,
  renderComparisonMarkdown,
  renderComparisonTable,
} from "./compare.js";

/** `scenarios` as compare loads them from `file`: a run against a host named after the file. */
function result(
  file: string,
  scenarios: ScenarioResult[],
  target: Parameters<typeof resultOn>[2] = {},
): LoadedResult {
  return { file, result: resultOn(file, scenarios, target) };
}

const metric = (comparison: Comparison, scenarioId: string, label: string, pair = 0): MetricComparison => {
  const found = comparison.pairs[pair]?.scenarios
    .find((s) => s.id === scenarioId)
    ?.metrics.find((m) => m.label === label);
  if (!found) throw new Error(`no ${scenarioId} ${label}`);
  return found;
};

/** The data rows of a single-view chart spec. */
const valuesOf = (spec: unknown) =>
  (spec as { data?: { values: Record<string, unknown>[] } } | undefined)?.data?.values ?? [];

// --- Tests ---------------------------------------------------------------------------------------

describe("fullSeconds", () => {
  it("leaves out the last second when the phase ended before it was whole", () => {
    expect(
      fullSeconds(perSecondScenario("s", { writesPerSec: [1, 2, 3] }, { measuredMs: 3000 })).map((i) => i.t),
    ).toEqual([0, 1, 2]);
    expect(
      fullSeconds(perSecondScenario("s", { writesPerSec: [1, 2, 3] }, { measuredMs: 2999.5 })).map(
        (i) => i.t,
      ),
    ).toEqual([0, 1]);
  });
});

describe("compareResults: matching", () => {
  it("matches scenarios by id, whatever their order, and lists those in one file only", () => {
    const a = result("a.json", [
      perSecondScenario("aurora-write", { writesPerSec: [9, 10, 11] }),
      perSecondScenario("only-a", { writesPerSec: [1, 2] }),
    ]);
    const b = result("b.json", [
      perSecondScenario("only-b", { writesPerSec: [1, 2] }),
      perSecondScenario("aurora-write", { writesPerSec: [18, 20, 22] }),
    ]);
    const comparison = compareResults([a, b]);
    const pair = comparison.pairs[0];
    expect(comparison.pairs).toHaveLength(1);
    expect(pair?.scenarios.map((s) => s.id)).toEqual(["aurora-write"]);
    expect(pair?.onlyInA).toEqual(["only-a"]);
    expect(pair?.onlyInB).toEqual(["only-b"]);
    const table = renderComparisonTable(comparison);
    expect(table).toMatch(/only-a\s.*only in a/);
    expect(table).toMatch(/only-b\s.*only in b/);
  });

  it("compares every later file with the first", () => {
    const a = result("a.json", [perSecondScenario("s", { writesPerSec: [9, 10, 11] })]);
    const b = result("b.json", [perSecondScenario("s", { writesPerSec: [18, 20, 22] })]);
    const c = result("c.json", [perSecondScenario("s", { writesPerSec: [9, 10, 11] })]);
    const comparison = compareResults([a, b, c]);
    expect(comparison.pairs.map((p) => [p.a.file, p.b.file])).toEqual([
      ["a.json", "b.json"],
      ["a.json", "c.json"],
    ]);
    expect(metric(comparison, "s", "writesPerSec", 0).verdict).toBe("b faster");
    expect(metric(comparison, "s", "writesPerSec", 1).verdict).toBe("inconclusive");
  });

  it("needs two results", () => {
    expect(() => compareResults([result("a.json", [])])).toThrow(RangeError);
  });
});

describe("compareResults: throughput", () => {
  // a: 900, 1000, 1100 writes/s in whole seconds, then a partial last second (3.5 s phase) at 5/s;
  // b: twice a. The phase figures: 1,000 and 2,000 writes/s. Fieller's interval is scale-free, so it
  // is the worked example of stats.test.ts ([9, 10, 11] against [18, 20, 22]): [1.590396, 2.515096].
  const a = result("a.json", [
    perSecondScenario(
      "aurora-write",
      { writesPerSec: [900, 1000, 1100, 5], txnPerSec: [225, 250, 275, 1] },
      { measuredMs: 3500, throughput: { writesPerSec: 1000, readsPerSec: 0, txnPerSec: 250 } },
    ),
  ]);
  const b = result("b.json", [
    perSecondScenario(
      "aurora-write",
      { writesPerSec: [1800, 2000, 2200, 7], txnPerSec: [450, 500, 550, 2] },
      { measuredMs: 3500, throughput: { writesPerSec: 2000, readsPerSec: 0, txnPerSec: 500 } },
    ),
  ]);
  const comparison = compareResults([a, b]);

  it("gives the figures, their ratio, the interval from the whole seconds, and 'b faster'", () => {
    const writes = metric(comparison, "aurora-write", "writesPerSec");
    expect(writes).toMatchObject({ a: 1000, b: 2000, ratio: 2, verdict: "b faster", note: null, unit: "/s" });
    expect(writes.samples).toEqual({ a: 3, b: 3, meanA: 1000, meanB: 2000 });
    expect(writes.interval?.low).toBeCloseTo(1.590396, 6);
    expect(writes.interval?.high).toBeCloseTo(2.515096, 6);
    expect(writes.interval?.df).toBeCloseTo(4, 9);
    expect(metric(comparison, "aurora-write", "txnPerSec").verdict).toBe("b faster");
  });

  it("leaves out a rate that is 0 in both", () => {
    expect(comparison.pairs[0]?.scenarios[0]?.metrics.map((m) => m.label)).toEqual([
      "writesPerSec",
      "txnPerSec",
    ]);
  });

  it("says 'b slower' the other way round, with the reciprocal interval", () => {
    const back = metric(compareResults([b, a]), "aurora-write", "writesPerSec");
    expect(back.ratio).toBe(0.5);
    expect(back.verdict).toBe("b slower");
    // 1 / 2.515096 = 0.397599, 1 / 1.590396 = 0.628774.
    expect(back.interval?.low).toBeCloseTo(0.397599, 6);
    expect(back.interval?.high).toBeCloseTo(0.628774, 6);
  });

  it("says 'inconclusive' when the interval holds 1.0", () => {
    const same = metric(compareResults([a, a]), "aurora-write", "writesPerSec");
    expect(same.ratio).toBe(1);
    expect(same.verdict).toBe("inconclusive");
    // Identical samples: [0.795198, 1.257548] (stats.test.ts).
    expect(same.interval?.low).toBeCloseTo(0.795198, 6);
  });

  it("gives no ratio when a's rate is 0", () => {
    const zeroA = result("a.json", [perSecondScenario("s", { readsPerSec: [0, 0, 0] })]);
    const someB = result("b.json", [perSecondScenario("s", { readsPerSec: [10, 20, 30] })]);
    const reads = metric(compareResults([zeroA, someB]), "s", "readsPerSec");
    expect(reads).toMatchObject({ a: 0, b: 20, ratio: null, interval: null, verdict: "no ratio" });
    expect(reads.note).toBe("a's readsPerSec is 0: no ratio");
  });

  it("renders the figures, the ratio, the interval and the verdict in the table", () => {
    const table = renderComparisonTable(comparison);
    expect(table).toContain("a: a.json (mysql 8.0.36, mysql://bench:***@a.json:3306/sbtest");
    expect(table).toContain("95% CI");
    expect(table).toMatch(
      /aurora-write\s*│ writesPerSec\s*│ 1,000\/s\s*│ 2,000\/s\s*│ 2\.00\s*│ \[1\.59, 2\.52\]\s*│ b faster/,
    );
    expect(table).toMatch(/txnPerSec\s*│ 250\/s\s*│ 500\/s\s*│ 2\.00\s*│ \[1\.59, 2\.52\]\s*│ b faster/);
  });

  it("renders the same rows as Markdown", () => {
    const markdown = renderComparisonMarkdown(comparison);
    expect(markdown).toContain("## `b.json` against `a.json`");
    expect(markdown).toContain("| scenario | metric | a | b | b/a | 95% CI | verdict |");
    expect(markdown).toContain(
      "| aurora-write | writesPerSec | 1,000/s | 2,000/s | 2.00 | [1.59, 2.52] | b faster |",
    );
  });

  it("labels the interval with the confidence level", () => {
    const at99 = compareResults([a, b], { confidence: 0.99 });
    // 99%: [1.357473, 2.946652] (stats.test.ts).
    expect(metric(at99, "aurora-write", "writesPerSec").interval?.low).toBeCloseTo(1.357473, 6);
    expect(renderComparisonTable(at99)).toContain("99% CI");
  });
});

describe("compareResults: latency", () => {
  // Per-second txn p99: a 10, 11, 9, 10, 10 ms; b twice that. Means 10 and 20, sample variances 0.5
  // and 2, va = 0.1, vb = 0.4, df = (0.4 + 0.4)^2 / (0.16/4 + 0.16/4) = 8, t(0.975, 8) = 2.306004:
  // c2 = 100 - 5.317655 * 0.1 = 99.468234, D = 40 + 40 - 5.317655 * 0.04 = 79.787294, sqrt 8.932373,
  // interval (200 -+ 20.597686) / 99.468234 = [1.803610, 2.217774].
  // Per-second txn p50: a 4, 5, 6, 5, 5; b half of that: ratio 0.5, interval [0.406059, 0.615674].
  const a = result("a.json", [
    perSecondScenario(
      "s",
      {
        latencyMs: {
          txn: { p50: [4, 5, 6, 5, 5], p99: [10, 11, 9, 10, 10] },
          rollback: { p50: [1, 1, 1, 1, 1], p99: [2, 2, 2, 2, 2] },
        },
      },
      { latencyMs: { txn: summary(5, 10, 5), rollback: summary(1, 2, 5) } },
    ),
  ]);
  const b = result("b.json", [
    perSecondScenario(
      "s",
      { latencyMs: { txn: { p50: [2, 2.5, 3, 2.5, 2.5], p99: [20, 22, 18, 20, 20] } } },
      { latencyMs: { txn: summary(2.5, 20, 5) } },
    ),
  ]);
  const comparison = compareResults([a, b]);

  it("compares p50 and p99 of each operation in both: lower is better", () => {
    expect(comparison.pairs[0]?.scenarios[0]?.metrics.map((m) => m.label)).toEqual(["txn p50", "txn p99"]);
    const p99 = metric(comparison, "s", "txn p99");
    expect(p99).toMatchObject({ metric: "latencyMs", op: "txn", statistic: "p99", a: 10, b: 20, ratio: 2 });
    expect(p99.verdict).toBe("b worse");
    expect(p99.interval?.low).toBeCloseTo(1.80361, 5);
    expect(p99.interval?.high).toBeCloseTo(2.217774, 5);
    const p50 = metric(comparison, "s", "txn p50");
    expect(p50.ratio).toBe(0.5);
    expect(p50.verdict).toBe("b better");
    expect(p50.interval?.low).toBeCloseTo(0.406059, 5);
    expect(p50.interval?.high).toBeCloseTo(0.615674, 5);
    expect(renderComparisonTable(comparison)).toMatch(
      /txn p99\s*│ 10\.0 ms\s*│ 20\.0 ms\s*│ 2\.00\s*│ \[1\.80, 2\.22\]\s*│ b worse/,
    );
  });

  it("marks 'no interval' with fewer than 5 per-second samples", () => {
    const four = (values: number[]) => ({ p50: values, p99: values });
    const short = compareResults([
      result("a.json", [perSecondScenario("s", { latencyMs: { txn: four([10, 11, 9, 10]) } })]),
      result("b.json", [perSecondScenario("s", { latencyMs: { txn: four([20, 22, 18, 20]) } })]),
    ]);
    const p99 = metric(short, "s", "txn p99");
    expect(p99).toMatchObject({ a: 10, b: 20, ratio: 2, interval: null, verdict: "no interval" });
    expect(p99.note).toBe(
      "interval unavailable: too few samples for an interval (a 4, b 4; at least 5 each)",
    );
    const table = renderComparisonTable(short);
    expect(table).toMatch(/txn p99\s*│ 10\.0 ms\s*│ 20\.0 ms\s*│ 2\.00\s*│ unavailable\s*│ no interval/);
    expect(table).toContain("note: s txn p99: interval unavailable: too few samples");
  });

  it("says inconclusive when the figures' ratio and the interval are on opposite sides of 1.0", () => {
    // The phase's p99 is better in b (9 against 10 ms) while every second of b was worse.
    const mixed = compareResults([
      a,
      result("b.json", [
        perSecondScenario(
          "s",
          { latencyMs: { txn: { p50: [2, 2.5, 3, 2.5, 2.5], p99: [20, 22, 18, 20, 20] } } },
          { latencyMs: { txn: summary(2.5, 9, 5) } },
        ),
      ]),
    ]);
    const p99 = metric(mixed, "s", "txn p99");
    expect(p99.ratio).toBeCloseTo(0.9, 12);
    expect(p99.verdict).toBe("inconclusive");
    expect(p99.note).toBe(
      "the ratio of the figures, 0.900, and the interval of the per-second means, [1.80, 2.22], are on opposite sides of 1.0",
    );
  });
});

describe("compareResults: AWS's 3x write / 5x read claim", () => {
  // a (MySQL): 990 and 1010 writes/s and reads/s alternating over 10 s, mean 1,000.
  const baseline = result(
    "mysql.json",
    [
      perSecondScenario("aurora-write", { writesPerSec: alternating(1000, 10) }),
      perSecondScenario("aurora-read", { readsPerSec: alternating(1000, 10) }),
    ],
    { flavor: "mysql", version: "5.6.51" },
  );
  const target = (writes: number[], reads: number[] | null) =>
    result(
      "aurora.json",
      [
        perSecondScenario("aurora-write", { writesPerSec: writes }),
        ...(reads ? [perSecondScenario("aurora-read", { readsPerSec: reads })] : []),
      ],
      { flavor: "aurora-mysql", version: "5.6.10a" },
    );
  const checks = (b: LoadedResult, a: LoadedResult = baseline) => compareResults([a, b]).pairs[0]?.awsClaims;

  it("met when the interval's lower bound is at least the factor; inconclusive when it holds it", () => {
    // Writes 4x: b alternates 3960/4040, Fieller [3.960579, 4.039813] (df 18, t 2.100922): >= 3, met.
    // Reads 5x: b alternates 4950/5050, [4.950724, 5.049766] holds 5: inconclusive.
    const verdict = checks(target(alternating(4000, 40), alternating(5000, 50)));
    expect(verdict?.stated).toBe(true);
    const [write, read] = verdict?.checks ?? [];
    expect(write).toMatchObject({
      id: "write",
      scenario: "aurora-write",
      factor: 3,
      ratio: 4,
      verdict: "met",
    });
    expect(write?.interval?.low).toBeCloseTo(3.960579, 5);
    expect(write?.interval?.high).toBeCloseTo(4.039813, 5);
    expect(read).toMatchObject({
      id: "read",
      scenario: "aurora-read",
      factor: 5,
      ratio: 5,
      verdict: "inconclusive",
    });
    expect(read?.interval?.low).toBeCloseTo(4.950724, 5);
    const table = renderComparisonTable(
      compareResults([baseline, target(alternating(4000, 40), alternating(5000, 50))]),
    );
    expect(table).toMatch(
      /Aurora 3x MySQL's writes\/s\s*│ aurora-write writesPerSec\s*│ 4\.00\s*│ \[3\.96, 4\.04\]\s*│ MET/,
    );
    expect(table).toMatch(
      /Aurora 5x MySQL's reads\/s\s*│ aurora-read readsPerSec\s*│ 5\.00\s*│ \[4\.95, 5\.05\]\s*│ INCONCLUSIVE/,
    );
  });

  it("not met when the interval's upper bound is below the factor", () => {
    // 2x: b alternates 1980/2020: [1.980290, 2.019907], below 3 and below 5.
    const [write, read] = checks(target(alternating(2000, 20), alternating(2000, 20)))?.checks ?? [];
    expect(write?.verdict).toBe("not met");
    expect(write?.interval?.high).toBeCloseTo(2.019907, 5);
    expect(read?.verdict).toBe("not met");
  });

  it("met when the lower bound equals the factor exactly", () => {
    // Neither side varies: the interval is the point [3, 3].
    const flatA = result("a.json", [perSecondScenario("aurora-write", { writesPerSec: [1000, 1000] })], {
      flavor: "mariadb",
    });
    const flatB = result("b.json", [perSecondScenario("aurora-write", { writesPerSec: [3000, 3000] })], {
      flavor: "aurora-mysql",
    });
    const [write, read] = checks(flatB, flatA)?.checks ?? [];
    expect(write).toMatchObject({ verdict: "met", interval: { low: 3, high: 3 } });
    expect(read).toMatchObject({ verdict: "not measured", ratio: null });
    expect(read?.text).toBe("aurora-read readsPerSec is not in both results");
  });

  it("inconclusive without an interval", () => {
    const oneA = result("a.json", [perSecondScenario("aurora-write", { writesPerSec: [1000] })]);
    const oneB = result("b.json", [perSecondScenario("aurora-write", { writesPerSec: [4000] })], {
      flavor: "aurora-mysql",
    });
    const [write] = checks(oneB, oneA)?.checks ?? [];
    expect(write).toMatchObject({ verdict: "inconclusive", ratio: 4, interval: null });
  });

  it("is not stated when a is not a MySQL or MariaDB baseline, or b is the same target", () => {
    const aurora = target(alternating(4000, 40), alternating(5000, 50));
    const notBaseline = checks(baseline, aurora);
    expect(notBaseline).toEqual({
      stated: false,
      reason: "a runs aurora-mysql 5.6.10a, not a MySQL or MariaDB baseline",
      checks: [],
      lag: [],
    });
    const same = checks(baseline, baseline);
    expect(same?.stated).toBe(false);
    expect(same?.reason).toBe(
      "a and b ran against the same target (mysql://bench:***@mysql.json:3306/sbtest)",
    );
    expect(renderComparisonTable(compareResults([aurora, baseline]))).toContain(
      `AWS's "3x write / 5x read" claim: not stated (a runs aurora-mysql 5.6.10a, not a MySQL or MariaDB baseline)`,
    );
  });
});

describe("compareResults: replica-lag steps", () => {
  // a: at 2,000/s, replica-1 lags p50 1 ms / p99 4 ms, replica-2 p50 2 ms / p99 3 ms: the worst is
  // 2 ms at p50 (replica-2) and 4 ms at p99 (replica-1). b: one replica, 4 ms / 12 ms, at 1,000/s achieved.
  const a = result("a.json", [
    perSecondScenario(
      "replica-lag",
      { writesPerSec: [2000, 2000] },
      {
        steps: [
          rateStep(2000, 2000, { "replica-1": { p50: 1, p99: 4 }, "replica-2": { p50: 2, p99: 3 } }),
          rateStep(13800, 5000, { "replica-1": { p50: 3000, p99: 5000 } }),
        ],
      },
    ),
  ]);
  const b = result("b.json", [
    perSecondScenario(
      "replica-lag",
      { writesPerSec: [1000, 1000] },
      {
        steps: [
          rateStep(2000, 1000, { "replica-1": { p50: 4, p99: 12 } }),
          rateStep(5000, 5000, { "replica-1": { p50: 5, p99: 6 } }),
        ],
      },
    ),
  ]);
  const comparison = compareResults([a, b]);
  const lag = comparison.pairs[0]?.scenarios[0];

  it("compares the steps both ran, by rate, with point values and no interval", () => {
    expect(lag?.metrics).toEqual([]);
    expect(lag?.steps?.map((s) => s.targetRatePerSec)).toEqual([2000]);
    expect(lag?.stepsOnlyInA).toEqual([13800]);
    expect(lag?.stepsOnlyInB).toEqual([5000]);
    const metrics = lag?.steps?.[0]?.metrics ?? [];
    expect(metrics.map((m) => [m.label, m.a, m.b, m.ratio, m.interval, m.verdict])).toEqual([
      ["achievedRatePerSec", 2000, 1000, 0.5, null, "no interval"],
      ["lag p50 (worst replica)", 2, 4, 2, null, "no interval"],
      ["lag p99 (worst replica)", 4, 12, 3, null, "no interval"],
    ]);
  });

  it("renders the step rows and the steps one side ran only", () => {
    const table = renderComparisonTable(comparison);
    expect(table).toMatch(
      /replica-lag @ 2,000\/s\s*│ achievedRatePerSec\s*│ 2,000\/s\s*│ 1,000\/s\s*│ 0\.500\s*│ unavailable\s*│ no interval/,
    );
    expect(table).toMatch(
      /replica-lag @ 2,000\/s\s*│ lag p50 \(worst replica\)\s*│ 2\.00 ms\s*│ 4\.00 ms\s*│ 2\.00\s*│ unavailable\s*│ no interval/,
    );
    expect(table).toMatch(
      /replica-lag @ 2,000\/s\s*│ lag p99 \(worst replica\)\s*│ 4\.00 ms\s*│ 12\.0 ms\s*│ 3\.00/,
    );
    expect(table).toMatch(/replica-lag @ 13,800\/s\s.*only in a/);
    expect(table).toMatch(/replica-lag @ 5,000\/s\s.*only in b/);
  });

  it("gives no ratio when a replica has no lag samples", () => {
    const noSamples = result("a.json", [
      perSecondScenario("replica-lag", {}, { steps: [rateStep(2000, 2000, { "replica-1": null })] }),
    ]);
    const m = compareResults([noSamples, b]).pairs[0]?.scenarios[0]?.steps?.[0]?.metrics[1];
    expect(m).toMatchObject({ a: null, b: 4, ratio: null, verdict: "no ratio", note: "a has no lag p50" });
  });
});

describe("compareResults: notes", () => {
  it("names differences in status, load, dataset and a client-bound side", () => {
    const dataset = (tables: number, tableSize: number) => ({
      tables,
      tableSize,
      reusedTables: 0,
      loadedTables: 0,
      loadMs: 0,
      rowsLoaded: 0,
    });
    const a = result("a.json", [
      perSecondScenario(
        "s",
        { writesPerSec: [9, 10, 11] },
        {
          connections: { opened: 4000, aliveAtEnd: 4000 },
          verdict: verdict("client-bound", null, ""),
          dataset: dataset(250, 25_000),
        },
      ),
    ]);
    const b = result("b.json", [
      perSecondScenario(
        "s",
        { writesPerSec: [18, 20, 22] },
        {
          connections: { opened: 1000, aliveAtEnd: 1000 },
          status: "interrupted",
          dataset: dataset(8, 10_000),
        },
      ),
    ]);
    const notes = compareResults([a, b]).pairs[0]?.scenarios[0]?.notes;
    expect(notes).toEqual([
      "a was client-bound: its figures say more about its client than about its database",
      "b's run is interrupted",
      "different load: a 4,000 connections, b 1,000",
      "different dataset: a 250 x 25,000 rows, b 8 x 10,000 rows",
    ]);
  });
});

describe("compareResults: three results side by side", () => {
  // a (MySQL): writes 900, 1000, 1100 and reads alternating 990/1010 for 10 s. b: twice a's writes,
  // five times its reads; c: half a's writes, no aurora-read, and a scenario of its own. Fieller's
  // interval is scale-free: 2x is stats.test.ts's worked example [1.590396, 2.515096], 0.5x its
  // reciprocal [0.397599, 0.628774]; 5x reads alternating 4950/5050: [4.950724, 5.049766].
  const a = result(
    "a.json",
    [
      perSecondScenario("aurora-write", { writesPerSec: [900, 1000, 1100] }),
      perSecondScenario("aurora-read", { readsPerSec: alternating(1000, 10) }),
    ],
    { flavor: "mysql", version: "5.6.51" },
  );
  const b = result(
    "b.json",
    [
      perSecondScenario("aurora-read", { readsPerSec: alternating(5000, 50) }),
      perSecondScenario("aurora-write", { writesPerSec: [1800, 2000, 2200] }),
    ],
    { flavor: "aurora-mysql", version: "5.6.10a" },
  );
  const c = result(
    "c.json",
    [
      perSecondScenario("only-c", { writesPerSec: [1, 2] }),
      perSecondScenario("aurora-write", { writesPerSec: [450, 500, 550] }),
    ],
    { flavor: "aurora-mysql", version: "5.6.10a" },
  );
  const comparison = compareResults([a, b, c]);
  const row = (scenarioId: string, label: string, of: Comparison = comparison): ResultRow => {
    const found = of.scenarios?.find((s) => s.id === scenarioId)?.rows.find((r) => r.label === label);
    if (!found) throw new Error(`no ${scenarioId} ${label}`);
    return found;
  };

  it("names the results a, b, c in argument order, the first the base", () => {
    expect(comparison.results?.map((r) => [r.name, r.file, r.flavor])).toEqual([
      ["a", "a.json", "mysql"],
      ["b", "b.json", "aurora-mysql"],
      ["c", "c.json", "aurora-mysql"],
    ]);
    expect(comparison.results?.[0]?.awsClaims).toBeNull();
  });

  it("gives each result's figure and, for b and c, the ratio to a and its interval", () => {
    const writes = row("aurora-write", "writesPerSec");
    expect(writes.step).toBeNull();
    const [base, twice, half] = writes.cells;
    expect(base).toEqual({ value: 1000, ratio: null, interval: null, verdict: "base", note: null });
    expect(twice).toMatchObject({ value: 2000, ratio: 2, verdict: "faster", note: null });
    expect(twice?.interval?.low).toBeCloseTo(1.590396, 6);
    expect(twice?.interval?.high).toBeCloseTo(2.515096, 6);
    expect(half).toMatchObject({ value: 500, ratio: 0.5, verdict: "slower", note: null });
    expect(half?.interval?.low).toBeCloseTo(0.397599, 6);
    expect(half?.interval?.high).toBeCloseTo(0.628774, 6);
  });

  it("keeps each pair as the comparison of those two alone", () => {
    expect(comparison.pairs).toEqual([...compareResults([a, b]).pairs, ...compareResults([a, c]).pairs]);
  });

  it("puts the columns in argument order", () => {
    const swapped = compareResults([a, c, b]);
    expect(swapped.results?.map((r) => r.file)).toEqual(["a.json", "c.json", "b.json"]);
    expect(row("aurora-write", "writesPerSec", swapped).cells.map((cell) => cell?.ratio)).toEqual([
      null,
      0.5,
      2,
    ]);
    expect(renderComparisonMarkdown(swapped)).toContain(
      "| aurora-write | writesPerSec | 1,000/s | 500/s | 0.500 | [0.398, 0.629] | b slower | 2,000/s | 2.00 | [1.59, 2.52] | c faster |",
    );
  });

  it("shows a result without the scenario as absent, and a scenario the base lacks as not compared", () => {
    const read = comparison.scenarios?.find((s) => s.id === "aurora-read");
    expect(read?.ran).toEqual([true, true, false]);
    const reads = row("aurora-read", "readsPerSec");
    expect(reads.cells[1]).toMatchObject({ value: 5000, ratio: 5, verdict: "faster" });
    expect(reads.cells[1]?.interval?.low).toBeCloseTo(4.950724, 5);
    expect(reads.cells[2]).toBeNull();
    const onlyC = comparison.scenarios?.find((s) => s.id === "only-c");
    expect(onlyC).toMatchObject({ ran: [false, false, true], rows: [] });
    expect(comparison.scenarios?.map((s) => s.id)).toEqual(["aurora-write", "aurora-read", "only-c"]);
    const markdown = renderComparisonMarkdown(comparison);
    expect(markdown).toContain(
      "| aurora-read | readsPerSec | 1,000/s | 5,000/s | 5.00 | [4.95, 5.05] | b faster | absent | - | - | - |",
    );
    expect(markdown).toContain("| only-c | - | absent | absent | - | - | - | ran | - | - | no base |");
  });

  it("renders one column group per result in Markdown and in the terminal", () => {
    const markdown = renderComparisonMarkdown(comparison);
    expect(
      markdown.startsWith("## `b.json`, `c.json` against `a.json`\n\n- **a** (base): a.json (mysql 5.6.51,"),
    ).toBe(true);
    expect(markdown).toContain("- **c**: c.json (aurora-mysql 5.6.10a,");
    expect(markdown).toContain(
      "| scenario | metric | a | b | b/a | 95% CI | verdict | c | c/a | 95% CI | verdict |",
    );
    expect(markdown).toContain(
      "| aurora-write | writesPerSec | 1,000/s | 2,000/s | 2.00 | [1.59, 2.52] | b faster | 500/s | 0.500 | [0.398, 0.629] | c slower |",
    );
    expect(markdown).toContain("b/a, c/a: each later result's figure over a's (a is the base).");
    const table = renderComparisonTable(comparison);
    expect(table).toContain("a (base): a.json (mysql 5.6.51, mysql://bench:***@a.json:3306/sbtest");
    expect(table).toContain("c: c.json (aurora-mysql 5.6.10a,");
    expect(table).toMatch(
      /aurora-write\s*│ writesPerSec\s*│ 1,000\/s\s*│ 2,000\/s\s*│ 2\.00\s*│ \[1\.59, 2\.52\]\s*│ b faster\s*│ 500\/s\s*│ 0\.500\s*│ \[0\.398, 0\.629\]\s*│ c slower/,
    );
    expect(table).toMatch(
      /aurora-read\s*│ readsPerSec\s*│ 1,000\/s\s*│ 5,000\/s\s*│ 5\.00\s*│ .*│ absent\s*│ -/,
    );
  });

  it("states AWS's claim for each later result against the MySQL base", () => {
    const [, bClaims, cClaims] = comparison.results?.map((r) => r.awsClaims) ?? [];
    expect(bClaims?.checks.map((check) => [check.id, check.ratio, check.verdict])).toEqual([
      ["write", 2, "not met"],
      ["read", 5, "inconclusive"],
    ]);
    expect(cClaims?.checks.map((check) => [check.id, check.ratio, check.verdict])).toEqual([
      ["write", 0.5, "not met"],
      ["read", null, "not measured"],
    ]);
    expect(cClaims?.checks[0]?.text).toMatch(/^c\/a 0\.500, 95% interval/);
    const markdown = renderComparisonMarkdown(comparison);
    expect(markdown).toContain("| claim | metric | b/a | 95% CI | verdict | c/a | 95% CI | verdict |");
    expect(markdown).toContain(
      "| Aurora 3x MySQL's writes/s | aurora-write writesPerSec | 2.00 | [1.59, 2.52] | NOT MET | 0.500 | [0.398, 0.629] | NOT MET |",
    );
    expect(markdown).toContain(
      "| Aurora 5x MySQL's reads/s | aurora-read readsPerSec | 5.00 | [4.95, 5.05] | INCONCLUSIVE | - | - | NOT MEASURED |",
    );
  });

  it("says for which results the claim is not stated, and why", () => {
    const sameAsA = result(
      "a.json",
      [perSecondScenario("aurora-write", { writesPerSec: [900, 1000, 1100] })],
      {
        flavor: "mysql",
        version: "5.6.51",
      },
    );
    const table = renderComparisonTable(compareResults([a, b, sameAsA]));
    expect(table).toContain(`AWS's "3x write / 5x read" claim, each result against the baseline a:`);
    expect(table).toContain(
      `AWS's "3x write / 5x read" claim not stated for c: a and c ran against the same target (mysql://bench:***@a.json:3306/sbtest)`,
    );
    expect(renderComparisonTable(compareResults([b, a, c]))).toContain(
      `AWS's "3x write / 5x read" claim: not stated (a runs aurora-mysql 5.6.10a, not a MySQL or MariaDB baseline)`,
    );
  });

  it("has the JSON shape: confidence, results, scenarios, then the pairs; two results keep only the pairs", () => {
    const json = JSON.parse(JSON.stringify(comparison)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(["confidence", "results", "scenarios", "pairs"]);
    expect(Object.keys(JSON.parse(JSON.stringify(compareResults([a, b]))))).toEqual(["confidence", "pairs"]);
    const scenario = (json.scenarios as Record<string, unknown>[])[0];
    expect(Object.keys(scenario ?? {})).toEqual(["id", "title", "ran", "notes", "steps", "rows"]);
    const first = (scenario?.rows as Record<string, unknown>[] | undefined)?.[0];
    expect(Object.keys(first ?? {})).toEqual([
      "step",
      "metric",
      "op",
      "statistic",
      "label",
      "unit",
      "higherIsBetter",
      "cells",
    ]);
    expect((json.results as Record<string, unknown>[])[2]).toMatchObject({
      name: "c",
      file: "c.json",
      awsClaims: { stated: true },
    });
  });

  it("names the result a note is of, by its letter", () => {
    const four = (values: number[]) => ({ p50: values, p99: values });
    const withNotes = compareResults([
      result("a.json", [perSecondScenario("s", { latencyMs: { txn: four([10, 11, 9, 10]) } })]),
      result("b.json", [perSecondScenario("s", { latencyMs: { txn: four([20, 22, 18, 20]) } })]),
      result("c.json", [
        perSecondScenario("s", { latencyMs: { txn: four([5, 6, 4, 5]) } }, { status: "interrupted" }),
      ]),
    ]);
    expect(withNotes.scenarios?.[0]?.notes).toEqual(["c's run is interrupted"]);
    expect(row("s", "txn p99", withNotes).cells[2]?.note).toBe(
      "interval unavailable: too few samples for an interval (a 4, c 4; at least 5 each)",
    );
    const table = renderComparisonTable(withNotes);
    expect(table).toContain("note: s: c's run is interrupted");
    expect(table).toMatch(
      /note: s txn p99 \(b\): interval unavailable: too few samples for an interval \(a 4, b 4;/,
    );
    expect(table).toMatch(
      /txn p99\s*│ 10\.0 ms\s*│ 20\.0 ms\s*│ 2\.00\s*│ unavailable\s*│ no interval\s*│ 5\.00 ms\s*│ 0\.500/,
    );
  });

  it("compares fixed-rate steps by rate, and shows the steps only some ran", () => {
    const lag = (file: string, steps: ReturnType<typeof rateStep>[]) =>
      result(file, [perSecondScenario("replica-lag", { writesPerSec: [1, 1] }, { steps })]);
    const steps = compareResults([
      lag("a.json", [rateStep(2000, 2000, { r1: 4 }), rateStep(13800, 5000, { r1: 5000 })]),
      lag("b.json", [rateStep(2000, 1000, { r1: 12 })]),
      lag("c.json", [rateStep(2000, 2000, { r1: 2 }), rateStep(5000, 5000, { r1: 6 })]),
    ]);
    const scenario = steps.scenarios?.[0];
    expect(scenario?.steps).toEqual([
      { targetRatePerSec: 2000, ran: [true, true, true] },
      { targetRatePerSec: 13800, ran: [true, false, false] },
      { targetRatePerSec: 5000, ran: [false, false, true] },
    ]);
    // rateStep: a replica's p50 is a quarter of its p99.
    expect(scenario?.rows.map((r) => [r.step, r.label, ...r.cells.map((cell) => cell?.value)])).toEqual([
      [2000, "achievedRatePerSec", 2000, 1000, 2000],
      [2000, "lag p50 (worst replica)", 1, 3, 0.5],
      [2000, "lag p99 (worst replica)", 4, 12, 2],
    ]);
    expect(scenario?.rows[2]?.cells.map((cell) => cell?.ratio)).toEqual([null, 3, 0.5]);
    const markdown = renderComparisonMarkdown(steps);
    expect(markdown).toContain(
      "| replica-lag @ 2,000/s | lag p99 (worst replica) | 4.00 ms | 12.0 ms | 3.00 | unavailable | no interval | 2.00 ms | 0.500 | unavailable | no interval |",
    );
    expect(markdown).toContain(
      "| replica-lag @ 13,800/s | - | ran | absent | - | - | - | absent | - | - | - |",
    );
    expect(markdown).toContain(
      "| replica-lag @ 5,000/s | - | absent | absent | - | - | - | ran | - | - | no base |",
    );
  });

  it("draws throughput and lag with one series per result, in argument order", () => {
    const charts = comparisonCharts(
      [a, b, c].map((loaded, i) => ({ label: `${"abc"[i]}: ${loaded.file}`, result: loaded.result })),
    );
    expect(charts.map((chart) => chart.name)).toEqual([
      "compare-throughput-aurora-write",
      "compare-throughput-aurora-read",
      "compare-throughput-only-c",
    ]);
    const rows = valuesOf(charts[0]?.spec);
    expect(rows).toEqual([
      { second: 0, result: "a: a.json", value: 900 },
      { second: 1, result: "a: a.json", value: 1000 },
      { second: 2, result: "a: a.json", value: 1100 },
      { second: 0, result: "b: b.json", value: 1800 },
      { second: 1, result: "b: b.json", value: 2000 },
      { second: 2, result: "b: b.json", value: 2200 },
      { second: 0, result: "c: c.json", value: 450 },
      { second: 1, result: "c: c.json", value: 500 },
      { second: 2, result: "c: c.json", value: 550 },
    ]);
    const reads = valuesOf(charts[1]?.spec);
    expect(new Set(reads.map((r) => r.result))).toEqual(new Set(["a: a.json", "b: b.json"]));
    expect(
      reads.every((r) => r.value === 990 || r.value === 1010 || r.value === 4950 || r.value === 5050),
    ).toBe(true);
    const lagCharts = comparisonCharts([
      {
        label: "a",
        result: resultOn("a", [
          perSecondScenario("replica-lag", {}, { steps: [rateStep(2000, 1900, { r1: 8 })] }),
        ]),
      },
      {
        label: "b",
        result: resultOn("b", [
          perSecondScenario("replica-lag", {}, { steps: [rateStep(2000, 2000, { r1: 4 })] }),
        ]),
      },
    ]);
    expect(lagCharts.map((chart) => chart.name)).toEqual(["compare-lag-replica-lag"]);
    expect(valuesOf(lagCharts[0]?.spec)).toEqual([
      { ratePerSec: 1900, lagMs: 2, result: "a", statistic: "p50 (worst replica)" },
      { ratePerSec: 1900, lagMs: 8, result: "a", statistic: "p99 (worst replica)" },
      { ratePerSec: 2000, lagMs: 1, result: "b", statistic: "p50 (worst replica)" },
      { ratePerSec: 2000, lagMs: 4, result: "b", statistic: "p99 (worst replica)" },
    ]);
  });
});
