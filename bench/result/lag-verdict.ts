import { CLIENT_BOUND_DELAY_MS } from "../metrics/generator-health.js";
import type { LagClaim } from "../scenario/schema.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";
import type { LagClaimResult, StepResult, Verdict } from "./schema.js";

export interface LagVerdictInput {
  claims: readonly LagClaim[];
  steps: readonly StepResult[];
  /** Replicas the lag was measured on. */
  replicas: number;
  status: "complete" | "interrupted" | "failed";
  measuredEnvironment: string;
  /** The servers run on the client's machine. */
  serverOnClientMachine: boolean;
  warnings: readonly string[];
}

/** The step a claim is checked at: its rate, or the lowest for a claim made at "little load". */
export function stepForClaim(claim: LagClaim, steps: readonly StepResult[]): StepResult | undefined {
  if (claim.ratePerSec !== undefined) return steps.find((s) => s.targetRatePerSec === claim.ratePerSec);
  return [...steps].sort((a, b) => a.targetRatePerSec - b.targetRatePerSec)[0];
}

/**
 * The replica with the highest value of the statistic: a claim holds only if it holds on every
 * replica. A replica without samples is returned with null (no figure for the claim).
 */
export function worstReplica(
  step: StepResult,
  statistic: LagClaim["statistic"],
): { name: string; valueMs: number | null } | undefined {
  let worst: { name: string; valueMs: number } | undefined;
  for (const [name, summary] of Object.entries(step.lagMs)) {
    const valueMs = summary[statistic];
    if (valueMs === null) return { name, valueMs: null };
    if (!worst || valueMs > worst.valueMs) worst = { name, valueMs };
  }
  return worst;
}

/**
 * One verdict per lag claim. A claim compares the target's lag with the claimed figure at the
 * claim's update rate: "met" means the target lags no more than the figure (for Aurora's figures,
 * as little as Aurora; for the MySQL figures AWS compared with, no worse than that MySQL). A step
 * the target could not sustain says so instead of giving a lag for a rate that was not applied.
 */
export function lagClaimVerdicts(input: LagVerdictInput): LagClaimResult[] {
  return input.claims.map((claim) => {
    const step = stepForClaim(claim, input.steps);
    const worst = step ? worstReplica(step, claim.statistic) : undefined;
    const measured =
      step && worst
        ? {
            stepRatePerSec: step.targetRatePerSec,
            achievedRatePerSec: step.achievedRatePerSec,
            replica: worst.name,
            valueMs: worst.valueMs,
          }
        : null;
    return {
      id: claim.id,
      metric: claim.metric,
      statistic: claim.statistic,
      value: claim.value,
      unit: claim.unit,
      ratePerSec: claim.ratePerSec ?? null,
      replicas: claim.replicas,
      system: claim.system,
      quote: claim.quote,
      source: claim.source,
      hardware: claim.hardware,
      measured,
      verdict: verdictFor(claim, step, measured, input),
    };
  });
}

function claimedText(claim: LagClaim): string {
  const at =
    claim.ratePerSec === undefined ? "with little load" : `at ${formatRate(claim.ratePerSec)} updates/s`;
  const who = claim.system === "mysql" ? "MySQL 5.6 (as AWS measured it)" : "Aurora";
  return `${who}: ${formatMs(claim.value)} ${at} with ${claim.replicas} replica${claim.replicas === 1 ? "" : "s"}`;
}

function verdictFor(
  claim: LagClaim,
  step: StepResult | undefined,
  measured: LagClaimResult["measured"],
  input: LagVerdictInput,
): Verdict {
  const scaled =
    input.replicas === claim.replicas
      ? []
      : [`replicas ${input.replicas} (claim: ${claim.replicas}; --replicas ${claim.replicas} to match)`];
  const base = {
    scaled,
    warnings: [...input.warnings],
    claimEnvironment: claim.hardware,
    measuredEnvironment: input.measuredEnvironment,
  };
  const claimed = claimedText(claim);
  if (!step) {
    if (input.status !== "complete") {
      return {
        ...base,
        outcome: "incomplete",
        ratioToClaim: null,
        text: `The run was ${input.status} before a step at this claim's rate. Claim: ${claimed}.`,
      };
    }
    const rate = claim.ratePerSec === undefined ? "" : formatRate(claim.ratePerSec);
    return {
      ...base,
      outcome: "not-measured",
      ratioToClaim: null,
      text: `No step ran at ${rate} updates/s; add it with --rates (for example --rates ${input.steps
        .map((s) => s.targetRatePerSec)
        .concat(claim.ratePerSec ?? [])
        .sort((a, b) => a - b)
        .join(",")}). Claim: ${claimed}.`,
    };
  }
  if (!measured || measured.valueMs === null) {
    return {
      ...base,
      outcome: "incomplete",
      ratioToClaim: null,
      text: `No lag sample was taken on every replica at ${formatRate(step.targetRatePerSec)} updates/s. Claim: ${claimed}.`,
    };
  }
  const value = measured.valueMs;
  const ratio = value / claim.value;
  const lag = `${claim.statistic} ${formatMs(value)} on ${measured.replica}${input.replicas > 1 ? `, the worst of ${input.replicas} replicas` : ""}`;
  const environments = `Claim measured on ${claim.hardware}. This run: ${input.measuredEnvironment}.`;
  const caution = base.warnings.length > 0 ? ` Caution: ${base.warnings.join("; ")}.` : "";
  if (!step.sustained) {
    return {
      ...base,
      outcome: "not-met",
      ratioToClaim: ratio,
      text: `The primary did not sustain ${formatRate(step.targetRatePerSec)} updates/s: it completed ${formatRate(step.achievedRatePerSec)}/s, ${((step.achievedRatePerSec / step.targetRatePerSec) * 100).toFixed(0)}% of it (${formatCount(step.dropped)} ops dropped, ${formatCount(step.discarded)} never sent), so the replicas were not shown that rate; lag meanwhile ${lag}. Claim: ${claimed}. ${environments}${caution}`,
    };
  }
  // In an open loop the generator sets the pace only through its sends: a worker whose timers were
  // late but whose sends still left on schedule offered exactly the intended load.
  const sendLateP99Ms = step.sendLatenessMs?.p99 ?? 0;
  if (step.generator?.clientBound && sendLateP99Ms > CLIENT_BOUND_DELAY_MS) {
    return {
      ...base,
      outcome: "client-bound",
      ratioToClaim: ratio,
      text: `Client-bound: the load generator was the bottleneck in ${step.generator.clientBoundIntervals} of ${step.generator.intervals} seconds and its sends were late (p99 ${formatMs(sendLateP99Ms)}), so the lag, ${lag}, says more about this client than about the database.${input.serverOnClientMachine ? " The servers share this machine's CPUs with the load generator." : ""} Claim: ${claimed}. ${environments}${caution}`,
    };
  }
  const noMore = value <= claim.value;
  const versus =
    claim.system === "mysql"
      ? noMore
        ? "no more than the MySQL 5.6 AWS compared Aurora with"
        : "more than the MySQL 5.6 AWS compared Aurora with"
      : noMore
        ? "as little as Aurora's claim"
        : `${ratio.toPrecision(3)}x Aurora's claim`;
  const prefix = scaled.length > 0 ? `Scaled, not a reproduction (${scaled.join("; ")}): ` : "";
  return {
    ...base,
    outcome: scaled.length > 0 ? "scaled" : noMore ? "met" : "not-met",
    ratioToClaim: ratio,
    text: `${prefix}lag ${lag} at ${formatRate(step.achievedRatePerSec)} updates/s (sends on schedule: lateness p99 ${formatMs(sendLateP99Ms)}): ${versus}. Claim: ${claimed}. ${environments}${caution}`,
  };
}

/**
 * A rate-steps scenario's headline: the first claim that has a figure (else the first claim),
 * named in the text; undefined when the scenario makes no lag claim.
 */
export function lagHeadline(claims: readonly LagClaimResult[]): Verdict | undefined {
  const headline = claims.find((c) => c.measured !== null) ?? claims[0];
  return headline ? { ...headline.verdict, text: `${headline.id}: ${headline.verdict.text}` } : undefined;
}
