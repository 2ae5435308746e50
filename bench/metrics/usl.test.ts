import { describe, expect, it } from "vitest";
import {
  fitUsl,
  PAST_PEAK_TOLERANCE,
  pastPeak,
  type ThroughputPoint,
  type UslFit,
  uslPeakConcurrency,
  uslThroughput,
} from "./usl.js";

interface Truth {
  sigma: number;
  kappa: number;
  lambdaPerSec: number;
}

const TRUTH: Truth = { sigma: 0.05, kappa: 0.0005, lambdaPerSec: 1000 };
const TRUE_PEAK = Math.sqrt((1 - TRUTH.sigma) / TRUTH.kappa); // sqrt(1900) = 43.589...
const LEVELS = [1, 2, 4, 8, 16, 32, 64];
/** Deterministic pseudo-noise within +-3%, one factor per level. */
const NOISE = [0.03, -0.02, 0.01, -0.03, 0.02, -0.01, 0.03];

/** The exact USL throughput of a truth at each level, times (1 + noise[i]). */
function sweep(truth: Truth, levels: readonly number[], noise: readonly number[] = []): ThroughputPoint[] {
  return levels.map((concurrency, i) => {
    const exact =
      (truth.lambdaPerSec * concurrency) /
      (1 + truth.sigma * (concurrency - 1) + truth.kappa * concurrency * (concurrency - 1));
    return { concurrency, throughputPerSec: exact * (1 + (noise[i] ?? 0)) };
  });
}

function fitted(points: readonly ThroughputPoint[]): UslFit {
  const fit = fitUsl(points);
  if (!fit) throw new Error("expected a fit");
  return fit;
}

/** Sum of squared residuals of the linearised fit y = sigma x + kappa (x^2 + x), with lambda from N = 1. */
function linearisedSse(
  points: readonly ThroughputPoint[],
  lambda: number,
  sigma: number,
  kappa: number,
): number {
  return points.reduce((sum, { concurrency: n, throughputPerSec }) => {
    const y = n / (throughputPerSec / lambda) - 1;
    const x = n - 1;
    return sum + (y - sigma * x - kappa * (x * x + x)) ** 2;
  }, 0);
}

describe("fitUsl on exact USL data", () => {
  const fit = fitted(sweep(TRUTH, LEVELS));

  it("recovers sigma, kappa and lambda tightly", () => {
    expect(fit.sigma).toBeCloseTo(0.05, 10);
    expect(fit.kappa).toBeCloseTo(0.0005, 12);
    expect(fit.lambdaPerSec).toBeCloseTo(1000, 9);
    expect(fit.lambdaFrom).toBe("n=1");
    expect(fit.constrained).toEqual([]);
    expect(fit.points).toBe(7);
    expect(fit.levels).toBe(7);
  });

  it("maps the quadratic's coefficients the right way round: sigma = b - a, kappa = a, not swapped", () => {
    // y = a x^2 + b x with a = kappa and b = sigma + kappa. Swapping sigma and kappa would give
    // sigma 0.0005; reading sigma as a + b would give 0.051; both miss by far more than 1e-9.
    expect(Math.abs(fit.sigma - 0.05)).toBeLessThan(1e-9);
    expect(Math.abs(fit.kappa - 0.0005)).toBeLessThan(1e-12);
  });

  it("peaks at sqrt((1 - sigma) / kappa), ~43.6, with the model's throughput there", () => {
    expect(TRUE_PEAK).toBeCloseTo(43.589, 3);
    expect(fit.peakConcurrency).toBeCloseTo(TRUE_PEAK, 6);
    expect(fit.peakThroughputPerSec).toBeCloseTo(uslThroughput(TRUTH, TRUE_PEAK), 4);
    // It is a maximum: the throughput a little either side is lower.
    const peak = fit.peakThroughputPerSec ?? 0;
    expect(uslThroughput(fit, TRUE_PEAK - 1)).toBeLessThan(peak);
    expect(uslThroughput(fit, TRUE_PEAK + 1)).toBeLessThan(peak);
  });

  it("has R^2 ~ 1 and predicts the measured throughput", () => {
    expect(fit.rSquared).toBeCloseTo(1, 12);
    for (const point of sweep(TRUTH, [1, 3, 10, 50, 100, 200])) {
      expect(uslThroughput(fit, point.concurrency)).toBeCloseTo(point.throughputPerSec, 6);
    }
  });

  it("is plain JSON-serialisable data", () => {
    expect(JSON.parse(JSON.stringify(fit))).toEqual(fit);
  });

  it("fits a coherency-only truth (sigma 0): the x^2 term is not ignored", () => {
    const truth = { sigma: 0, kappa: 0.001, lambdaPerSec: 500 };
    const only = fitted(sweep(truth, LEVELS));
    expect(only.sigma).toBeCloseTo(0, 10);
    expect(only.kappa).toBeCloseTo(0.001, 12);
    expect(only.peakConcurrency).toBeCloseTo(Math.sqrt(1000), 6);
  });

  it("fits a contention-only truth (kappa 0): no peak within the model", () => {
    const only = fitted(sweep({ sigma: 0.1, kappa: 0, lambdaPerSec: 200 }, LEVELS));
    expect(only.sigma).toBeCloseTo(0.1, 10);
    expect(only.kappa).toBeCloseTo(0, 12);
    expect(only.peakConcurrency).toBeNull();
    expect(only.peakThroughputPerSec).toBeNull();
  });

  it("gives linear scaling (sigma = kappa = 0) no peak", () => {
    const linear = fitted(sweep({ sigma: 0, kappa: 0, lambdaPerSec: 1000 }, LEVELS));
    expect(linear.sigma).toBeCloseTo(0, 12);
    expect(linear.kappa).toBeCloseTo(0, 12);
    expect(linear.peakConcurrency).toBeNull();
    expect(linear.peakThroughputPerSec).toBeNull();
    expect(linear.rSquared).toBeCloseTo(1, 12);
  });

  it("gives flat throughput (sigma = 1) no peak and R^2 1", () => {
    const flat = fitted([1, 2, 4].map((concurrency) => ({ concurrency, throughputPerSec: 100 })));
    expect(flat.sigma).toBeCloseTo(1, 12);
    expect(flat.kappa).toBeCloseTo(0, 12);
    expect(flat.peakConcurrency).toBeNull();
    expect(flat.rSquared).toBe(1);
  });

  it("fits every point of repeated levels, averaging lambda at N = 1", () => {
    const points = sweep(TRUTH, LEVELS);
    const twice = fitted([...points, ...points]);
    expect(twice.sigma).toBeCloseTo(0.05, 10);
    expect(twice.kappa).toBeCloseTo(0.0005, 12);
    expect(twice.points).toBe(14);
    expect(twice.levels).toBe(7);
    const atOne = fitted([
      { concurrency: 1, throughputPerSec: 900 },
      { concurrency: 1, throughputPerSec: 1100 },
      ...points.slice(1),
    ]);
    expect(atOne.lambdaPerSec).toBeCloseTo(1000, 9);
  });
});

describe("fitUsl without N = 1", () => {
  const fit = fitted(sweep(TRUTH, [4, 8, 16, 32, 64]));

  it("estimates lambda as X(N_min) / N_min and says so", () => {
    expect(fit.lambdaFrom).toBe("lowest concurrency");
    expect(fit.lambdaPerSec).toBeCloseTo(uslThroughput(TRUTH, 4) / 4, 9); // 865.05, low by 1.156x
  });

  it("stays close on the peak and kappa, with sigma biased low by the low lambda", () => {
    expect(fit.peakConcurrency).not.toBeNull();
    expect(Math.abs((fit.peakConcurrency ?? 0) / TRUE_PEAK - 1)).toBeLessThan(0.06); // 41.4
    expect(Math.abs((fit.peakThroughputPerSec ?? 0) / uslThroughput(TRUTH, TRUE_PEAK) - 1)).toBeLessThan(
      0.03,
    );
    expect(Math.abs(fit.kappa / TRUTH.kappa - 1)).toBeLessThan(0.15); // 0.000563
    expect(fit.sigma).toBeGreaterThan(0.02);
    expect(fit.sigma).toBeLessThan(TRUTH.sigma); // 0.033
    expect(fit.rSquared).toBeGreaterThan(0.99);
    expect(fit.rSquared).toBeLessThan(1);
  });

  it("is closer when the lowest level is nearer 1", () => {
    const fromTwo = fitted(sweep(TRUTH, [2, 4, 8, 16, 32, 64]));
    expect(Math.abs(fromTwo.sigma - TRUTH.sigma)).toBeLessThan(Math.abs(fit.sigma - TRUTH.sigma));
    expect(Math.abs((fromTwo.peakConcurrency ?? 0) / TRUE_PEAK - 1)).toBeLessThan(0.03);
  });
});

describe("fitUsl on noisy data (+-3%)", () => {
  const fit = fitted(sweep(TRUTH, LEVELS, NOISE));

  it("recovers sigma, kappa and the peak within a looser bound", () => {
    expect(Math.abs(fit.sigma - TRUTH.sigma)).toBeLessThan(0.015); // 0.0566
    expect(Math.abs(fit.kappa / TRUTH.kappa - 1)).toBeLessThan(0.3); // 0.000397
    expect(Math.abs((fit.peakConcurrency ?? 0) / TRUE_PEAK - 1)).toBeLessThan(0.2); // 48.8
    expect(Math.abs((fit.peakThroughputPerSec ?? 0) / uslThroughput(TRUTH, TRUE_PEAK) - 1)).toBeLessThan(
      0.03,
    );
    expect(fit.constrained).toEqual([]);
  });

  it("has R^2 below 1 but high", () => {
    expect(fit.rSquared).toBeLessThan(1);
    expect(fit.rSquared).toBeGreaterThan(0.99);
  });
});

describe("fitUsl under the non-negativity constraint", () => {
  // Coherency-only truth with the low levels 4-5% high: the unconstrained fit makes sigma negative.
  const truth = { sigma: 0, kappa: 0.001, lambdaPerSec: 1000 };
  const points = sweep(truth, [1, 2, 4, 8, 16, 32], [0, 0.05, 0.04, 0, 0, 0]);
  const fit = fitted(points);

  it("refits with sigma held at 0 rather than clamping it", () => {
    expect(fit.constrained).toEqual(["sigma"]);
    expect(fit.sigma).toBe(0);
    expect(fit.kappa).toBeGreaterThan(0);
    expect(fit.peakConcurrency).toBeCloseTo(Math.sqrt(1 / fit.kappa), 9);
  });

  it("is the least-squares optimum on sigma = 0 and beats nearby feasible coefficients", () => {
    const lambda = fit.lambdaPerSec;
    const best = linearisedSse(points, lambda, 0, fit.kappa);
    for (const delta of [1e-6, 1e-5, 1e-4]) {
      expect(linearisedSse(points, lambda, 0, fit.kappa + delta)).toBeGreaterThan(best);
      expect(linearisedSse(points, lambda, 0, fit.kappa - delta)).toBeGreaterThan(best);
      expect(linearisedSse(points, lambda, delta, fit.kappa)).toBeGreaterThan(best);
      expect(linearisedSse(points, lambda, delta, fit.kappa - delta)).toBeGreaterThan(best);
    }
  });

  it("holds both at 0 for superlinear scaling, with no peak", () => {
    const superlinear = fitted(
      [1, 2, 4, 8].map((n) => ({ concurrency: n, throughputPerSec: 100 * n ** 1.1 })),
    );
    expect(superlinear.constrained).toEqual(["sigma", "kappa"]);
    expect(superlinear.sigma).toBe(0);
    expect(superlinear.kappa).toBe(0);
    expect(superlinear.peakConcurrency).toBeNull();
    expect(superlinear.rSquared).toBeLessThan(1);
  });
});

describe("fitUsl refuses", () => {
  it("fewer than 3 distinct concurrency levels", () => {
    expect(fitUsl([])).toBeNull();
    expect(fitUsl(sweep(TRUTH, [1, 8]))).toBeNull();
    expect(fitUsl(sweep(TRUTH, [1, 8, 8, 1]))).toBeNull();
    expect(fitUsl(sweep(TRUTH, [1, 8, 16]))).not.toBeNull();
  });

  it("non-positive or non-finite values", () => {
    const good = sweep(TRUTH, LEVELS);
    const spoilt = (change: Partial<ThroughputPoint>) => [
      ...good.slice(1),
      { ...good[0], ...change } as ThroughputPoint,
    ];
    expect(fitUsl(spoilt({ throughputPerSec: 0 }))).toBeNull();
    expect(fitUsl(spoilt({ throughputPerSec: -5 }))).toBeNull();
    expect(fitUsl(spoilt({ throughputPerSec: Number.NaN }))).toBeNull();
    expect(fitUsl(spoilt({ concurrency: 0 }))).toBeNull();
    expect(fitUsl(spoilt({ concurrency: -1 }))).toBeNull();
    expect(fitUsl(spoilt({ concurrency: Number.POSITIVE_INFINITY }))).toBeNull();
  });
});

describe("uslPeakConcurrency", () => {
  it("is sqrt((1 - sigma) / kappa) only when kappa > 0 and sigma < 1", () => {
    expect(uslPeakConcurrency(0.05, 0.0005)).toBeCloseTo(TRUE_PEAK, 12);
    expect(uslPeakConcurrency(0.05, 0)).toBeNull();
    expect(uslPeakConcurrency(1, 0.001)).toBeNull();
    expect(uslPeakConcurrency(1.2, 0.001)).toBeNull();
  });
});

describe("pastPeak", () => {
  const wide = sweep(TRUTH, [1, 2, 4, 8, 16, 32, 64, 128]);

  it("names the points that fall more than 2% below the best at a lower concurrency", () => {
    // X(32) = 10506, X(64) = 10380 (1.2% below: within tolerance), X(128) = 8270 (21% below).
    const found = pastPeak(wide);
    expect(PAST_PEAK_TOLERANCE).toBe(0.02);
    expect(found).toHaveLength(1);
    const [point] = found;
    expect(point?.concurrency).toBe(128);
    expect(point?.bestConcurrency).toBe(32);
    expect(point?.bestThroughputPerSec).toBeCloseTo(uslThroughput(TRUTH, 32), 9);
    expect(point?.dropFraction).toBeCloseTo(1 - uslThroughput(TRUTH, 128) / uslThroughput(TRUTH, 32), 12);
    expect(point?.beyondModelPeak).toBeNull();
  });

  it("takes a tolerance, and with a fit says which points lie beyond the model's peak", () => {
    const fit = fitted(wide);
    const found = pastPeak(wide, fit, 0);
    expect(found.map((p) => p.concurrency)).toEqual([64, 128]);
    expect(found.map((p) => p.beyondModelPeak)).toEqual([true, true]);
    const linear = fitted(sweep({ sigma: 0, kappa: 0, lambdaPerSec: 1 }, LEVELS));
    expect(pastPeak(wide, linear, 0).map((p) => p.beyondModelPeak)).toEqual([false, false]);
  });

  it("finds nothing in a rising sweep", () => {
    expect(pastPeak(sweep(TRUTH, LEVELS))).toEqual([]);
    expect(pastPeak([])).toEqual([]);
  });

  it("compares only with lower levels, in any input order, and counts a collapse to 0", () => {
    const points: ThroughputPoint[] = [
      { concurrency: 8, throughputPerSec: 300 },
      { concurrency: 4, throughputPerSec: 150 },
      { concurrency: 1, throughputPerSec: 100 },
      { concurrency: 2, throughputPerSec: 200 },
      { concurrency: 8, throughputPerSec: 250 }, // not compared with the other point at 8
      { concurrency: 16, throughputPerSec: 0 },
      { concurrency: 0, throughputPerSec: 1 }, // skipped
      { concurrency: 32, throughputPerSec: Number.NaN }, // skipped
    ];
    const found = pastPeak(points);
    expect(found.map((p) => [p.concurrency, p.bestConcurrency, p.throughputPerSec])).toEqual([
      [4, 2, 150],
      [16, 8, 0],
    ]);
    expect(found[0]?.dropFraction).toBeCloseTo(0.25, 12);
    expect(found[1]?.dropFraction).toBe(1);
  });
});
