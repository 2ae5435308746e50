import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFile } from "../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../scenario/resolve.js";
import type { ScenarioFile } from "../scenario/schema.js";
import { builtInScenarioDir } from "../util/paths.js";
import { claimEnvironment, decideVerdict, type VerdictInput } from "./verdict.js";

const file = join(builtInScenarioDir(), "aurora-write.yaml");
const loaded = loadFile(file);
if (loaded.kind !== "scenario") throw new Error("aurora-write.yaml is not a scenario");
const writeScenario: ScenarioFile = loaded.scenario;

/** aurora-write run with the claim's own shape: 4 x 1,000 connections, 250 x 25,000 rows, 600 s. */
const fullShape = resolveScenario(file, writeScenario, {
  clients: 4,
  connectionsPerClient: 1000,
  tables: 250,
  tableSize: 25_000,
  durationMs: 600_000,
});
const quick = resolveScenario(file, writeScenario, { quick: true });
const { claim: _claim, ...withoutClaim } = writeScenario;
const noClaim = resolveScenario(file, withoutClaim);

const CLAIM_ENV =
  "server r3.8xlarge (32 vCPU, 244 GB RAM); clients 4 x r3.8xlarge, same availability zone, enhanced networking; " +
  "4 x 1,000 connections, 250 tables x 25,000 rows, 600s";
const RUN_ENV = "MySQL 8.0.36 on a 16-vCPU test box, 1 client process";

function input(scenario: ResolvedScenario, overrides: Partial<VerdictInput> = {}): VerdictInput {
  return {
    scenario,
    status: "complete",
    measuredValue: 100_000,
    measuredEnvironment: RUN_ENV,
    warnings: [],
    ...overrides,
  };
}

describe("claimEnvironment", () => {
  it("states the claim's hardware and method", () => {
    expect(claimEnvironment(fullShape)).toBe(CLAIM_ENV);
  });

  it("says 'no claim' without one", () => {
    expect(claimEnvironment(noClaim)).toBe("no claim");
  });
});

describe("decideVerdict", () => {
  it("has the full-shape run this test assumes", () => {
    expect(fullShape.scaled).toEqual([]);
    expect(quick.scaled.length).toBe(5);
  });

  it("says met when a run of the claim's shape reaches the claim, naming both environments", () => {
    const verdict = decideVerdict(input(fullShape, { measuredValue: 120_000 }));
    expect(verdict).toEqual({
      outcome: "met",
      ratioToClaim: 1.2,
      text:
        "Claim met with the claim's own method: 120,000 writes/s measured, 120% of the claimed 100,000 writes/s. " +
        `Claim measured on ${CLAIM_ENV}. This run: ${RUN_ENV}.`,
      scaled: [],
      warnings: [],
      claimEnvironment: CLAIM_ENV,
      measuredEnvironment: RUN_ENV,
    });
  });

  it("says met at exactly the claimed figure", () => {
    const verdict = decideVerdict(input(fullShape, { measuredValue: 100_000 }));
    expect(verdict.outcome).toBe("met");
    expect(verdict.ratioToClaim).toBe(1);
    expect(verdict.text).toContain("100% of the claimed 100,000 writes/s");
  });

  it("says not-met when a run of the claim's shape falls short", () => {
    const verdict = decideVerdict(input(fullShape, { measuredValue: 99_999 }));
    expect(verdict.outcome).toBe("not-met");
    expect(verdict.ratioToClaim).toBeCloseTo(0.99999, 10);
    const half = decideVerdict(input(fullShape, { measuredValue: 50_000 }));
    expect(half.outcome).toBe("not-met");
    expect(half.text).toBe(
      "Claim not met with the claim's own method: 50,000 writes/s measured, 50.0% of the claimed 100,000 writes/s. " +
        `Claim measured on ${CLAIM_ENV}. This run: ${RUN_ENV}.`,
    );
  });

  it("never calls a scaled run a reproduction, even when it beats the claim", () => {
    for (const measuredValue of [5_000, 100_000, 250_000]) {
      const verdict = decideVerdict(input(quick, { measuredValue }));
      expect(verdict.outcome).toBe("scaled");
      expect(verdict.ratioToClaim).toBe(measuredValue / 100_000);
      expect(verdict.text.startsWith("Scaled-down run, not a reproduction: ")).toBe(true);
      expect(verdict.text).not.toMatch(/claim met/i);
      expect(verdict.scaled).toEqual(quick.scaled);
    }
  });

  it("lists each difference of a scaled run and names both environments", () => {
    const verdict = decideVerdict(input(quick, { measuredValue: 25_000 }));
    expect(verdict.text).toBe(
      "Scaled-down run, not a reproduction: 25,000 writes/s measured, 25.0% of the claimed 100,000 writes/s. " +
        "Differs from the claim's method in: clients 1 (claim: 4); connections per client 16 (claim: 1,000); " +
        "tables 8 (claim: 250); rows per table 10,000 (claim: 25,000); measured for 8s (claim: 600s). " +
        `Claim measured on ${CLAIM_ENV}. This run: ${RUN_ENV}.`,
    );
    expect(verdict.claimEnvironment).toBe(CLAIM_ENV);
    expect(verdict.measuredEnvironment).toBe(RUN_ENV);
  });

  it("is scaled when only the duration differs", () => {
    const shorter = resolveScenario(file, writeScenario, {
      clients: 4,
      connectionsPerClient: 1000,
      tables: 250,
      tableSize: 25_000,
      durationMs: 60_000,
    });
    const verdict = decideVerdict(input(shorter, { measuredValue: 200_000 }));
    expect(verdict.outcome).toBe("scaled");
    expect(verdict.text).toContain("Differs from the claim's method in: measured for 60s (claim: 600s).");
  });

  it("gives no verdict on an interrupted or failed run", () => {
    for (const status of ["interrupted", "failed"] as const) {
      for (const scenario of [fullShape, quick]) {
        const verdict = decideVerdict(input(scenario, { status, measuredValue: 150_000 }));
        expect(verdict.outcome).toBe("incomplete");
        expect(verdict.ratioToClaim).toBeNull();
        expect(verdict.text).toBe(`The run was ${status}; no verdict on the 100,000 writes/s claim.`);
      }
    }
  });

  it("gives no verdict without a measured figure", () => {
    const verdict = decideVerdict(input(fullShape, { measuredValue: null }));
    expect(verdict.outcome).toBe("incomplete");
    expect(verdict.ratioToClaim).toBeNull();
  });

  it("says no-claim for a scenario without a claim, whatever was measured", () => {
    for (const status of ["complete", "interrupted"] as const) {
      const verdict = decideVerdict(input(noClaim, { status, measuredValue: 1 }));
      expect(verdict).toEqual({
        outcome: "no-claim",
        ratioToClaim: null,
        text: "This scenario carries no claim.",
        scaled: [],
        warnings: [],
        claimEnvironment: "no claim",
        measuredEnvironment: RUN_ENV,
      });
    }
  });

  it("adds warnings as a caution and keeps them", () => {
    const warnings = ["server counters disagree", "3 of 4000 connections were lost during the run"];
    const verdict = decideVerdict(input(fullShape, { measuredValue: 120_000, warnings }));
    expect(verdict.outcome).toBe("met");
    expect(verdict.warnings).toEqual(warnings);
    expect(verdict.text.endsWith(`This run: ${RUN_ENV}. Caution: ${warnings.join("; ")}.`)).toBe(true);
    const scaled = decideVerdict(input(quick, { warnings }));
    expect(scaled.text.endsWith(`Caution: ${warnings.join("; ")}.`)).toBe(true);
  });

  it("uses the claim's own metric unit", () => {
    const readFile = join(builtInScenarioDir(), "aurora-read.yaml");
    const read = loadFile(readFile);
    if (read.kind !== "scenario") throw new Error("not a scenario");
    const resolved = resolveScenario(readFile, read.scenario, { durationMs: 600_000 });
    expect(resolved.scaled).toEqual([]);
    const verdict = decideVerdict(input(resolved, { measuredValue: 535_164 }));
    expect(verdict.outcome).toBe("met");
    expect(verdict.text).toContain("535,164 reads/s measured, 107% of the claimed 500,000 reads/s");
    expect(verdict.text).toContain("1 x 1,000 connections, 250 tables x 25,000 rows, 600s");
  });
});

describe("decideVerdict with the load generator's health", () => {
  const health = (clientBoundIntervals: number, intervals = 10) => ({
    intervals,
    clientBoundIntervals,
    utilizationMean: 0.8,
    clientCpuCores: 1.2,
    utilizationMax: 0.99,
    delayP99MaxMs: 9,
    clientBound: clientBoundIntervals / intervals > 0.1,
  });

  it("gives a client-bound run no database verdict, even one beating the claim", () => {
    const verdict = decideVerdict(input(fullShape, { measuredValue: 150_000, generator: health(3) }));
    expect(verdict.outcome).toBe("client-bound");
    expect(verdict.text).toMatch(
      /^Client-bound: the load generator was the bottleneck in 3 of 10 measured seconds/,
    );
    expect(verdict.text).toContain(CLAIM_ENV);
    expect(verdict.ratioToClaim).toBe(1.5);
  });

  it("says when the server on the same machine is what starves the client", () => {
    const shared = decideVerdict(input(quick, { generator: health(5), serverOnClientMachine: true }));
    expect(shared.text).toContain("The server runs on the same machine");
    const remote = decideVerdict(input(quick, { generator: health(5) }));
    expect(remote.text).toContain("Spread the load over more worker threads");
  });

  it("keeps the database verdict when few seconds were client-bound", () => {
    expect(decideVerdict(input(fullShape, { measuredValue: 150_000, generator: health(1) })).outcome).toBe(
      "met",
    );
    expect(decideVerdict(input(quick, { generator: health(5) })).outcome).toBe("client-bound");
  });

  it("an incomplete run stays incomplete", () => {
    expect(decideVerdict(input(fullShape, { status: "interrupted", generator: health(9) })).outcome).toBe(
      "incomplete",
    );
  });
});
