import { describe, expect, it } from "vitest";
import type { CrashClaim } from "../scenario/schema.js";
import type { CrashAnalysis } from "./crash-analysis.js";
import { claimsFor, crashClaimVerdicts, warmColdComparison } from "./crash-verdict.js";

const CLAIMS: CrashClaim[] = [
  {
    id: "crash",
    metric: "downtimeMs",
    value: 10_000,
    unit: "ms",
    cache: "any",
    quote: "instant",
    source: "SIGMOD 2017",
    hardware: "r3.8xlarge",
  },
  {
    id: "warm",
    metric: "recoveryMs",
    value: 10_000,
    unit: "ms",
    cache: "warm",
    quote: "warm cache",
    source: "re:Invent",
    hardware: "r3.8xlarge",
  },
];

function analysis(downtimeMs: number | null, recoveryMs: number | null): CrashAnalysis {
  return {
    atMs: 20_000,
    downtimeMs,
    outage:
      downtimeMs === null ? { fromMs: 19_990, toMs: null } : { fromMs: 19_990, toMs: 19_990 + downtimeMs },
    recoveryMs,
    recoveryShare: 0.9,
    before: null,
    after: null,
    errors: {},
    connectionsLost: 0,
    reconnected: 0,
    tickMs: 100,
    notes: [],
  };
}

const input = (over: Partial<Parameters<typeof crashClaimVerdicts>[0]> = {}) => ({
  claims: CLAIMS,
  cache: "warm" as const,
  analysis: analysis(2500, 4000),
  failure: null,
  status: "complete" as const,
  scaled: [],
  measuredEnvironment: "test box",
  warnings: [],
  ...over,
});

describe("crash verdicts", () => {
  it("checks each crash against the claims about its cache", () => {
    expect(claimsFor(CLAIMS, "warm").map((c) => c.id)).toEqual(["crash", "warm"]);
    expect(claimsFor(CLAIMS, "cold").map((c) => c.id)).toEqual(["crash"]);
    expect(claimsFor(CLAIMS, "unknown").map((c) => c.id)).toEqual(["crash"]);
  });

  it("met within the bound, not met beyond it or when it never came back", () => {
    const within = crashClaimVerdicts(input());
    expect(within.map((v) => [v.id, v.measuredMs, v.verdict.outcome, v.verdict.ratioToClaim])).toEqual([
      ["crash", 2500, "met", 0.25],
      ["warm", 4000, "met", 0.4],
    ]);
    expect(within[0]?.verdict.text).toMatch(/nothing committed for 2500 ms on test box, within the claim/);
    const slow = crashClaimVerdicts(input({ analysis: analysis(12_000, 30_000) }));
    expect(slow.map((v) => v.verdict.outcome)).toEqual(["not-met", "not-met"]);
    expect(slow[0]?.verdict.text).toMatch(/12\.0 s .* beyond the claim/);
    const never = crashClaimVerdicts(input({ analysis: analysis(null, null) }));
    expect(never.map((v) => v.verdict.outcome)).toEqual(["not-met", "not-met"]);
    expect(never[0]?.verdict.text).toMatch(/nothing committed again before the phase ended/);
    expect(never[0]?.verdict.ratioToClaim).toBeNull();
  });

  it("scaled runs are never a reproduction; failed or interrupted crashes decide nothing", () => {
    expect(crashClaimVerdicts(input({ scaled: ["--quick"] })).map((v) => v.verdict.outcome)).toEqual([
      "scaled",
      "scaled",
    ]);
    const failed = crashClaimVerdicts(input({ failure: "restart: no server" }));
    expect(failed.map((v) => v.verdict.outcome)).toEqual(["incomplete", "incomplete"]);
    expect(failed[0]?.verdict.text).toMatch(/did not go as planned \(restart: no server\)/);
    expect(crashClaimVerdicts(input({ status: "interrupted" }))[0]?.verdict.text).toMatch(
      /the run was interrupted/,
    );
  });

  it("compares warm and cold from the first commit on, not the restart, and says when there is no difference", () => {
    const window = (writesPerSec: number) => ({ fromMs: 0, toMs: 1, writesPerSec, txnPerSec: 1, p99Ms: 1 });
    const crash = (cache: "warm" | "cold", returnMs: number, recoveryMs: number, after: number) => ({
      cache,
      atMs: 20_000,
      outage: { fromMs: 19_995, toMs: 20_000 + returnMs },
      recoveryMs,
      before: window(100),
      after: window(after),
      tickMs: 100,
    });
    // Cold came back sooner (its restart was faster) but took 3 s more to get its throughput back.
    expect(warmColdComparison([crash("warm", 1500, 1600, 95), crash("cold", 500, 3600, 60)])).toBe(
      "After the first commit, throughput was back to 90% in 100 ms with the cache kept (warm) and 3100 ms without (cold); the first window after the outage ran at 95% and 60% of the rate before: the kept cache made the return faster, by 3000 ms.",
    );
    expect(warmColdComparison([crash("warm", 500, 2600, 95), crash("cold", 500, 700, 60)])).toMatch(
      /the warm restart was NOT faster here\.$/,
    );
    expect(warmColdComparison([crash("warm", 1500, 1510, 99), crash("cold", 500, 530, 98)])).toMatch(
      /no difference at this resolution \(100 ms\)/,
    );
    expect(warmColdComparison([crash("warm", 1500, 1510, 99)])).toBeNull();
  });
});
