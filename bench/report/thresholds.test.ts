import { describe, expect, it } from "vitest";
import { latency, scenarioResult, step } from "../testing/gate-results.js";
import { UsageError } from "../util/errors.js";
import { evaluateThreshold, parseThreshold, type Threshold, thresholdMetric } from "./thresholds.js";

const WHERE = "scenarios/x.yaml: thresholds[2]";

function parseError(text: string): string {
  try {
    parseThreshold(text, WHERE);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`'${text}' parsed`);
}

const check = (text: string, scenario = scenarioResult()) =>
  evaluateThreshold(parseThreshold(text, "test"), scenario);

describe("parseThreshold", () => {
  it.each<[string, Partial<Threshold>]>([
    ["p99 < 20ms", { kind: "latency", op: "txn", statistic: "p99", comparison: "<", limit: 20 }],
    ["p50 <= 5", { kind: "latency", op: "txn", statistic: "p50", comparison: "<=", limit: 5 }],
    ["max < 2s", { kind: "latency", op: "txn", statistic: "max", limit: 2000 }],
    ["p999 < 1500us", { kind: "latency", op: "txn", statistic: "p999", limit: 1.5 }],
    ["update_index.p99 < 20ms", { kind: "latency", op: "update_index", statistic: "p99", limit: 20 }],
    ["txn.p95 <= 1.5s", { kind: "latency", op: "txn", statistic: "p95", comparison: "<=", limit: 1500 }],
    ["commit.p90 < .5ms", { kind: "latency", op: "commit", statistic: "p90", limit: 0.5 }],
    ["writesPerSec > 5000", { kind: "throughput", metric: "writesPerSec", comparison: ">", limit: 5000 }],
    ["readsPerSec >= 1000", { kind: "throughput", metric: "readsPerSec", comparison: ">=", limit: 1000 }],
    ["txnPerSec > 100", { kind: "throughput", metric: "txnPerSec", comparison: ">", limit: 100 }],
    ["errors < 0.1%", { kind: "errors", share: true, limit: 0.1 }],
    ["errors < 10", { kind: "errors", share: false, limit: 10 }],
    ["lag.p99 < 100ms", { kind: "lag", statistic: "p99", limit: 100 }],
    ["lag.max <= 1s", { kind: "lag", statistic: "max", comparison: "<=", limit: 1000 }],
    ["achievedRatePerSec >= 95%", { kind: "achievedRate", share: true, comparison: ">=", limit: 95 }],
    ["achievedRatePerSec >= 1000", { kind: "achievedRate", share: false, limit: 1000 }],
    ["  p99<20ms  ", { kind: "latency", op: "txn", statistic: "p99", limit: 20 }],
    ["p99 < 20 ms", { kind: "latency", op: "txn", statistic: "p99", limit: 20 }],
  ])("parses %j", (text, expected) => {
    const threshold = parseThreshold(text, WHERE);
    expect(threshold).toMatchObject({ text, ...expected });
  });

  it("names the metric as a threshold would", () => {
    expect(thresholdMetric(parseThreshold("p99 < 1", WHERE))).toBe("txn.p99");
    expect(thresholdMetric(parseThreshold("lag.p50 < 1", WHERE))).toBe("lag.p50");
    expect(thresholdMetric(parseThreshold("errors < 1%", WHERE))).toBe("errors");
    expect(thresholdMetric(parseThreshold("achievedRatePerSec > 1", WHERE))).toBe("achievedRatePerSec");
  });

  it("rejects bad syntax naming the place, the text and the form", () => {
    const form = "expected <metric> <op> <value>, with op one of < <= > >=";
    expect(parseError("p99 << 5ms")).toBe(`${WHERE}: 'p99 << 5ms': ${form}`);
    expect(parseError("p99 = 5ms")).toBe(`${WHERE}: 'p99 = 5ms': ${form}`);
    expect(parseError("p99 == 5ms")).toBe(`${WHERE}: 'p99 == 5ms': ${form}`);
    expect(parseError("p99 <")).toBe(`${WHERE}: 'p99 <': ${form}`);
    expect(parseError("< 5ms")).toBe(`${WHERE}: '< 5ms': ${form}`);
    expect(parseError("")).toBe(`${WHERE}: '': ${form}`);
  });

  it("rejects unknown metrics and statistics, listing what is allowed", () => {
    expect(parseError("p98 < 5ms")).toMatch(
      /^scenarios\/x\.yaml: thresholds\[2\]: 'p98 < 5ms': unknown metric 'p98'; expected p50, p90, p95, p99, p999 or max .*achievedRatePerSec$/,
    );
    expect(parseError("update.p98 < 5ms")).toBe(
      `${WHERE}: 'update.p98 < 5ms': unknown latency statistic 'p98'; expected p50, p90, p95, p99, p999, max`,
    );
    expect(parseError("lag.p95 < 5ms")).toBe(
      `${WHERE}: 'lag.p95 < 5ms': unknown lag statistic 'p95'; expected p50, p90, p99, max`,
    );
    expect(parseError("a.b.p99 < 5ms")).toMatch(/unknown metric 'a\.b\.p99'/);
    expect(parseError("Update.p99 < 5ms")).toMatch(/unknown metric 'Update\.p99'/);
  });

  it("rejects units a metric does not take", () => {
    expect(parseError("p99 < 5%")).toBe(
      `${WHERE}: 'p99 < 5%': latency takes a duration such as 20ms, 1.5s or 500us (a bare number is ms), not '5%'`,
    );
    expect(parseError("p99 < 5m")).toMatch(/latency takes a duration/);
    expect(parseError("lag.p99 < fast")).toMatch(/lag takes a duration .* not 'fast'$/);
    expect(parseError("writesPerSec > 5%")).toBe(
      `${WHERE}: 'writesPerSec > 5%': writesPerSec takes a number per second such as 5000, not '5%'`,
    );
    expect(parseError("errors < 5ms")).toBe(
      `${WHERE}: 'errors < 5ms': errors takes a count such as 10 or a share of statements sent such as 0.1%, not '5ms'`,
    );
    expect(parseError("errors < 101%")).toBe(`${WHERE}: 'errors < 101%': a share of errors is at most 100%`);
    expect(parseError("achievedRatePerSec >= 95ms")).toMatch(
      /achievedRatePerSec takes a share of each step's target/,
    );
    expect(parseError("p99 < -5ms")).toMatch(/latency takes a duration .* not '-5ms'$/);
  });
});

describe("evaluateThreshold, closed loop", () => {
  // The default scenario: txn p99 20 ms, update p99 5 ms, 1,000 writes/s, 0 reads/s, 250 txn/s,
  // 15,000 statements sent, no errors.
  it("passes and fails latency thresholds on the transaction by default", () => {
    expect(check("p99 < 25ms")).toMatchObject({
      status: "pass",
      ok: true,
      measured: 20,
      measuredText: "20.0 ms",
    });
    expect(check("p99 < 20ms")).toMatchObject({ status: "fail", ok: false, measured: 20 });
    expect(check("p99 <= 20ms")).toMatchObject({ status: "pass", measured: 20 });
    expect(check("p99 < 0.02s")).toMatchObject({ status: "fail" });
    expect(check("p99 < 20001us")).toMatchObject({ status: "pass" });
    const failed = check("txn.p99 < 15ms");
    expect(failed.limitText).toBe("< 15.0 ms");
    expect(failed.message).toBe("txn.p99 is 20.0 ms, not < 15.0 ms");
    expect(check("txn.p99 < 25ms").message).toBe("txn.p99 is 20.0 ms, limit < 25.0 ms");
  });

  it("reads an operation's own latency", () => {
    expect(check("update.p99 < 6ms")).toMatchObject({ status: "pass", measured: 5 });
    expect(check("update.max < 6ms")).toMatchObject({ status: "fail", measured: 7.5 });
    expect(check("begin.p50 < 1")).toMatchObject({ status: "pass", measured: 0.25 });
  });

  it("fails with no data for an operation that was not timed", () => {
    const result = check("delete.p99 < 5ms");
    expect(result).toMatchObject({ status: "no-data", ok: false, measured: null, measuredText: "-" });
    expect(result.message).toBe(
      "delete.p99: no data: no latency recorded for 'delete' (recorded: update, insert, begin, commit, txn)",
    );
    expect(check("update.p99 < 5ms", scenarioResult({ latencyMs: { update: latency(5, 0) } })).status).toBe(
      "no-data",
    );
  });

  it("checks throughput", () => {
    expect(check("writesPerSec > 900")).toMatchObject({
      status: "pass",
      measured: 1000,
      measuredText: "1,000/s",
    });
    expect(check("writesPerSec >= 1000")).toMatchObject({ status: "pass" });
    expect(check("writesPerSec > 1000")).toMatchObject({ status: "fail" });
    expect(check("txnPerSec > 300")).toMatchObject({ status: "fail", measured: 250 });
    expect(check("readsPerSec >= 1")).toMatchObject({ status: "fail", measured: 0 });
  });

  it("fails every threshold as no data when nothing was measured", () => {
    const empty = scenarioResult({
      measuredMs: 0,
      throughput: { readsPerSec: 0, writesPerSec: 0, txnPerSec: 0 },
    });
    expect(check("readsPerSec < 10", empty)).toMatchObject({
      status: "no-data",
      ok: false,
      message: "readsPerSec: no data: nothing was measured",
    });
  });

  it("checks errors as a count and as a share of statements sent", () => {
    // 15 errors: 15,000 successes + 15 errors = 15,015 sent; 15 / 15,015 = 0.0999%.
    const errors = scenarioResult({
      counts: { reads: 0, writes: 10_000, txns: 2_500, errors: 15, rollbacks: 15, rows: 10_000 },
    });
    expect(check("errors < 0.1%", errors)).toMatchObject({ status: "pass", measuredText: "0.0999%" });
    expect(check("errors < 0.1%", errors).measured).toBeCloseTo(0.0999, 4);
    expect(check("errors < 0.1%", errors).message).toBe(
      "errors is 0.0999% (15 of 15,015 statements), limit < 0.1%",
    );
    expect(check("errors < 0.09%", errors)).toMatchObject({ status: "fail" });
    expect(check("errors < 10", errors)).toMatchObject({ status: "fail", measured: 15, measuredText: "15" });
    expect(check("errors <= 15", errors)).toMatchObject({ status: "pass" });
    expect(check("errors < 1")).toMatchObject({ status: "pass", measured: 0 });
    expect(check("errors < 0.1%", scenarioResult({ latencyMs: {} }))).toMatchObject({ status: "no-data" });
  });

  it("fails lag and achieved-rate thresholds as no data without fixed-rate steps", () => {
    expect(check("lag.p99 < 100ms")).toMatchObject({ status: "no-data", ok: false });
    expect(check("achievedRatePerSec >= 95%")).toMatchObject({ status: "no-data", ok: false });
  });
});

describe("evaluateThreshold, fixed rates", () => {
  // Steps: 2,000/s achieved 2,000 (lag p99 4 and 10 ms); 13,800/s achieved 6,900 (lag p99 50 and 80 ms).
  const stepped = scenarioResult({
    steps: [
      step(2000, 2000, { "replica-1": 4, "replica-2": 10 }),
      step(13_800, 6900, { "replica-1": 50, "replica-2": 80 }),
    ],
  });

  it("checks the worst replica's lag over every step", () => {
    expect(check("lag.p99 < 100ms", stepped)).toMatchObject({
      status: "pass",
      measured: 80,
      message: "lag.p99 is 80.0 ms (worst: replica-2, step 13,800/s), limit < 100 ms",
    });
    expect(check("lag.p99 < 50ms", stepped)).toMatchObject({ status: "fail", measured: 80 });
    expect(check("lag.max < 200ms", stepped)).toMatchObject({ status: "pass", measured: 160 });
  });

  it("fails lag as no data when a replica has no samples", () => {
    const unseen = scenarioResult({ steps: [step(2000, 2000, { "replica-1": 4, "replica-2": null })] });
    expect(check("lag.p99 < 100ms", unseen)).toMatchObject({
      status: "no-data",
      message: "lag.p99: no data: no lag samples from replica-2 at step 2,000/s",
    });
    const none = scenarioResult({ steps: [step(2000, 2000, {})] });
    expect(check("lag.p99 < 100ms", none).message).toBe(
      "lag.p99: no data: no replica lag measured at step 2,000/s",
    );
  });

  it("checks each step's achieved rate against its target, the lowest share reported", () => {
    // 2,000 of 2,000 = 100%; 6,900 of 13,800 = 50%.
    expect(check("achievedRatePerSec >= 95%", stepped)).toMatchObject({
      status: "fail",
      measured: 50,
      measuredText: "50% of target",
      message: "achievedRatePerSec is 50% of target (worst: step 13,800/s), not >= 95% of target",
    });
    expect(check("achievedRatePerSec >= 50%", stepped)).toMatchObject({ status: "pass" });
    expect(check("achievedRatePerSec >= 2000", stepped)).toMatchObject({ status: "pass", measured: 2000 });
    expect(check("achievedRatePerSec >= 2001", stepped)).toMatchObject({ status: "fail", measured: 2000 });
  });

  it("reads the transaction's latency from its intended start and a statement's service time, per step", () => {
    // step(): intended latency p99 8 ms (latencyMs), service time p99 6 ms (serviceTimeMs).
    expect(check("p99 < 9ms", stepped)).toMatchObject({ status: "pass", measured: 8 });
    expect(check("update.p99 < 7ms", stepped)).toMatchObject({ status: "pass", measured: 6 });
    expect(check("commit.p99 < 7ms", stepped)).toMatchObject({ status: "no-data" });
  });

  it("sums errors over the steps", () => {
    // Each step sends 10 x achieved statements (service time counts) plus its errors.
    const withErrors = scenarioResult({
      steps: [
        step(1000, 1000, {}, { counts: { reads: 0, writes: 0, txns: 0, errors: 5, rollbacks: 0, rows: 0 } }),
        step(1000, 1000, {}, { counts: { reads: 0, writes: 0, txns: 0, errors: 15, rollbacks: 0, rows: 0 } }),
      ],
    });
    expect(check("errors < 25", withErrors)).toMatchObject({ status: "pass", measured: 20 });
    // 20 / (10,000 + 5 + 10,000 + 15) = 0.0999%.
    expect(check("errors < 0.1%", withErrors).measured).toBeCloseTo((20 / 20_020) * 100, 10);
  });
});
