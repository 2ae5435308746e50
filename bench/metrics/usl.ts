/**
 * The Universal Scalability Law (Neil Gunther) fitted to throughput measured at several
 * concurrency levels (a sweep: throughput against connections). Pure functions, no I/O.
 *
 * Model: X(N) = lambda * N / (1 + sigma * (N - 1) + kappa * N * (N - 1)), where N is the
 * concurrency, X the throughput, lambda the throughput of one unit, sigma the contention
 * (serialised share of the work) and kappa the coherency (cost of keeping N units consistent,
 * growing with pairs of units).
 *
 * Fit (Gunther's linearisation):
 * - lambda is the mean throughput measured at N = 1. When N = 1 was not measured it is estimated as
 *   X(N_min) / N_min, the usual practice; the fit says so (`lambdaFrom: "lowest concurrency"`).
 *   That estimate assumes perfect scaling up to N_min, so lambda comes out low by the factor
 *   1 + sigma (N_min - 1) + kappa N_min (N_min - 1), and the fit bends to make up for it: sigma is
 *   biased low, kappa high. The peak concurrency holds up best. For example, sigma 0.05,
 *   kappa 0.0005, lambda 1000 measured at N = 4..64 without noise fits sigma 0.033, kappa 0.00056,
 *   lambda 865, peak 41.4 (true 43.6), R^2 0.993. Measure N = 1 when sigma itself matters.
 * - With the relative capacity C(N) = X(N) / lambda, x = N - 1 and y = N / C(N) - 1, the model reads
 *     y = sigma * x + kappa * N * (N - 1) = sigma * x + kappa * (x^2 + x) = kappa * x^2 + (sigma + kappa) * x,
 *   a quadratic through the origin. In Gunther's terms y = a x^2 + b x with a = kappa and
 *   b = sigma + kappa, so sigma = b - a (note: b is sigma PLUS kappa for this form of the law, since
 *   N (N - 1) = x^2 + x). The least squares are taken directly in sigma and kappa, on the regressors
 *   x and x^2 + x: the same fit as on (x^2, x), since the two pairs of regressors span the same
 *   functions, and it makes the constraint below a plain one.
 * - Negative coefficients: noise often makes the unconstrained sigma or kappa slightly negative,
 *   which has no physical meaning (and a negative kappa gives a throughput that explodes). They are
 *   not clamped after the fact: the least squares are solved again under sigma >= 0 and kappa >= 0
 *   (non-negative least squares on two unknowns: the best of the fits with one coefficient held at
 *   0), and the fit lists which coefficient the constraint held (`constrained`).
 * - Peak: dX/dN = 0 at N* = sqrt((1 - sigma) / kappa), when kappa > 0 and sigma < 1. Otherwise the
 *   model has no peak (throughput grows for ever when kappa = 0 and sigma < 1; it is highest at
 *   N <= 1 when sigma >= 1).
 * - R^2 is 1 - SS_res / SS_tot of the fitted X(N) against the measured X (not of the linearised y).
 */

/** One measured point of a sweep. */
export interface ThroughputPoint {
  /** Concurrency (connections, threads), > 0. */
  concurrency: number;
  /** Throughput measured at that concurrency, per second. */
  throughputPerSec: number;
}

/** Where lambda (throughput of one unit) came from. */
export type UslLambdaSource = "n=1" | "lowest concurrency";

/** A USL fit: plain data (JSON-serialisable); evaluate it with `uslThroughput`. */
export interface UslFit {
  /** Contention coefficient, >= 0. */
  sigma: number;
  /** Coherency coefficient, >= 0. */
  kappa: number;
  /** Throughput of one unit (N = 1), per second. */
  lambdaPerSec: number;
  /** "n=1": measured at N = 1; "lowest concurrency": estimated as X(N_min) / N_min. */
  lambdaFrom: UslLambdaSource;
  /** The concurrency at which the model peaks; null when it has no peak (kappa = 0 or sigma >= 1). */
  peakConcurrency: number | null;
  /** The model's throughput at `peakConcurrency`, per second; null with it. */
  peakThroughputPerSec: number | null;
  /** 1 - SS_res / SS_tot of the fitted throughput against the measured one. */
  rSquared: number;
  /** Coefficients the non-negativity constraint held at 0 (the unconstrained fit made them negative). */
  constrained: ("sigma" | "kappa")[];
  /** Points fitted, and the distinct concurrency levels among them. */
  points: number;
  levels: number;
}

/** A measured point where throughput has fallen below the best measured at a lower concurrency. */
export interface PastPeakPoint {
  concurrency: number;
  throughputPerSec: number;
  /** The lower concurrency with the best throughput (the lowest such level on a tie). */
  bestConcurrency: number;
  bestThroughputPerSec: number;
  /** How far below the best this point is: 1 - throughput / best, in (tolerance, 1]. */
  dropFraction: number;
  /** With a fit: whether the point lies beyond the model's peak (false when the model has none); else null. */
  beyondModelPeak: boolean | null;
}

/** Default tolerance of `pastPeak`: a fall of 2% or less is read as noise, not as a fall. */
export const PAST_PEAK_TOLERANCE = 0.02;

/** The fewest distinct concurrency levels `fitUsl` fits (two unknowns, besides lambda). */
export const USL_MIN_LEVELS = 3;

/** The model's throughput at concurrency n, per second. */
export function uslThroughput(fit: Pick<UslFit, "sigma" | "kappa" | "lambdaPerSec">, n: number): number {
  return (fit.lambdaPerSec * n) / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1));
}

/** The concurrency at which X(N) peaks, or null when the model has none. */
export function uslPeakConcurrency(sigma: number, kappa: number): number | null {
  if (!(kappa > 0) || !(sigma < 1)) return null;
  return Math.sqrt((1 - sigma) / kappa);
}

const isPositiveFinite = (value: number) => Number.isFinite(value) && value > 0;

interface Coefficients {
  sigma: number;
  kappa: number;
}

/**
 * Least squares of y = sigma * u + kappa * v (no constant) under sigma >= 0 and kappa >= 0.
 * The optimum of this convex problem is the unconstrained one when feasible, else lies on a face
 * (one coefficient at 0, the other fitted alone and clamped at 0); the best feasible candidate wins.
 */
function nonNegativeLeastSquares(
  u: readonly number[],
  v: readonly number[],
  y: readonly number[],
): Coefficients & { constrained: ("sigma" | "kappa")[] } {
  let suu = 0;
  let svv = 0;
  let suv = 0;
  let suy = 0;
  let svy = 0;
  for (let i = 0; i < y.length; i++) {
    const ui = u[i] ?? 0;
    const vi = v[i] ?? 0;
    const yi = y[i] ?? 0;
    suu += ui * ui;
    svv += vi * vi;
    suv += ui * vi;
    suy += ui * yi;
    svy += vi * yi;
  }
  const sse = ({ sigma, kappa }: Coefficients) => {
    let sum = 0;
    for (let i = 0; i < y.length; i++) {
      const r = (y[i] ?? 0) - sigma * (u[i] ?? 0) - kappa * (v[i] ?? 0);
      sum += r * r;
    }
    return sum;
  };

  const det = suu * svv - suv * suv;
  if (det > 0) {
    const sigma = (svv * suy - suv * svy) / det;
    const kappa = (suu * svy - suv * suy) / det;
    if (sigma >= 0 && kappa >= 0) return { sigma, kappa, constrained: [] };
  }
  const sigmaOnly: Coefficients = { sigma: suu > 0 ? Math.max(0, suy / suu) : 0, kappa: 0 };
  const kappaOnly: Coefficients = { sigma: 0, kappa: svv > 0 ? Math.max(0, svy / svv) : 0 };
  const chosen = sse(kappaOnly) < sse(sigmaOnly) ? kappaOnly : sigmaOnly;
  return {
    ...chosen,
    constrained:
      chosen.sigma === 0 && chosen.kappa === 0
        ? ["sigma", "kappa"]
        : chosen.kappa === 0
          ? ["kappa"]
          : ["sigma"],
  };
}

/**
 * Fits the USL to a sweep. Null with fewer than 3 distinct concurrency levels, or when any point
 * has a non-finite or non-positive concurrency or throughput. Several points at one level are all
 * fitted (and averaged for lambda at N = 1 or N_min).
 */
export function fitUsl(points: readonly ThroughputPoint[]): UslFit | null {
  if (points.some((p) => !isPositiveFinite(p.concurrency) || !isPositiveFinite(p.throughputPerSec))) {
    return null;
  }
  const levels = new Set(points.map((p) => p.concurrency));
  if (levels.size < USL_MIN_LEVELS) return null;

  const lowest = Math.min(...levels);
  const atLowest = points.filter((p) => p.concurrency === lowest);
  const meanAtLowest = atLowest.reduce((sum, p) => sum + p.throughputPerSec, 0) / atLowest.length;
  const lambdaFrom: UslLambdaSource = lowest === 1 ? "n=1" : "lowest concurrency";
  const lambdaPerSec = meanAtLowest / lowest;

  const u: number[] = [];
  const v: number[] = [];
  const y: number[] = [];
  for (const { concurrency: n, throughputPerSec } of points) {
    const relativeCapacity = throughputPerSec / lambdaPerSec;
    const x = n - 1;
    u.push(x);
    v.push(x * x + x);
    y.push(n / relativeCapacity - 1);
  }
  const { sigma, kappa, constrained } = nonNegativeLeastSquares(u, v, y);

  const peakConcurrency = uslPeakConcurrency(sigma, kappa);
  const peakThroughputPerSec =
    peakConcurrency === null ? null : uslThroughput({ sigma, kappa, lambdaPerSec }, peakConcurrency);

  const meanThroughput = points.reduce((sum, p) => sum + p.throughputPerSec, 0) / points.length;
  let ssRes = 0;
  let ssTot = 0;
  for (const p of points) {
    const residual = p.throughputPerSec - uslThroughput({ sigma, kappa, lambdaPerSec }, p.concurrency);
    ssRes += residual * residual;
    ssTot += (p.throughputPerSec - meanThroughput) ** 2;
  }
  // All throughputs equal: the fit explains them fully if it hits them, else not at all.
  const rSquared = ssTot > 0 ? 1 - ssRes / ssTot : ssRes <= 1e-12 * meanThroughput ** 2 ? 1 : 0;

  return {
    sigma,
    kappa,
    lambdaPerSec,
    lambdaFrom,
    peakConcurrency,
    peakThroughputPerSec,
    rSquared,
    constrained,
    points: points.length,
    levels: levels.size,
  };
}

/**
 * The measured points past the measured peak: those whose throughput is below the best throughput
 * measured at a strictly lower concurrency by more than `tolerance` (a fraction; 2% by default).
 * Points with a non-finite or non-positive concurrency, or a non-finite or negative throughput, are
 * skipped (a throughput of 0, a collapse, counts). Returned in order of concurrency. With a fit, each
 * point says whether it also lies beyond the model's peak.
 */
export function pastPeak(
  points: readonly ThroughputPoint[],
  fit?: UslFit | null,
  tolerance: number = PAST_PEAK_TOLERANCE,
): PastPeakPoint[] {
  const valid = points
    .filter(
      (p) =>
        isPositiveFinite(p.concurrency) && Number.isFinite(p.throughputPerSec) && p.throughputPerSec >= 0,
    )
    .map((p, index) => ({ p, index }))
    .sort((a, b) => a.p.concurrency - b.p.concurrency || a.index - b.index)
    .map(({ p }) => p);

  const found: PastPeakPoint[] = [];
  let best: ThroughputPoint | null = null; // best over levels strictly below the current one
  let bestAtLevel: ThroughputPoint | null = null; // best at the current level, merged on leaving it
  let level = Number.NaN;
  for (const p of valid) {
    if (p.concurrency !== level) {
      if (bestAtLevel && (!best || bestAtLevel.throughputPerSec > best.throughputPerSec)) best = bestAtLevel;
      bestAtLevel = null;
      level = p.concurrency;
    }
    if (best && best.throughputPerSec > 0 && p.throughputPerSec < best.throughputPerSec * (1 - tolerance)) {
      found.push({
        concurrency: p.concurrency,
        throughputPerSec: p.throughputPerSec,
        bestConcurrency: best.concurrency,
        bestThroughputPerSec: best.throughputPerSec,
        dropFraction: 1 - p.throughputPerSec / best.throughputPerSec,
        beyondModelPeak: fit ? fit.peakConcurrency !== null && p.concurrency > fit.peakConcurrency : null,
      });
    }
    if (!bestAtLevel || p.throughputPerSec > bestAtLevel.throughputPerSec) bestAtLevel = p;
  }
  return found;
}
