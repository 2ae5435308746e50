import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultOf, writeScenario } from "../testing/results.js";
import { ExitCode, UsageError } from "../util/errors.js";
import { reportCommand } from "./report.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-report-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error("no error"),
    (e: Error) => e,
  );

describe("report on a damaged or misplaced result", () => {
  it("histograms null: one line naming the file and the field (exit 2), no report written", async () => {
    const value = JSON.parse(JSON.stringify(resultOf([writeScenario()])));
    value.scenarios[0].histograms = null;
    const folder = mkdtempSync(join(dir, "null-"));
    const file = join(folder, "result.json");
    writeFileSync(file, JSON.stringify(value));
    const error = await failure(reportCommand(file, {}));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.usage);
    expect(error.message).toBe(
      `${file}: not a complete reinvent-bench result (scenarios[0].histograms is missing or malformed)`,
    );
    expect(existsSync(join(folder, "report.md"))).toBe(false);
  });

  it("a histogram that does not decode: one line naming the file and the field", async () => {
    const value = JSON.parse(JSON.stringify(resultOf([writeScenario()])));
    const bytes = Buffer.from(value.scenarios[0].histograms.txn, "base64");
    bytes[8] = 0;
    value.scenarios[0].histograms.txn = bytes.toString("base64");
    const file = join(dir, "corrupt.json");
    writeFileSync(file, JSON.stringify(value));
    const error = await failure(reportCommand(file, {}));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      `${file}: scenarios[0].histograms.txn is not an encoded HDR histogram (incorrect header check); the file was changed or damaged after run wrote it`,
    );
  });

  it("--out naming a file: one line naming --out (exit 2)", async () => {
    const file = join(dir, "good.json");
    writeFileSync(file, JSON.stringify(resultOf([writeScenario()])));
    const out = join(dir, "a-file");
    writeFileSync(out, "x");
    const error = await failure(reportCommand(file, { out }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`report folder ${out} is a file, not a folder; name a folder with --out`);
  });
});
