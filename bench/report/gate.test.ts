import { describe, expect, it } from "vitest";
import { alternating, intervals, latency, resultOf, scenarioResult } from "../testing/results.js";
import { UsageError } from "../util/errors.js";
import {
  escapeXml,
  type GateReport,
  parseMaxRegression,
  RUN_SUITE,
  renderGateMarkdown,
  renderGateTable,
  renderJUnit,
  runGate,
  welchInterval,
} from "./gate.js";
import { studentTCdf, studentTQuantile } from "./stats.js";

/** The default scenario's per-second samples, but with other writes/s, txn/s and txn p99. */
function changed(
  writes: number,
  writeSamples: number[],
  txn = 250,
  txnSamples = alternating(250, 2),
  p99 = 20,
  p99Samples = alternating(20, 1),
) {
  return scenarioResult({
    throughput: { readsPerSec: 0, writesPerSec: writes, txnPerSec: txn },
    latencyMs: { ...scenarioResult().latencyMs, txn: latency(p99, 2_500) },
    intervals: intervals({ writesPerSec: writeSamples, txnPerSec: txnSamples, txnP99: p99Samples }),
  });
}

const checksOf = (report: GateReport, suite = "writes") =>
  report.suites.find((s) => s.name === suite)?.checks ?? [];
const byName = (report: GateReport, name: string, suite = "writes") => {
  const found = checksOf(report, suite).find((item) => item.name === name);
  if (!found) throw new Error(`no check ${name} in ${suite}`);
  return found;
};

describe("studentTQuantile", () => {
  // Table values (two-sided 95% and 99%, one-sided 95%), and scipy.stats.t.ppf for a fractional df.
  it.each([
    [0.975, 1, 12.706205],
    [0.975, 2, 4.302653],
    [0.975, 10, 2.228139],
    [0.975, 18, 2.100922],
    [0.975, 30, 2.042272],
    [0.95, 5, 2.015048],
    [0.995, 20, 2.84534],
    [0.975, 2.5, 3.574655],
    [0.975, 1e6, 1.959966],
    [0.025, 10, -2.228139],
    [0.5, 7, 0],
  ])("t(%d, %d) = %d", (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 5);
  });

  it("inverts the CDF", () => {
    expect(studentTCdf(2.228139, 10)).toBeCloseTo(0.975, 6);
    expect(studentTCdf(-2.228139, 10)).toBeCloseTo(0.025, 6);
    expect(studentTCdf(0, 3)).toBe(0.5);
  });

  it("rejects p outside (0, 1) and df <= 0", () => {
    expect(() => studentTQuantile(1, 5)).toThrow(RangeError);
    expect(() => studentTQuantile(0.5, 0)).toThrow(RangeError);
  });
});

describe("welchInterval", () => {
  it("gives the 95% interval of the difference of means", () => {
    // 795/805 vs 995/1,005, ten each: variances 250/9, se = sqrt(2 x 25/9) = 2.3570, df = 18,
    // half-width 2.100922 x 2.3570 = 4.9519.
    const interval = welchInterval(alternating(800, 5), alternating(1000, 5));
    expect(interval?.difference).toBe(-200);
    expect(interval?.df).toBeCloseTo(18, 10);
    expect(interval?.standardError).toBeCloseTo(Math.sqrt(50 / 9), 10);
    expect(interval?.low).toBeCloseTo(-204.9519, 4);
    expect(interval?.high).toBeCloseTo(-195.0481, 4);
  });

  it("is a point for two constant samples and null below two values", () => {
    expect(welchInterval([5, 5, 5], [3, 3])).toMatchObject({ difference: 2, low: 2, high: 2 });
    expect(welchInterval([5], [3, 3])).toBeNull();
  });
});

describe("parseMaxRegression", () => {
  it("takes a percentage or a fraction", () => {
    expect(parseMaxRegression("5%")).toBe(0.05);
    expect(parseMaxRegression("0.05")).toBe(0.05);
    expect(parseMaxRegression("2.5 %")).toBe(0.025);
    expect(parseMaxRegression("0")).toBe(0);
  });

  it.each(["5", "1", "100%", "-5%", "five", "5%%", ""])("rejects %j", (text) => {
    expect(() => parseMaxRegression(text)).toThrow(UsageError);
    expect(() => parseMaxRegression(text)).toThrow(
      `--max-regression: '${text}' must be a percentage such as 5% or a fraction such as 0.05 (below 100%)`,
    );
  });
});

describe("runGate against a baseline", () => {
  it("passes a run against itself", () => {
    const run = resultOf([scenarioResult()]);
    const report = runGate(run, { baseline: run });
    expect(report).toMatchObject({ passed: true, exitCode: 0, baseline: true, maxRegression: 0.05 });
    // readsPerSec is 0 in the baseline: not compared.
    expect(checksOf(report).map((item) => [item.name, item.status])).toEqual([
      ["writesPerSec vs baseline", "pass"],
      ["txnPerSec vs baseline", "pass"],
      ["txn.p99 vs baseline", "pass"],
    ]);
    expect(checksOf(report, RUN_SUITE).map((item) => [item.name, item.status])).toEqual([["status", "pass"]]);
    expect(report.totals).toEqual({ checks: 4, passed: 4, failed: 0, inconclusive: 0 });
    expect(report.warnings).toEqual([]);
  });

  it("fails a clear regression: 1,000 +- 5 writes/s down to 800 +- 5", () => {
    const report = runGate(resultOf([changed(800, alternating(800, 5), 200, alternating(200, 2))]), {
      baseline: resultOf([scenarioResult()]),
    });
    expect(report).toMatchObject({ passed: false, exitCode: 1 });
    const writes = byName(report, "writesPerSec vs baseline");
    expect(writes).toMatchObject({
      status: "fail",
      ok: false,
      measured: 800,
      measuredText: "800/s (-20%)",
      limitText: ">= 950/s (baseline 1,000/s - 5%)",
    });
    expect(writes.message).toBe(
      "writesPerSec 800/s against baseline 1,000/s: -20%; 95% CI of the per-second mean difference [-205/s, -195/s] is beyond the allowed -50.0/s: a regression",
    );
    expect(byName(report, "txnPerSec vs baseline").status).toBe("fail");
    expect(byName(report, "txn.p99 vs baseline").status).toBe("pass");
    expect(report.totals).toEqual({ checks: 4, passed: 2, failed: 2, inconclusive: 0 });
  });

  it("passes the same drop under a larger --max-regression", () => {
    const report = runGate(resultOf([changed(800, alternating(800, 5), 200, alternating(200, 2))]), {
      baseline: resultOf([scenarioResult()]),
      maxRegression: 0.25,
    });
    expect(report.passed).toBe(true);
    expect(byName(report, "writesPerSec vs baseline").message).toBe(
      "writesPerSec 800/s against baseline 1,000/s: -20%, within 25%",
    );
  });

  // Baseline 1,000 +- 100 writes/s, run 940 +- 100: -6% is beyond 5%, but the 95% CI of the
  // difference, -60 +- 2.100922 x 47.14 = [-159, +39.0], reaches the allowed -50.
  const noisyBaseline = resultOf([changed(1000, alternating(1000, 100))]);
  const noisyRun = resultOf([changed(940, alternating(940, 100))]);

  it("calls a small change within the noise inconclusive and passes it with a warning", () => {
    const report = runGate(noisyRun, { baseline: noisyBaseline });
    expect(report).toMatchObject({ passed: true, exitCode: 0 });
    const writes = byName(report, "writesPerSec vs baseline");
    expect(writes).toMatchObject({ status: "inconclusive", ok: true, measuredText: "940/s (-6%)" });
    expect(writes.message).toBe(
      "writesPerSec 940/s against baseline 1,000/s: -6%, beyond 5% but the 95% CI of the per-second mean difference [-159/s, +39.0/s] reaches the allowed -50.0/s, so the change is within the noise: inconclusive (passes; --strict fails it)",
    );
    expect(report.warnings).toEqual([`writes: writesPerSec vs baseline: ${writes.message}`]);
    expect(report.totals.inconclusive).toBe(1);
  });

  it("fails an inconclusive change when strict", () => {
    const report = runGate(noisyRun, { baseline: noisyBaseline, strict: true });
    expect(report).toMatchObject({ passed: false, exitCode: 1, strict: true });
    expect(byName(report, "writesPerSec vs baseline")).toMatchObject({ status: "inconclusive", ok: false });
    expect(byName(report, "writesPerSec vs baseline").message).toMatch(/inconclusive \(fails: strict\)$/);
  });

  it("fails a p99 rise of 20 +- 1 ms to 30 +- 1 ms and passes one within the limit", () => {
    const baseline = resultOf([scenarioResult()]);
    const worse = runGate(
      resultOf([changed(1000, alternating(1000, 5), 250, alternating(250, 2), 30, alternating(30, 1))]),
      {
        baseline,
      },
    );
    expect(byName(worse, "txn.p99 vs baseline")).toMatchObject({
      status: "fail",
      measuredText: "30.0 ms (+50%)",
      limitText: "<= 21.0 ms (baseline 20.0 ms + 5%)",
    });
    // +4.5%: within 5%.
    const fine = runGate(
      resultOf([changed(1000, alternating(1000, 5), 250, alternating(250, 2), 20.9, alternating(20.9, 1))]),
      { baseline },
    );
    expect(byName(fine, "txn.p99 vs baseline").status).toBe("pass");
  });

  it("is inconclusive with fewer than two per-second samples", () => {
    const report = runGate(resultOf([changed(800, [800], 250, [250], 20, [20])]), {
      baseline: resultOf([scenarioResult()]),
    });
    expect(byName(report, "writesPerSec vs baseline")).toMatchObject({ status: "inconclusive", ok: true });
    expect(byName(report, "writesPerSec vs baseline").message).toMatch(
      /too few per-second samples \(1 and 10; 2 each needed\) to tell it from noise/,
    );
  });

  it("compares only scenarios in both files, warns about the others, and fails when none is shared", () => {
    const other = scenarioResult({ id: "reads" });
    const report = runGate(resultOf([scenarioResult(), other]), {
      baseline: resultOf([scenarioResult()]),
      baselineName: "b.json",
      resultName: "r.json",
    });
    expect(report.passed).toBe(true);
    expect(checksOf(report, "reads")).toEqual([]);
    expect(report.warnings).toEqual(["reads: not in the baseline: not compared"]);

    const none = runGate(resultOf([other]), {
      baseline: resultOf([scenarioResult()]),
      baselineName: "b.json",
      resultName: "r.json",
    });
    expect(none.passed).toBe(false);
    expect(byName(none, "baseline", RUN_SUITE)).toMatchObject({
      status: "no-data",
      ok: false,
      message: "no scenario of r.json is in b.json (writes): nothing compared",
    });
    expect(none.warnings).toContain("writes: in b.json but not in r.json: not compared");
  });
});

describe("runGate with thresholds", () => {
  it("passes when every threshold holds", () => {
    const report = runGate(
      resultOf([scenarioResult({}, ["p99 < 25ms", "writesPerSec >= 1000", "errors < 0.1%"])]),
    );
    expect(report).toMatchObject({ passed: true, exitCode: 0, baseline: false });
    expect(checksOf(report).map((item) => [item.name, item.status, item.measured])).toEqual([
      ["p99 < 25ms", "pass", 20],
      ["writesPerSec >= 1000", "pass", 1000],
      ["errors < 0.1%", "pass", 0],
    ]);
  });

  it("fails on one failed threshold and on one with no data", () => {
    const failed = runGate(resultOf([scenarioResult({}, ["p99 < 25ms", "p99 < 15ms"])]));
    expect(failed).toMatchObject({ passed: false, exitCode: 1 });
    expect(failed.totals).toEqual({ checks: 3, passed: 2, failed: 1, inconclusive: 0 });
    const noData = runGate(resultOf([scenarioResult({}, ["delete.p99 < 15ms"])]));
    expect(noData).toMatchObject({ passed: false, exitCode: 1 });
    expect(byName(noData, "delete.p99 < 15ms").status).toBe("no-data");
  });

  it("fails a run or scenario that did not complete, with the reason", () => {
    const failed = runGate(
      resultOf([scenarioResult({ status: "interrupted" }, ["p99 < 25ms"])], {
        status: "failed",
        failure: { message: "target lost", exitCode: 3 },
      }),
    );
    expect(failed.passed).toBe(false);
    expect(byName(failed, "status", RUN_SUITE)).toMatchObject({
      status: "fail",
      measuredText: "failed",
      message: "the run's status is failed: target lost",
    });
    expect(byName(failed, "scenario status")).toMatchObject({
      status: "fail",
      message: "the scenario's status is interrupted",
    });
    expect(byName(failed, "p99 < 25ms").status).toBe("pass");
  });

  it("refuses a run with nothing to check", () => {
    expect(() => runGate(resultOf([scenarioResult()]))).toThrow(UsageError);
    expect(() => runGate(resultOf([scenarioResult()]))).toThrow(
      "nothing to check: add thresholds to the scenario or give --baseline",
    );
    expect(() => runGate(resultOf([]))).toThrow("nothing to check");
  });

  it("refuses a threshold it cannot parse, naming the file, scenario and index", () => {
    expect(() =>
      runGate(resultOf([scenarioResult({}, ["p99 < 5ms", "p99 << 5ms"])]), { resultName: "r.json" }),
    ).toThrow(
      "r.json: scenarios[0] (writes): config.thresholds[1]: 'p99 << 5ms': expected <metric> <op> <value>, with op one of < <= > >=",
    );
    const notList = scenarioResult({ config: { thresholds: "p99 < 5ms" } });
    expect(() => runGate(resultOf([notList]), { resultName: "r.json" })).toThrow(
      "r.json: scenarios[0] (writes): config.thresholds: must be a list of strings",
    );
  });

  it("names repeated scenarios apart", () => {
    const report = runGate(
      resultOf([scenarioResult({}, ["p99 < 25ms"]), scenarioResult({}, ["p99 < 25ms"])]),
    );
    expect(report.suites.map((suite) => suite.name)).toEqual([RUN_SUITE, "writes", "writes#2"]);
  });
});

/**
 * A small XML well-formedness check: one root, every tag closed in order, attributes quoted, no raw
 * < or & in text or attribute values. Returns the elements found, with their unescaped attributes.
 */
function parseXml(xml: string): { name: string; attributes: Record<string, string>; text: string }[] {
  const decode = (text: string) =>
    text
      .replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">")
      .replaceAll("&quot;", '"')
      .replaceAll("&apos;", "'")
      .replaceAll("&amp;", "&");
  const checkText = (text: string) => {
    let at = text.indexOf("&");
    while (at !== -1) {
      const end = text.indexOf(";", at);
      expect(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]).toContain(text.slice(at, end + 1));
      at = text.indexOf("&", at + 1);
    }
    expect(text.includes(">")).toBe(false);
  };
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
  expect(xml.startsWith(declaration)).toBe(true);
  const elements: { name: string; attributes: Record<string, string>; text: string }[] = [];
  const stack: { name: string; attributes: Record<string, string>; text: string }[] = [];
  let position = declaration.length;
  let roots = 0;
  while (position < xml.length) {
    const open = xml.indexOf("<", position);
    const text = xml.slice(position, open === -1 ? xml.length : open);
    checkText(text);
    const top = stack[stack.length - 1];
    if (top) top.text += decode(text);
    else expect(text.trim()).toBe("");
    if (open === -1) break;
    const close = xml.indexOf(">", open);
    expect(close).toBeGreaterThan(open);
    const tag = xml.slice(open + 1, close);
    position = close + 1;
    if (tag.startsWith("/")) {
      expect(stack.pop()?.name).toBe(tag.slice(1));
      continue;
    }
    const selfClosing = tag.endsWith("/");
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const space = body.indexOf(" ");
    const name = space === -1 ? body : body.slice(0, space);
    const attributes: Record<string, string> = {};
    let rest = space === -1 ? "" : body.slice(space).trim();
    while (rest.length > 0) {
      const equals = rest.indexOf('="');
      const end = rest.indexOf('"', equals + 2);
      expect(equals).toBeGreaterThan(0);
      expect(end).toBeGreaterThan(equals);
      const value = rest.slice(equals + 2, end);
      expect(value.includes("<")).toBe(false);
      checkText(value);
      attributes[rest.slice(0, equals)] = decode(value);
      rest = rest.slice(end + 1).trim();
    }
    const element = { name, attributes, text: "" };
    elements.push(element);
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(element);
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  return elements;
}

describe("rendering", () => {
  // One pass, one failure, one inconclusive (noisy writes), one no data.
  const report = runGate(
    resultOf(
      [changed(940, alternating(940, 100))].map((s) => ({
        ...s,
        config: { thresholds: ["p99 < 25ms", "p99 < 15ms", "delete.p99 < 1ms"] },
      })),
    ),
    { baseline: resultOf([changed(1000, alternating(1000, 100))]) },
  );

  it("renders a table with each check's measured value, limit and verdict, then the reasons", () => {
    const text = renderGateTable(report);
    const lines = text.split("\n");
    expect(lines[1]).toMatch(/scenario\s+│ check\s+│ measured\s+│ limit\s+│ verdict/);
    expect(text).toMatch(/│ writes\s+│ p99 < 15ms\s+│ 20\.0 ms\s+│ < 15\.0 ms\s+│ FAIL\s+│/);
    expect(text).toMatch(/│ writes\s+│ delete\.p99 < 1ms\s+│ -\s+│ < 1\.00 ms\s+│ FAIL \(no data\)\s+│/);
    expect(text).toMatch(
      /│ writes\s+│ writesPerSec vs baseline\s+│ 940\/s \(-6%\)\s+│ >= 950\/s \(baseline 1,000\/s - 5%\)\s+│ inconclusive \(passes\)\s+│/,
    );
    expect(text).toContain("writes: p99 < 15ms: txn.p99 is 20.0 ms, not < 15.0 ms");
    expect(lines[lines.length - 1]).toBe("gate: FAILED, 2 of 7 check(s) failed, 1 inconclusive");
  });

  it("writes well-formed JUnit XML: one suite per scenario, one case per check, failures with their message", () => {
    const xml = renderJUnit(report);
    const elements = parseXml(xml);
    const root = elements[0];
    expect(root).toMatchObject({ name: "testsuites", attributes: { tests: "7", failures: "2" } });
    const suites = elements.filter((element) => element.name === "testsuite");
    expect(
      suites.map((suite) => [suite.attributes.name, suite.attributes.tests, suite.attributes.failures]),
    ).toEqual([
      [RUN_SUITE, "1", "0"],
      ["writes", "6", "2"],
    ]);
    expect(elements.filter((element) => element.name === "testcase").map((c) => c.attributes.name)).toEqual([
      "status",
      "p99 < 25ms",
      "p99 < 15ms",
      "delete.p99 < 1ms",
      "writesPerSec vs baseline",
      "txnPerSec vs baseline",
      "txn.p99 vs baseline",
    ]);
    const failures = elements.filter((element) => element.name === "failure");
    expect(failures.map((failure) => failure.attributes.message)).toEqual([
      "txn.p99 is 20.0 ms, not < 15.0 ms",
      "delete.p99: no data: no latency recorded for 'delete' (recorded: update, insert, begin, commit, txn)",
    ]);
    expect(failures[0]?.text).toBe("measured 20.0 ms, limit < 15.0 ms: txn.p99 is 20.0 ms, not < 15.0 ms");
    // Escaped in the file itself.
    expect(xml).toContain('name="p99 &lt; 15ms"');
    expect(xml).toContain("(recorded: update, insert, begin, commit, txn)");
    expect(xml).toContain("&apos;delete&apos;");
    expect(elements.filter((element) => element.name === "system-out")[0]?.text).toMatch(/^inconclusive: /);
  });

  it("escapes XML markup and drops characters XML cannot hold", () => {
    expect(escapeXml(`a<b>&"c"'d'\u0001\uFFFEe`)).toBe("a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;e");
    const elements = parseXml(
      renderJUnit({
        ...report,
        suites: [
          {
            name: `s<&>"'`,
            checks: [{ ...byName(report, "status", RUN_SUITE), ok: false, message: `</failure><x a="1">&` }],
          },
        ],
      }),
    );
    expect(elements.find((element) => element.name === "testsuite")?.attributes.name).toBe(`s<&>"'`);
    expect(elements.find((element) => element.name === "failure")?.attributes.message).toBe(
      `</failure><x a="1">&`,
    );
  });

  it("renders a Markdown table for a GitHub step summary", () => {
    const markdown = renderGateMarkdown(report);
    const lines = markdown.trimEnd().split("\n");
    expect(lines[0]).toBe("### reinvent-bench gate: FAILED");
    expect(lines[2]).toBe("| scenario | check | measured | limit | verdict |");
    expect(lines[3]).toBe("| --- | --- | --- | --- | --- |");
    const rows = lines.filter((line) => line.startsWith("| ") && !line.startsWith("| ---")).slice(1);
    expect(rows).toHaveLength(7);
    expect(rows).toContain("| writes | p99 &lt; 15ms | 20.0 ms | &lt; 15.0 ms | FAIL |");
    for (const row of rows) expect(row.split(" | ")).toHaveLength(5);
    expect(markdown).toContain("gate: FAILED, 2 of 7 check(s) failed, 1 inconclusive");
    expect(markdown).toContain("- writes: p99 &lt; 15ms: txn.p99 is 20.0 ms, not &lt; 15.0 ms");
    const piped = renderGateMarkdown({
      ...report,
      suites: [{ name: "a|b", checks: [{ ...byName(report, "status", RUN_SUITE), name: "x|y" }] }],
    });
    expect(piped).toContain("| a\\|b | x\\|y |");
  });
});
