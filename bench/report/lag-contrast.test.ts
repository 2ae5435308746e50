import { describe, expect, it } from "vitest";
import type { LagClaimResult, Result, StepResult } from "../result/schema.js";
import { alternating, lagStep, resultOn, verdict, writeScenario } from "../testing/results.js";
import {
  compareResults,
  type LoadedResult,
  renderComparisonMarkdown,
  renderComparisonTable,
} from "./compare.js";
import { lagContrastRows, lagContrasts } from "./lag-contrast.js";

/** A step at `ratePerSec` whose one replica lagged `perSecondP50Ms[i]` at the median in second i. */
function step(
  ratePerSec: number,
  perSecondP50Ms: readonly number[],
  overrides: Partial<StepResult> = {},
): StepResult {
  const base = lagStep(ratePerSec, perSecondP50Ms[0] ?? 0);
  const replica = base.lag?.replicas[0];
  if (!base.lag || !replica) throw new Error("lagStep has a replica");
  const sorted = [...perSecondP50Ms].sort((x, y) => x - y);
  const p50 = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return {
    ...base,
    lagMs: { "replica-1": { ...replica.lagMs, p50 } },
    lag: {
      ...base.lag,
      replicas: [
        {
          ...replica,
          lagMs: { ...replica.lagMs, p50 },
          perSecond: perSecondP50Ms.map((p50Ms, second) => ({
            second,
            count: 100,
            p50Ms,
            p99Ms: p50Ms * 3,
            maxMs: p50Ms * 5,
          })),
        },
      ],
    },
    ...overrides,
  };
}

/** A lag claim of the replica-lag scenario as a run records it, checked at `stepRatePerSec`. */
function claim(
  id: string,
  system: "aurora" | "mysql",
  valueMs: number,
  ratePerSec: number,
  checkedAt: StepResult | null,
  versus?: string,
): LagClaimResult {
  return {
    id,
    metric: "lagMs",
    statistic: "p50",
    value: valueMs,
    unit: "ms",
    ratePerSec,
    replicas: 1,
    system,
    ...(versus === undefined ? {} : { versus }),
    quote: `${valueMs} ms`,
    source: "test",
    hardware: "test",
    measured: checkedAt
      ? {
          stepRatePerSec: checkedAt.targetRatePerSec,
          achievedRatePerSec: checkedAt.achievedRatePerSec,
          replica: "replica-1",
          valueMs: checkedAt.lagMs["replica-1"]?.p50 ?? null,
        }
      : null,
    verdict: verdict("baseline", null, "test"),
  };
}

/** A run of replica-lag with steps at 2,000/s and 13,800/s; claims after the keynote's pair. */
function run(host: string, flavor: string, low: StepResult, high: StepResult | null): Result {
  const steps = high ? [low, high] : [low];
  return resultOn(
    host,
    [
      writeScenario({
        id: "replica-lag",
        steps,
        claims: [
          claim("lag-mysql", "mysql", 2000, 2000, low),
          claim("lag-aurora", "aurora", 7.2, 13_800, high, "lag-mysql"),
          // No versus: not part of any contrast.
          claim("lag-typical", "aurora", 10, 2000, low),
        ],
      }),
    ],
    { flavor, version: flavor === "mysql" ? "5.6.51" : "5.6.10a" },
  );
}

const FACTOR = 2000 / 7.2;

describe("lagContrasts", () => {
  it("sets the baseline's lag at MySQL's rate over the target's at Aurora's; constant seconds give the exact ratio", () => {
    // a lags 2,000 ms every second at 2,000/s; b 5 ms every second at 13,800/s: exactly 400x.
    const a = run("mysql", "mysql", step(2000, Array(10).fill(2000)), step(13_800, Array(10).fill(9000)));
    const b = run("aurora", "aurora-mysql", step(2000, Array(10).fill(3)), step(13_800, Array(10).fill(5)));
    const [check, ...more] = lagContrasts(a, b, 0.95, "b");
    expect(more).toEqual([]);
    expect(check).toMatchObject({
      scenario: "replica-lag",
      auroraClaim: "lag-aurora",
      mysqlClaim: "lag-mysql",
      ratio: 400,
      interval: { low: 400, high: 400 },
      verdict: "met",
      baseline: { stepRatePerSec: 2000, valueMs: 2000, seconds: 10, replica: "replica-1" },
      target: { stepRatePerSec: 13_800, valueMs: 5, seconds: 10 },
    });
    expect(check?.factor).toBeCloseTo(FACTOR, 10);
    expect(check?.claim).toContain("278x lower");
  });

  it("is not met when the whole interval is below the factor, inconclusive when it holds it", () => {
    const a = run("mysql", "mysql", step(2000, alternating(1000, 10)), null);
    const low = run("aurora", "aurora-mysql", step(2000, [1]), step(13_800, alternating(10, 0.5)));
    // About 100x, far below 278x.
    expect(lagContrasts(a, low, 0.95, "b")[0]).toMatchObject({ verdict: "not met" });
    // 1,000 / 3.6 = 278x, the seconds spread widely: the interval holds the factor.
    const near = run("aurora", "aurora-mysql", step(2000, [1]), step(13_800, alternating(3.6, 1.5)));
    const check = lagContrasts(a, near, 0.95, "b")[0];
    expect(check?.verdict).toBe("inconclusive");
    expect(check?.interval?.low).toBeLessThan(FACTOR);
    expect(check?.interval?.high).toBeGreaterThan(FACTOR);
  });

  it("does not let a target that missed Aurora's rate earn 'met', nor a baseline that missed MySQL's earn 'not met'", () => {
    const a = run("mysql", "mysql", step(2000, Array(5).fill(2000)), null);
    const slow = step(13_800, Array(5).fill(1), { sustained: false, achievedRatePerSec: 4000 });
    const check = lagContrasts(a, run("aurora", "aurora-mysql", step(2000, [1]), slow), 0.95, "b")[0];
    expect(check?.verdict).toBe("inconclusive");
    expect(check?.text).toContain("b did not sustain 13,800/s");
    expect(lagContrastRows(check ? [check] : [])[0]?.[3]).toBe("1.00 ms at 13,800/s, 4,000/s achieved");
    const lazy = step(2000, Array(5).fill(10), { sustained: false, achievedRatePerSec: 1500 });
    const fast = run("aurora", "aurora-mysql", step(2000, [1]), step(13_800, Array(5).fill(1)));
    const notMet = lagContrasts(run("mysql", "mysql", lazy, null), fast, 0.95, "b")[0];
    expect(notMet?.verdict).toBe("inconclusive");
    expect(notMet?.text).toContain("a did not sustain 2,000/s");
  });

  it("is not measured when a side has no step for its claim, and says which", () => {
    const a = run("mysql", "mysql", step(2000, Array(5).fill(2000)), null);
    const b = run("aurora", "aurora-mysql", step(2000, [1]), null);
    const check = lagContrasts(a, b, 0.95, "c")[0];
    expect(check).toMatchObject({ verdict: "not measured", ratio: null, interval: null });
    expect(check?.text).toBe("c: no step for lag-aurora at 13,800/s");
  });

  it("gives no interval from fewer than three seconds a side", () => {
    const a = run("mysql", "mysql", step(2000, [2000, 2000]), null);
    const b = run("aurora", "aurora-mysql", step(2000, [1]), step(13_800, [5, 5, 5]));
    const check = lagContrasts(a, b, 0.95, "b")[0];
    expect(check).toMatchObject({ verdict: "inconclusive", interval: null, ratio: 400 });
    expect(check?.text).toContain(
      "no interval (too few seconds with lag for an interval (a 2, b 3; 3 needed each))",
    );
  });
});

describe("compare: the lag contrast beside 3x/5x", () => {
  const a: LoadedResult = {
    file: "mysql.json",
    result: run("mysql", "mysql", step(2000, Array(10).fill(2000)), step(13_800, Array(10).fill(9000))),
  };
  const b: LoadedResult = {
    file: "aurora.json",
    result: run("aurora", "aurora-mysql", step(2000, Array(10).fill(3)), step(13_800, Array(10).fill(5))),
  };

  it("is part of the AWS claims of a pair with a MySQL baseline, in JSON, the terminal and Markdown", () => {
    const comparison = compareResults([a, b]);
    expect(comparison.pairs[0]?.awsClaims.lag.map((c) => c.verdict)).toEqual(["met"]);
    expect(renderComparisonTable(comparison)).toContain("AWS's replica-lag contrast");
    const markdown = renderComparisonMarkdown(comparison);
    expect(markdown).toContain("### AWS's replica-lag contrast (Aurora against MySQL 5.6)");
    expect(markdown).toContain(
      "| replica-lag | MySQL 2000 ms at 2,000/s against Aurora 7.20 ms at 13,800/s: 278x lower |",
    );
    expect(markdown).toContain("| 2000 ms at 2,000/s | 5.00 ms at 13,800/s | 400 | [400, 400] | MET |");
  });

  it("says the 3x/5x claim was not measured instead of a table of dashes when only replica-lag ran", () => {
    const comparison = compareResults([a, b]);
    expect(comparison.pairs[0]?.awsClaims.checks.every((c) => c.verdict === "not measured")).toBe(true);
    const notMeasured = `AWS's "3x write / 5x read" claim: not measured (aurora-write and aurora-read not in both results)`;
    const table = renderComparisonTable(comparison);
    expect(table).toContain(notMeasured);
    expect(table).not.toContain("NOT MEASURED");
    const markdown = renderComparisonMarkdown(comparison);
    expect(markdown).toContain(`${notMeasured}.`);
    expect(markdown).not.toContain(`### AWS's "3x write / 5x read" claim`);
    const c: LoadedResult = {
      file: "other.json",
      result: run("other", "aurora-mysql", step(2000, [1]), step(13_800, Array(10).fill(20))),
    };
    const wide = renderComparisonTable(compareResults([a, b, c]));
    expect(wide).toContain(notMeasured);
    expect(wide).not.toContain("NOT MEASURED");
  });

  it("is not stated when the base is not a MySQL or MariaDB baseline", () => {
    const comparison = compareResults([b, a]);
    expect(comparison.pairs[0]?.awsClaims).toMatchObject({ stated: false, lag: [] });
    expect(renderComparisonTable(comparison)).not.toContain("replica-lag contrast");
  });

  it("shows each later result's contrast side by side with three results", () => {
    const c: LoadedResult = {
      file: "other.json",
      result: run("other", "aurora-mysql", step(2000, [1]), step(13_800, Array(10).fill(20))),
    };
    const comparison = compareResults([a, b, c]);
    const table = renderComparisonTable(comparison);
    expect(table).toContain("AWS's replica-lag contrast, b against the baseline a:");
    expect(table).toContain("AWS's replica-lag contrast, c against the baseline a:");
    expect(comparison.results?.[2]?.awsClaims?.lag[0]).toMatchObject({ ratio: 100, verdict: "not met" });
  });
});
