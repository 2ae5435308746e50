import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processesMentioning, readResultIn, runCli, tempDir } from "../testing/servers.js";

/** The built CLI (`npm run build` first) with --protocol binary, on a sandbox it starts. */

const SMALL = [
  "--tables",
  "2",
  "--table-size",
  "500",
  "--connections",
  "4",
  "--warmup",
  "1s",
  "--duration",
  "2s",
];

describe("run --protocol binary against the embedded sandbox", () => {
  const sandboxDir = tempDir("rb-sandbox-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("sends prepared statements, says so, and the server's counters agree, executions included", async () => {
    const out = tempDir("rb-out-");
    const run = await runCli(
      [
        "run",
        "aurora-write",
        "aurora-read",
        ...SMALL,
        "--protocol",
        "binary",
        "--sandbox-dir",
        sandboxDir,
        "--out",
        out,
      ],
      { timeoutMs: 200_000 },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(
      "aurora-read: 1 x 4 connections, 2 tables x 500 rows, warm-up 1 s, measured 2 s, binary protocol (prepared statements)",
    );
    const result = readResultIn(out);
    const report = readFileSync(join(out, "report.md"), "utf8");
    for (const scenario of result.scenarios) {
      expect(scenario.client?.protocol, scenario.id).toBe("binary");
      expect((scenario.config as { workload: { protocol?: string } }).workload.protocol).toBe("binary");
      expect(scenario.verdict.scaled).toContain(
        "prepared statements, binary protocol (claim: text protocol)",
      );
      const checks = scenario.serverCounters?.checks ?? [];
      expect(scenario.serverCounters?.ok, JSON.stringify(checks)).toBe(true);
      // Every statement of the workload was executed as a prepared statement, and counted in its kind too.
      const executions = checks.find((check) => check.counter === "Com_stmt_execute");
      const statements = scenario.counts.reads + scenario.counts.writes + scenario.counts.errors;
      expect(executions?.client, scenario.id).toBeGreaterThan(0);
      expect(executions?.server).toBe(executions?.client);
      expect(executions?.client).toBeGreaterThanOrEqual(
        statements - (scenario.errors.PROTOCOL_CONNECTION_LOST ?? 0),
      );
      for (const check of checks) expect(check.client, `${scenario.id} ${check.counter}`).toBe(check.server);
      // No connection was reopened, so nothing was prepared in the measured window.
      expect(scenario.latencyMs.prepare).toBeUndefined();
    }
    const [write, read] = result.scenarios;
    expect(read?.counts.reads).toBe(read?.serverCounters?.delta.Com_stmt_execute);
    expect(write?.counts.writes).toBeGreaterThan(0);
    expect(report).toMatch(
      /- \*\*Method\*\*: 1 x 4 connections, 2 tables x 500 rows, .*, binary protocol \(prepared statements\)/,
    );
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 300_000);

  it("refuses a statement the server cannot prepare before the load, in one line naming it", async () => {
    const dir = tempDir("rb-scenario-");
    const file = join(dir, "bad-prepare.yaml");
    writeFileSync(
      file,
      [
        "id: bad-prepare",
        "title: A statement the server cannot prepare",
        "dataset: { tables: 2, tableSize: 500 }",
        "workload:",
        "  distribution: uniform",
        "  protocol: binary",
        "  steps:",
        "    - statements:",
        '        - { name: fine, sql: "SELECT c FROM sbtest{table} WHERE id={id}" }',
        '        - { name: bad, sql: "SELECT nope FROM sbtest{table} WHERE id={id}" }',
        "load: { clients: 1, connectionsPerClient: 4, warmup: 1s, duration: 2s }",
        "",
      ].join("\n"),
    );
    const out = tempDir("rb-out-");
    const run = await runCli(["run", file, "--sandbox-dir", sandboxDir, "--out", out], {
      timeoutMs: 120_000,
    });
    expect(run.exitCode).toBe(3);
    const errors = run.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toEqual([
      "error: bad-prepare: the server cannot prepare statement bad (SELECT nope FROM sbtest1 WHERE id=?): Unknown column 'nope' in 'SELECT' (1054)",
    ]);
    // Before the load: no warm-up ran.
    expect(run.stderr).not.toMatch(/warmup/);
    expect(readResultIn(out).status).toBe("failed");
    expect(await processesMentioning(sandboxDir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 200_000);
});
