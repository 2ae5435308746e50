import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.js";
import { parseThreshold, type Threshold, thresholdMetric } from "./thresholds.js";

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
