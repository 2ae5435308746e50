import { describe, expect, it } from "vitest";
import {
  C_GROUPS,
  PAD_GROUPS,
  type RandomSource,
  SYSBENCH_SPECIAL,
  seededRandom,
  specialInt,
  sysbenchDigitGroups,
  uniformInt,
} from "./random.js";

function take(random: RandomSource, n: number): number[] {
  return Array.from({ length: n }, () => random());
}

function minOf(values: readonly number[]): number {
  return values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
}

function maxOf(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
}

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
}

/** A source that replays fixed values, to drive the branches of specialInt exactly. */
function replay(values: number[]): RandomSource {
  let i = 0;
  return () => {
    const value = values[i++];
    if (value === undefined) throw new Error("replay source exhausted");
    return value;
  };
}

describe("seededRandom", () => {
  it("gives the same stream for the same seed", () => {
    expect(take(seededRandom(42), 1000)).toEqual(take(seededRandom(42), 1000));
    expect(take(seededRandom(0), 50)).toEqual(take(seededRandom(0), 50));
  });

  it("gives different streams for different seeds", () => {
    const a = take(seededRandom(1), 100);
    const b = take(seededRandom(2), 100);
    const c = take(seededRandom(12345), 100);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect(b).not.toEqual(c);
    // Not just shifted or mostly shared: almost no position agrees.
    const same = a.filter((value, i) => value === b[i]).length;
    expect(same).toBeLessThan(3);
  });

  it("returns doubles in [0, 1) with mean near 1/2", () => {
    const values = take(seededRandom(7), 100_000);
    expect(minOf(values)).toBeGreaterThanOrEqual(0);
    expect(maxOf(values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    // A stream that repeats with a short period would have few distinct values.
    expect(new Set(values).size).toBeGreaterThan(99_990);
  });
});

describe("uniformInt", () => {
  it("stays within [low, high] and reaches both ends", () => {
    const random = seededRandom(3);
    const seen = new Set<number>();
    const values = Array.from({ length: 20_000 }, () => uniformInt(random, 5, 15));
    expect(values.every(Number.isInteger)).toBe(true);
    for (const value of values) seen.add(value);
    expect([...seen].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it("maps the ends of [0, 1) to low and high exactly", () => {
    expect(uniformInt(() => 0, 1, 10)).toBe(1);
    expect(uniformInt(() => 0.999_999_999, 1, 10)).toBe(10);
    expect(uniformInt(() => 0.5, 1, 10)).toBe(6);
    expect(uniformInt(() => 0.3, 7, 7)).toBe(7);
  });

  it("draws every value about equally often (chi-square, 200k draws, 10 buckets)", () => {
    const random = seededRandom(2024);
    const counts = new Array<number>(10).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) {
      const value = uniformInt(random, 1, 10);
      counts[value - 1] = (counts[value - 1] ?? 0) + 1;
    }
    // 9 degrees of freedom: the 99.9th percentile of chi-square is 27.9.
    expect(chiSquare(counts)).toBeLessThan(27.9);
    for (const count of counts) expect(Math.abs(count - draws / 10)).toBeLessThan(draws / 10 / 20);
  });
});

describe("specialInt with sysbench's defaults", () => {
  const low = 1;
  const high = 10_000;
  const span = high - low;
  const hotLow = low + span / 2 - span * 0.005;
  const hotHigh = low + span / 2 + span * 0.005 + 1;
  const draws = 200_000;

  const values = (() => {
    const random = seededRandom(99);
    return Array.from({ length: draws }, () => specialInt(random, low, high, SYSBENCH_SPECIAL));
  })();

  it("uses sysbench's defaults: 1% of the range, 75% of the draws, 12 iterations", () => {
    expect(SYSBENCH_SPECIAL).toEqual({ pct: 1, res: 75, iterations: 12 });
  });

  it("keeps every draw an integer within [low, high]", () => {
    expect(values.every(Number.isInteger)).toBe(true);
    expect(minOf(values)).toBeGreaterThanOrEqual(low);
    expect(maxOf(values)).toBeLessThanOrEqual(high);
  });

  it("sends about 75% of draws (plus a small bell-curve share) to the central 1% slice", () => {
    const hot = values.filter((value) => value >= hotLow && value <= hotHigh).length;
    const share = hot / draws;
    expect(share).toBeGreaterThanOrEqual(0.74);
    expect(share).toBeLessThanOrEqual(0.78);
  });

  it("gives the other draws a bell shape: the centre decile holds far more than an edge decile", () => {
    const rest = values.filter((value) => value < hotLow || value > hotHigh);
    expect(rest.length / draws).toBeGreaterThan(0.2);
    const deciles = new Array<number>(10).fill(0);
    for (const value of rest) {
      const decile = Math.min(9, Math.floor(((value - low) / (span + 1)) * 10));
      deciles[decile] = (deciles[decile] ?? 0) + 1;
    }
    const centre = Math.max(deciles[4] ?? 0, deciles[5] ?? 0);
    const edge = Math.max(deciles[0] ?? 0, deciles[9] ?? 0);
    expect(centre).toBeGreaterThan(20 * Math.max(1, edge));
    // Symmetric around the centre.
    const left = deciles.slice(0, 5).reduce((a, b) => a + b, 0);
    const right = deciles.slice(5).reduce((a, b) => a + b, 0);
    expect(Math.abs(left - right) / rest.length).toBeLessThan(0.02);
  });

  it("follows sb_rand_special exactly on known inputs", () => {
    // u = 0.1: 0.1 * 9999 * 4 < 9999, so the bell branch sums 12 draws of 0.5: low + floor(0.5 * 9999).
    expect(specialInt(replay([0.1, ...new Array<number>(12).fill(0.5)]), low, high, SYSBENCH_SPECIAL)).toBe(
      1 + 4999,
    );
    // u = 0.5: hot branch, value = 0.5 * (99.99 + 1) + 4999.5 - 49.995.
    expect(specialInt(replay([0.5]), low, high, SYSBENCH_SPECIAL)).toBe(
      1 + Math.floor(0.5 * 100.99 + 4949.505),
    );
    // u just below 1: the top of the hot slice.
    expect(specialInt(replay([0.999_999]), low, high, SYSBENCH_SPECIAL)).toBe(1 + 5050);
  });

  it("respects a non-default hot share: res 0 means no hot branch at all", () => {
    const random = seededRandom(5);
    const params = { pct: 1, res: 0, iterations: 12 };
    let nearCentre = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = specialInt(random, low, high, params);
      if (value >= hotLow && value <= hotHigh) nearCentre++;
    }
    // Only the bell curve's share of the slice (about 5%), never the 75% hot share.
    expect(nearCentre / 20_000).toBeLessThan(0.08);
    expect(nearCentre / 20_000).toBeGreaterThan(0.02);
  });

  it("returns low when the range has one value", () => {
    const random = seededRandom(8);
    const values = Array.from({ length: 100 }, () => specialInt(random, 17, 17, SYSBENCH_SPECIAL));
    expect(new Set(values)).toEqual(new Set([17]));
  });
});

describe("sysbenchDigitGroups", () => {
  it("formats c as 10 groups of 11 digits joined by '-' (119 characters)", () => {
    const random = seededRandom(11);
    expect(C_GROUPS).toBe(10);
    const values = Array.from({ length: 200 }, () => sysbenchDigitGroups(random, C_GROUPS));
    expect(values.every((c) => c.length === 119 && /^\d{11}(-\d{11}){9}$/.test(c))).toBe(true);
  });

  it("formats pad as 5 groups of 11 digits joined by '-' (59 characters)", () => {
    const random = seededRandom(12);
    expect(PAD_GROUPS).toBe(5);
    const values = Array.from({ length: 200 }, () => sysbenchDigitGroups(random, PAD_GROUPS));
    expect(values.every((pad) => pad.length === 59 && /^\d{11}(-\d{11}){4}$/.test(pad))).toBe(true);
  });

  it("zero-pads small draws and uses the top digits for large ones", () => {
    expect(sysbenchDigitGroups(() => 0, 2)).toBe("00000000000-00000000000");
    expect(sysbenchDigitGroups(() => 0.999_999_999, 1)).toBe("99999999999");
    expect(sysbenchDigitGroups(replay([0.00001, 0.000001]), 1)).toBe("00001000001");
    expect(sysbenchDigitGroups(() => 0.5, 0)).toBe("");
  });

  it("gives, draw for draw, the digits of sysbench's formatting (numbers padded to 5 and 6 digits)", () => {
    // The plain string form, as sysbench's sb_rand_str fills a "###########-..." template.
    const reference = (random: () => number, groups: number) =>
      Array.from({ length: groups }, () => {
        const high = Math.floor(random() * 100_000);
        const low = Math.floor(random() * 1_000_000);
        return `${String(high).padStart(5, "0")}${String(low).padStart(6, "0")}`;
      }).join("-");
    for (const groups of [1, 5, 10, 20]) {
      const a = seededRandom(groups);
      const b = seededRandom(groups);
      for (let i = 0; i < 500; i++) expect(sysbenchDigitGroups(a, groups)).toBe(reference(b, groups));
    }
  });

  it("is deterministic for a seed", () => {
    expect(sysbenchDigitGroups(seededRandom(3), C_GROUPS)).toBe(
      sysbenchDigitGroups(seededRandom(3), C_GROUPS),
    );
  });

  it("draws every digit about equally often, at every position of a group", () => {
    const random = seededRandom(77);
    const counts = new Array<number>(10).fill(0);
    const byPosition = Array.from({ length: 11 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < 4000; i++) {
      for (const group of sysbenchDigitGroups(random, C_GROUPS).split("-")) {
        for (let p = 0; p < group.length; p++) {
          const digit = group.charCodeAt(p) - 48;
          counts[digit] = (counts[digit] ?? 0) + 1;
          const row = byPosition[p] as number[];
          row[digit] = (row[digit] ?? 0) + 1;
        }
      }
    }
    // 440,000 digits; 9 degrees of freedom.
    expect(chiSquare(counts)).toBeLessThan(27.9);
    // 40,000 digits per position; a loose bound that still catches a stuck or biased position.
    for (const row of byPosition) expect(chiSquare(row)).toBeLessThan(40);
  });
});
