import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultJsonSchema } from "../result/json-schema.js";
import { freePort } from "../sandbox/port.js";
import {
  cliPath,
  processesMentioning,
  readResultIn,
  runCli,
  startTestServer,
  tempDir,
} from "../testing/servers.js";

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
/** SMALL without the named flags (and their values), for a test that gives them itself: a flag given twice is refused. */
const smallWithout = (...flags: string[]) =>
  SMALL.filter((arg, i) => !flags.includes(arg) && !flags.includes(SMALL[i - 1] ?? ""));
const validateResult = new Ajv({ strict: false }).compile(JSON.parse(resultJsonSchema()));

async function counters(url: string): Promise<Record<string, number>> {
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_begin','Com_commit','Com_rollback','Com_select','Com_insert','Com_delete','Com_update')",
    );
    return Object.fromEntries(
      (rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, Number(r.Value)]),
    );
  } finally {
    await conn.end();
  }
}

describe("run against the embedded sandbox", () => {
  const sandboxDir = tempDir("rb-sandbox-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("runs the suite's claims, matches the server's counters, then reuses the dataset and leaves no server behind", async () => {
    const out = tempDir("rb-out-");
    const first = await runCli(
      // 3 s measured: crash-recovery crashes the sandbox 1 s in (moved to fit, and said so).
      [
        "run",
        "aurora-claims",
        ...smallWithout("--duration"),
        "--duration",
        "3s",
        "--rates",
        "400",
        "--sandbox-dir",
        sandboxDir,
        "--out",
        out,
      ],
      { timeoutMs: 200_000 },
    );
    expect(first.stderr).not.toMatch(/^error:/m);
    expect(first.exitCode).toBe(0);
    const result = readResultIn(out);
    expect(validateResult(result), JSON.stringify(validateResult.errors)).toBe(true);
    expect(result.status).toBe("complete");
    expect(result.scenarios.map((s) => s.id)).toEqual([
      "aurora-write",
      "aurora-read",
      "crash-recovery",
      "replica-lag",
    ]);
    const [write, read, crash, lag] = result.scenarios;
    if (!write || !read || !crash || !lag) throw new Error("missing scenarios");
    // The sandbox was crashed and restarted twice under the load, and served the rest of the run.
    expect(
      crash.crashes?.map((c) => [c.cache, c.atMs >= 1000, c.downtimeMs !== null && c.downtimeMs > 0]),
    ).toEqual([
      ["warm", true, true],
      ["cold", true, true],
    ]);
    expect(crash.verdict.scaled.join(" ")).toMatch(/crash at 1s with 1s windows/);
    // The lag scenario ran on a primary and replica of its own, at the one rate asked for.
    expect(lag.replication?.source).toBe("sandbox");
    expect(lag.steps?.map((step) => step.targetRatePerSec)).toEqual([400]);
    expect(lag.steps?.[0]?.lagMs["replica-1"]?.samples).toBeGreaterThan(0);
    expect(lag.steps?.[0]?.serverCounters?.ok).toBe(true);
    expect(lag.claims?.find((c) => c.id === "lag-aurora")?.verdict.outcome).toBe("not-measured");

    // Every run leaves its report beside result.json; `report` renders the same from the file alone.
    const reportText = readFileSync(join(out, "report.md"), "utf8");
    expect(reportText).toContain("| aurora-write | 100,000 writes/s |");
    expect(reportText).toContain("![");
    for (const chart of [
      "claims",
      "throughput-aurora-write",
      "latency-aurora-read",
      "lag-by-rate-replica-lag",
    ]) {
      expect(existsSync(join(out, "charts", `${chart}.svg`)), chart).toBe(true);
      expect(existsSync(join(out, "charts", `${chart}.png`)), chart).toBe(true);
    }
    const reportDir = tempDir("rb-report-");
    const rendered = await runCli(["report", join(out, "result.json"), "--out", reportDir]);
    expect(rendered.exitCode).toBe(0);
    expect(readFileSync(join(reportDir, "report.md"), "utf8")).toBe(reportText);
    // A run compared with itself is within the noise, and passes a gate against itself.
    const compared = await runCli(["compare", out, out]);
    expect(compared.exitCode).toBe(0);
    expect(compared.stdout).toMatch(/inconclusive/);
    const gated = await runCli(["gate", out, "--baseline", out]);
    expect(gated.exitCode, gated.stdout + gated.stderr).toBe(0);

    // Counting rules, against the server's own counters read at the phase boundaries.
    expect(write.counts.writes).toBeGreaterThan(0);
    expect(write.counts.reads).toBe(0);
    expect(write.serverCounters?.ok).toBe(true);
    // Each statement kind the client sent and got an answer to equals the server's own counter, exactly.
    for (const scenario of [write, read]) {
      expect(scenario.serverCounters?.checks.length).toBeGreaterThan(0);
      for (const check of scenario.serverCounters?.checks ?? [])
        expect(check.client, check.counter).toBe(check.server);
    }
    const wd = write.serverCounters?.delta ?? {};
    const sentWrites = (wd.Com_insert ?? 0) + (wd.Com_update ?? 0) + (wd.Com_delete ?? 0);
    expect(write.counts.writes).toBeLessThanOrEqual(sentWrites);
    expect(write.counts.writes).toBeGreaterThanOrEqual(sentWrites - write.counts.errors);
    // Writes are the successful INSERT + UPDATE + DELETE statements; transactions are the commits.
    const l = write.latencyMs;
    expect(
      (l.update_index?.count ?? 0) +
        (l.update_non_index?.count ?? 0) +
        (l.delete?.count ?? 0) +
        (l.insert?.count ?? 0),
    ).toBe(write.counts.writes);
    expect(write.counts.txns).toBe(l.commit?.count);
    expect(write.counts.txns).toBe(l.txn?.count);
    expect(read.counts.reads).toBe(read.serverCounters?.delta.Com_select);
    expect(read.counts.reads).toBe(read.counts.txns * 10);
    expect(read.counts.writes).toBe(0);

    // Rates are counts over the measured span; intervals cover it second by second.
    expect(read.throughput.readsPerSec).toBeCloseTo(read.counts.reads / (read.measuredMs / 1000), 6);
    expect(read.intervals.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(read.histograms)).toContain("point_select");
    // A scaled-down run is never a reproduction; on a small shared machine it may also be client-bound.
    expect(["scaled", "client-bound"]).toContain(read.verdict.outcome);
    expect(read.verdict.text).toMatch(
      read.verdict.outcome === "scaled" ? /not a reproduction/ : /^Client-bound/,
    );
    expect(read.verdict.text).toMatch(/r3\.8xlarge/);
    // The generator's own health is there for every measured second; its share is over the scheduled
    // seconds (3 s here), not the drain after them.
    expect(read.generator?.intervals).toBe(Math.min(read.intervals.length, 3));
    for (const interval of read.intervals) {
      expect(interval.generator.utilizationMax).toBeGreaterThanOrEqual(0);
      expect(interval.generator.utilizationMax).toBeLessThanOrEqual(1);
    }
    expect(result.environment.target.sandbox?.settings["max-connections"]).toBeDefined();
    expect(read.client?.hotPath).toBe("lean");
    expect(result.environment.target.url).toMatch(/\*\*\*/);
    expect(first.stderr).toMatch(/dataset: loading 2 of 2 tables/);
    expect(await processesMentioning(sandboxDir)).toEqual([]);

    const out2 = tempDir("rb-out-");
    const second = await runCli(["run", "aurora-read", ...SMALL, "--sandbox-dir", sandboxDir, "--out", out2]);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toMatch(/dataset: reusing 2 tables x 500 rows/);
    const again = readResultIn(out2);
    expect(again.scenarios[0]?.dataset?.reusedTables).toBe(2);
    expect(again.scenarios[0]?.dataset?.loadedTables).toBe(0);
    expect(again.environment.target.sandbox?.reusedDatadir).toBe(true);
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 300_000);

  it("on SIGINT stops the load, writes an interrupted result, exits 130 and stops the sandbox", async () => {
    const out = tempDir("rb-out-");
    const { execa } = await import("execa");
    const child = execa(
      "node",
      [
        cliPath(),
        "run",
        "aurora-read",
        "--tables",
        "2",
        "--table-size",
        "500",
        "--connections",
        "4",
        "--warmup",
        "0s",
        "--duration",
        "60s",
        "--sandbox-dir",
        sandboxDir,
        "--out",
        out,
      ],
      { reject: false, timeout: 120_000 },
    );
    let stderr = "";
    const started = new Promise<void>((resolve) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("aurora-read: 1 x 4 connections") && stderr.includes("dataset:")) resolve();
      });
    });
    await started;
    await new Promise((r) => setTimeout(r, 3000));
    child.kill("SIGINT");
    const outcome = await child;
    expect(outcome.exitCode).toBe(130);
    const result = readResultIn(out);
    expect(result.status).toBe("interrupted");
    expect(result.scenarios[0]?.status).toBe("interrupted");
    expect(result.scenarios[0]?.counts.reads).toBeGreaterThan(0);
    expect(result.scenarios[0]?.measuredMs).toBeLessThan(30_000);
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 180_000);
});

describe("run against a given target", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ connections: 64 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("loads the dataset, measures, and keeps the password out of every output", async () => {
    const out = tempDir("rb-out-");
    const before = await counters(server.url);
    const run = await runCli(["run", "aurora-write", ...SMALL, "--target", server.url, "--out", out]);
    const after = await counters(server.url);
    expect(run.exitCode).toBe(0);
    const text = readFileSync(join(out, "result.json"), "utf8");
    for (const output of [run.stdout, run.stderr, text]) expect(output).not.toContain(server.target.password);
    const result = readResultIn(out);
    expect(result.environment.target.sandbox).toBeNull();
    expect(result.environment.target.flavor).toBe("mariadb");
    expect(result.environment.target.variables.innodb_flush_log_at_trx_commit).toBeDefined();
    const scenario = result.scenarios[0];
    if (!scenario) throw new Error("no scenario");
    // Independent truth: the server's counters over the whole command, read by this test.
    const warmupTxns = scenario.warmup?.counts.txns ?? 0;
    expect((after.Com_commit ?? 0) - (before.Com_commit ?? 0)).toBe(warmupTxns + scenario.counts.txns);
    const warmupRollbacks = scenario.warmup?.counts.rollbacks ?? 0;
    expect((after.Com_rollback ?? 0) - (before.Com_rollback ?? 0)).toBe(
      warmupRollbacks + scenario.counts.rollbacks,
    );
    const conn = await mysql.createConnection(server.url);
    try {
      const [rows] = await conn.query("SELECT COUNT(*) AS n FROM sbtest1");
      expect(Number((rows as { n: number }[])[0]?.n)).toBe(500);
    } finally {
      await conn.end();
    }
  }, 120_000);

  it("runs over mysql2's own query path too, with the same exact counts", async () => {
    const out = tempDir("rb-out-");
    const run = await runCli([
      "run",
      "aurora-read",
      ...SMALL,
      "--hot-path",
      "mysql2",
      "--target",
      server.url,
      "--out",
      out,
    ]);
    expect(run.exitCode).toBe(0);
    const scenario = readResultIn(out).scenarios[0];
    expect(scenario?.client?.hotPath).toBe("mysql2");
    expect(scenario?.counts.reads).toBeGreaterThan(0);
    for (const check of scenario?.serverCounters?.checks ?? [])
      expect(check.client, check.counter).toBe(check.server);
  }, 60_000);

  it("refuses a target whose max_connections is too low, with exit 3", async () => {
    const conn = await mysql.createConnection(server.url);
    await conn.query("SET GLOBAL max_connections = 20");
    try {
      const out = tempDir("rb-out-");
      const run = await runCli([
        "run",
        "aurora-read",
        ...smallWithout("--connections"),
        "--connections",
        "50",
        "--target",
        server.url,
        "--out",
        out,
      ]);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(/max_connections is 20 but this run needs 53 \(50 load \+ 3 control\)/);
      expect(run.stderr).not.toContain(server.target.password);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(readResultIn(out).status).toBe("failed");
    } finally {
      await conn.query("SET GLOBAL max_connections = 200");
      await conn.end();
    }
  }, 60_000);
});

describe("bad input", () => {
  it("an unknown scenario: exit 2, names it and the known ones", async () => {
    const run = await runCli(["run", "no-such-claim"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(
      /^error: unknown scenario or suite 'no-such-claim'; known: aurora-claims, sigmod-2017, aurora-faults, aurora-read, aurora-write, crash-recovery, replica-lag, sigmod-oltp-connections, sigmod-replica-lag, sigmod-write-size; or give a path to a \.yaml file$/,
    );
  });

  it("a malformed scenario file: exit 2, every problem with file and path", async () => {
    const dir = tempDir("rb-bad-");
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "id: bad\ntitle: Bad\ndataset: { tables: 0, tableSize: 10 }\nworkload:\n  distribution: zipf\n  steps:\n    - statements:\n        - { name: s, sql: 'SELECT {nope} FROM t' }\nload: { clients: 1, connectionsPerClient: 1, warmup: 1s, duration: soon }\n",
    );
    const run = await runCli(["run", file]);
    expect(run.exitCode).toBe(2);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/bad\.yaml: dataset\.tables: must be >= 1/),
        expect.stringMatching(/bad\.yaml: workload\.distribution: must be one of "uniform", "special"/),
        expect.stringMatching(/bad\.yaml: load\.duration: "soon" must match .*A duration/),
        expect.stringMatching(
          /bad\.yaml: workload\.steps\[0\]\.statements\[0\]\.sql: unknown placeholder \{nope\}/,
        ),
      ]),
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("a bad flag: exit 2 naming the flag", async () => {
    const run = await runCli(["run", "aurora-read", "--duration", "soon"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--duration: 'soon' must be a duration/);
  });

  it("an unreachable target: exit 3, password redacted everywhere, result kept", async () => {
    const port = await freePort();
    const out = tempDir("rb-out-");
    const run = await runCli([
      "run",
      "aurora-read",
      "--quick",
      "--target",
      `mysql://bench:Sup3rSecretPw@127.0.0.1:${port}/sbtest`,
      "--out",
      out,
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/cannot connect to mysql:\/\/bench:\*\*\*@127\.0\.0\.1/);
    expect(`${run.stdout}${run.stderr}`).not.toContain("Sup3rSecretPw");
    expect(existsSync(join(out, "result.json"))).toBe(true);
    const text = readFileSync(join(out, "result.json"), "utf8");
    expect(text).not.toContain("Sup3rSecretPw");
    expect(JSON.parse(text).status).toBe("failed");
  });
});
