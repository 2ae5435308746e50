import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from "vitest";
import type { Result } from "../result/schema.js";
import { alternating, intervals, resultOf, scenarioResult } from "../testing/results.js";
import { ExitCode, UsageError } from "../util/errors.js";
import { gateCommand } from "./gate.js";

let dir: string;
let stdout: MockInstance;
let stderr: MockInstance;
const savedSummary = process.env.GITHUB_STEP_SUMMARY;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "reinvent-bench-gate-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  delete process.env.GITHUB_STEP_SUMMARY;
  stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});

afterEach(() => {
  vi.restoreAllMocks();
  if (savedSummary === undefined) delete process.env.GITHUB_STEP_SUMMARY;
  else process.env.GITHUB_STEP_SUMMARY = savedSummary;
});

let counter = 0;
function write(content: Result | string, name = `result-${++counter}.json`): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const printed = (spy: MockInstance) => spy.mock.calls.map((call) => String(call[0])).join("");

async function usageError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).exitCode).toBe(ExitCode.usage);
  expect((error as Error).message).not.toContain("\n");
  return (error as Error).message;
}

// 1,000 writes/s, txn p99 20 ms; the regressed run: 800 +- 5 writes/s and 200 +- 2 txn/s.
const passing = () => resultOf([scenarioResult({}, ["p99 < 25ms", "writesPerSec >= 1000"])]);
const regressed = () =>
  resultOf([
    scenarioResult({
      throughput: { readsPerSec: 0, writesPerSec: 800, txnPerSec: 200 },
      intervals: intervals({
        writesPerSec: alternating(800, 5),
        txnPerSec: alternating(200, 2),
        txnP99: alternating(20, 1),
      }),
    }),
  ]);

describe("gateCommand", () => {
  it("returns 0 when every threshold passes, printing the checks", async () => {
    expect(await gateCommand(write(passing()))).toBe(0);
    const text = printed(stdout);
    expect(text).toMatch(/│ writes\s+│ p99 < 25ms\s+│ 20\.0 ms\s+│ < 25\.0 ms\s+│ pass\s+│/);
    expect(text).toContain("gate: PASSED, 3 check(s)");
  });

  it("returns 1 when a threshold fails", async () => {
    const file = write(resultOf([scenarioResult({}, ["writesPerSec > 2000"])]));
    expect(await gateCommand(file)).toBe(ExitCode.gateFailed);
    expect(printed(stdout)).toContain("gate: FAILED, 1 of 2 check(s) failed");
  });

  it("returns 1 for a regression against --baseline and 0 against itself", async () => {
    const baseline = write(resultOf([scenarioResult()]));
    expect(await gateCommand(write(regressed()), { baseline })).toBe(1);
    expect(await gateCommand(baseline, { baseline })).toBe(0);
    expect(await gateCommand(write(regressed()), { baseline, maxRegression: "25%" })).toBe(0);
  });

  it("passes an inconclusive change with a warning, fails it with --strict", async () => {
    const noisy = (writes: number) =>
      resultOf([
        scenarioResult({
          throughput: { readsPerSec: 0, writesPerSec: writes, txnPerSec: 250 },
          intervals: intervals({
            writesPerSec: alternating(writes, 100),
            txnPerSec: alternating(250, 2),
            txnP99: alternating(20, 1),
          }),
        }),
      ]);
    const baseline = write(noisy(1000));
    const file = write(noisy(940));
    expect(await gateCommand(file, { baseline })).toBe(0);
    expect(printed(stderr)).toMatch(/^warning: writes: writesPerSec vs baseline: .*inconclusive/m);
    expect(await gateCommand(file, { baseline, strict: true })).toBe(1);
  });

  it("fails a run that did not complete", async () => {
    const file = write(
      resultOf([scenarioResult({}, ["p99 < 25ms"])], {
        status: "interrupted",
      }),
    );
    expect(await gateCommand(file)).toBe(1);
    expect(printed(stdout)).toContain("(run): status: the run's status is interrupted");
  });

  it("rejects bad input with a one-line usage error naming the file (exit 2)", async () => {
    const missing = join(dir, "missing.json");
    expect(await usageError(gateCommand(missing))).toBe(`${missing}: no such file`);
    const notJson = write("{ nope", "not-json.json");
    expect(await usageError(gateCommand(notJson))).toMatch(new RegExp(`^${notJson}: not JSON`));
    const other = write(JSON.stringify({ tool: { name: "k6" }, scenarios: [] }), "other.json");
    expect(await usageError(gateCommand(other))).toMatch(
      new RegExp(`^${other}: not a reinvent-bench result`),
    );
    const good = write(passing());
    expect(await usageError(gateCommand(good, { baseline: missing }))).toBe(`${missing}: no such file`);
    expect(await usageError(gateCommand(good, { maxRegression: "5" }))).toMatch(/^--max-regression: '5'/);
  });

  it("refuses a run with nothing to check (exit 2)", async () => {
    expect(await usageError(gateCommand(write(resultOf([scenarioResult()]))))).toBe(
      "nothing to check: add thresholds to the scenario or give --baseline",
    );
  });

  it("writes JUnit XML with --junit, creating its folder", async () => {
    const junit = join(dir, "reports", "gate.xml");
    const baseline = write(resultOf([scenarioResult()]));
    const file = write(
      resultOf(regressed().scenarios.map((s) => ({ ...s, config: { thresholds: ["p99 < 25ms"] } }))),
    );
    expect(await gateCommand(file, { baseline, junit })).toBe(1);
    const xml = readFileSync(junit, "utf8");
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(xml).toContain('<testsuite name="writes" tests="4" failures="2"');
    expect(xml).toContain('<testcase classname="writes" name="p99 &lt; 25ms"/>');
    expect(xml).toContain('<failure message="writesPerSec 800/s against baseline 1,000/s: -20%;');
  });

  it("appends a Markdown summary to $GITHUB_STEP_SUMMARY when it is set", async () => {
    const summary = join(dir, "step-summary.md");
    writeFileSync(summary, "earlier step\n");
    process.env.GITHUB_STEP_SUMMARY = summary;
    expect(await gateCommand(write(passing()))).toBe(0);
    const text = readFileSync(summary, "utf8");
    expect(text.startsWith("earlier step\n### reinvent-bench gate: passed\n")).toBe(true);
    expect(text).toContain("| writes | p99 &lt; 25ms | 20.0 ms | &lt; 25.0 ms | pass |");
  });

  it("writes nothing but its output when neither --junit nor $GITHUB_STEP_SUMMARY is given", async () => {
    const file = write(passing());
    const before = readdirSync(dir).sort();
    expect(await gateCommand(file)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
