import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newLatencyHistogram } from "../metrics/histogram.js";
import { syntheticSecond } from "../testing/metrics-seconds.js";
import { type PrometheusServer, startPrometheus, until } from "../testing/prometheus.js";
import { LATENCY_BOUNDS_US } from "./metrics-buckets.js";
import { MetricsEndpoint } from "./metrics-endpoint.js";
import type { LiveContext } from "./second.js";

const CONTEXT: LiveContext = {
  scenario: "scrape-check",
  label: "one select @ 8",
  targetRatePerSec: 100,
  client: 0,
};

/**
 * Each fed second: 500 point selects and 100 transactions. Of the 500 latencies, 480 are 800 us,
 * 18 are 3 ms and 2 are 30 ms, so p99 (the 495th) is 3 ms: inside the (2 ms, 5 ms] bucket and away
 * from its edges, where a rate a hair off could tip histogram_quantile() into the next bucket.
 */
const SELECTS_PER_SECOND = 500;
const TXNS_PER_SECOND = 100;
const SELECT_LATENCIES_US: [number, number][] = [
  [800, 480],
  [3000, 18],
  [30_000, 2],
];
const SECONDS_FED = 12;
/** The queries run once this many seconds are fed, so their 5 s window sees fed seconds only. */
const SECONDS_BEFORE_QUERY = 9;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the metrics endpoint, scraped by a real Prometheus", () => {
  let endpoint: MetricsEndpoint;
  let prometheus: PrometheusServer | undefined;
  const query = (promql: string) => (prometheus as PrometheusServer).query(promql);
  const single = (promql: string) => (prometheus as PrometheusServer).single(promql);

  beforeAll(async () => {
    endpoint = new MetricsEndpoint({ port: 0 });
    await endpoint.start();
    prometheus = await startPrometheus([`127.0.0.1:${endpoint.port}`]);
  }, 60_000);

  afterAll(async () => {
    await endpoint?.close();
    await prometheus?.stop();
  }, 30_000);

  it("reads back the fed rate and p99 bucket through rate() and histogram_quantile()", async () => {
    // When Prometheus scrapes: a second fed half-way between two scrapes lands in exactly one
    // scrape interval, so every 5 s window holds the same counts per second.
    const scrapeSec = await until("a first scrape of the endpoint", 15_000, async () => {
      const result = await query("timestamp(reinvent_bench_up)");
      return result.length === 1 ? Number(result[0]?.value[1]) : null;
    });
    const scrapePhaseMs = Math.round(scrapeSec * 1000) % 1000;
    let firstFeedMs = Date.now() + 1000;
    firstFeedMs += (((scrapePhaseMs + 500 - firstFeedMs) % 1000) + 1000) % 1000;

    const truth = newLatencyHistogram();
    let fed = 0;
    let feeder: NodeJS.Timeout | undefined;
    const feed = () => {
      const second = syntheticSecond({
        context: CONTEXT,
        phase: "measured",
        t: fed,
        startEpochMs: firstFeedMs + (fed - 1) * 1000,
        ops: {
          point_select: { latenciesUs: SELECT_LATENCIES_US },
          txn: { latenciesUs: [[4000, TXNS_PER_SECOND]] },
        },
        health: { alive: 8, inFlight: 8 },
      });
      const histogram = second.raw.interval.ops[0]?.histogram;
      if (histogram) truth.add(histogram);
      endpoint.second(second);
      fed++;
      // Set against the first feed's time, so the feeds keep their place between the scrapes.
      if (fed < SECONDS_FED) feeder = setTimeout(feed, Math.max(0, firstFeedMs + fed * 1000 - Date.now()));
    };
    feeder = setTimeout(feed, firstFeedMs - Date.now());

    try {
      await until(`${SECONDS_BEFORE_QUERY} seconds fed`, 20_000, async () =>
        fed >= SECONDS_BEFORE_QUERY ? true : null,
      );
      // The scrape after the last feed before the queries.
      await sleep(600);

      const targets = await (prometheus as PrometheusServer).targets();
      expect(targets.map((t) => [t.health, t.lastError])).toEqual([["up", ""]]);

      const selectsPerSec = await single(
        'rate(reinvent_bench_statements_total{op="point_select",phase="measured"}[5s])',
      );
      const txnsPerSec = await single("rate(reinvent_bench_transactions_total[5s])");
      const p99Sec = await single(
        'histogram_quantile(0.99, rate(reinvent_bench_latency_seconds_bucket{op="point_select"}[5s]))',
      );
      const truthP99Sec = truth.getValueAtPercentile(99) / 1e6;
      const upperUs =
        LATENCY_BOUNDS_US.find((bound) => bound >= truthP99Sec * 1e6) ?? Number.POSITIVE_INFINITY;
      const lowerUs = [...LATENCY_BOUNDS_US].reverse().find((bound) => bound < truthP99Sec * 1e6) ?? 0;
      const figures =
        `select rate ${selectsPerSec}/s (fed ${SELECTS_PER_SECOND}), txn rate ${txnsPerSec}/s (fed ${TXNS_PER_SECOND}), ` +
        `p99 ${p99Sec} s (fed ${truthP99Sec} s, bucket (${lowerUs / 1e6}, ${upperUs / 1e6}])`;
      console.log(figures);

      expect(Math.abs(selectsPerSec - SELECTS_PER_SECOND) / SELECTS_PER_SECOND, figures).toBeLessThan(0.05);
      expect(Math.abs(txnsPerSec - TXNS_PER_SECOND) / TXNS_PER_SECOND, figures).toBeLessThan(0.05);
      expect([lowerUs, upperUs]).toEqual([2000, 5000]);
      expect(p99Sec, figures).toBeGreaterThan(lowerUs / 1e6);
      expect(p99Sec, figures).toBeLessThanOrEqual(upperUs / 1e6);

      // The info family and a gauge made it through OpenMetrics parsing, with their labels.
      const info = await query("reinvent_bench_phase_info");
      expect(info.map((s) => [s.metric.scenario, s.metric.label, s.metric.phase, s.metric.client])).toEqual([
        [CONTEXT.scenario, CONTEXT.label, "measured", "0"],
      ]);
      expect(await single("reinvent_bench_connections_alive")).toBe(8);
      expect(endpoint.scrapes.openmetrics).toBeGreaterThan(SECONDS_BEFORE_QUERY);
      expect(endpoint.scrapes.prometheus).toBe(0);
    } finally {
      clearTimeout(feeder);
    }

    await endpoint.close();
    const refused = await new Promise<string>((resolve) => {
      const req = request(`http://127.0.0.1:${endpoint.port}/metrics`, { timeout: 2000 }, () =>
        resolve("answered"),
      );
      req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.end();
    });
    expect(refused).toBe("ECONNREFUSED");
  }, 60_000);
});
