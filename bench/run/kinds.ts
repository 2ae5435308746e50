import type { ScenarioKind } from "../scenario/kind.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { UsageError } from "../util/errors.js";
import type { RunOptions } from "./options.js";
import type { AnyRunner } from "./runner.js";
import { crashRunner } from "./runners/crash.js";
import { rateStepsRunner } from "./runners/rate-steps.js";
import { throughputRunner } from "./runners/throughput.js";

/** Every kind's runner; a kind without one does not compile. */
export const RUNNERS: { readonly [K in ScenarioKind]: AnyRunner } = {
  throughput: throughputRunner,
  "rate-steps": rateStepsRunner,
  crash: crashRunner,
};

export function runnerFor(scenario: ResolvedScenario): AnyRunner {
  return RUNNERS[scenario.kind];
}

/**
 * Flags that only mean something to one kind, given while no scenario of the run uses them, are
 * refused before anything starts, naming the flag and what would use it.
 */
export function checkKindFlags(
  scenarios: readonly ResolvedScenario[],
  settings: RunOptions,
  label: string,
): void {
  for (const runner of Object.values(RUNNERS)) {
    for (const flag of runner.flags) {
      if (!flag.given(settings)) continue;
      const used = scenarios.some((s) => s.kind === runner.kind && (flag.usedBy?.(s) ?? true));
      if (!used) throw new UsageError(`${flag.flag}: none of ${label} ${flag.does}`);
    }
  }
  for (const runner of Object.values(RUNNERS)) {
    const own = scenarios.filter((s) => s.kind === runner.kind);
    if (own.length > 0) runner.checkSettings?.(own, settings);
  }
}

/**
 * One client of a split run (--client-index) runs throughput scenarios with one client count only:
 * fixed rates, crashes, faults and replicas are not split between clients. Returns the client count.
 */
export function checkSplitRun(
  scenarios: readonly ResolvedScenario[],
  settings: RunOptions,
): number | undefined {
  if (!settings.client) return undefined;
  for (const scenario of scenarios) {
    const why = runnerFor(scenario).splitRefusal?.(scenario);
    if (why)
      throw new UsageError(
        `--client-index: ${scenario.id} ${why} and runs from one client only; run the throughput scenarios (aurora-write aurora-read) as clients`,
      );
  }
  const counts = [...new Set(scenarios.map((s) => s.shard?.count ?? s.load.clients))];
  if (counts.length > 1) {
    throw new UsageError(
      `--client-index: the scenarios have different client counts (${scenarios.map((s) => `${s.id} ${s.load.clients}`).join(", ")}); run them separately or set --clients`,
    );
  }
  return counts[0];
}
