import { describe, expect, it } from "vitest";
import { parseThreshold } from "../scenario/thresholds.js";
import { latency, rateStep, scenarioResult } from "../testing/results.js";
import { evaluateThreshold } from "./thresholds.js";

const check = (text: string, scenario = scenarioResult()) =>
  evaluateThreshold(parseThreshold(text, "test"), scenario);

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
      rateStep(2000, 2000, { "replica-1": 4, "replica-2": 10 }),
      rateStep(13_800, 6900, { "replica-1": 50, "replica-2": 80 }),
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
    const unseen = scenarioResult({ steps: [rateStep(2000, 2000, { "replica-1": 4, "replica-2": null })] });
    expect(check("lag.p99 < 100ms", unseen)).toMatchObject({
      status: "no-data",
      message: "lag.p99: no data: no lag samples from replica-2 at step 2,000/s",
    });
    const none = scenarioResult({ steps: [rateStep(2000, 2000, {})] });
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
    // rateStep(): intended latency p99 8 ms (latencyMs), service time p99 6 ms (serviceTimeMs).
    expect(check("p99 < 9ms", stepped)).toMatchObject({ status: "pass", measured: 8 });
    expect(check("update.p99 < 7ms", stepped)).toMatchObject({ status: "pass", measured: 6 });
    expect(check("commit.p99 < 7ms", stepped)).toMatchObject({ status: "no-data" });
  });

  it("sums errors over the steps", () => {
    // Each step sends 10 x achieved statements (service time counts) plus its errors.
    const withErrors = scenarioResult({
      steps: [
        rateStep(
          1000,
          1000,
          {},
          { counts: { reads: 0, writes: 0, txns: 0, errors: 5, rollbacks: 0, rows: 0 } },
        ),
        rateStep(
          1000,
          1000,
          {},
          { counts: { reads: 0, writes: 0, txns: 0, errors: 15, rollbacks: 0, rows: 0 } },
        ),
      ],
    });
    expect(check("errors < 25", withErrors)).toMatchObject({ status: "pass", measured: 20 });
    // 20 / (10,000 + 5 + 10,000 + 15) = 0.0999%.
    expect(check("errors < 0.1%", withErrors).measured).toBeCloseTo((20 / 20_020) * 100, 10);
  });
});
