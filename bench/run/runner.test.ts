import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "../result/schema.js";
import { SCENARIO_KINDS } from "../scenario/kind.js";
import { loadCatalog } from "../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../scenario/resolve.js";
import { writeScenario } from "../testing/results.js";
import { UsageError } from "../util/errors.js";
import { checkKindFlags, checkSplitRun, RUNNERS, runnerFor } from "./kinds.js";
import type { RunOptions } from "./options.js";
import { type RunContext, type Runner, runScenario } from "./runner.js";

function builtIn(id: string): ResolvedScenario {
  const found = loadCatalog().scenarios.get(id);
  if (!found) throw new Error(`no scenario ${id}`);
  return resolveScenario(found.file, found.scenario);
}

const settings = (extra: Partial<RunOptions> = {}): RunOptions => ({
  overrides: {},
  seed: 1,
  hotPath: "lean",
  replicas: [],
  baselineReplicas: [],
  printResult: false,
  engine: "mariadb",
  ...extra,
});

function context(abort = new AbortController(), saved: ScenarioResult["status"][] = []): RunContext {
  return {
    settings: settings(),
    client: {} as RunContext["client"],
    hotPath: "lean",
    seed: 1,
    signal: abort.signal,
    secrets: [],
    log: () => {},
    onProgress: (partial) => saved.push(partial.status),
  };
}

/** A runner over recorded outcomes: each trial returns the next, or throws it when it is an Error. */
function recorded(
  outcomes: (ScenarioResult["status"] | Error)[],
  onTrial: (index: number) => void = () => {},
): { runner: Runner<{ stopped: number }, number, ScenarioResult["status"]>; stops: () => number } {
  let stops = 0;
  const runner: Runner<{ stopped: number }, number, ScenarioResult["status"]> = {
    kind: "throughput",
    flags: [],
    servers: () => "one",
    open: async () => ({
      stopped: 0,
      stop: async () => {
        stops++;
      },
    }),
    trials: () => outcomes.map((_, i) => i),
    runTrial: async ({ trial, index }) => {
      expect(trial).toBe(index);
      onTrial(index);
      const next = outcomes[index];
      if (next instanceof Error) throw next;
      return next as ScenarioResult["status"];
    },
    ends: (status) => (status === "complete" ? undefined : { status }),
    assemble: ({ outcomes: done, status }) =>
      writeScenario({ status, notes: done } as unknown as Partial<ScenarioResult>),
  };
  return { runner, stops: () => stops };
}

describe("runScenario", () => {
  const scenario = builtIn("aurora-write");

  it("runs every trial in turn, hands the result so far over after each but the last, and stops its setup", async () => {
    const saved: ScenarioResult["status"][] = [];
    const { runner, stops } = recorded(["complete", "complete", "complete"]);
    const entry = await runScenario(runner, scenario, context(undefined, saved));
    expect(entry.status).toBe("complete");
    expect((entry as unknown as { notes: string[] }).notes).toHaveLength(3);
    expect(saved).toEqual(["complete", "complete"]);
    expect(stops()).toBe(1);
  });

  it("stops at the trial that ends the scenario, with its status", async () => {
    const { runner } = recorded(["complete", "failed", "complete"]);
    const entry = await runScenario(runner, scenario, context());
    expect(entry.status).toBe("failed");
    expect((entry as unknown as { notes: string[] }).notes).toEqual(["complete", "failed"]);
  });

  it("an interrupt between trials: the rest are not run, and the scenario is interrupted", async () => {
    const abort = new AbortController();
    const { runner } = recorded(["complete", "complete", "complete"], (index) => {
      if (index === 0) abort.abort();
    });
    const entry = await runScenario(runner, scenario, context(abort));
    expect(entry.status).toBe("interrupted");
    expect((entry as unknown as { notes: string[] }).notes).toEqual(["complete"]);
  });

  it("an error after an interrupt still gives what was measured; any other error is thrown, the setup stopped", async () => {
    const abort = new AbortController();
    const interrupted = recorded(["complete", new Error("connection closed")], (index) => {
      if (index === 1) abort.abort();
    });
    const entry = await runScenario(interrupted.runner, scenario, context(abort));
    expect(entry.status).toBe("interrupted");
    expect(interrupted.stops()).toBe(1);
    const failing = recorded([new Error("no such table")]);
    await expect(runScenario(failing.runner, scenario, context())).rejects.toThrow("no such table");
    expect(failing.stops()).toBe(1);
  });
});

describe("the kinds' registry", () => {
  it("has a runner for every kind, each keyed by its own kind", () => {
    expect(Object.keys(RUNNERS).sort()).toEqual([...SCENARIO_KINDS].sort());
    for (const [kind, runner] of Object.entries(RUNNERS)) expect(runner.kind).toBe(kind);
    expect(runnerFor(builtIn("replica-lag")).kind).toBe("rate-steps");
    expect(runnerFor(builtIn("crash-recovery")).kind).toBe("crash");
    expect(runnerFor(builtIn("aurora-read")).kind).toBe("throughput");
  });

  it("each runner says what servers it needs: replica-lag its own, the others the run's one", () => {
    const servers = (id: string) => {
      const scenario = builtIn(id);
      return runnerFor(scenario).servers(scenario);
    };
    expect(servers("replica-lag")).toBe("own");
    expect(servers("aurora-write")).toBe("one");
    expect(servers("crash-recovery")).toBe("one");
    const rateStepsAlone = { ...builtIn("replica-lag"), replication: undefined } as ResolvedScenario;
    expect(runnerFor(rateStepsAlone).servers(rateStepsAlone)).toBe("one");
  });

  it("refuses a kind's flag when no scenario of the run uses it, naming the flag and what would", () => {
    const writes = [builtIn("aurora-write")];
    const message = (extra: Partial<RunOptions>) => {
      try {
        checkKindFlags(writes, settings(extra), "aurora-write");
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(message({ overrides: { ratesPerSec: [100] } })).toBe(
      "--rates: none of aurora-write runs at fixed rates (replica-lag does)",
    );
    expect(message({ overrides: { replicas: 2 } })).toBe(
      "--replicas: none of aurora-write runs at fixed rates (replica-lag does)",
    );
    expect(message({ crashCommand: "kill" })).toBe(
      "--crash-command: none of aurora-write crashes the target (crash-recovery does)",
    );
    // A Galera sandbox's --replicas is its node count, for every scenario.
    expect(message({ overrides: { replicas: 2 }, engine: "galera" })).toBe("accepted");
    expect(() =>
      checkKindFlags(
        [builtIn("replica-lag")],
        settings({ overrides: { ratesPerSec: [100] } }),
        "replica-lag",
      ),
    ).not.toThrow();
  });

  it("a split run takes throughput scenarios of one client count only", () => {
    const client = { index: 0, runId: "r", barrierTimeoutMs: 1000 };
    expect(checkSplitRun([builtIn("aurora-write")], settings())).toBeUndefined();
    expect(checkSplitRun([builtIn("aurora-write")], settings({ client }))).toBe(4);
    expect(() => checkSplitRun([builtIn("replica-lag")], settings({ client }))).toThrow(
      "--client-index: replica-lag runs at fixed rates and runs from one client only",
    );
    expect(() => checkSplitRun([builtIn("crash-recovery")], settings({ client }))).toThrow(
      "--client-index: crash-recovery crashes the target",
    );
    expect(() => checkSplitRun([builtIn("aurora-faults")], settings({ client }))).toThrow(
      "--client-index: aurora-faults injects faults",
    );
    expect(() =>
      checkSplitRun([builtIn("aurora-write"), builtIn("aurora-read")], settings({ client })),
    ).toThrow(/different client counts/);
  });
});
