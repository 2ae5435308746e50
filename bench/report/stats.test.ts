import { describe, expect, it } from "vitest";
import {
  formatConfidence,
  ratioOfMeans,
  regularizedIncompleteBeta,
  relativeTo,
  studentTCdf,
  studentTQuantile,
  summarizeSample,
  welchDf,
} from "./stats.js";

describe("studentTQuantile", () => {
  it("matches the two-sided 95% values of a Student-t table", () => {
    // Standard t tables (6 decimals): t(0.975, 10) = 2.228139, t(0.975, 30) = 2.042272,
    // t(0.975, 1000) = 1.962339, t(0.975, 4) = 2.776445, t(0.975, 1) = 12.706205.
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 6);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 6);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.962339, 6);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 6);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 5);
  });

  it("matches other table values: 99% two-sided, one-sided 90%", () => {
    // t(0.995, 4) = 4.604095, t(0.995, 2) = 9.924843, t(0.9, 20) = 1.325341.
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.604095, 6);
    expect(studentTQuantile(0.995, 2)).toBeCloseTo(9.924843, 6);
    expect(studentTQuantile(0.9, 20)).toBeCloseTo(1.325341, 6);
  });

  it("matches the closed forms for 1 and 2 degrees of freedom", () => {
    // df 1 (Cauchy): t = tan(pi (p - 1/2)); df 2: t = (2p - 1) / sqrt(2 p (1 - p)).
    for (const p of [0.6, 0.9, 0.975, 0.999]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
  });

  it("handles the non-integer degrees of freedom Welch's formula gives", () => {
    // t(0.975, 2.5) = 3.574655: between t(0.975, 2) = 4.302653 and t(0.975, 3) = 3.182446.
    expect(studentTQuantile(0.975, 2.5)).toBeCloseTo(3.574655, 6);
  });

  it("is symmetric around 0 and inverts the distribution function", () => {
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228139, 6);
    for (const [p, df] of [
      [0.975, 10],
      [0.6, 3.5],
      [0.9995, 1],
      [0.99, 200],
    ] as const) {
      expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
    }
  });

  it("refuses probabilities outside (0, 1) and degrees of freedom <= 0", () => {
    expect(() => studentTQuantile(1, 10)).toThrow(RangeError);
    expect(() => studentTQuantile(0, 10)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, 0)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe("studentTCdf and regularizedIncompleteBeta", () => {
  it("gives the known values", () => {
    // Cauchy (df 1): F(1) = 1/2 + atan(1)/pi = 0.75. df 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)), F(1) = 0.788675.
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
    expect(studentTCdf(1, 2)).toBeCloseTo(0.5 + 1 / (2 * Math.sqrt(3)), 12);
    expect(studentTCdf(0, 5)).toBe(0.5);
    expect(studentTCdf(-1, 1)).toBeCloseTo(0.25, 12);
  });

  it("has I_x(1, 1) = x, I_x(a, 1) = x^a and I_0.5(a, a) = 1/2", () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(regularizedIncompleteBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 12);
    expect(regularizedIncompleteBeta(0.5, 7, 7)).toBeCloseTo(0.5, 12);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });
});

describe("summarizeSample and welchDf", () => {
  it("summarizes with the n - 1 variance", () => {
    expect(summarizeSample([9, 10, 11])).toEqual({ n: 3, mean: 10, variance: 1 });
    expect(summarizeSample([5])).toEqual({ n: 1, mean: 5, variance: null });
    expect(summarizeSample([])).toEqual({ n: 0, mean: null, variance: null });
  });

  it("gives n - 1 when one side does not vary", () => {
    expect(welchDf(0, 3, 4 / 3, 3, 2)).toBe(2);
  });
});

describe("ratioOfMeans (Fieller's interval)", () => {
  // Worked example, by hand. a = [9, 10, 11], b = [18, 20, 22].
  //   A = 10, B = 20, s_a^2 = 1, s_b^2 = 4, va = 1/3, vb = 4/3, r = B / A = 2.
  //   df = (vb + r^2 va)^2 / (vb^2 / 2 + r^4 va^2 / 2) = (8/3)^2 / (8/9 + 8/9) = (64/9) / (16/9) = 4.
  //   t = t(0.975, 4) = 2.776445, t^2 = 7.708647.
  //   c2 = A^2 - t^2 va = 100 - 2.569549 = 97.430451.
  //   D = A^2 vb + B^2 va - t^2 va vb = 133.333333 + 133.333333 - 3.426065 = 263.240602, sqrt 16.224691.
  //   low = (A B - t sqrt D) / c2 = (200 - 45.046768) / 97.430451 = 1.590396.
  //   high = (200 + 45.046768) / 97.430451 = 2.515096.
  it("gives the worked example's interval", () => {
    const estimate = ratioOfMeans([9, 10, 11], [18, 20, 22]);
    expect(estimate.ratio).toBe(2);
    expect(estimate.issue).toBeNull();
    expect(estimate.a).toEqual({ n: 3, mean: 10, variance: 1 });
    expect(estimate.b).toEqual({ n: 3, mean: 20, variance: 4 });
    const interval = estimate.interval;
    expect(interval?.df).toBeCloseTo(4, 12);
    expect(interval?.t).toBeCloseTo(2.776445, 6);
    expect(interval?.low).toBeCloseTo(1.590396, 6);
    expect(interval?.high).toBeCloseTo(2.515096, 6);
    // Clearly different samples: the interval is wholly above 1.
    expect(interval && relativeTo(interval, 1)).toBe("above");
  });

  // Identical samples: A = B = 10, va = vb = 1/3, r = 1, df = (2/3)^2 / (1/18 + 1/18) = 4.
  //   c2 = 100 - 7.708647 / 3 = 97.430451; D = 100/3 + 100/3 - 7.708647 / 9 = 65.810150, sqrt 8.112346.
  //   low = (100 - 2.776445 * 8.112346) / 97.430451 = 0.795198; high = (100 + 22.523484) / 97.430451 = 1.257548.
  it("gives ratio 1 and an interval holding 1 for identical samples", () => {
    const estimate = ratioOfMeans([9, 10, 11], [9, 10, 11]);
    expect(estimate.ratio).toBe(1);
    expect(estimate.interval?.low).toBeCloseTo(0.795198, 6);
    expect(estimate.interval?.high).toBeCloseTo(1.257548, 6);
    expect(estimate.interval && relativeTo(estimate.interval, 1)).toBe("contains");
    // With identical samples the interval is symmetric in the ratio: low = 1 / high.
    expect((estimate.interval?.low ?? 0) * (estimate.interval?.high ?? 0)).toBeCloseTo(1, 12);
  });

  it("gives the reciprocal interval when a and b are swapped", () => {
    const forward = ratioOfMeans([9, 10, 11], [18, 20, 22]);
    const backward = ratioOfMeans([18, 20, 22], [9, 10, 11]);
    expect(backward.ratio).toBe(0.5);
    // 1 / 2.515096 = 0.397599, 1 / 1.590396 = 0.628774.
    expect(backward.interval?.low).toBeCloseTo(1 / (forward.interval?.high ?? 0), 12);
    expect(backward.interval?.high).toBeCloseTo(1 / (forward.interval?.low ?? 0), 12);
    expect(backward.interval?.low).toBeCloseTo(0.397599, 6);
    expect(backward.interval && relativeTo(backward.interval, 1)).toBe("below");
  });

  it("widens with the confidence level", () => {
    // 99%: t(0.995, 4) = 4.604095, t^2 = 21.197690; c2 = 100 - 7.065897 = 92.934103;
    // D = 266.666667 - 21.197690 * 4/9 = 257.245471, sqrt 16.038874;
    // low = (200 - 73.844498) / 92.934103 = 1.357473, high = (200 + 73.844498) / 92.934103 = 2.946652.
    const estimate = ratioOfMeans([9, 10, 11], [18, 20, 22], { confidence: 0.99 });
    expect(estimate.confidence).toBe(0.99);
    expect(estimate.interval?.low).toBeCloseTo(1.357473, 6);
    expect(estimate.interval?.high).toBeCloseTo(2.946652, 6);
  });

  it("gives n - 1 degrees of freedom and a point-free interval when a does not vary", () => {
    // a = [1000, 1000, 1000]: va = 0, so df = vb^2 / (vb^2 / 2) = 2 and c2 = A^2 = 10^6.
    // b = [1800, 2000, 2200]: vb = 40000 / 3. D = 10^6 * 40000/3; t(0.975, 2) = 4.302653;
    // low = (2,000,000 - 4.302653 * 115470.054) / 10^6 = 1.503172, high = 2.496828.
    const estimate = ratioOfMeans([1000, 1000, 1000], [1800, 2000, 2200]);
    expect(estimate.interval?.df).toBeCloseTo(2, 12);
    expect(estimate.interval?.low).toBeCloseTo(1.503172, 6);
    expect(estimate.interval?.high).toBeCloseTo(2.496828, 6);
  });

  it("gives a point interval when neither sample varies", () => {
    const estimate = ratioOfMeans([5, 5], [10, 10]);
    expect(estimate.ratio).toBe(2);
    expect(estimate.interval).toEqual({ low: 2, high: 2, df: null, t: null });
  });

  it("gives a ratio but no interval with fewer than 2 samples (or fewer than minSamples)", () => {
    const one = ratioOfMeans([10], [20, 21]);
    expect(one.ratio).toBeCloseTo(2.05, 12);
    expect(one.interval).toBeNull();
    expect(one.issue).toBe("too-few-samples");
    expect(one.reason).toBe("too few samples for an interval (a 1, b 2; at least 2 each)");
    const four = ratioOfMeans([9, 10, 11, 10], [18, 20, 22, 20], { minSamples: 5 });
    expect(four.ratio).toBe(2);
    expect(four.interval).toBeNull();
    expect(four.reason).toBe("too few samples for an interval (a 4, b 4; at least 5 each)");
  });

  it("gives no ratio when a's mean is 0 or a sample is empty", () => {
    const zero = ratioOfMeans([0, 0, 0], [1, 2, 3]);
    expect(zero.ratio).toBeNull();
    expect(zero.interval).toBeNull();
    expect(zero.issue).toBe("zero-mean");
    const empty = ratioOfMeans([], [1, 2, 3]);
    expect(empty.ratio).toBeNull();
    expect(empty.issue).toBe("no-samples");
  });

  it("gives no interval when a's mean cannot be told from 0 (Fieller's set is unbounded)", () => {
    // a = [0, 2]: A = 1, va = 2 / 2 = 1; df 1 or more gives t >= 1.96, so c2 = 1 - t^2 < 0.
    const estimate = ratioOfMeans([0, 2], [1, 1.2]);
    expect(estimate.ratio).toBeCloseTo(1.1, 12);
    expect(estimate.interval).toBeNull();
    expect(estimate.issue).toBe("unbounded");
  });

  it("refuses a confidence level outside (0, 1)", () => {
    expect(() => ratioOfMeans([1, 2], [1, 2], { confidence: 1 })).toThrow(RangeError);
  });
});

describe("relativeTo and formatConfidence", () => {
  it("places an interval against a threshold, bounds included in 'contains'", () => {
    expect(relativeTo({ low: 3.1, high: 3.5 }, 3)).toBe("above");
    expect(relativeTo({ low: 2.1, high: 2.9 }, 3)).toBe("below");
    expect(relativeTo({ low: 3, high: 3.5 }, 3)).toBe("contains");
    expect(relativeTo({ low: 2.5, high: 3 }, 3)).toBe("contains");
  });

  it("formats levels as percentages", () => {
    expect(formatConfidence(0.95)).toBe("95%");
    expect(formatConfidence(0.999)).toBe("99.9%");
    expect(formatConfidence(0.5)).toBe("50%");
  });
});
