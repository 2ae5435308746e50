/**
 * Seeded random numbers for the workload. A seeded generator makes a run's parameter stream
 * reproducible (the seed is recorded in result.json) and sfc32 is cheaper than crypto sources.
 */
export type RandomSource = () => number;

/** sfc32 (Chris Doty-Humphrey's Small Fast Counter): returns a double in [0, 1). */
export function seededRandom(seed: number): RandomSource {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162 ^ (seed * 17);
  let d = 1;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** Integer in [low, high], each value equally likely (sysbench --rand-type=uniform). */
export function uniformInt(random: RandomSource, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

export interface SpecialParams {
  /** --rand-spec-pct: the share of the range that is "hot", in percent. */
  pct: number;
  /** --rand-spec-res: the share of draws that go to the hot part, in percent. */
  res: number;
  /** --rand-spec-iter: uniform draws summed to make the bell-shaped remainder. */
  iterations: number;
}

export const SYSBENCH_SPECIAL: SpecialParams = { pct: 1, res: 75, iterations: 12 };

/**
 * sysbench's default "special" distribution: res% of draws land uniformly in a pct% slice at the
 * centre of [low, high]; the rest follow a bell curve (the mean of `iterations` uniform draws).
 * With sysbench's defaults, 1% of ids get 75% of the accesses. Follows sysbench 1.0's sb_rand_special,
 * including its use of one uniform draw both to choose the branch and to place the hot value.
 */
export function specialInt(random: RandomSource, low: number, high: number, params: SpecialParams): number {
  const span = high - low;
  const rangeWithHot = span * (100 / (100 - params.res));
  const u = random();
  if (u * rangeWithHot < span) {
    let sum = 0;
    for (let i = 0; i < params.iterations; i++) sum += random();
    return low + Math.floor((sum * span) / params.iterations);
  }
  const hotWidth = (span * params.pct) / 100;
  const value = u * (hotWidth + 1) + span / 2 - (span * params.pct) / 200;
  return low + Math.floor(value);
}

/** Bytes of one group: 11 digits, and the '-' before every group but the first. */
const GROUP_BYTES = 12;
/** Where the digits are written before they become one string; grows for a longer value. */
let digitScratch = Buffer.allocUnsafe(16 * GROUP_BYTES);

/**
 * sysbench's c and pad values: groups of 11 random digits joined by '-' (10 groups for c, 5 for pad).
 * The digits are written as bytes and read back as one string: building it from number strings made
 * about 60 short-lived strings per c value, and the write mix spent more of its CPU collecting them
 * (5% of the worker's time, beside 2.5% here) than drawing them.
 */
export function sysbenchDigitGroups(random: RandomSource, groups: number): string {
  if (groups <= 0) return "";
  const length = groups * GROUP_BYTES - 1;
  if (digitScratch.length < length) digitScratch = Buffer.allocUnsafe(length);
  const out = digitScratch;
  let at = 0;
  for (let g = 0; g < groups; g++) {
    if (g > 0) out[at++] = 0x2d; // '-'
    // Two draws, 5 and 6 digits, because one 32-bit draw cannot cover 11 digits evenly.
    let high = Math.floor(random() * 100_000);
    let low = Math.floor(random() * 1_000_000);
    for (let i = 4; i >= 0; i--) {
      out[at + i] = 0x30 + (high % 10);
      high = Math.floor(high / 10);
    }
    at += 5;
    for (let i = 5; i >= 0; i--) {
      out[at + i] = 0x30 + (low % 10);
      low = Math.floor(low / 10);
    }
    at += 6;
  }
  return out.toString("latin1", 0, at);
}

export const C_GROUPS = 10;
export const PAD_GROUPS = 5;
