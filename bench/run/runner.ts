import type { Result, ScenarioResult } from "../result/schema.js";
import type { GaleraSandbox } from "../sandbox/galera-sandbox.js";
import type { Sandbox } from "../sandbox/server.js";
import type { ScenarioKind } from "../scenario/kind.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import type { ServerFacts } from "../target/facts.js";
import type { TargetSpec } from "../target/url.js";
import type { RunOptions } from "./options.js";
import type { LoadSettings } from "./trial.js";

/** The run's one server (the sandbox, a Galera sandbox, or --target), shared by every scenario that needs one. */
export interface OneServer {
  target: TargetSpec;
  facts: ServerFacts;
  sandbox?: Sandbox;
  galera?: GaleraSandbox;
}

/** What a runner is handed for one scenario. */
export interface RunContext extends LoadSettings {
  settings: RunOptions;
  client: Result["environment"]["client"];
  /** The run's one server; absent when the runner needs servers of its own (servers() is "own"). */
  server?: OneServer;
  /** Called with the scenario's result so far after each trial, so result.json can be saved. */
  onProgress: (partial: ScenarioResult) => void;
}

/** A `run` flag that means something to one kind only. */
export interface KindFlag {
  flag: string;
  given: (settings: RunOptions) => boolean;
  /** Scenarios of the kind that use it (default: all of the kind). */
  usedBy?: (scenario: ResolvedScenario) => boolean;
  /** What the scenarios that use it do, for "none of <run> <does>": "runs at fixed rates (replica-lag does)". */
  does: string;
}

/** How a trial ended the scenario: undefined to go on to the next trial. */
export type TrialEnd = { status: "failed" | "interrupted" } | undefined;

/**
 * What runs one kind of scenario. The session gives it a server (or lets it open its own), then
 * `runScenario` opens what the trials need, runs each trial in turn, saves the result after each,
 * and has `assemble` make the scenario's result out of the trials' outcomes.
 */
export interface Runner<Setup, Trial, Outcome> {
  kind: ScenarioKind;
  flags: readonly KindFlag[];
  /** Why a client of a split run cannot run this scenario; undefined: it can. */
  splitRefusal?: (scenario: ResolvedScenario) => string | undefined;
  /** Servers it runs on: the run's one server, or its own (a primary with replicas, a cluster). */
  servers: (scenario: ResolvedScenario) => "one" | "own";
  /** Refuses, before anything starts, settings this kind's scenarios of the run cannot work with. */
  checkSettings?: (scenarios: readonly ResolvedScenario[], settings: RunOptions) => void;
  /** Refuses, before anything runs, what cannot work on the run's one server (its facts known). */
  check?: (scenario: ResolvedScenario, server: OneServer, settings: RunOptions) => void;
  /** Opens what the trials run on (servers, dataset); `stop` releases it whatever happened. */
  open: (scenario: ResolvedScenario, ctx: RunContext) => Promise<Setup & { stop: () => Promise<void> }>;
  /** The trials: one run, a step per rate, a crash per plan. */
  trials: (scenario: ResolvedScenario, setup: Setup, ctx: RunContext) => Trial[];
  runTrial: (input: TrialInput<Setup, Trial>, ctx: RunContext) => Promise<Outcome>;
  /** Whether this trial ends the scenario (a failure, an interrupt). */
  ends: (outcome: Outcome) => TrialEnd;
  /** The scenario's result from the outcomes so far: pure, with its headline verdict. */
  assemble: (input: AssembleInput<Setup, Outcome>) => ScenarioResult;
}

export interface TrialInput<Setup, Trial> {
  scenario: ResolvedScenario;
  trial: Trial;
  /** The trial's place in the list, from 0. */
  index: number;
  setup: Setup;
}

export interface AssembleInput<Setup, Outcome> {
  scenario: ResolvedScenario;
  setup: Setup;
  outcomes: Outcome[];
  status: ScenarioResult["status"];
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds runners of different trial types.
export type AnyRunner = Runner<any, any, any>;

/**
 * Runs one scenario with its kind's runner: each trial in turn until one ends it or the run is
 * interrupted; the result so far is handed to onProgress after each. An interrupt that breaks a
 * trial off still gives the result of what was measured.
 */
export async function runScenario<Setup, Trial, Outcome>(
  runner: Runner<Setup, Trial, Outcome>,
  scenario: ResolvedScenario,
  ctx: RunContext,
): Promise<ScenarioResult> {
  const setup = await runner.open(scenario, ctx);
  const outcomes: Outcome[] = [];
  let status: ScenarioResult["status"] = "complete";
  const assemble = () => runner.assemble({ scenario, setup, outcomes, status });
  try {
    const trials = runner.trials(scenario, setup, ctx);
    for (const [index, trial] of trials.entries()) {
      if (ctx.signal.aborted) break;
      const outcome = await runner.runTrial({ scenario, trial, index, setup }, ctx);
      outcomes.push(outcome);
      const end = runner.ends(outcome);
      if (end) {
        status = end.status;
        break;
      }
      if (index < trials.length - 1) ctx.onProgress(assemble());
    }
    if (ctx.signal.aborted && status === "complete") status = "interrupted";
    return assemble();
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
    status = "interrupted";
    return assemble();
  } finally {
    await setup.stop();
  }
}
