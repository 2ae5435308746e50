import { describe, expect, it } from "vitest";
import type { LagClaim } from "../scenario/schema.js";
import {
  baselineFactor,
  isBaselineClaim,
  lagClaimVerdicts,
  lagHeadline,
  stepForClaim,
  worstReplica,
} from "./lag-verdict.js";
import type { StepResult } from "./schema.js";

function claim(overrides: Partial<LagClaim> = {}): LagClaim {
  return {
    id: "lag-aurora",
    metric: "lagMs",
    statistic: "p50",
    value: 7.2,
    unit: "ms",
    ratePerSec: 13800,
    replicas: 1,
    system: "aurora",
    quote: "7.2 ms lag at 13.8K updates/sec",
    source: "re:Invent 2014",
    hardware: "r3.8xlarge",
    ...overrides,
  };
}

const lagOf = (p50: number | null) => ({
  p50,
  p90: p50,
  p99: p50,
  max: p50,
  samples: p50 === null ? 0 : 100,
});

function step(
  ratePerSec: number,
  lags: Record<string, number | null>,
  overrides: Partial<StepResult> = {},
): StepResult {
  return {
    targetRatePerSec: ratePerSec,
    achievedRatePerSec: ratePerSec,
    scheduled: ratePerSec * 10,
    started: ratePerSec * 10,
    dropped: 0,
    discarded: 0,
    maxBacklog: 0,
    backlogMs: 10_000,
    sustained: true,
    measuredFrom: "2026-01-01T00:00:00.000Z",
    measuredTo: "2026-01-01T00:00:10.000Z",
    measuredMs: 10_000,
    latencyMs: {},
    serviceTimeMs: {},
    sendLatenessMs: null,
    errors: {},
    counts: { reads: 0, writes: ratePerSec * 10, txns: ratePerSec * 10, errors: 0, rollbacks: 0, rows: 0 },
    serverCounters: null,
    intervals: [],
    histograms: {},
    generator: null,
    lagMs: Object.fromEntries(Object.entries(lags).map(([name, p50]) => [name, lagOf(p50)])),
    lag: null,
    caughtUpBeforeMs: null,
    ...overrides,
  };
}

const input = {
  replicas: 1,
  status: "complete" as const,
  measuredEnvironment: "sandbox on 2 CPUs",
  serverOnClientMachine: true,
  warnings: [],
};

describe("lag claim verdicts", () => {
  it("compares the worst replica's statistic at the claim's rate, and says met when it lags no more", () => {
    const [met] = lagClaimVerdicts({
      ...input,
      claims: [claim()],
      steps: [step(13800, { "replica-1": 5.1 })],
    });
    expect(met?.verdict.outcome).toBe("met");
    expect(met?.measured).toEqual({
      stepRatePerSec: 13800,
      achievedRatePerSec: 13800,
      replica: "replica-1",
      valueMs: 5.1,
    });
    expect(met?.verdict.ratioToClaim).toBeCloseTo(5.1 / 7.2, 10);
    const [notMet] = lagClaimVerdicts({
      ...input,
      replicas: 2,
      claims: [claim({ replicas: 2 })],
      steps: [step(13800, { "replica-1": 3, "replica-2": 9 })],
    });
    expect(notMet?.verdict.outcome).toBe("not-met");
    expect(notMet?.measured?.replica).toBe("replica-2");
    expect(notMet?.verdict.text).toMatch(/the worst of 2 replicas/);
  });

  it("carries a claim's versus into its result, and leaves the field out where there is none", () => {
    const [paired, alone] = lagClaimVerdicts({
      ...input,
      claims: [claim({ versus: "lag-mysql" }), claim({ id: "lag-typical" })],
      steps: [step(13800, { "replica-1": 5.1 })],
    });
    expect(paired?.versus).toBe("lag-mysql");
    expect(alone && "versus" in alone).toBe(false);
  });

  it("says not-measured, with the --rates to add, when no step ran at the claim's rate", () => {
    const [result] = lagClaimVerdicts({
      ...input,
      claims: [claim()],
      steps: [step(2000, { "replica-1": 1 })],
    });
    expect(result?.verdict.outcome).toBe("not-measured");
    expect(result?.measured).toBeNull();
    expect(result?.verdict.text).toMatch(/--rates 2000,13800/);
    const [interrupted] = lagClaimVerdicts({ ...input, status: "interrupted", claims: [claim()], steps: [] });
    expect(interrupted?.verdict.outcome).toBe("incomplete");
  });

  it("never reports a lag at a rate the primary did not sustain as met", () => {
    const behind = step(
      13800,
      { "replica-1": 1 },
      { sustained: false, achievedRatePerSec: 9000, dropped: 500 },
    );
    const [result] = lagClaimVerdicts({ ...input, claims: [claim()], steps: [behind] });
    expect(result?.verdict.outcome).toBe("not-met");
    expect(result?.verdict.text).toMatch(
      /did not sustain 13,800 updates\/s: it completed 9,000\/s, 65% of it \(500 ops dropped/,
    );
  });

  it("is client-bound when the generator was, and scaled when the replica count differs from the claim's", () => {
    const generator = {
      intervals: 10,
      clientBoundIntervals: 5,
      utilizationMean: 0.9,
      utilizationMax: 1,
      delayP99MaxMs: 20,
      clientCpuCores: 1,
      clientBound: true,
    };
    const late = { p50: 2, p90: 8, p95: 9, p99: 12, p999: 20, max: 30, count: 1000 };
    const onTime = { ...late, p90: 1, p95: 1.5, p99: 2, p999: 3, max: 4 };
    const [bound] = lagClaimVerdicts({
      ...input,
      claims: [claim()],
      steps: [step(13800, { r: 1 }, { generator, sendLatenessMs: late })],
    });
    expect(bound?.verdict.outcome).toBe("client-bound");
    expect(bound?.verdict.text).toMatch(/its sends were late \(p99 12\.0 ms\)/);
    // Late timers whose sends still left on schedule offered the intended load: the figure stands.
    const [kept] = lagClaimVerdicts({
      ...input,
      claims: [claim()],
      steps: [step(13800, { r: 1 }, { generator, sendLatenessMs: onTime })],
    });
    expect(kept?.verdict.outcome).toBe("met");
    expect(kept?.verdict.text).toMatch(/sends on schedule: lateness p99 2\.00 ms/);
    const [scaled] = lagClaimVerdicts({
      ...input,
      claims: [claim({ replicas: 15, ratePerSec: undefined, value: 10 })],
      steps: [step(5000, { r: 50 }), step(1000, { r: 4 })],
    });
    // A claim at "little load" is checked at the lowest step.
    expect(scaled?.measured?.stepRatePerSec).toBe(1000);
    expect(scaled?.verdict.outcome).toBe("scaled");
    expect(scaled?.verdict.scaled).toEqual(["replicas 1 (claim: 15; --replicas 15 to match)"]);
  });

  describe("a baseline claim: AWS's MySQL 5.6, set beside the target, never met by it", () => {
    const mysql = claim({
      id: "lag-mysql",
      system: "mysql",
      value: 2000,
      ratePerSec: 2000,
      hardware: "r3.8xlarge, MySQL 5.6 on EBS",
    });

    it("says how many times lower a fast target lags: 1.4 ms against 2,000 ms is 1,400x lower", () => {
      const [fast] = lagClaimVerdicts({ ...input, claims: [mysql], steps: [step(2000, { r: 1.4 })] });
      expect(fast?.verdict.outcome).toBe("baseline");
      expect(fast?.verdict.ratioToClaim).toBeCloseTo(1.4 / 2000, 12);
      expect(fast?.verdict.text).toBe(
        "MySQL 5.6 (as AWS measured it): 2000 ms at 2,000 updates/s with 1 replica; this target: p50 1.40 ms on r at 2,000 updates/s, 1,400x lower (sends on schedule: lateness p99 0.00 ms). A baseline: the MySQL 5.6 AWS compared Aurora with, not a figure this target has to meet. Baseline measured on r3.8xlarge, MySQL 5.6 on EBS. This run: sandbox on 2 CPUs.",
      );
      expect(fast?.verdict.text).not.toMatch(/\bmet\b|no more than/);
    });

    it("says how many times higher a slow target lags: 3,000 ms against 2,000 ms is 1.5x higher", () => {
      const [slow] = lagClaimVerdicts({ ...input, claims: [mysql], steps: [step(2000, { r: 3000 })] });
      expect(slow?.verdict.outcome).toBe("baseline");
      expect(slow?.verdict.ratioToClaim).toBe(1.5);
      expect(slow?.verdict.text).toMatch(
        /this target: p50 3000 ms on r at 2,000 updates\/s, 1\.5x higher \(sends on schedule/,
      );
    });

    it("still says the rate was not shown when the primary did not sustain it", () => {
      const behind = step(2000, { r: 1 }, { sustained: false, achievedRatePerSec: 1500, dropped: 40 });
      const [result] = lagClaimVerdicts({ ...input, claims: [mysql], steps: [behind] });
      expect(result?.verdict.outcome).toBe("baseline");
      expect(result?.verdict.text).toMatch(
        /^The primary did not sustain 2,000 updates\/s: it completed 1,500\/s, 75% of it \(40 ops dropped, 0 never sent\), so the replicas were not shown that rate and there is no lag at it to set beside the baseline's; lag meanwhile p50 1\.00 ms on r\. Baseline: MySQL 5\.6/,
      );
      expect(result?.verdict.text).not.toMatch(/lower|higher/);
    });

    it("keeps the outcomes that say nothing about the target's figure, naming the figure a baseline", () => {
      const [none] = lagClaimVerdicts({ ...input, claims: [mysql], steps: [step(500, { r: 1 })] });
      expect(none?.verdict.outcome).toBe("not-measured");
      expect(none?.verdict.text).toMatch(/Baseline: MySQL 5\.6 \(as AWS measured it\): 2000 ms/);
      const [scaled] = lagClaimVerdicts({
        ...input,
        replicas: 2,
        claims: [mysql],
        steps: [step(2000, { r1: 1, r2: 4 })],
      });
      expect(scaled?.verdict.outcome).toBe("baseline");
      expect(scaled?.verdict.scaled).toEqual(["replicas 2 (claim: 1; --replicas 1 to match)"]);
      expect(scaled?.verdict.text).toMatch(/^Scaled, not a like-for-like comparison .*, 500x lower/);
    });

    it("rounds the factor to two significant figures", () => {
      expect(baselineFactor(1.45 / 2000)).toBe("1,400x lower");
      expect(baselineFactor(1.5)).toBe("1.5x higher");
      expect(baselineFactor(0.25)).toBe("4x lower");
      expect(baselineFactor(1)).toBe("the same");
      expect(baselineFactor(1.02)).toBe("about the same");
      expect(baselineFactor(0)).toBe("lower");
      expect(isBaselineClaim(mysql)).toBe(true);
      expect(isBaselineClaim(claim())).toBe(false);
    });
  });

  it("heads the scenario with a claim about Aurora before a baseline one", () => {
    const mysql = claim({ id: "lag-mysql", system: "mysql", value: 2000, ratePerSec: 2000 });
    const aurora = claim({ id: "lag-paper-2k", value: 3.42, ratePerSec: 2000 });
    const both = lagClaimVerdicts({
      ...input,
      claims: [mysql, claim(), aurora],
      steps: [step(2000, { r: 1.4 })],
    });
    expect(lagHeadline(both)?.outcome).toBe("met");
    expect(lagHeadline(both)?.text).toMatch(/^lag-paper-2k: lag p50 1\.40 ms/);
    // Without a figure about Aurora, the baseline's comparison is the only figure there is.
    const onlyBaseline = lagClaimVerdicts({
      ...input,
      claims: [mysql, claim()],
      steps: [step(2000, { r: 1.4 })],
    });
    expect(lagHeadline(onlyBaseline)?.text).toMatch(/^lag-mysql: .*1,400x lower/);
    // With no figure at all, Aurora's claim heads it.
    const none = lagClaimVerdicts({ ...input, claims: [mysql, claim()], steps: [step(500, { r: 1 })] });
    expect(lagHeadline(none)?.text).toMatch(/^lag-aurora: No step ran at 13,800/);
    expect(lagHeadline([])).toBeUndefined();
  });

  it("has no figure when a replica has no samples", () => {
    const s = step(13800, { "replica-1": 3, "replica-2": null });
    expect(worstReplica(s, "p50")).toEqual({ name: "replica-2", valueMs: null });
    const [result] = lagClaimVerdicts({
      ...input,
      replicas: 2,
      claims: [claim({ replicas: 2 })],
      steps: [s],
    });
    expect(result?.verdict.outcome).toBe("incomplete");
    expect(stepForClaim(claim({ ratePerSec: 1 }), [s])).toBeUndefined();
  });
});
