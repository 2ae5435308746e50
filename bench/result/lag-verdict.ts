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
 * One verdict per lag claim. A claim about Aurora compares the target's lag with the claimed figure
 * at the claim's update rate: "met" means the target lags no more than Aurora did. A claim about the
 * baseline AWS compared Aurora with (MySQL 5.6) is not something the target meets or misses: its
 * outcome is "baseline", and its text sets the target's lag beside the baseline's, so many times
 * lower or higher. A step the target could not sustain says so instead of giving a lag for a rate
 * that was not applied.
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
      ...(claim.versus === undefined ? {} : { versus: claim.versus }),
      quote: claim.quote,
      source: claim.source,
      hardware: claim.hardware,
      measured,
      verdict: verdictFor(claim, step, measured, input),
    };
  });
}

/** A claim whose figure is about the baseline AWS compared Aurora with, not about Aurora. */
export function isBaselineClaim(claim: { system: string }): boolean {
  return claim.system !== "aurora";
}

/** The system a claim's figure is about, as the reports name it. */
export function subjectName(system: string): string {
  return system === "mysql" ? "MySQL 5.6" : system === "aurora" ? "Aurora" : system;
}

/**
 * The target's lag beside a baseline figure, measured / claimed as a factor of two significant
 * figures (the baseline's figures are approximate): "1,400x lower", "1.5x higher", "about the same".
 */
export function baselineFactor(ratio: number): string {
  if (ratio === 1) return "the same";
  if (ratio <= 0) return "lower";
  const factor = ratio > 1 ? ratio : 1 / ratio;
  const rounded = Number(factor.toPrecision(2));
  if (rounded === 1) return "about the same";
  return `${rounded.toLocaleString("en-US", { maximumFractionDigits: 1 })}x ${ratio > 1 ? "higher" : "lower"}`;
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
  const baseline = isBaselineClaim(claim);
  // A baseline's figure is what AWS compared Aurora with, not a bound for the target.
  const claimWord = baseline ? "Baseline" : "Claim";
  const note = baseline
    ? ` A baseline: the ${subjectName(claim.system)} AWS compared Aurora with, not a figure this target has to meet.`
    : "";
  if (!step) {
    if (input.status !== "complete") {
      return {
        ...base,
        outcome: "incomplete",
        ratioToClaim: null,
        text: `The run was ${input.status} before a step at this claim's rate. ${claimWord}: ${claimed}.`,
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
        .join(",")}). ${claimWord}: ${claimed}.`,
    };
  }
  if (!measured || measured.valueMs === null) {
    return {
      ...base,
      outcome: "incomplete",
      ratioToClaim: null,
      text: `No lag sample was taken on every replica at ${formatRate(step.targetRatePerSec)} updates/s. ${claimWord}: ${claimed}.`,
    };
  }
  const value = measured.valueMs;
  const ratio = value / claim.value;
  const lag = `${claim.statistic} ${formatMs(value)} on ${measured.replica}${input.replicas > 1 ? `, the worst of ${input.replicas} replicas` : ""}`;
  const environments = `${claimWord} measured on ${claim.hardware}. This run: ${input.measuredEnvironment}.`;
  const caution = base.warnings.length > 0 ? ` Caution: ${base.warnings.join("; ")}.` : "";
  if (!step.sustained) {
    return {
      ...base,
      outcome: baseline ? "baseline" : "not-met",
      ratioToClaim: ratio,
      text: `The primary did not sustain ${formatRate(step.targetRatePerSec)} updates/s: it completed ${formatRate(step.achievedRatePerSec)}/s, ${((step.achievedRatePerSec / step.targetRatePerSec) * 100).toFixed(0)}% of it (${formatCount(step.dropped)} ops dropped, ${formatCount(step.discarded)} never sent), so the replicas were not shown that rate${baseline ? " and there is no lag at it to set beside the baseline's" : ""}; lag meanwhile ${lag}. ${claimWord}: ${claimed}.${note} ${environments}${caution}`,
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
      text: `Client-bound: the load generator was the bottleneck in ${step.generator.clientBoundIntervals} of ${step.generator.intervals} seconds and its sends were late (p99 ${formatMs(sendLateP99Ms)}), so the lag, ${lag}, says more about this client than about the database.${input.serverOnClientMachine ? " The servers share this machine's CPUs with the load generator." : ""} ${claimWord}: ${claimed}.${note} ${environments}${caution}`,
    };
  }
  const onSchedule = `sends on schedule: lateness p99 ${formatMs(sendLateP99Ms)}`;
  if (baseline) {
    const prefix = scaled.length > 0 ? `Scaled, not a like-for-like comparison (${scaled.join("; ")}): ` : "";
    return {
      ...base,
      outcome: "baseline",
      ratioToClaim: ratio,
      text: `${prefix}${claimed}; this target: ${lag} at ${formatRate(step.achievedRatePerSec)} updates/s, ${baselineFactor(ratio)} (${onSchedule}).${note} ${environments}${caution}`,
    };
  }
  const noMore = value <= claim.value;
  const versus = noMore ? "as little as Aurora's claim" : `${ratio.toPrecision(3)}x Aurora's claim`;
  const prefix = scaled.length > 0 ? `Scaled, not a reproduction (${scaled.join("; ")}): ` : "";
  return {
    ...base,
    outcome: scaled.length > 0 ? "scaled" : noMore ? "met" : "not-met",
    ratioToClaim: ratio,
    text: `${prefix}lag ${lag} at ${formatRate(step.achievedRatePerSec)} updates/s (${onSchedule}): ${versus}. ${claimWord}: ${claimed}. ${environments}${caution}`,
  };
}

/**
 * A rate-steps scenario's headline: the first claim about the target's own subject (Aurora) that has
 * a figure, else the first claim with a figure (a baseline's), else the first claim about Aurora,
 * else the first claim; named in the text. Undefined when the scenario makes no lag claim.
 */
export function lagHeadline(claims: readonly LagClaimResult[]): Verdict | undefined {
  const own = claims.filter((c) => !isBaselineClaim(c));
  const headline =
    own.find((c) => c.measured !== null) ?? claims.find((c) => c.measured !== null) ?? own[0] ?? claims[0];
  return headline ? { ...headline.verdict, text: `${headline.id}: ${headline.verdict.text}` } : undefined;
}
