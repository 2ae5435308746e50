import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";

/** A small point-select scenario; `sql` and `thresholds` vary per test. */
function scenarioFile(id: string, sql: string, thresholds: string[] = []): string {
  const file = join(tempDir("rb-scenario-"), `${id}.yaml`);
  const lines = [
    `id: ${id}`,
    `title: "${id}"`,
    "dataset: { tables: 2, tableSize: 500 }",
    "workload:",
    "  transaction: true",
    "  distribution: uniform",
    "  steps:",
    "    - statements:",
    `        - { name: point_select, sql: "${sql}" }`,
    "load: { clients: 1, connectionsPerClient: 4, warmup: 1s, duration: 2s }",
    ...(thresholds.length > 0 ? ["thresholds:", ...thresholds.map((t) => `  - "${t}"`)] : []),
  ];
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

describe("run's own verdict on thresholds and errors", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("a failed threshold fails the run with exit 1, after writing the result and the report", async () => {
    const out = tempDir("rb-out-thresholds-");
    const file = scenarioFile("gated", "SELECT c FROM sbtest{table} WHERE id={id}", [
      "errors < 5%",
      "readsPerSec > 1000000000",
    ]);
    const run = await runCli(["run", file, "--target", server.url, "--out", out], { timeoutMs: 90_000 });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/readsPerSec/);
    expect(run.stdout).toMatch(/fail/i);
    expect(run.stderr).toMatch(/thresholds: at least one failed \(exit 1\)/);
    expect(readResultIn(out).status).toBe("complete");
    expect(existsSync(join(out, "report.md"))).toBe(true);
    // gate on the same result agrees.
    const gate = await runCli(["gate", join(out, "result.json")]);
    expect(gate.exitCode).toBe(1);
  }, 100_000);

  it("thresholds that pass: their table is printed and the run exits 0", async () => {
    const out = tempDir("rb-out-thresholds-");
    const file = scenarioFile("gated-ok", "SELECT c FROM sbtest{table} WHERE id={id}", ["errors < 5%"]);
    const run = await runCli(["run", file, "--target", server.url, "--out", out], { timeoutMs: 90_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/errors/);
  }, 100_000);

  it("every transaction failing is a failed scenario, exit 3, the codes named, the client not blamed", async () => {
    const out = tempDir("rb-out-errors-");
    const file = scenarioFile("missing-table", "SELECT c FROM no_such_table{table} WHERE id={id}");
    const run = await runCli(["run", file, "--target", server.url, "--out", out], { timeoutMs: 90_000 });
    expect(run.exitCode, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /^error: missing-table: 100\.0% of the transactions failed \(1146 x [\d,]+\)/m,
    );
    const result = readResultIn(out);
    expect(result.status).toBe("failed");
    const scenario = result.scenarios[0];
    expect(scenario?.status).toBe("failed");
    expect(scenario?.verdict.outcome).toBe("incomplete");
    expect(scenario?.verdict.text).not.toMatch(/client-bound/i);
    expect(scenario?.errors["1146"]).toBeGreaterThan(0);
  }, 100_000);

  it("--max-errors sets the bound: 100% lets the same scenario finish (its errors counted), a bad value is exit 2", async () => {
    const out = tempDir("rb-out-errors-");
    const file = scenarioFile("missing-table-allowed", "SELECT c FROM no_such_table{table} WHERE id={id}");
    const run = await runCli(["run", file, "--target", server.url, "--max-errors", "100%", "--out", out], {
      timeoutMs: 90_000,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readResultIn(out).scenarios[0]?.errors["1146"]).toBeGreaterThan(0);
    const bad = await runCli(["run", file, "--target", server.url, "--max-errors", "2"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toBe(
      "error: --max-errors: '2' is not a share; give a percentage such as 10% or a fraction from 0 to 1",
    );
  }, 100_000);
});
