import { describe, expect, it } from "vitest";
import type { LagClaim } from "../scenario/schema.js";
import { lagClaimVerdicts, stepForClaim, worstReplica } from "./lag-verdict.js";
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

  it("compares with the MySQL figure for the MySQL claims, saying which side the target is on", () => {
    const mysql = claim({ id: "lag-mysql", system: "mysql", value: 2000, ratePerSec: 2000 });
    const [better] = lagClaimVerdicts({ ...input, claims: [mysql], steps: [step(2000, { r: 270 })] });
    expect(better?.verdict.outcome).toBe("met");
    expect(better?.verdict.text).toMatch(/no more than the MySQL 5\.6/);
    const [worse] = lagClaimVerdicts({ ...input, claims: [mysql], steps: [step(2000, { r: 2500 })] });
    expect(worse?.verdict.outcome).toBe("not-met");
    expect(worse?.verdict.text).toMatch(/more than the MySQL 5\.6/);
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
