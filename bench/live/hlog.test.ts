import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Histogram } from "../metrics/histogram.js";
import { recordedUs, TEST_CONTEXT, testSecond } from "../testing/live-seconds.js";
import { HistogramLog, histogramTag, type LoggedInterval, readHistogramLog } from "./hlog.js";
import type { LiveSecond } from "./second.js";

const BASE_EPOCH_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const PERCENTILES = [50, 99];

/** Deterministic spread of latencies, microseconds: mostly fast, a slow tail, one outlier per second. */
function latenciesUs(seed: number, count: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const fast = 80 + ((i * 7919 + seed * 104_729) % 2_000);
    values.push(i % 50 === 0 ? 40_000 + seed * 1_000 + i : fast);
  }
  values.push(900_000 + seed);
  return values;
}

const SELECTS = [latenciesUs(1, 400), latenciesUs(2, 300), latenciesUs(3, 120)];
const UPDATES = [latenciesUs(4, 200), [], latenciesUs(5, 50)];

/** A warm-up second, then three measured seconds (the last one short); updates stall in the second. */
function seconds(): LiveSecond[] {
  return [
    testSecond({
      t: 0,
      phase: "warmup",
      startEpochMs: BASE_EPOCH_MS + 200,
      samplesUs: { point_select: [5_000, 6_000, 7_000] },
    }),
    ...SELECTS.map((selects, t) =>
      testSecond({
        t,
        startEpochMs: BASE_EPOCH_MS + 1_200 + t * 1000,
        spanMs: t === 2 ? 400 : 1000,
        samplesUs: { point_select: selects, update_index: UPDATES[t] ?? [] },
      }),
    ),
  ];
}

function byTag(intervals: readonly LoggedInterval[]): Map<string, LoggedInterval[]> {
  const out = new Map<string, LoggedInterval[]>();
  for (const interval of intervals) out.set(interval.tag, [...(out.get(interval.tag) ?? []), interval]);
  return out;
}

function merged(intervals: readonly LoggedInterval[]): Histogram {
  const total = recordedUs([]);
  for (const interval of intervals) total.add(interval.histogram);
  return total;
}

/** The exact value HDR's percentile stands for: the ceil(p% of n)-th smallest sample. */
function exactPercentile(values: readonly number[], percentile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

const SELECT_TAG = "aurora-read/aurora-read-16-connections-hot/measured/point_select";
const UPDATE_TAG = "aurora-read/aurora-read-16-connections-hot/measured/update_index";
const WARMUP_TAG = "aurora-read/aurora-read-16-connections-hot/warmup/point_select";

describe("histogramTag", () => {
  it("keeps only characters the log format allows, with / between the parts", () => {
    expect(histogramTag(TEST_CONTEXT, "measured", "point_select")).toBe(SELECT_TAG);
    expect(histogramTag({ scenario: "a,b c=d", label: "x/y" }, "warmup", "op 1")).toBe(
      "a-b-c-d/x-y/warmup/op-1",
    );
    expect(histogramTag({ scenario: "s", label: "@@" }, "measured", "op")).toBe("s/_/measured/op");
  });
});

describe("HistogramLog", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "hlog-"));
    path = join(dir, "run.hlog");
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function written(): Promise<string> {
    const log = new HistogramLog(path, { startEpochMs: BASE_EPOCH_MS });
    for (const second of seconds()) log.second(second);
    log.phaseEnd(TEST_CONTEXT, "measured");
    await log.close();
    return readFileSync(path, "utf8");
  }

  it("reads back per tag with the counts, extremes and percentiles of the histograms put in", async () => {
    const tags = byTag(readHistogramLog(await written()));
    expect([...tags.keys()].sort()).toEqual([SELECT_TAG, UPDATE_TAG, WARMUP_TAG]);

    const cases: [string, number[][]][] = [
      [SELECT_TAG, SELECTS],
      [UPDATE_TAG, UPDATES],
      [WARMUP_TAG, [[5_000, 6_000, 7_000]]],
    ];
    for (const [tag, perSecond] of cases) {
      const values = perSecond.flat();
      const truth = recordedUs(values);
      const read = merged(tags.get(tag) ?? []);
      expect(read.totalCount).toBe(values.length);
      expect(read.totalCount).toBe(truth.totalCount);
      // Extremes in the same bucket: a decoded histogram knows its max only to the bucket's top.
      const bucket = (h: Histogram, value: number) => h.lowestEquivalentValue(value);
      expect(bucket(read, read.minNonZeroValue)).toBe(bucket(truth, truth.minNonZeroValue));
      expect(bucket(read, read.maxValue)).toBe(bucket(truth, truth.maxValue));
      // The histogram keeps 3 significant digits: within 0.1% of the samples themselves.
      expect(Math.abs(read.maxValue - Math.max(...values))).toBeLessThanOrEqual(Math.max(...values) * 1e-3);
      expect(Math.abs(read.minNonZeroValue - Math.min(...values))).toBeLessThanOrEqual(
        Math.min(...values) * 1e-3,
      );
      for (const p of PERCENTILES) {
        expect(read.getValueAtPercentile(p)).toBe(truth.getValueAtPercentile(p));
        const exact = exactPercentile(values, p);
        expect(Math.abs(read.getValueAtPercentile(p) - exact)).toBeLessThanOrEqual(exact * 1e-3);
      }
    }
  });

  it("stamps each interval with its second's start and length", async () => {
    const tags = byTag(readHistogramLog(await written()));
    const selects = tags.get(SELECT_TAG) ?? [];
    expect(selects.map((i) => [i.startEpochMs - BASE_EPOCH_MS, i.endEpochMs - i.startEpochMs])).toEqual([
      [1_200, 1000],
      [2_200, 1000],
      [3_200, 400],
    ]);
    expect(selects.map((i) => i.histogram.totalCount)).toEqual(SELECTS.map((s) => s.length));
  });

  it("logs a stalled second of an op as an empty interval, and never an op that completed nothing", async () => {
    const tags = byTag(readHistogramLog(await written()));
    expect((tags.get(UPDATE_TAG) ?? []).map((i) => i.histogram.totalCount)).toEqual([201, 0, 51]);
    expect([...tags.keys()].some((tag) => tag.endsWith("/rollback"))).toBe(false);
  });

  it("forgets a phase's ops at its end: the same trial run again logs only what it completes", async () => {
    const log = new HistogramLog(path, { startEpochMs: BASE_EPOCH_MS });
    const [, first] = seconds();
    log.second(first as LiveSecond);
    log.phaseEnd(TEST_CONTEXT, "measured");
    log.second(testSecond({ t: 0, startEpochMs: BASE_EPOCH_MS + 9_000, samplesUs: { point_select: [100] } }));
    await log.close();
    const tags = byTag(readHistogramLog(readFileSync(path, "utf8")));
    expect((tags.get(SELECT_TAG) ?? []).map((i) => i.histogram.totalCount)).toEqual([401, 1]);
    expect((tags.get(UPDATE_TAG) ?? []).map((i) => i.histogram.totalCount)).toEqual([201]);
  });

  it("writes HistogramLogWriter's header and interval lines, saying the values are microseconds", async () => {
    const text = await written();
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.split("\n").slice(0, -1);
    const intervals = lines.filter((line) => line.startsWith("Tag="));
    const header = lines.slice(0, lines.length - intervals.length);
    expect(header).toEqual([
      "#[Logged with reinvent-bench]",
      "#[Histogram log format version 1.3]",
      "#[StartTime: 1768478400.000 (seconds since epoch), 2026-01-15T12:00:00.000Z]",
      "#[BaseTime: 1768478400.000 (seconds since epoch)]",
      "#[Values: latency in microseconds; Interval_Max in milliseconds; Tag=<scenario>/<label>/<phase>/<op>]",
      '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    ]);
    // warm-up 1, selects 3, updates 3 (one of them empty)
    expect(intervals).toHaveLength(7);
    for (const line of intervals)
      expect(line).toMatch(/^Tag=[A-Za-z0-9._/-]+,\d+\.\d{3},\d+\.\d{3},\d+\.\d{3},\S+$/);
    // The max column in milliseconds: the first measured second's slowest select was 900,001 µs.
    const first = intervals.find((line) => line.startsWith(`Tag=${SELECT_TAG},`));
    expect(first?.split(",").slice(1, 4)).toEqual(["1.200", "1.000", expect.stringMatching(/^900\.\d{3}$/)]);
  });

  it("can be read while the run goes on: every second written so far is in the file", async () => {
    const log = new HistogramLog(path, { startEpochMs: BASE_EPOCH_MS });
    const all = seconds();
    log.second(all[1] as LiveSecond);
    log.second(all[2] as LiveSecond);

    const sofar = byTag(readHistogramLog(readFileSync(path, "utf8")));
    expect((sofar.get(SELECT_TAG) ?? []).map((i) => i.histogram.totalCount)).toEqual([401, 301]);
    expect((sofar.get(UPDATE_TAG) ?? []).map((i) => i.histogram.totalCount)).toEqual([201, 0]);

    log.second(all[3] as LiveSecond);
    await log.close();
    log.second(all[0] as LiveSecond);
    await log.close();
    expect(byTag(readHistogramLog(readFileSync(path, "utf8"))).get(SELECT_TAG)).toHaveLength(3);
  });
});
