import { describe, expect, it } from "vitest";
import { ClientSession } from "../../clients/session.js";
import type { LagProbeResult } from "../../probe/lag.js";
import type { ScenarioResult } from "../../result/schema.js";
import { loadCatalog } from "../../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../../scenario/resolve.js";
import type { AdminConnection } from "../../target/connection.js";
import { crashEntry, lagStep, writeScenario } from "../../testing/results.js";
import { assembleCrashes, type CrashTrialOutcome, crashRunner } from "./crash.js";
import { assembleRateSteps, probeProblems, type StepOutcome } from "./rate-steps.js";
import { assembleThroughput } from "./throughput.js";

/** A built-in scenario as `run` resolves it, with the given overrides. */
function builtIn(id: string, overrides: Parameters<typeof resolveScenario>[2] = {}): ResolvedScenario {
  const found = loadCatalog().scenarios.get(id);
  if (!found) throw new Error(`no scenario ${id}`);
  return resolveScenario(found.file, found.scenario, overrides);
}

const dataset = { tables: 8, tableSize: 10_000, created: false, rows: 80_000, loadMs: 0 } as never;
const where = "server mariadb 10.11 sandbox on the same machine as the client; client test (2 CPUs)";

describe("throughput: assemble", () => {
  const scenario = builtIn("aurora-write");
  const setup = { dataset, measuredEnvironment: where, serverOnClientMachine: true };

  it("is its one trial's result, faults attached", () => {
    const built = writeScenario({ kind: "throughput" });
    const faults = [{ kind: "disk-congestion", atMs: 5000, ok: true, sql: "ALTER SYSTEM ..." }] as never;
    expect(
      assembleThroughput(scenario, setup, [{ value: null, built, counterDelta: null }], "complete"),
    ).toBe(built);
    expect(
      assembleThroughput(scenario, setup, [{ value: null, built, counterDelta: null, faults }], "complete"),
    ).toEqual({
      ...built,
      faults,
    });
  });

  it("a client of a split run adds its part: the counters it read and what it sent, for the merge", () => {
    const session = new ClientSession({
      conn: {} as AdminConnection,
      scenarioId: scenario.id,
      runId: "r1",
      count: 4,
      index: 2,
      host: "client-c",
      timeoutMs: 1000,
      signal: new AbortController().signal,
      log: () => {},
    });
    const built = writeScenario();
    const entry = assembleThroughput(
      scenario,
      { ...setup, session },
      [{ value: null, built, counterDelta: { Com_update: 10 }, clientCounters: { Com_update: 9 } }],
      "complete",
    );
    expect(entry.shard).toEqual({
      count: 4,
      index: 2,
      runId: "r1",
      host: "client-c",
      meetings: [],
      serverCounterDelta: { Com_update: 10 },
      clientCounters: { Com_update: 9 },
    });
  });

  it("with no trial (interrupted before it): the scenario's config, status and where, no figures", () => {
    const entry = assembleThroughput(scenario, setup, [], "interrupted");
    expect(entry).toMatchObject({
      id: "aurora-write",
      kind: "throughput",
      status: "interrupted",
      measured: null,
    });
    expect(entry.verdict.outcome).toBe("incomplete");
    expect(entry.verdict.measuredEnvironment).toBe(where);
  });
});

function stepOutcome(ratePerSec: number, lagP50Ms: number, extra: Partial<StepOutcome> = {}): StepOutcome {
  const step = lagStep(ratePerSec, lagP50Ms, extra.step ?? {});
  return {
    ratePerSec,
    built: writeScenario({ id: "replica-lag", claim: null, measured: null }),
    step,
    status: "complete",
    loadFailure: null,
    probeProblems: [],
    ...extra,
    ...(extra.step ? {} : { step }),
  };
}

describe("rate-steps: assemble", () => {
  const scenario = builtIn("replica-lag");
  const replication = {
    source: "sandbox" as const,
    primary: "mysql://bench:***@127.0.0.1:1/sbtest",
    replicas: [{ name: "replica-1", url: "mysql://bench:***@127.0.0.1:2/sbtest" }],
    settings: {},
    startupMs: 900,
  } as never;
  const setup = {
    dataset,
    replicaCount: 1,
    measuredEnvironment: where,
    serverOnClientMachine: true,
    servers: { replication },
  };

  it("every step in order, the lag claims checked at their rates, the first with a figure as headline", () => {
    const outcomes = [
      stepOutcome(2000, 1.45),
      stepOutcome(13_800, 3320, {
        step: lagStep(13_800, 3320, {
          achievedRatePerSec: 4758,
          sustained: false,
          dropped: 10,
          discarded: 5,
        }),
      }),
    ];
    const entry = assembleRateSteps(scenario, setup, outcomes, "complete");
    expect(entry.steps?.map((s) => s.targetRatePerSec)).toEqual([2000, 13_800]);
    expect(entry.replication).toBe(replication);
    const claims = entry.claims ?? [];
    expect(claims.map((c) => c.id)).toEqual((scenario.claims ?? []).map((c) => c.id));
    const headline = claims.find((c) => c.measured !== null);
    expect(headline).toBeDefined();
    expect(entry.verdict.text).toBe(`${headline?.id}: ${headline?.verdict.text}`);
    expect(entry.verdict.outcome).toBe(headline?.verdict.outcome);
  });

  it("a load that stopped early and a probe cut short are named by their step in every claim's warnings", () => {
    const outcomes = [
      stepOutcome(2000, 1.45, { probeProblems: ["lag probe on replica-1: gone"] }),
      stepOutcome(13_800, 3320, { loadFailure: "worker 1 died", status: "failed" }),
    ];
    const entry = assembleRateSteps(scenario, setup, outcomes, "failed");
    expect(entry.status).toBe("failed");
    for (const claim of entry.claims ?? []) {
      expect(claim.verdict.warnings).toEqual(
        expect.arrayContaining([
          "at 2,000/s: lag probe on replica-1: gone",
          "the load stopped early at 13,800/s: worker 1 died",
        ]),
      );
    }
  });

  it("without replication: no claims, no replication, the last step's own verdict", () => {
    const noReplicas = { ...scenario, replication: undefined, claims: undefined } as ResolvedScenario;
    const last = stepOutcome(500, 1);
    const entry = assembleRateSteps(
      noReplicas,
      { ...setup, replicaCount: 0, servers: { replication: null } },
      [stepOutcome(100, 1), last],
      "complete",
    );
    expect(entry.claims).toBeUndefined();
    expect(entry.replication).toBeUndefined();
    expect(entry.verdict).toEqual(last.built.verdict);
  });

  it("no step yet: the scenario unmeasured, no steps", () => {
    const entry = assembleRateSteps(scenario, setup, [], "interrupted");
    expect(entry.steps).toEqual([]);
    expect(entry.status).toBe("interrupted");
    expect(entry.measured).toBeNull();
  });

  it("probe problems: heartbeats stopped, each replica's first error with its reconnects, and reopens without an error", () => {
    const lag = {
      heartbeat: { errors: ["ER_LOCK_WAIT_TIMEOUT"] },
      replicas: [
        { name: "replica-1", errors: [], reconnects: 0 },
        { name: "replica-2", errors: ["lost", "again"], reconnects: 2 },
        { name: "replica-3", errors: [], reconnects: 1 },
      ],
    } as unknown as LagProbeResult;
    expect(probeProblems(null)).toEqual([]);
    expect(probeProblems(lag)).toEqual([
      "heartbeats stopped (ER_LOCK_WAIT_TIMEOUT); lag covers only the part of the step before that",
      "lag probe on replica-2: lost, 2 probe connection(s) reopened",
      "lag probe on replica-3: 1 probe connection(s) lost and reopened on the same server; readings around each reopen may be late by its time",
    ]);
  });
});

function crashOutcome(
  crash: ReturnType<typeof crashEntry>,
  status: ScenarioResult["status"] = "complete",
  reached = true,
): CrashTrialOutcome {
  return { built: writeScenario({ id: "crash-recovery", status }), crash, reached };
}

describe("crash: assemble and when a crash ends the scenario", () => {
  const scenario = builtIn("crash-recovery");
  const setup = { dataset, measuredEnvironment: where, serverOnClientMachine: true };

  it("the worst claim verdict of any crash is the headline, named by its cache, with the warm/cold comparison", () => {
    const warm = crashEntry("warm", 520, 600);
    const cold = crashEntry("cold", 1420, 12_500, "not-met");
    const entry = assembleCrashes(scenario, setup, [crashOutcome(warm), crashOutcome(cold)], "complete");
    expect(entry.crashes).toEqual([warm, cold]);
    expect(entry.verdict.outcome).toBe("not-met");
    expect(entry.verdict.text).toMatch(/^cold crash: downtime 1420 ms/);
    expect(entry.verdict.text).toMatch(/warm/);
    // Met on both: the first met is the headline.
    const both = assembleCrashes(
      scenario,
      setup,
      [crashOutcome(warm), crashOutcome(crashEntry("cold", 900, 2000))],
      "complete",
    );
    expect(both.verdict.outcome).toBe("met");
    expect(both.verdict.text).toMatch(/^warm crash: downtime 520 ms/);
  });

  it("a crash that did not go as planned fails the scenario, its reason first among the warnings", () => {
    const failed = { ...crashEntry("warm", 520, 600), failure: "the kill command exited 1" };
    const outcome = crashOutcome(failed);
    expect(crashRunner.ends(outcome)).toEqual({ status: "failed" });
    const entry = assembleCrashes(scenario, setup, [outcome], "failed");
    expect(entry.status).toBe("failed");
    expect(entry.verdict.warnings[0]).toBe("the kill command exited 1");
  });

  it("interrupted before its crash: interrupted, not failed, and no problem is named", () => {
    const notReached = { ...crashEntry("warm", 0, 0), failure: "interrupted before the crash", claims: [] };
    const outcome = crashOutcome(notReached, "interrupted", false);
    expect(crashRunner.ends(outcome)).toEqual({ status: "interrupted" });
    const entry = assembleCrashes(scenario, setup, [outcome], "interrupted");
    expect(entry.status).toBe("interrupted");
    // No claim verdict: the run's own verdict, with nothing added.
    expect(entry.verdict).toEqual(outcome.built.verdict);
  });

  it("goes on after a crash that went as planned; stops on an interrupt after it", () => {
    expect(crashRunner.ends(crashOutcome(crashEntry("warm", 520, 600)))).toBeUndefined();
    expect(crashRunner.ends(crashOutcome(crashEntry("warm", 520, 600), "interrupted"))).toEqual({
      status: "interrupted",
    });
  });

  it("no crash yet: the scenario unmeasured, no crashes", () => {
    const entry = assembleCrashes(scenario, setup, [], "interrupted");
    expect(entry.crashes).toEqual([]);
    expect(entry.measured).toBeNull();
    expect(entry.kind).toBe("crash");
  });
});
