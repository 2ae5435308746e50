import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { histogramOf, lagScenario, resultOf, writeScenario } from "../testing/results.js";
import { UsageError } from "../util/errors.js";
import { checkHistograms, readResultFile } from "./read.js";
import type { Result } from "./schema.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-read-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function saved(value: unknown): string {
  const file = join(dir, `result-${++counter}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected an error, none was thrown");
}

/** A valid encoding whose compressed part is damaged: zlib's "incorrect header check". */
function damaged(encoded: string): string {
  const bytes = Buffer.from(encoded, "base64");
  bytes[8] = 0;
  return bytes.toString("base64");
}

const json = (result: Result) => JSON.parse(JSON.stringify(result));

describe("readResultFile and the histograms", () => {
  it("reads a result whose histograms decode", () => {
    const result = resultOf([writeScenario(), lagScenario()]);
    expect(readResultFile(saved(result), { histograms: true }).scenarios).toHaveLength(2);
  });

  it("refuses null or missing histograms in one line naming the file and the field", () => {
    const cases: [string, (value: ReturnType<typeof json>) => void][] = [
      ["scenarios[0].histograms", (v) => (v.scenarios[0].histograms = null)],
      ["scenarios[0].histograms", (v) => delete v.scenarios[0].histograms],
      ["scenarios[0].histograms.txn", (v) => (v.scenarios[0].histograms.txn = null)],
      ["scenarios[0].intervals[0].histograms", (v) => (v.scenarios[0].intervals[0].histograms = null)],
      ["scenarios[1].steps[0].histograms", (v) => (v.scenarios[1].steps[0].histograms = null)],
    ];
    for (const [field, spoil] of cases) {
      const value = json(resultOf([writeScenario(), lagScenario()]));
      spoil(value);
      const file = saved(value);
      const error = thrown(() => readResultFile(file, { histograms: true }));
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toBe(
        `${file}: not a complete reinvent-bench result (${field} is missing or malformed)`,
      );
    }
  });

  it("checks histograms only when asked: compare and gate read results without them", () => {
    const value = json(resultOf([writeScenario()]));
    value.scenarios[0].histograms = null;
    value.scenarios[0].intervals[0].histograms = null;
    const file = saved(value);
    expect(readResultFile(file).scenarios[0]?.id).toBe("aurora-write");
    expect(() => readResultFile(file, { histograms: true })).toThrow("scenarios[0].histograms is missing");
  });

  it("refuses a histogram that does not decode, naming the file and the field", () => {
    const value = json(resultOf([writeScenario()]));
    value.scenarios[0].histograms.txn = damaged(value.scenarios[0].histograms.txn);
    const file = saved(value);
    const error = thrown(() => readResultFile(file, { histograms: true }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      `${file}: scenarios[0].histograms.txn is not an encoded HDR histogram (incorrect header check); the file was changed or damaged after run wrote it`,
    );
  });

  it("checks the per-second histograms only when asked (merge adds them; the report does not read them)", () => {
    const result = resultOf([writeScenario()]);
    const scenario = result.scenarios[0] as Result["scenarios"][number];
    scenario.intervals = [
      { ...(scenario.intervals[0] as (typeof scenario.intervals)[number]), histograms: {} },
    ];
    (scenario.intervals[0] as (typeof scenario.intervals)[number]).histograms.txn = damaged(histogramOf([5]));
    expect(() => checkHistograms(result, "r.json")).not.toThrow();
    expect(() => checkHistograms(result, "r.json", { intervals: true })).toThrow(
      "r.json: scenarios[0].intervals[0].histograms.txn is not an encoded HDR histogram (incorrect header check)",
    );
  });

  it.runIf(existsSync("results/baselines/quick-2-core-sandbox/result.json"))(
    "still reads the committed baseline",
    () => {
      const result = readResultFile("results/baselines/quick-2-core-sandbox", { histograms: true });
      expect(() => checkHistograms(result, "baseline", { intervals: true })).not.toThrow();
    },
  );
});
