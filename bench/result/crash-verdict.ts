import type { CrashClaim } from "../scenario/schema.js";
import { formatMs } from "../util/format.js";
import type { CrashAnalysis } from "./crash-analysis.js";
import type { CrashResult, Verdict } from "./schema.js";

export interface CrashVerdictInput {
  claims: readonly CrashClaim[];
  cache: CrashResult["cache"];
  analysis: CrashAnalysis;
  /** Why the crash itself did not go as planned (no kill, no restart, a command failed). */
  failure: string | null;
  status: "complete" | "interrupted" | "failed";
  /** Ways the run differs from the claim's (a --quick run, a smaller dataset). */
  scaled: readonly string[];
  measuredEnvironment: string;
  warnings: readonly string[];
}

/** The claims a crash is checked against: those about its cache, or about any crash. */
export function claimsFor(claims: readonly CrashClaim[], cache: CrashResult["cache"]): CrashClaim[] {
  return claims.filter((claim) => claim.cache === "any" || claim.cache === cache);
}

function what(metric: CrashClaim["metric"]): string {
  return metric === "downtimeMs" ? "nothing committed for" : "throughput back to 90% after";
}

/**
 * One verdict per claim that applies to this crash. "met": the target's downtime (or recovery) is
 * within the claimed bound; a target that never came back, or never got its throughput back
 * within the phase, did not meet it. A scaled run is never called a reproduction.
 */
export function crashClaimVerdicts(input: CrashVerdictInput): CrashResult["claims"] {
  return claimsFor(input.claims, input.cache).map((claim) => {
    const measuredMs = claim.metric === "downtimeMs" ? input.analysis.downtimeMs : input.analysis.recoveryMs;
    const bound = `${claim.id} (${claim.metric === "downtimeMs" ? "downtime" : "back to 90% throughput"} within ${formatMs(claim.value)})`;
    const base = {
      ratioToClaim: measuredMs === null ? null : measuredMs / claim.value,
      scaled: [...input.scaled],
      warnings: [...input.warnings, ...input.analysis.notes],
      claimEnvironment: claim.hardware,
      measuredEnvironment: input.measuredEnvironment,
    };
    let outcome: CrashResult["claims"][number]["verdict"]["outcome"];
    let text: string;
    if (input.status !== "complete" || input.failure) {
      outcome = "incomplete";
      text = `${bound}: not decided, ${input.failure ? `the crash did not go as planned (${input.failure})` : `the run was ${input.status}`}.`;
    } else if (measuredMs === null) {
      outcome = "not-met";
      text =
        claim.metric === "downtimeMs"
          ? `${bound}: not met, nothing committed again before the phase ended.`
          : `${bound}: not met, throughput never got back to 90% of the rate before the crash within the phase.`;
    } else {
      const within = measuredMs <= claim.value;
      outcome = input.scaled.length > 0 ? "scaled" : within ? "met" : "not-met";
      text = `${bound}: ${what(claim.metric)} ${formatMs(measuredMs)} on ${input.measuredEnvironment}, ${within ? "within" : "beyond"} the claim${outcome === "scaled" ? ` (a scaled run: ${input.scaled.join("; ")})` : ""}.`;
    }
    return {
      id: claim.id,
      metric: claim.metric,
      value: claim.value,
      quote: claim.quote,
      source: claim.source,
      measuredMs,
      verdict: { outcome, text, ...base },
    };
  });
}

/** From the first commit after the outage until throughput was back to 90%: what a cache changes. */
export function backToFullAfterReturnMs(
  crash: Pick<CrashResult, "recoveryMs" | "outage" | "atMs">,
): number | null {
  if (crash.recoveryMs === null) return null;
  const returnedMs = crash.outage?.toMs ?? null;
  return returnedMs === null ? crash.recoveryMs : Math.max(0, crash.recoveryMs - (returnedMs - crash.atMs));
}

/**
 * Warm against cold, in words. The claim is that a kept cache makes the return immediate; the
 * restart itself takes what it takes (and on one machine the second restart of a run is often the
 * slower), so the comparison is of the time from the first commit after the outage until the
 * throughput was back, and of the first window after it, not of the whole recovery.
 */
export function warmColdComparison(
  crashes: readonly Pick<
    CrashResult,
    "cache" | "recoveryMs" | "outage" | "atMs" | "after" | "before" | "tickMs"
  >[],
): string | null {
  const warm = crashes.find((c) => c.cache === "warm");
  const cold = crashes.find((c) => c.cache === "cold");
  if (!warm || !cold) return null;
  const warmMs = backToFullAfterReturnMs(warm);
  const coldMs = backToFullAfterReturnMs(cold);
  const show = (ms: number | null) => (ms === null ? "never" : formatMs(ms));
  const share = (c: typeof warm) =>
    c.after && c.before && c.before.writesPerSec > 0
      ? `${((c.after.writesPerSec / c.before.writesPerSec) * 100).toFixed(0)}%`
      : "n/a";
  const head = `After the first commit, throughput was back to 90% in ${show(warmMs)} with the cache kept (warm) and ${show(coldMs)} without (cold); the first window after the outage ran at ${share(warm)} and ${share(cold)} of the rate before`;
  if (warmMs === null || coldMs === null) return `${head}.`;
  const tickMs = Math.max(warm.tickMs, cold.tickMs);
  if (warmMs + tickMs < coldMs)
    return `${head}: the kept cache made the return faster, by ${formatMs(coldMs - warmMs)}.`;
  if (coldMs + tickMs < warmMs) return `${head}: the warm restart was NOT faster here.`;
  return `${head}: no difference at this resolution (${tickMs} ms); a dataset this small, or one the storage serves fast, is read back within the first moments.`;
}

/** Outcomes from worst to best: a crash scenario's headline is its worst claim verdict. */
const HEADLINE_RANK: Record<Verdict["outcome"], number> = {
  "not-met": 0,
  incomplete: 1,
  scaled: 2,
  "client-bound": 3,
  met: 4,
  baseline: 5,
  "no-claim": 6,
  "not-measured": 7,
};

/**
 * A crash scenario's headline: the worst verdict of any claim of any crash, named by its cache,
 * with the warm/cold comparison when both ran; without any claim verdict, `base` (the last run's
 * own). The problems that stopped the scenario come first among the warnings.
 */
export function crashHeadline(
  crashes: readonly CrashResult[],
  problems: readonly string[],
  base: Verdict,
): Verdict {
  const verdicts = crashes.flatMap((crash) => crash.claims.map((claim) => ({ crash, claim })));
  const headline = [...verdicts].sort(
    (a, b) => HEADLINE_RANK[a.claim.verdict.outcome] - HEADLINE_RANK[b.claim.verdict.outcome],
  )[0];
  if (!headline) return { ...base, warnings: [...problems, ...base.warnings] };
  const comparison = warmColdComparison(crashes);
  return {
    ...headline.claim.verdict,
    text: `${headline.crash.cache} crash: ${headline.claim.verdict.text}${comparison ? ` ${comparison}` : ""}`,
    warnings: [...problems, ...headline.claim.verdict.warnings],
  };
}
