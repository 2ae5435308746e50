import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../sandbox/port.js";
import type { TargetInspection } from "../target/inspect.js";
import { readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";
import type { DoctorReport } from "./doctor.js";

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

describe("doctor and a run against a server with one thread per connection (as MySQL Community and RDS run)", () => {
  let server: TestServer;
  const weakPassword = "weak-Pa55word";
  beforeAll(async () => {
    server = await startTestServer({ extraArgs: ["--thread-handling=one-thread-per-connection"] });
    const conn = await mysql.createConnection(server.url);
    try {
      await conn.query("CREATE USER 'weak'@'127.0.0.1' IDENTIFIED BY ?", [weakPassword]);
      await conn.query("GRANT SELECT ON sbtest.* TO 'weak'@'127.0.0.1'");
    } finally {
      await conn.end();
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("shows the flavor and how it was decided, the role, the settings and the plan, without the password", async () => {
    const run = await runCli(["doctor", "--target", server.url]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^server: +mariadb 10\.\d+/m);
    expect(run.stdout).toMatch(/decided by: version '.*MariaDB.*' names MariaDB/);
    expect(run.stdout).toMatch(/^role: +standalone \(no binary log, not a replica\)$/m);
    expect(run.stdout).toMatch(/thread_handling = one-thread-per-connection/);
    expect(run.stdout).toMatch(/crash-recovery: +needs --crash-command/);
    expect(run.stdout).toMatch(/^ {2}\[ok\] +create and load the sbtest tables/m);
    expect(run.stdout).toMatch(/^verdict: usable$/m);
    expect(run.stdout + run.stderr).not.toContain(server.target.password);
  });

  it("--json gives the same facts as data", async () => {
    const run = await runCli(["doctor", "--target", server.url, "--json"]);
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report.inspection.flavor).toBe("mariadb");
    expect(report.inspection.privileges.checked).toBe(true);
    expect(report.inspection.settings.find((s) => s.name === "thread_handling")?.value).toBe(
      "one-thread-per-connection",
    );
    expect(report.problems).toEqual([]);
  });

  it("a user who cannot create the dataset: the missing privileges are named and the target refused (exit 3)", async () => {
    const url = `mysql://weak:${weakPassword}@127.0.0.1:${server.target.port}/sbtest`;
    const run = await runCli(["doctor", "--target", url]);
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(
      /^ {2}\[missing\] create and load the sbtest tables, run the load \(CREATE, DROP, INSERT, SELECT, UPDATE, DELETE\)/m,
    );
    expect(run.stdout).toMatch(/^ {2}\[missing\] read a replica's replication status/m);
    expect(run.stderr).toMatch(
      /^error: doctor: mysql:\/\/weak:\*\*\*@127\.0\.0\.1:\d+\/sbtest cannot be used: the user cannot create and load/m,
    );
    expect(run.stdout + run.stderr).not.toContain(weakPassword);
  });

  it("a run there records the same inspection in result.json, and the server's counters agree", async () => {
    const out = tempDir("rb-out-thread-per-conn-");
    const run = await runCli(
      ["run", "aurora-write", "--target", server.url, "--tables", "2", "--table-size", "500"].concat([
        "--connections",
        "8",
        "--warmup",
        "1s",
        "--duration",
        "2s",
        "--out",
        out,
      ]),
      { timeoutMs: 90_000 },
    );
    expect(run.exitCode).toBe(0);
    const target = readResultIn(out).environment.target;
    expect(target.flavorSource).toMatch(/names MariaDB/);
    const inspection = target.inspection as TargetInspection;
    expect(inspection.settings.find((s) => s.name === "thread_handling")?.value).toBe(
      "one-thread-per-connection",
    );
    expect(inspection.plan.counterCheck.available).toBe(true);
    expect(readResultIn(out).scenarios[0]?.serverCounters?.ok).toBe(true);
  }, 100_000);
});

describe("doctor: bad input and unusable targets", () => {
  it("a closed port: exit 3 naming the target, no stack", async () => {
    const port = await freePort();
    const run = await runCli(["doctor", "--target", `mysql://u:secret9@127.0.0.1:${port}/sbtest`]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(
      /^error: cannot connect to mysql:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/sbtest: .*ECONNREFUSED/m,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).not.toContain("secret9");
  });

  it("flags that do not fit: exit 2, one line", async () => {
    const cases: [string[], RegExp][] = [
      [["doctor", "--replica", "mysql://u:p@127.0.0.1:1/x"], /^error: --replica: give --target too$/],
      [
        ["doctor", "--engine", "postgres"],
        /^error: --engine: 'postgres' is not an engine; use mariadb or galera$/,
      ],
      [["doctor", "--replicas", "x"], /^error: --replicas: 'x' is not a replica count/],
      [
        ["doctor", "--target", "mysql://u:p@h/x", "--engine", "galera"],
        /^error: --engine: the sandbox's engine/,
      ],
    ];
    for (const [args, expected] of cases) {
      const run = await runCli(args);
      expect(run.exitCode, args.join(" ")).toBe(2);
      expect(run.stderr.trim()).toMatch(expected);
    }
  });

  it("a sandbox primary with a binlog replica: the replica accepted by its source's server_id", async () => {
    const run = await runCli(["doctor", "--replicas", "1", "--sandbox-dir", tempDir("rb-doctor-topology-")], {
      timeoutMs: 120_000,
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^role: +primary or standalone \(binary log on, not a replica\)$/m);
    expect(run.stdout).toMatch(/replica-lag catch-up: gtid/);
    expect(run.stdout).toMatch(
      /^ {2}\[ok\] +mysql:\/\/bench:\*\*\*@127\.0\.0\.1:\d+\/sbtest: binlog, checked by server_id/m,
    );
  }, 130_000);
});
