import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATENCY_BOUNDS_US } from "../live/metrics-buckets.js";
import { decodeHistogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { ScenarioResult } from "../result/schema.js";
import { freePort } from "../sandbox/port.js";
import { type MatrixSeries, type PrometheusServer, startPrometheus } from "../testing/prometheus.js";
import { readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";

/**
 * A real Prometheus scrapes a real run's /metrics every second; afterwards its answers, asked at
 * scrape times inside the measured phase, are held against the run's own result.json.
 *
 * Alignment. A second reaches /metrics a little after it ends, and Prometheus stamps each scrape
 * with its scheduled time, so a sample holds whole seconds only: the seconds that arrived before
 * the scrape. Which ones is read from the sample itself (its value is one of the running sums of
 * result.json's per-second counts, or the exposition is wrong), not guessed from the clocks. The
 * queries then ask at a scrape's own timestamp, over a range that reaches half a second past an
 * earlier scrape: rate() divides the change between exactly those two samples by the time between
 * them (its extrapolation adds the same share to the change and to the time), and the seconds it
 * covers are known. A pair of scrapes qualifies when as many seconds arrived between them as
 * seconds passed: a second that arrived late at one end would make the count 1 in N off.
 */

const SMALL = ["--tables", "2", "--table-size", "500", "--connections", "4", "--warmup", "2s"];
const MEASURED_SECONDS = 14;
/** The fewest seconds a rate window spans: one second more or less would be 1 in 5 off. */
const MIN_WINDOW_SECONDS = 5;

const METRIC = "reinvent_bench_";
const MEASURED = 'scenario="aurora-write",phase="measured"';

interface StreamLine {
  phase: string;
  t: number;
  spanMs: number;
  startEpochMs: number;
}

/** One scrape of a counter: when (its timestamp, ms), its value and how many seconds it holds. */
interface Scrape {
  atMs: number;
  value: number;
  seconds: number;
}

/**
 * Every scrape of one counter series, each with the number of leading measured seconds whose
 * counts add up to its value; -1 when no running sum equals it (a count doubled or dropped).
 */
function scrapesOf(series: MatrixSeries, perSecond: readonly number[]): Scrape[] {
  const sums = [0];
  for (const n of perSecond) sums.push((sums.at(-1) as number) + n);
  return series.values.map(([at, v]) => ({
    atMs: Math.round(at * 1000),
    value: Number(v),
    seconds: sums.indexOf(Number(v)),
  }));
}

/** The widest pair of scrapes inside the measured phase as many seconds apart as seconds arrived between them. */
function alignedWindow(scrapes: readonly Scrape[], fullSeconds: number): { from: Scrape; to: Scrape } | null {
  let best: { from: Scrape; to: Scrape } | null = null;
  for (const from of scrapes) {
    // Two seconds in at least: rate() extrapolates half a second back from the first sample,
    // which must hold more than that many seconds' counts for the extrapolation to go unclipped.
    if (from.seconds < 2) continue;
    for (const to of scrapes) {
      if (to.atMs <= from.atMs || to.seconds > fullSeconds) continue;
      const seconds = to.seconds - from.seconds;
      if (seconds !== Math.round((to.atMs - from.atMs) / 1000)) continue;
      if (!best || seconds > best.to.seconds - best.from.seconds) best = { from, to };
    }
  }
  return best;
}

/** The bucket (lower, upper] of LATENCY_BOUNDS_US that holds a value in microseconds. */
function bucketOf(us: number): [number, number] {
  const upper = LATENCY_BOUNDS_US.find((bound) => bound >= us) ?? Number.POSITIVE_INFINITY;
  const lower = [...LATENCY_BOUNDS_US].reverse().find((bound) => bound < us) ?? 0;
  return [lower, upper];
}

const countOf = (interval: ScenarioResult["intervals"][number], op: string) => {
  const encoded = interval.histograms[op];
  return encoded ? decodeHistogram(encoded).totalCount : 0;
};

/** Seconds (as Prometheus answers) to microseconds, rounded to the nanosecond against float noise. */
const usOf = (seconds: number) => Math.round(seconds * 1e9) / 1e3;

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe("run: a real Prometheus scrapes a run", () => {
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let prometheus: PrometheusServer | undefined;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    // Both at once; each kept as soon as it runs, so afterAll stops it even when the other failed.
    const started = await Promise.allSettled([
      startTestServer({ connections: 32 }).then((s) => {
        server = s;
      }),
      startPrometheus([`127.0.0.1:${port}`]).then((p) => {
        prometheus = p;
      }),
    ]);
    for (const s of started) if (s.status === "rejected") throw s.reason;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), server?.stop()]);
  }, 60_000);

  it("reads the run's transaction and statement rates and its txn p99 bucket as result.json has them", async () => {
    const prom = prometheus as PrometheusServer;
    const dir = tempDir("rb-prom-run-");
    const out = join(dir, "out");
    const stream = join(dir, "seconds.jsonl");
    const run = await runCli([
      "run",
      "aurora-write",
      ...SMALL,
      "--duration",
      `${MEASURED_SECONDS}s`,
      "--target",
      (server as NonNullable<typeof server>).url,
      "--out",
      out,
      "--out-intervals",
      stream,
      "--metrics-port",
      String(port),
    ]);
    const doneMs = Date.now();
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`metrics: serving http://127.0.0.1:${port}/metrics while the run lives`);
    // The endpoint went with the run.
    await expect(
      fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) }),
    ).rejects.toThrow();

    const scenario = readResultIn(out).scenarios[0] as ScenarioResult;
    const intervals = scenario.intervals;
    const lines = readFileSync(stream, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as StreamLine)
      .filter((line) => line.phase === "measured");
    expect(lines.map((l) => l.t)).toEqual(intervals.map((i) => i.t));
    // The seconds that lasted a whole second (the phase's last may be shorter): rates are compared over these.
    let fullSeconds = 0;
    while (lines[fullSeconds]?.spanMs === 1000) fullSeconds++;
    expect(fullSeconds).toBeGreaterThanOrEqual(MEASURED_SECONDS - 1);
    const measuredFromMs = Date.parse(scenario.measuredFrom ?? "");
    const measuredToMs = Date.parse(scenario.measuredTo ?? "");
    expect(Math.abs((lines[0]?.startEpochMs ?? 0) - measuredFromMs)).toBeLessThan(2);

    // Every stored scrape of the measured counters, read back at a time after the run.
    const rangeSec = Math.ceil((doneMs - measuredFromMs) / 1000) + 10;
    const series = async (selector: string, perSecond: number[]) => {
      const found = await prom.matrix(`${selector}[${rangeSec}s]`, doneMs);
      expect(found, selector).toHaveLength(1);
      return scrapesOf(found[0] as MatrixSeries, perSecond);
    };
    const txns = intervals.map((i) => countOf(i, "txn"));
    const updates = intervals.map((i) => countOf(i, "update_index"));
    const txnScrapes = await series(`${METRIC}transactions_total{${MEASURED}}`, txns);
    const updateScrapes = await series(`${METRIC}statements_total{${MEASURED},op="update_index"}`, updates);
    const described = (scrapes: Scrape[]) =>
      scrapes
        .map((s) => `${((s.atMs - measuredFromMs) / 1000).toFixed(3)}s:${s.value}=${s.seconds}`)
        .join(" ");
    const figures = [
      `per-second txns ${txns.join(",")}`,
      `txn scrapes (s after measuredFrom: value = seconds held) ${described(txnScrapes)}`,
    ].join("\n");
    // Each scrape holds whole seconds, never a second twice or a second left out, in order, and the
    // last holds every second of the phase: the endpoint waits for a scrape of them before it closes.
    expect(txns.reduce((a, b) => a + b, 0)).toBe(scenario.counts.txns);
    for (const [scrapes, perSecond] of [
      [txnScrapes, txns],
      [updateScrapes, updates],
    ] as const) {
      expect(scrapes.length, figures).toBeGreaterThanOrEqual(MEASURED_SECONDS - 4);
      expect(
        scrapes.filter((s) => s.seconds < 0),
        figures,
      ).toEqual([]);
      const held = scrapes.map((s) => s.seconds);
      expect(held, figures).toEqual([...held].sort((a, b) => a - b));
      // Every second's count, by value: a second that counted none of an op (the drain's, for a
      // statement sent before the phase ended) leaves the number of seconds held ambiguous.
      expect(scrapes.at(-1)?.value, figures).toBe(perSecond.reduce((sum, n) => sum + n, 0));
    }

    // (1) Rates over the widest aligned window inside the measured phase.
    const window = alignedWindow(txnScrapes, fullSeconds);
    expect(window, `no window of whole seconds:\n${figures}`).not.toBeNull();
    const { from, to } = window as { from: Scrape; to: Scrape };
    const seconds = intervals.slice(from.seconds, to.seconds);
    expect(seconds.length, figures).toBeGreaterThanOrEqual(MIN_WINDOW_SECONDS);
    // Inside the measured phase: no earlier than its second second, no later than its last second's arrival.
    expect(from.atMs).toBeGreaterThan(measuredFromMs + 1000);
    expect(to.atMs).toBeLessThan(measuredToMs + 1000);
    // The update op's scrapes are the same scrapes, holding the same seconds.
    const updateAt = (scrape: Scrape) => updateScrapes.find((s) => s.atMs === scrape.atMs)?.seconds;
    expect([updateAt(from), updateAt(to)], figures).toEqual([from.seconds, to.seconds]);

    const range = `${to.atMs - from.atMs + 500}ms`;
    const at = to.atMs;
    const promTxnPerSec = await prom.single(`rate(${METRIC}transactions_total{${MEASURED}}[${range}])`, at);
    const promUpdatePerSec = await prom.single(
      `rate(${METRIC}statements_total{${MEASURED},op="update_index"}[${range}])`,
      at,
    );
    const promWritesPerSec = await prom.single(
      `sum(rate(${METRIC}statements_total{${MEASURED},kind=~"insert|update|delete"}[${range}]))`,
      at,
    );
    const resultTxnPerSec = mean(seconds.map((i) => i.txnPerSec));
    const resultUpdatePerSec = mean(updates.slice(from.seconds, to.seconds));
    const resultWritesPerSec = mean(seconds.map((i) => i.writesPerSec));

    // (2) p99 of txn over the same window, and over the measured phase as Prometheus holds it:
    // from its first scrape to its last, which cover the seconds the last holds and the first
    // does not (the first holds none: a new series is served at zero until a scrape has seen it).
    const p99Query = (r: string) =>
      `histogram_quantile(0.99, sum by (le) (increase(${METRIC}latency_seconds_bucket{${MEASURED},op="txn"}[${r}])))`;
    const promP99Sec = await prom.single(p99Query(range), at);
    const merged = (list: ScenarioResult["intervals"]) => {
      const histogram = newLatencyHistogram();
      for (const i of list) if (i.histograms.txn) histogram.add(decodeHistogram(i.histograms.txn));
      return histogram;
    };
    const truthP99Us = merged(seconds).getValueAtPercentile(99);
    const first = txnScrapes[0] as Scrape;
    const last = txnScrapes.at(-1) as Scrape;
    const wholeRange = `${last.atMs - first.atMs + 500}ms`;
    const promWholeP99Sec = await prom.single(p99Query(wholeRange), last.atMs);
    const wholeTruthP99Us = merged(intervals.slice(first.seconds, last.seconds)).getValueAtPercentile(99);
    const resultP99Us = (scenario.latencyMs.txn?.p99 ?? Number.NaN) * 1000;

    const bucketText = ([lower, upper]: [number, number]) => `(${lower / 1000}, ${upper / 1000}] ms`;
    const report = [
      `window: seconds ${from.seconds}..${to.seconds - 1} of the measured phase, scrapes at ` +
        `+${((from.atMs - measuredFromMs) / 1000).toFixed(3)} s and +${((at - measuredFromMs) / 1000).toFixed(3)} s, range ${range}`,
      `txn/s: prometheus ${promTxnPerSec.toFixed(2)}, result.json ${resultTxnPerSec.toFixed(2)} (whole phase ${scenario.throughput.txnPerSec.toFixed(2)})`,
      `update_index/s: prometheus ${promUpdatePerSec.toFixed(2)}, result.json ${resultUpdatePerSec.toFixed(2)}`,
      `writes/s: prometheus ${promWritesPerSec.toFixed(2)}, result.json ${resultWritesPerSec.toFixed(2)}`,
      `txn p99 (window): prometheus ${(promP99Sec * 1000).toFixed(3)} ms in ${bucketText(bucketOf(usOf(promP99Sec)))}, ` +
        `same seconds' histograms ${(truthP99Us / 1000).toFixed(3)} ms`,
      `txn p99 (seconds ${first.seconds}..${last.seconds - 1}, range ${wholeRange}): prometheus ${(promWholeP99Sec * 1000).toFixed(3)} ms ` +
        `in ${bucketText(bucketOf(usOf(promWholeP99Sec)))}, same seconds' histograms ${(wholeTruthP99Us / 1000).toFixed(3)} ms, ` +
        `result.json (all seconds) ${(resultP99Us / 1000).toFixed(3)} ms`,
    ].join("\n");
    console.log(`${report}\n${figures}`);

    const relativeGap = (prom: number, truth: number) => Math.abs(prom - truth) / truth;
    expect(relativeGap(promTxnPerSec, resultTxnPerSec), report).toBeLessThan(0.05);
    expect(relativeGap(promUpdatePerSec, resultUpdatePerSec), report).toBeLessThan(0.05);
    expect(relativeGap(promWritesPerSec, resultWritesPerSec), report).toBeLessThan(0.05);
    // histogram_quantile() interpolates inside the bucket that holds the 99th percentile: the
    // true p99 of the same seconds lies in that bucket.
    expect(bucketOf(truthP99Us), report).toEqual(bucketOf(usOf(promP99Sec)));
    expect(bucketOf(wholeTruthP99Us), report).toEqual(bucketOf(usOf(promWholeP99Sec)));
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
