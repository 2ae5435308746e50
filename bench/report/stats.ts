import { gammaln, mean, sampleVariance } from "simple-statistics";

/**
 * Statistics for comparing two runs: the ratio of two means with a confidence interval, and the
 * Student-t quantiles it needs. Pure functions, no I/O.
 *
 * Method: Fieller's interval for the ratio of the means of two independent samples, with
 * Welch-Satterthwaite degrees of freedom.
 *
 * - The ratio rho = mean(b) / mean(a) is estimated by B / A, the ratio of the sample means.
 * - For a given rho, B - rho * A has expectation 0 and estimated variance vb + rho^2 * va, where
 *   va = s_a^2 / n_a and vb = s_b^2 / n_b (sample variances over sample sizes). Fieller's interval
 *   is every rho for which the t statistic of that difference stays within the t quantile q:
 *     (B - rho * A)^2 <= q^2 * (vb + rho^2 * va)
 *   that is (A^2 - q^2 va) rho^2 - 2 A B rho + (B^2 - q^2 vb) <= 0, a quadratic whose roots are
 *     rho = (A B -+ q * sqrt(A^2 vb + B^2 va - q^2 va vb)) / (A^2 - q^2 va).
 * - At rho = 1 the statistic is Welch's t statistic for mean(b) - mean(a), so "the interval holds
 *   1.0" is Welch's two-sided test finding no difference (up to the degrees of freedom, taken at the
 *   estimate below rather than at rho = 1).
 * - The degrees of freedom are Welch-Satterthwaite's for the variance at the estimate r = B / A:
 *     df = (vb + r^2 va)^2 / (vb^2 / (n_b - 1) + r^4 va^2 / (n_a - 1)).
 * - When A^2 - q^2 va <= 0 (a's mean cannot be told from 0 at this confidence) the set is unbounded
 *   and no interval is given.
 *
 * Why this method: it needs no resampling (so no seed, and the same numbers on every machine), it
 * can be checked by hand against the closed form above, it does not linearise the ratio (unlike
 * the delta method, its interval is asymmetric where the ratio's distribution is), and it agrees
 * with Welch's t-test on whether the two means differ. Its assumption: the per-second samples are
 * independent draws from a distribution with a stable mean. Per-second throughput is
 * autocorrelated in practice (a slow second tends to follow a slow second), which makes any
 * interval built on independence narrower than it should be; read a ratio near the edge of its
 * interval with that in mind.
 */

/** Summary of one sample: its size, mean and sample variance (n - 1 denominator). */
export interface SampleSummary {
  n: number;
  /** null for an empty sample. */
  mean: number | null;
  /** null with fewer than 2 values. */
  variance: number | null;
}

export interface RatioInterval {
  low: number;
  high: number;
  /** Welch-Satterthwaite degrees of freedom; null when neither sample varies (a point interval). */
  df: number | null;
  /** The two-sided Student-t quantile used; null for a point interval. */
  t: number | null;
}

export interface RatioEstimate {
  confidence: number;
  a: SampleSummary;
  b: SampleSummary;
  /** mean(b) / mean(a); null when a has no values or a mean of 0. */
  ratio: number | null;
  /** Fieller's interval of the ratio; null when there is none (see reason). */
  interval: RatioInterval | null;
  /** What is missing and why, or null when the ratio and the interval are both there. */
  issue: RatioIssue | null;
  /** The issue in words; null without one. */
  reason: string | null;
}

/**
 * no-samples: a sample is empty (no ratio); zero-mean: a's mean is 0 (no ratio); too-few-samples:
 * fewer than minSamples on a side (no interval); unbounded: a's mean cannot be told from 0 at this
 * confidence, so Fieller's set is not a bounded interval (no interval).
 */
export type RatioIssue = "no-samples" | "zero-mean" | "too-few-samples" | "unbounded";

export interface RatioOptions {
  /** Confidence level of the interval, 0 < confidence < 1 (default 0.95). */
  confidence?: number;
  /** Fewest values each sample needs for an interval (default 2, the least a variance needs). */
  minSamples?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;

export function summarizeSample(values: readonly number[]): SampleSummary {
  const n = values.length;
  return {
    n,
    mean: n > 0 ? mean([...values]) : null,
    variance: n > 1 ? sampleVariance([...values]) : null,
  };
}

/**
 * The ratio mean(b) / mean(a) of two independent samples, with Fieller's confidence interval
 * (see the top of this module).
 */
export function ratioOfMeans(
  a: readonly number[],
  b: readonly number[],
  options: RatioOptions = {},
): RatioEstimate {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence ${confidence} is not in (0, 1)`);
  const minSamples = Math.max(2, options.minSamples ?? 2);
  const sa = summarizeSample(a);
  const sb = summarizeSample(b);
  const base = { confidence, a: sa, b: sb };
  if (sa.mean === null || sb.mean === null) {
    return { ...base, ratio: null, interval: null, issue: "no-samples", reason: "no samples" };
  }
  if (sa.mean === 0) {
    return { ...base, ratio: null, interval: null, issue: "zero-mean", reason: "a's mean is 0: no ratio" };
  }
  const A = sa.mean;
  const B = sb.mean;
  const ratio = B / A;
  if (sa.n < minSamples || sb.n < minSamples || sa.variance === null || sb.variance === null) {
    return {
      ...base,
      ratio,
      interval: null,
      issue: "too-few-samples",
      reason: `too few samples for an interval (a ${sa.n}, b ${sb.n}; at least ${minSamples} each)`,
    };
  }
  const va = sa.variance / sa.n;
  const vb = sb.variance / sb.n;
  if (va === 0 && vb === 0) {
    // Neither sample varies: the ratio is known exactly.
    return {
      ...base,
      ratio,
      interval: { low: ratio, high: ratio, df: null, t: null },
      issue: null,
      reason: null,
    };
  }
  const df = welchDf(va, sa.n, vb, sb.n, ratio);
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  const q2 = t * t;
  const c2 = A * A - q2 * va;
  if (c2 <= 0) {
    return {
      ...base,
      ratio,
      interval: null,
      issue: "unbounded",
      reason: `a's mean cannot be told from 0 at ${formatConfidence(confidence)} confidence: the interval is unbounded`,
    };
  }
  const discriminant = A * A * vb + B * B * va - q2 * va * vb;
  // With c2 > 0 the estimate itself satisfies the inequality, so the discriminant is not negative.
  const half = t * Math.sqrt(Math.max(0, discriminant));
  const low = (A * B - half) / c2;
  const high = (A * B + half) / c2;
  return { ...base, ratio, interval: { low, high, df, t }, issue: null, reason: null };
}

/** Welch-Satterthwaite degrees of freedom of B - r * A, with va = s_a^2 / n_a and vb = s_b^2 / n_b. */
export function welchDf(va: number, na: number, vb: number, nb: number, r: number): number {
  const wa = r * r * va;
  return (vb + wa) ** 2 / (vb ** 2 / (nb - 1) + wa ** 2 / (na - 1));
}

/** Where an interval lies relative to a threshold: wholly above, wholly below, or holding it. */
export function relativeTo(
  interval: { low: number; high: number },
  threshold: number,
): "above" | "below" | "contains" {
  if (interval.low > threshold) return "above";
  if (interval.high < threshold) return "below";
  return "contains";
}

/** 0.95 -> "95%", 0.999 -> "99.9%". */
export function formatConfidence(confidence: number): string {
  return `${Number((confidence * 100).toPrecision(6))}%`;
}

// --- Student's t distribution ---------------------------------------------------------------

const MAX_ITERATIONS = 100_000;
const EPSILON = 1e-16;
const TINY = 1e-300;

/**
 * Continued fraction of the incomplete beta function (Numerical Recipes 6.4, evaluated with the
 * modified Lentz method). Converges quickly for x < (a + 1) / (a + b + 2).
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON * 4) return h;
  }
  throw new Error(`incomplete beta did not converge (x ${x}, a ${a}, b ${b})`);
}

/**
 * Regularized incomplete beta I_x(a, b), given x and y = 1 - x separately so that neither loses
 * precision when the other is close to 1.
 */
function incompleteBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const front = Math.exp(gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(y));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

/** The regularized incomplete beta function I_x(a, b), 0 <= x <= 1, a > 0, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1) || !(a > 0) || !(b > 0)) throw new RangeError("incomplete beta out of its domain");
  return incompleteBeta(x, 1 - x, a, b);
}

/**
 * P(T <= t) for Student's t with df degrees of freedom (any real df > 0):
 * for t >= 0, 1 - I_{df / (df + t^2)}(df / 2, 1 / 2) / 2, and by symmetry for t < 0.
 */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom ${df} must be > 0`);
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const t2 = t * t;
  const tail = incompleteBeta(df / (df + t2), t2 / (df + t2), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The p-quantile of Student's t with df degrees of freedom (any real df > 0, as Welch's df are):
 * the t with studentTCdf(t, df) = p, found by bisection on the exact distribution function above
 * to a relative precision of 1e-13. Examples: t(0.975, 10) = 2.228139, t(0.975, 30) = 2.042272.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability ${p} is not in (0, 1)`);
  if (!(df > 0) || !Number.isFinite(df))
    throw new RangeError(`degrees of freedom ${df} must be finite and > 0`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Upper tail: bracket, then halve. Work with the upper tail probability to keep its precision.
  const upper = 1 - p;
  const tailAbove = (t: number) => {
    const t2 = t * t;
    return incompleteBeta(df / (df + t2), t2 / (df + t2), df / 2, 0.5) / 2;
  };
  let lo = 0;
  let hi = 1;
  while (tailAbove(hi) > upper) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) throw new RangeError(`t quantile out of range (p ${p}, df ${df})`);
  }
  for (let i = 0; i < 2000 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tailAbove(mid) > upper) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
