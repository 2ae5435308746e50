import {
  CLIENT_BOUND_DELAY_MS,
  CLIENT_BOUND_UTILIZATION,
  type PhaseGeneratorHealth,
} from "../metrics/generator-health.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { formatRate } from "../util/format.js";
import type { Verdict } from "./schema.js";

export interface VerdictInput {
  scenario: ResolvedScenario;
  status: "complete" | "interrupted" | "failed";
  measuredValue: number | null;
  measuredEnvironment: string;
  warnings: string[];
  /** The load generator's health over the measured phase; null when not measured. */
  generator?: PhaseGeneratorHealth | null;
  /** The server runs on the client's machine (the sandbox, or a loopback target). */
  serverOnClientMachine?: boolean;
}

export function claimEnvironment(scenario: ResolvedScenario): string {
  const claim = scenario.claim;
  if (!claim) return "no claim";
  const m = claim.method;
  return `server ${claim.hardware.server}; clients ${claim.hardware.clients}; ${m.clients} x ${m.connectionsPerClient.toLocaleString("en-US")} connections, ${m.tables} tables x ${m.tableSize.toLocaleString("en-US")} rows, ${m.duration}`;
}

/**
 * Measured against claimed, with both environments stated. A run whose shape differs from the
 * claim's method is "scaled" whatever its figure: a smaller run is never called a reproduction.
 */
export function decideVerdict(input: VerdictInput): Verdict {
  const { scenario, measuredValue } = input;
  const claim = scenario.claim;
  const base = {
    scaled: scenario.scaled,
    warnings: input.warnings,
    claimEnvironment: claimEnvironment(scenario),
    measuredEnvironment: input.measuredEnvironment,
  };
  if (!claim) {
    return { ...base, outcome: "no-claim", ratioToClaim: null, text: "This scenario carries no claim." };
  }
  if (input.status !== "complete" || measuredValue === null) {
    return {
      ...base,
      outcome: "incomplete",
      ratioToClaim: null,
      text: `The run was ${input.status}; no verdict on the ${formatRate(claim.value)} ${claim.unit} claim.`,
    };
  }
  const ratio = measuredValue / claim.value;
  const pct = `${(ratio * 100).toPrecision(3)}%`;
  const measured = `${formatRate(measuredValue)} ${claim.unit}`;
  const claimed = `${formatRate(claim.value)} ${claim.unit}`;
  const environments = `Claim measured on ${base.claimEnvironment}. This run: ${input.measuredEnvironment}.`;
  const caution = input.warnings.length > 0 ? ` Caution: ${input.warnings.join("; ")}.` : "";
  const generator = input.generator;
  if (generator?.clientBound) {
    return {
      ...base,
      outcome: "client-bound",
      ratioToClaim: ratio,
      text: `Client-bound: the load generator was the bottleneck in ${generator.clientBoundIntervals} of ${generator.intervals} measured seconds (a worker's event loop busy over ${CLIENT_BOUND_UTILIZATION * 100}% or late over ${CLIENT_BOUND_DELAY_MS} ms), so ${measured} says more about this client than about the database. ${
        input.serverOnClientMachine
          ? "The server runs on the same machine and its threads compete with the load generator for the CPUs; run the client on a machine of its own to measure the database alone."
          : "Spread the load over more worker threads (--workers) or client machines."
      } ${environments}${caution}`,
    };
  }
  if (scenario.scaled.length > 0) {
    return {
      ...base,
      outcome: "scaled",
      ratioToClaim: ratio,
      text: `Scaled-down run, not a reproduction: ${measured} measured, ${pct} of the claimed ${claimed}. Differs from the claim's method in: ${scenario.scaled.join("; ")}. ${environments}${caution}`,
    };
  }
  const met = ratio >= 1;
  return {
    ...base,
    outcome: met ? "met" : "not-met",
    ratioToClaim: ratio,
    text: `${met ? "Claim met" : "Claim not met"} with the claim's own method: ${measured} measured, ${pct} of the claimed ${claimed}. ${environments}${caution}`,
  };
}
