import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { newLatencyHistogram } from "../metrics/histogram.js";
import { syntheticSecond } from "../testing/metrics-seconds.js";
import { addHistogram, emptyBuckets, LATENCY_BOUNDS_US, leLabel } from "./metrics-buckets.js";
import { LINGER_MAX_MS, MetricsEndpoint } from "./metrics-endpoint.js";
import { formatForAccept, PROMETHEUS_2_ACCEPT, renderMetrics } from "./metrics-exposition.js";
import { ERROR_CODES_MAX, MetricsState } from "./metrics-state.js";
import type { LiveContext } from "./second.js";

/** A trial label with every character a label value must escape: quote, backslash, line feed. */
const CONTEXT: LiveContext = {
  scenario: "s1",
  label: 'aurora "hot" \\ rows\nnext',
  targetRatePerSec: 100,
  client: 0,
};
/** The same labels as the text must write them. */
const L = String.raw`scenario="s1",label="aurora \"hot\" \\ rows\nnext",phase="measured",client="0"`;

/**
 * Two seconds whose figures are known: latencies below 2,048 us are exact in HDR; 3,000 us sits in
 * a slot of two values (3,000-3,001, middle 3,001) and 120,000 us in one of 64 (120,000-120,063,
 * middle 120,032).
 */
function twoSeconds() {
  const first = syntheticSecond({
    context: CONTEXT,
    phase: "measured",
    t: 0,
    ops: {
      point_select: {
        latenciesUs: [
          [150, 3],
          [1500, 1],
        ],
        errors: 1,
      },
      begin: { latenciesUs: [[40, 2]] },
      commit: { latenciesUs: [[900, 2]] },
      txn: {
        latenciesUs: [
          [2000, 1],
          [3000, 1],
        ],
      },
    },
    errorsByCode: { "1213": 1 },
    health: {
      utilization: 0.25,
      delayP99Ms: 1.5,
      inFlight: 3,
      backlog: 7,
      alive: 4,
      lost: 1,
      reconnected: 0,
    },
    server: { gauges: { Threads_running: 5 }, ratesPerSec: { Com_select: 4000 } },
  });
  const second = syntheticSecond({
    context: CONTEXT,
    phase: "measured",
    t: 1,
    ops: {
      point_select: {
        latenciesUs: [
          [150, 1],
          [250, 2],
          [120_000, 1],
        ],
      },
      begin: { latenciesUs: [[40, 2]] },
      commit: {
        latenciesUs: [
          [900, 1],
          [950, 1],
        ],
      },
      txn: { latenciesUs: [[1000, 2]] },
    },
    errorsByCode: { "1213": 2, "2013": 1 },
    health: { utilization: 0.5, delayP99Ms: 2.5, inFlight: 2, backlog: 3, alive: 4, lost: 0, reconnected: 1 },
    server: { gauges: { Threads_running: 7 }, ratesPerSec: { Com_select: 4100 } },
  });
  return [first, second] as const;
}

const LE = [
  "0.0001",
  "0.0002",
  "0.0005",
  "0.001",
  "0.002",
  "0.005",
  "0.01",
  "0.02",
  "0.05",
  "0.1",
  "0.2",
  "0.5",
  "1.0",
  "2.0",
  "5.0",
  "10.0",
  "+Inf",
];

/** A histogram's lines from cumulative counts per `le` (the +Inf one last), count and sum. */
function histogram(op: string, cumulative: number[], count: number, sum: string): string[] {
  expect(cumulative).toHaveLength(LE.length);
  return [
    ...LE.map(
      (le, i) => `reinvent_bench_latency_seconds_bucket{${L},op="${op}",le="${le}"} ${cumulative[i]}`,
    ),
    `reinvent_bench_latency_seconds_count{${L},op="${op}"} ${count}`,
    `reinvent_bench_latency_seconds_sum{${L},op="${op}"} ${sum}`,
  ];
}

const EXPECTED_OPENMETRICS = [
  "# HELP reinvent_bench_up 1 while the run serves its figures.",
  "# TYPE reinvent_bench_up gauge",
  "reinvent_bench_up 1",
  "# HELP reinvent_bench_phase The phase each trial is running (warmup or measured).",
  "# TYPE reinvent_bench_phase info",
  `reinvent_bench_phase_info{${L}} 1`,
  "# HELP reinvent_bench_statements Statements completed without error, by op and its kind (select, insert, update, delete; other for BEGIN, COMMIT, ROLLBACK).",
  "# TYPE reinvent_bench_statements counter",
  `reinvent_bench_statements_total{${L},op="point_select",kind="select"} 8`,
  `reinvent_bench_statements_total{${L},op="begin",kind="other"} 4`,
  `reinvent_bench_statements_total{${L},op="commit",kind="other"} 4`,
  `reinvent_bench_statements_total{${L},op="rollback",kind="other"} 0`,
  "# HELP reinvent_bench_transactions Transactions completed (committed), as result.json counts txns.",
  "# TYPE reinvent_bench_transactions counter",
  `reinvent_bench_transactions_total{${L}} 4`,
  "# HELP reinvent_bench_errors Statements answered with an error, by code (the run's first 20 codes; later ones as other).",
  "# TYPE reinvent_bench_errors counter",
  `reinvent_bench_errors_total{${L},code="1213"} 3`,
  `reinvent_bench_errors_total{${L},code="2013"} 1`,
  "# HELP reinvent_bench_connections_lost Connections lost (the server closed them or died).",
  "# TYPE reinvent_bench_connections_lost counter",
  `reinvent_bench_connections_lost_total{${L}} 1`,
  "# HELP reinvent_bench_connections_reopened Lost connections opened again.",
  "# TYPE reinvent_bench_connections_reopened counter",
  `reinvent_bench_connections_reopened_total{${L}} 1`,
  "# HELP reinvent_bench_latency_seconds Latency of successful ops: statements, txn (service time), intended (from the intended start, open loop) and lateness (how late sent).",
  "# TYPE reinvent_bench_latency_seconds histogram",
  "# UNIT reinvent_bench_latency_seconds seconds",
  // 150 us x4, 250 us x2, 1,500 us, 120,000 us (slot up to 120,063: the 0.2 s bucket).
  ...histogram("point_select", [0, 4, 6, 6, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8], 8, "0.122632"),
  ...histogram("begin", [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 4, "0.00016"),
  ...histogram("commit", [0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 4, "0.00365"),
  ...histogram("rollback", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "0"),
  // 1,000 us x2, 2,000 us, 3,000 us (slot 3,000-3,001: the sum counts 3,001).
  ...histogram("txn", [0, 0, 0, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 4, "0.007001"),
  "# HELP reinvent_bench_connections_alive Connections open at the last second's end.",
  "# TYPE reinvent_bench_connections_alive gauge",
  `reinvent_bench_connections_alive{${L}} 4`,
  "# HELP reinvent_bench_statements_in_flight Statements sent and not yet answered at the last second's end.",
  "# TYPE reinvent_bench_statements_in_flight gauge",
  `reinvent_bench_statements_in_flight{${L}} 2`,
  "# HELP reinvent_bench_target_transactions_per_second Open loop: the transaction rate the schedule asks for.",
  "# TYPE reinvent_bench_target_transactions_per_second gauge",
  `reinvent_bench_target_transactions_per_second{${L}} 100`,
  "# HELP reinvent_bench_achieved_transactions_per_second Transactions completed per second over the last second.",
  "# TYPE reinvent_bench_achieved_transactions_per_second gauge",
  `reinvent_bench_achieved_transactions_per_second{${L}} 2`,
  "# HELP reinvent_bench_backlog Open loop: operations whose time had come, waiting for a free connection at the last second's end.",
  "# TYPE reinvent_bench_backlog gauge",
  `reinvent_bench_backlog{${L}} 3`,
  "# HELP reinvent_bench_generator_utilization_ratio Busiest load worker's event-loop utilization over the last second, 0 to 1.",
  "# TYPE reinvent_bench_generator_utilization_ratio gauge",
  `reinvent_bench_generator_utilization_ratio{${L}} 0.5`,
  "# HELP reinvent_bench_event_loop_delay_p99_seconds Worst load worker's event-loop delay p99 over the last second.",
  "# TYPE reinvent_bench_event_loop_delay_p99_seconds gauge",
  "# UNIT reinvent_bench_event_loop_delay_p99_seconds seconds",
  `reinvent_bench_event_loop_delay_p99_seconds{${L}} 0.0025`,
  "# HELP reinvent_bench_server_status The server's status levels at the last second's end, by status name (Threads_running, ...).",
  "# TYPE reinvent_bench_server_status gauge",
  `reinvent_bench_server_status{${L},name="Threads_running"} 7`,
  "# HELP reinvent_bench_server_status_per_second The server's status counters' change over the last second, per second, by status name (Com_select, ...).",
  "# TYPE reinvent_bench_server_status_per_second gauge",
  `reinvent_bench_server_status_per_second{${L},name="Com_select"} 4100`,
  "# EOF",
  "",
].join("\n");

describe("metrics exposition", () => {
  it("names every family with a unit after it, as Prometheus's OpenMetrics parser demands", () => {
    const state = new MetricsState();
    for (const second of twoSeconds()) state.addSecond(second);
    const at = { scenario: "s1", label: "l", targetRatePerSec: 100, client: 0 };
    state.addLag({ ...at, replica: "r1", lagMs: 2 });
    state.addReplicaReport({ ...at, replica: "r1", secondsBehind: 3, auroraLagMs: 4 });
    const units = renderMetrics(state, "openmetrics")
      .split("\n")
      .filter((line) => line.startsWith("# UNIT "))
      .map((line) => line.split(" ").slice(2));
    expect(units.length).toBeGreaterThanOrEqual(5);
    for (const [name, unit] of units) expect(name?.endsWith(`_${unit}`), `${name} ${unit}`).toBe(true);
  });

  it("writes two known seconds as exact OpenMetrics text", () => {
    const state = new MetricsState();
    for (const second of twoSeconds()) state.addSecond(second);
    expect(renderMetrics(state, "openmetrics")).toBe(EXPECTED_OPENMETRICS);
  });

  it("writes the 0.0.4 text with families named as their samples, no UNIT and no EOF", () => {
    const state = new MetricsState();
    for (const second of twoSeconds()) state.addSecond(second);
    const text = renderMetrics(state, "prometheus");
    const meta = text.split("\n").filter((line) => line.startsWith("# TYPE") || line.startsWith("# UNIT"));
    expect(meta).toContain("# TYPE reinvent_bench_statements_total counter");
    expect(meta).toContain("# TYPE reinvent_bench_phase_info gauge");
    expect(meta).toContain("# TYPE reinvent_bench_latency_seconds histogram");
    expect(meta.filter((line) => line.startsWith("# UNIT"))).toEqual([]);
    expect(text).not.toContain("# EOF");
    // The samples are the same lines in both formats.
    const samples = (t: string) => t.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(samples(text)).toEqual(samples(renderMetrics(state, "openmetrics")));
  });

  it("keeps counters growing across seconds, and a phase's series across phases, while gauges follow the phase", () => {
    const state = new MetricsState();
    const second = (phase: "warmup" | "measured", t: number) =>
      syntheticSecond({
        context: CONTEXT,
        phase,
        t,
        ops: { point_select: { latenciesUs: [[150, 10]] }, txn: { latenciesUs: [[400, 5]] } },
      });
    const count = (phase: string) => {
      const line = renderMetrics(state, "openmetrics")
        .split("\n")
        .find((l) => l.startsWith("reinvent_bench_transactions_total") && l.includes(`phase="${phase}"`));
      return line ? Number(line.split(" ").at(-1)) : null;
    };
    const phases = () =>
      renderMetrics(state, "openmetrics")
        .split("\n")
        .filter((l) => l.startsWith("reinvent_bench_phase_info"))
        .map((l) => /phase="(\w+)"/.exec(l)?.[1]);

    state.addSecond(second("warmup", 0));
    state.addSecond(second("warmup", 1));
    expect(count("warmup")).toBe(10);
    expect(phases()).toEqual(["warmup"]);
    state.endPhase(CONTEXT, "warmup");
    expect(phases()).toEqual([]);
    state.addSecond(second("measured", 0));
    expect(phases()).toEqual(["measured"]);
    expect([count("warmup"), count("measured")]).toEqual([10, 5]);
    // The same trial's warmup again (a rerun under the same labels): its counter goes on, not back to 0.
    state.addSecond(second("warmup", 0));
    expect(phases()).toEqual(["warmup"]);
    expect([count("warmup"), count("measured")]).toEqual([15, 5]);
    state.endPhase(CONTEXT, "warmup");
    expect(renderMetrics(state, "openmetrics")).not.toContain("reinvent_bench_connections_alive");
  });

  it("caps error codes: the first 20 codes keep their own series, later ones count as other", () => {
    const state = new MetricsState();
    const errors = (codes: string[]) =>
      syntheticSecond({
        context: CONTEXT,
        phase: "measured",
        t: 0,
        ops: {},
        errorsByCode: Object.fromEntries(codes.map((code) => [code, 2])),
      });
    const codes = Array.from({ length: 25 }, (_, i) => String(1000 + i));
    state.addSecond(errors(codes));
    // A code that has its series keeps it after the cap is reached.
    state.addSecond(errors(["1000", "9999"]));
    const series = renderMetrics(state, "openmetrics")
      .split("\n")
      .filter((line) => line.startsWith("reinvent_bench_errors_total"))
      .map((line) => [/code="(\w+)"/.exec(line)?.[1], Number(line.split(" ").at(-1))]);
    expect(series).toHaveLength(ERROR_CODES_MAX + 1);
    expect(series[0]).toEqual(["1000", 4]);
    expect(series.find(([code]) => code === "other")).toEqual(["other", 5 * 2 + 2]);
    expect(series.reduce((sum, [, n]) => sum + Number(n), 0)).toBe(25 * 2 + 4);
  });

  it("holds a new series at zero until a scrape has seen it: a phase's first second, a new error code's burst", () => {
    const state = new MetricsState({ holdNewSeries: true });
    const second = (t: number, errorsByCode: Record<string, number>) =>
      syntheticSecond({ context: CONTEXT, phase: "measured", t, ops: {}, errorsByCode });
    const scrape = () => {
      const text = renderMetrics(state, "prometheus");
      state.markScraped();
      const errors = text.split("\n").filter((l) => l.startsWith("reinvent_bench_errors_total"));
      return Object.fromEntries(
        errors.map((l) => [/code="(\w+)"/.exec(l)?.[1], Number(l.split(" ").at(-1))]),
      );
    };
    state.addSecond(second(0, { "1213": 3 }));
    expect(scrape()).toEqual({ "1213": 0 });
    expect(scrape()).toEqual({ "1213": 3 });
    // 256 connections lost in one second: a code first seen then reads 0 once, then its count.
    state.addSecond(second(1, { "1213": 1, CONNECTION_LOST: 256 }));
    expect(scrape()).toEqual({ "1213": 4, CONNECTION_LOST: 0 });
    expect(scrape()).toEqual({ "1213": 4, CONNECTION_LOST: 256 });
  });

  it("leaves out the target rate of a closed loop", () => {
    const state = new MetricsState();
    state.addSecond(
      syntheticSecond({ context: { ...CONTEXT, targetRatePerSec: null }, phase: "measured", t: 0, ops: {} }),
    );
    expect(renderMetrics(state, "openmetrics")).not.toContain(
      "reinvent_bench_target_transactions_per_second{",
    );
  });
});

describe("replica lag", () => {
  it("counts each sample in its replica's lag bucket up to 5 min, with the sum and the last value", () => {
    const state = new MetricsState();
    const at = { scenario: "replica-lag", label: "replica-lag @2,000/s", targetRatePerSec: 2000, client: 0 };
    for (const lagMs of [0.5, 3, 3, 45_000]) state.addLag({ ...at, replica: "replica-1", lagMs });
    state.addLag({ ...at, replica: "replica-2", lagMs: 400_000 });
    state.addReplicaReport({ ...at, replica: "replica-1", secondsBehind: 44, auroraLagMs: null });
    // A reader seen only through its own figures: no probe sample yet, so no last lag.
    state.addReplicaReport({ ...at, replica: "reader-3", secondsBehind: null, auroraLagMs: 18 });
    const text = renderMetrics(state, "openmetrics");
    const r1 = 'scenario="replica-lag",label="replica-lag @2,000/s",client="0",replica="replica-1"';
    const r2 = 'scenario="replica-lag",label="replica-lag @2,000/s",client="0",replica="replica-2"';
    const lines = text.split("\n");
    const bucket = (labels: string, le: string) =>
      lines.find((l) => l.startsWith(`reinvent_bench_replica_lag_seconds_bucket{${labels},le="${le}"}`));
    // 0.5 ms <= 1 ms; 3 ms in (2 ms, 5 ms]; 45 s in (30 s, 60 s]; 400 s above 5 min.
    expect(bucket(r1, "0.0005")).toMatch(/ 1$/);
    expect(bucket(r1, "0.001")).toMatch(/ 1$/);
    expect(bucket(r1, "0.002")).toMatch(/ 1$/);
    expect(bucket(r1, "0.005")).toMatch(/ 3$/);
    expect(bucket(r1, "30.0")).toMatch(/ 3$/);
    expect(bucket(r1, "60.0")).toMatch(/ 4$/);
    expect(bucket(r1, "300.0")).toMatch(/ 4$/);
    expect(bucket(r2, "300.0")).toMatch(/ 0$/);
    expect(bucket(r2, "+Inf")).toMatch(/ 1$/);
    expect(lines).toContain(`reinvent_bench_replica_lag_seconds_count{${r1}} 4`);
    expect(lines).toContain(`reinvent_bench_replica_lag_seconds_sum{${r1}} ${(0.5 + 3 + 3 + 45_000) / 1000}`);
    expect(lines).toContain(`reinvent_bench_replica_lag_last_seconds{${r1}} 45`);
    expect(text).toContain("# TYPE reinvent_bench_replica_lag_seconds histogram");
    expect(lines).toContain(`reinvent_bench_replica_behind_source_seconds{${r1}} 44`);
    const r3 = 'scenario="replica-lag",label="replica-lag @2,000/s",client="0",replica="reader-3"';
    expect(lines).toContain(`reinvent_bench_replica_aurora_lag_seconds{${r3}} 0.018`);
    expect(
      lines.filter((l) => l.includes(r3) && l.startsWith("reinvent_bench_replica_lag_last_seconds")),
    ).toEqual([]);
    expect(lines.filter((l) => l.startsWith(`reinvent_bench_replica_behind_source_seconds{${r3}`))).toEqual(
      [],
    );
  });
});

describe("latency buckets from HDR histograms", () => {
  it("writes the bounds as OpenMetrics canonical numbers", () => {
    expect(LATENCY_BOUNDS_US.map(leLabel)).toEqual(LE.slice(0, -1));
  });

  it("counts a slot under a bound when its highest equivalent value is at most the bound", () => {
    const at = (valueUs: number) => {
      const h = newLatencyHistogram();
      h.recordValue(valueUs);
      const b = emptyBuckets();
      addHistogram(b, h);
      return LE[b.counts.indexOf(1)];
    };
    // Exact below 2,048 us.
    expect([at(100), at(101), at(2000), at(2001)]).toEqual(["0.0001", "0.0002", "0.002", "0.005"]);
    // 4,999 us is a slot of its own end (4,996-4,999); 5,000 us shares 5,000-5,003, above the bound.
    expect([at(4999), at(5000)]).toEqual(["0.005", "0.01"]);
    // Past the last bound: +Inf, which still counts it.
    expect([at(9_990_000), at(20_000_000)]).toEqual(["10.0", "+Inf"]);
  });

  it("puts p99 in the bucket where histogram_quantile finds it, as result.json's p99", () => {
    // Deterministic pseudo-random latencies over five decades.
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 50; trial++) {
      const h = newLatencyHistogram();
      for (let i = 0; i < 1000; i++) h.recordValue(Math.round(50 * 10 ** (next() * 5)));
      const b = emptyBuckets();
      addHistogram(b, h);
      let cumulative = 0;
      const p99Us = h.getValueAtPercentile(99);
      LATENCY_BOUNDS_US.forEach((boundUs, i) => {
        cumulative += b.counts[i] ?? 0;
        expect(cumulative >= 0.99 * h.totalCount, `bound ${boundUs} us, p99 ${p99Us} us`).toBe(
          p99Us <= boundUs,
        );
      });
      expect(b.count).toBe(h.totalCount);
    }
  });
});

describe("content negotiation", () => {
  it("serves OpenMetrics to Prometheus 2.x and the 0.0.4 text to others", () => {
    expect(formatForAccept(PROMETHEUS_2_ACCEPT)).toBe("openmetrics");
    expect(
      formatForAccept(
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      ),
    ).toBe("openmetrics");
    expect(formatForAccept(undefined)).toBe("prometheus");
    expect(formatForAccept("*/*")).toBe("prometheus");
    expect(formatForAccept("text/plain;version=0.0.4")).toBe("prometheus");
    expect(formatForAccept("application/openmetrics-text;q=0.3,text/plain;q=0.5")).toBe("prometheus");
    expect(formatForAccept("application/openmetrics-text;q=0")).toBe("prometheus");
  });
});

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}, agent?: Agent) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(url, { headers, agent, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", body }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} in 5 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** Whether a TCP listener can take the port (the endpoint let go of it). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

describe("metrics endpoint over HTTP", () => {
  it("serves the figures in the format asked for", async () => {
    const endpoint = new MetricsEndpoint({ port: 0 });
    await endpoint.start();
    try {
      for (const second of twoSeconds()) endpoint.second(second);
      // The first scrape sees the new series at zero, so rate() counts their first counts as an increase.
      const first = await get(endpoint.url);
      expect(first.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(first.body).toContain(`reinvent_bench_transactions_total{${L}} 0\n`);
      expect(first.body).toContain(`reinvent_bench_latency_seconds_count{${L},op="point_select"} 0\n`);
      const open = await get(endpoint.url, { Accept: PROMETHEUS_2_ACCEPT });
      expect(open.status).toBe(200);
      expect(open.contentType).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
      expect(open.body).toBe(EXPECTED_OPENMETRICS);
      expect(endpoint.scrapes).toEqual({ openmetrics: 1, prometheus: 1 });
      expect((await get(endpoint.url.replace("/metrics", "/other"))).status).toBe(404);
    } finally {
      await endpoint.close();
    }
  });

  it("on close, waits for a scraper to see the last second, and not for one that never came", async () => {
    const [first, last] = twoSeconds();
    if (!first || !last) throw new Error("two seconds");
    const scraped = new MetricsEndpoint({ port: 0 });
    await scraped.start();
    scraped.second(first);
    await get(scraped.url);
    await get(scraped.url);
    scraped.second(last);
    let closed = false;
    const closing = scraped.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    const final = await get(scraped.url);
    await closing;
    expect(final.body).toContain(`reinvent_bench_transactions_total{${L}} 4\n`);
    await expect(get(scraped.url)).rejects.toThrow();

    const unscraped = new MetricsEndpoint({ port: 0 });
    await unscraped.start();
    unscraped.second(first);
    const startedMs = Date.now();
    await unscraped.close();
    // Nothing ever scraped it: nothing to wait for (LINGER_MAX_MS is 5 s).
    expect(Date.now() - startedMs).toBeLessThan(LINGER_MAX_MS);
  });

  it("fails with one line naming --metrics-port when the port is taken", async () => {
    const first = new MetricsEndpoint({ port: 0 });
    await first.start();
    try {
      const second = new MetricsEndpoint({ host: "127.0.0.1", port: first.port });
      await expect(second.start()).rejects.toThrow(
        `--metrics-port ${first.port}: 127.0.0.1:${first.port} is already in use; choose another port`,
      );
    } finally {
      await first.close();
    }
  });

  it("frees the port on close, a scraper's keep-alive connection included", async () => {
    const endpoint = new MetricsEndpoint({ port: 0 });
    await endpoint.start();
    const agent = new Agent({ keepAlive: true });
    try {
      expect((await get(endpoint.url, {}, agent)).status).toBe(200);
      const { port } = endpoint;
      const closingMs = performance.now();
      await endpoint.close();
      // Not held until the scraper's keep-alive times out (5 s).
      expect(performance.now() - closingMs).toBeLessThan(1000);
      expect(await canListen(port)).toBe(true);
      await expect(get(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow(/ECONNREFUSED/);
      // And it starts again on the same port, as the next run would.
      const again = new MetricsEndpoint({ port });
      await again.start();
      await again.close();
    } finally {
      agent.destroy();
    }
  });
});
