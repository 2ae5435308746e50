import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultOf, writeScenario } from "../testing/results.js";
import { runCli } from "../testing/servers.js";

/**
 * Local file problems and duplicate names as the user sees them: one line, the right exit code,
 * nothing started. Runs the built CLI (`npm run build` first).
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-exit-codes-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const errorLines = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("error: "));

describe("the CLI's exit codes for local input and output", () => {
  it("run --out naming a file: exit 2, one line naming --out", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const run = await runCli(["run", "aurora-write", "--quick", "--out", file]);
    expect(run.exitCode).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `error: result folder ${file} is a file, not a folder; name a folder with --out`,
    ]);
    expect(run.stderr).not.toMatch(/EEXIST| {4}at /);
  });

  it("run --sandbox-dir naming a file, for any scenario (replica-lag, a Galera cluster): exit 2, one line naming --sandbox-dir", async () => {
    const file = join(dir, "not-a-folder");
    writeFileSync(file, "x");
    for (const args of [
      ["replica-lag", "--quick"],
      ["aurora-write", "--quick", "--engine", "galera"],
    ]) {
      const run = await runCli(["run", ...args, "--sandbox-dir", file]);
      expect(run.exitCode, run.stderr).toBe(2);
      const lines = errorLines(run.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/--sandbox-dir/);
      expect(run.stderr).not.toMatch(/ENOTDIR|EEXIST| {4}at /);
    }
  });

  it("run of a scenario file that is a YAML alias bomb: exit 2, one line naming the file", async () => {
    const file = join(dir, "bomb.yaml");
    writeFileSync(
      file,
      ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
        .concat(
          ["b", "c", "d", "e"].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${"abcd"[i]}`).join(", ")}]`),
        )
        .join("\n"),
    );
    const run = await runCli(["run", file]);
    expect(run.exitCode).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      `error: ${file}: too many aliases (its *references expand past 100 nodes, as a YAML alias bomb does); write the values out or use fewer aliases`,
    ]);
  });

  it("run naming a scenario twice: exit 2, one line", async () => {
    const run = await runCli(["run", "aurora-write", "aurora-write", "--quick", "--out", join(dir, "twice")]);
    expect(run.exitCode).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      "error: aurora-write: named twice; name each suite or scenario once",
    ]);
  });

  it("report on a result whose histograms are null: exit 2, one line naming the file and the field", async () => {
    const value = JSON.parse(JSON.stringify(resultOf([writeScenario()])));
    value.scenarios[0].histograms = null;
    const file = join(dir, "null-histograms.json");
    writeFileSync(file, JSON.stringify(value));
    const report = await runCli(["report", file]);
    expect(report.exitCode).toBe(2);
    expect(errorLines(report.stderr)).toEqual([
      `error: ${file}: not a complete reinvent-bench result (scenarios[0].histograms is missing or malformed)`,
    ]);
  });
});
