import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Result } from "../result/schema.js";
import { runCli, startTestServer, tempDir } from "../testing/servers.js";

const SMALL = [
  "--tables",
  "2",
  "--table-size",
  "500",
  "--connections",
  "4",
  "--warmup",
  "0",
  "--duration",
  "3s",
];

describe("run --baseline: the same scenarios on two targets, compared", () => {
  let a: Awaited<ReturnType<typeof startTestServer>>;
  let b: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestServer(), startTestServer()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("runs the baseline first, then the target, and writes both results and the comparison", async () => {
    const out = tempDir("rb-baseline-");
    const run = await runCli([
      "run",
      "aurora-read",
      ...SMALL,
      "--target",
      b.url,
      "--baseline",
      a.url,
      "--out",
      out,
    ]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const baseline = JSON.parse(readFileSync(join(out, "baseline", "result.json"), "utf8")) as Result;
    const target = JSON.parse(readFileSync(join(out, "target", "result.json"), "utf8")) as Result;
    expect(baseline.environment.target.url).toContain(`:${a.target.port}/`);
    expect(target.environment.target.url).toContain(`:${b.target.port}/`);
    const comparison = JSON.parse(readFileSync(join(out, "comparison.json"), "utf8")) as {
      pairs: { scenarios: { id: string; metrics: { metric: string; a: number; b: number }[] }[] }[];
    };
    const reads = comparison.pairs[0]?.scenarios
      .find((s) => s.id === "aurora-read")
      ?.metrics.find((m) => m.metric === "readsPerSec");
    // The comparison's figures are the two runs' own.
    expect(reads?.a).toBeCloseTo(baseline.scenarios[0]?.throughput.readsPerSec ?? -1, 6);
    expect(reads?.b).toBeCloseTo(target.scenarios[0]?.throughput.readsPerSec ?? -1, 6);
    expect(existsSync(join(out, "comparison.md"))).toBe(true);
    expect(run.stdout).toMatch(/aurora-read/);
    // Neither password reaches the files or the output.
    for (const text of [readFileSync(join(out, "comparison.json"), "utf8"), run.stdout, run.stderr]) {
      expect(text).not.toContain(a.target.password);
      expect(text).not.toContain(b.target.password);
    }
  }, 120_000);

  it("refuses replica-lag with --baseline and --baseline without --target (exit 2)", async () => {
    const lag = await runCli(["run", "aurora-claims", "--target", b.url, "--baseline", a.url]);
    expect(lag.exitCode).toBe(2);
    expect(lag.stderr).toMatch(/^error: --baseline: replica-lag needs replicas of each target/m);
    const alone = await runCli(["run", "aurora-read", "--baseline", a.url]);
    expect(alone.exitCode).toBe(2);
    expect(alone.stderr).toMatch(/^error: --baseline: give the target to compare with it too/m);
  }, 60_000);
});
