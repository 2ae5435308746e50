import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEARTBEAT_TABLE } from "../probe/lag.js";
import { resultJsonSchema } from "../result/json-schema.js";
import type { Result } from "../result/schema.js";
import { type ReplicaTopology, startReplicaTopology } from "../sandbox/topology.js";
import type { TargetSpec } from "../target/url.js";
import { processesMentioning, runCli, startTestServer, tempDir } from "../testing/servers.js";

const validateResult = new Ajv({ strict: false }).compile(JSON.parse(resultJsonSchema()));
const SMALL = [
  "--tables",
  "1",
  "--table-size",
  "1000",
  "--connections",
  "4",
  "--warmup",
  "0",
  "--duration",
  "2s",
];

const urlOf = (t: TargetSpec) => `mysql://${t.user}:${t.password}@127.0.0.1:${t.port}/${t.database}`;

function readResult(dir: string): { result: Result; text: string } {
  const text = readFileSync(join(dir, "result.json"), "utf8");
  return { result: JSON.parse(text) as Result, text };
}

describe("replica-lag on the sandbox", () => {
  const sandboxDir = tempDir("rb-lag-sandbox-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("--quick: a primary and a replica of its own, both steps, lag per replica, and no server left", async () => {
    const out = tempDir("rb-lag-out-");
    const run = await runCli(["run", "replica-lag", "--quick", "--sandbox-dir", sandboxDir, "--out", out], {
      timeoutMs: 150_000,
    });
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const { result, text } = readResult(out);
    expect(validateResult(result), JSON.stringify(validateResult.errors)).toBe(true);
    const lag = result.scenarios[0];
    if (!lag?.steps || !lag.claims) throw new Error("no steps or claims");
    expect(lag.replication?.source).toBe("sandbox");
    // Without --lag-method: auto, which waits for GTIDs on the sandbox's GTID replicas.
    expect(lag.replication?.lagMethod).toBe("auto");
    expect(lag.steps.map((s) => s.targetRatePerSec)).toEqual([500, 2000]);
    for (const step of lag.steps) {
      // Every op of the window was scheduled once; what was sent was timed from its intended start.
      expect(step.scheduled).toBe(step.started + step.dropped + step.discarded);
      expect(step.latencyMs.update?.count).toBe(step.counts.writes);
      expect(step.serviceTimeMs.update?.count).toBe(step.counts.writes);
      expect(step.sendLatenessMs?.count).toBe(step.started);
      // Latency from the intended start is never below the service time of the same op.
      expect(step.latencyMs.update?.p50 ?? 0).toBeGreaterThanOrEqual(
        (step.serviceTimeMs.update?.p50 ?? 0) * 0.99,
      );
      expect(step.lagMs["replica-1"]?.samples).toBeGreaterThan(0);
      expect(step.lag?.replicas[0]?.resolutionMs).toBeGreaterThan(0);
      expect(step.lag?.replicas.map((r) => r.method)).toEqual(["gtid-wait"]);
      expect(step.lag?.replicas[0]?.serverReported.length).toBeGreaterThan(0);
      // The server's Com_update, less the probe's heartbeats, equals the updates the client sent.
      expect(step.serverCounters?.ok).toBe(true);
      expect(step.intervals.length).toBeGreaterThanOrEqual(4);
    }
    expect(lag.claims.find((c) => c.id === "lag-mysql")?.measured?.stepRatePerSec).toBe(2000);
    expect(lag.claims.find((c) => c.id === "lag-aurora")?.verdict.outcome).toBe("not-measured");
    expect(run.stdout).toMatch(/replica-lag lag-mysql/);
    expect(run.stderr).toMatch(/│ replica-1 │.*│ gtid-wait │/);
    expect(text).not.toContain(lag.replication?.primary.replace("***", "") ?? "never");
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 170_000);
});

describe("replica-lag on given servers", () => {
  const dir = tempDir("rb-lag-given-");
  let topology: ReplicaTopology;
  let standalone: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    topology = await startReplicaTopology({
      dir,
      replicas: 1,
      sizing: { connections: 32, tables: 1, tableSize: 1000 },
      log: () => {},
    });
    standalone = await startTestServer();
  }, 120_000);

  afterAll(async () => {
    await topology?.stop();
    await standalone?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const primaryUrl = () => urlOf(topology.primary);
  const replicaUrl = () => urlOf((topology.replicas[0] as { target: TargetSpec }).target);

  it("checks replication, measures lag on each --replica at the --rates given by the --lag-method asked, and keeps passwords out", async () => {
    const out = tempDir("rb-lag-out-");
    const run = await runCli([
      "run",
      "replica-lag",
      "--target",
      primaryUrl(),
      "--replica",
      replicaUrl(),
      "--rates",
      "300",
      "--lag-method",
      "poll",
      ...SMALL,
      "--out",
      out,
    ]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const { result, text } = readResult(out);
    const lag = result.scenarios[0];
    expect(lag?.replication?.source).toBe("given");
    expect(lag?.replication?.replicas).toEqual([{ name: "replica-1", url: expect.stringContaining("***") }]);
    const step = lag?.steps?.[0];
    // The server kept up: all 600 ops of the 2 s window ran, at the rate asked for.
    expect(step?.scheduled).toBe(600);
    expect(step?.dropped).toBe(0);
    expect(step?.counts.writes).toBe(600);
    expect(step?.sustained).toBe(true);
    expect(step?.achievedRatePerSec).toBeGreaterThan(300 * 0.95);
    expect(step?.achievedRatePerSec).toBeLessThanOrEqual(300);
    expect(step?.lagMs["replica-1"]?.samples).toBeGreaterThan(0);
    expect(step?.caughtUpBy).toBe("gtid");
    expect(step?.lag?.replicas[0]?.server).toMatch(/^server_id 2 on /);
    // A replica that could wait for GTIDs is polled all the same: poll was asked for.
    expect(lag?.replication?.lagMethod).toBe("poll");
    expect(lag?.steps?.flatMap((s) => s.lag?.replicas.map((r) => r.method) ?? [])).toEqual(["poll"]);
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain("Lag timed by --lag-method poll.");
    expect(text).not.toContain(topology.primary.password);
    expect(run.stdout + run.stderr).not.toContain(topology.primary.password);
  }, 120_000);

  it("catches a replica with GTIDs off up by the primary's binary log position", async () => {
    const conn = await mysql.createConnection(replicaUrl());
    try {
      await conn.query("STOP SLAVE");
      await conn.query("CHANGE MASTER TO MASTER_USE_GTID = no");
      await conn.query("START SLAVE");
      const out = tempDir("rb-lag-out-");
      const run = await runCli([
        "run",
        "replica-lag",
        "--target",
        primaryUrl(),
        "--replica",
        replicaUrl(),
        "--rates",
        "300,300",
        ...SMALL,
        "--out",
        out,
      ]);
      expect(run.stderr).not.toMatch(/^error:/m);
      expect(run.exitCode).toBe(0);
      const { result } = readResult(out);
      const lag = result.scenarios[0];
      const settings = lag?.replication?.settings as { channel: { gtid: string } }[];
      expect(settings[0]?.channel.gtid).toBe("No");
      // Both steps were preceded by a checked catch-up, by position, not by an empty GTID set.
      expect(lag?.steps?.map((s) => s.caughtUpBy)).toEqual(["binlog-position", "binlog-position"]);
      expect(lag?.steps?.[1]?.lagMs["replica-1"]?.samples).toBeGreaterThan(0);
      // auto polls it, and says why; asked to wait for GTIDs, the run is refused before any step.
      expect(lag?.steps?.[1]?.lag?.replicas[0]?.method).toBe("poll");
      expect(lag?.steps?.[1]?.lag?.replicas[0]?.methodReason).toMatch(/follows by file and position/);
      const forced = await runCli([
        "run",
        "replica-lag",
        "--target",
        primaryUrl(),
        "--replica",
        replicaUrl(),
        "--rates",
        "300",
        "--lag-method",
        "gtid-wait",
        ...SMALL,
        "--out",
        tempDir("rb-lag-out-"),
      ]);
      expect(forced.exitCode).toBe(3);
      expect(forced.stderr).toMatch(
        /^error: lag probe: replica-1 \(mysql:\/\/bench:\*\*\*@[^)]*\) cannot time heartbeats by GTID wait, which was asked for: its channel follows by file and position \(Using_Gtid No\); --lag-method auto or poll times such a replica by reading the heartbeat row$/m,
      );
      expect(forced.stderr).not.toMatch(/^step /m);
    } finally {
      await conn.query("STOP SLAVE");
      await conn.query("CHANGE MASTER TO MASTER_USE_GTID = slave_pos");
      await conn.query("START SLAVE");
      await conn.end();
    }
  }, 120_000);

  it("every connection killed by the servers mid-run: the run ends with its figures or the reason, never a crash", async () => {
    const out = tempDir("rb-lag-out-");
    const killers = await Promise.all([primaryUrl(), replicaUrl()].map((url) => mysql.createConnection(url)));
    let killed = 0;
    let running = true;
    // The probe creates its heartbeat table as the measured step begins: its appearance starts
    // the killing (a kill during the dataset load would only end the run there).
    await killers[0]?.query(`DROP TABLE IF EXISTS sbtest.${HEARTBEAT_TABLE}`);
    const stepBegun = async (deadlineMs: number) => {
      while (running && Date.now() < deadlineMs) {
        const [rows] = await (killers[0] as mysql.Connection).query(
          "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sbtest' AND TABLE_NAME = ?",
          [HEARTBEAT_TABLE],
        );
        if ((rows as unknown[]).length > 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const logTail = (server: number) => {
      try {
        const log = readFileSync(join(dir, server === 0 ? "primary" : "replica-1", "error.log"), "utf8");
        return log.split("\n").slice(-25).join("\n");
      } catch (error) {
        return String(error);
      }
    };
    // Then kills every other connection of the benchmark user on both servers, every 700 ms until
    // the run ends: control, counter, probe and load connections alike.
    const killing = (async () => {
      const deadline = Date.now() + 60_000;
      await stepBegun(deadline);
      while (running && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 700));
        for (const [i, conn] of killers.entries()) {
          const [rows] = await conn
            .query(
              "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'bench' AND ID <> CONNECTION_ID() AND COMMAND <> 'Binlog Dump'",
            )
            .catch((error: unknown) => {
              // A server gone mid-test: its own log says why.
              throw new Error(
                `${i === 0 ? "primary" : "replica-1"} unreachable (${String(error)}); its log ends:\n${logTail(i)}`,
              );
            });
          for (const { ID } of rows as { ID: number }[]) {
            await conn.query(`KILL ${ID}`).catch(() => undefined);
            killed += 1;
          }
        }
      }
    })();
    // Its failure is reported where it is awaited, not as an unhandled rejection before that.
    killing.catch(() => undefined);
    try {
      const run = await runCli(
        ["run", "replica-lag", "--target", primaryUrl(), "--replica", replicaUrl(), "--rates", "200"]
          .concat(["--tables", "1", "--table-size", "1000", "--connections", "4", "--warmup", "1s"])
          // Reads every millisecond, which the kills interrupt mid-statement; GTID waits cut off by
          // the probe's own stop are lag-wait.int.test.ts's.
          .concat(["--duration", "4s", "--lag-method", "poll", "--out", out]),
        { timeoutMs: 90_000 },
      );
      running = false;
      await killing;
      process.stdout.write(
        `KILLTEST exit ${run.exitCode} killed ${killed}\n${run.stderr.split("\n").slice(-12).join("\n")}\n`,
      );
      expect(killed).toBeGreaterThan(4);
      expect(run.stderr).not.toMatch(/\n\s+at |Unhandled|ERR_UNHANDLED/);
      expect([0, 3]).toContain(run.exitCode);
      const { result } = readResult(out);
      if (run.exitCode === 3) {
        expect(result.status).toBe("failed");
        expect(run.stderr).toMatch(/^error: .+/m);
      } else {
        expect(result.status).toBe("complete");
        // Lost connections were reopened and the step still measured.
        const scenario = result.scenarios[0];
        const step = scenario?.steps?.[0];
        expect(step?.counts.writes).toBeGreaterThan(0);
        // The probe lost connections too (mid-read, or idle and reopened at its next read), and the
        // result says so instead of showing the lag as if nothing had happened.
        const probe = step?.lag;
        const interrupted =
          (probe?.heartbeatErrors.length ?? 0) > 0 ||
          (probe?.replicas[0]?.errors.length ?? 0) > 0 ||
          (probe?.replicas[0]?.reconnects ?? 0) > 0;
        expect(interrupted).toBe(true);
        expect(scenario?.verdict.warnings.join(" ")).toMatch(/heartbeats stopped|lag probe on replica-1/);
      }
    } finally {
      running = false;
      await killing.catch(() => undefined);
      await Promise.all(killers.map((c) => c.end()));
    }
  }, 120_000);

  it("refuses a server that is not a replica, naming it (exit 3)", async () => {
    const run = await runCli([
      "run",
      "replica-lag",
      "--target",
      primaryUrl(),
      "--replica",
      standalone.url,
      ...SMALL,
      "--out",
      tempDir("rb-lag-out-"),
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/^error: mysql:\/\/bench:\*\*\*@127\.0\.0\.1:\d+\/sbtest is not a replica/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("refuses a replica whose replication is stopped (exit 3)", async () => {
    const conn = await mysql.createConnection(replicaUrl());
    try {
      await conn.query("STOP SLAVE");
      const run = await runCli([
        "run",
        "replica-lag",
        "--target",
        primaryUrl(),
        "--replica",
        replicaUrl(),
        ...SMALL,
        "--out",
        tempDir("rb-lag-out-"),
      ]);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(/replication from .* is stopped \(IO thread No, SQL thread No/);
    } finally {
      await conn.query("START SLAVE");
      await conn.end();
    }
  }, 60_000);

  it("runs a fixed-rate scenario without replication on the one server, with no probe", async () => {
    const file = join(tempDir("rb-fixed-"), "fixed-rate.yaml");
    writeFileSync(
      file,
      [
        "id: fixed-rate-update",
        "title: Index updates at fixed rates",
        "dataset: { tables: 1, tableSize: 1000 }",
        "workload:",
        "  transaction: false",
        "  distribution: uniform",
        "  steps:",
        '    - statements: [{ name: update, sql: "UPDATE sbtest{table} SET k=k+1 WHERE id={id}" }]',
        "load: { clients: 1, connectionsPerClient: 4, warmup: 0s, duration: 2s, rates: [150, 250] }",
        "",
      ].join("\n"),
    );
    const out = tempDir("rb-lag-out-");
    const run = await runCli(["run", file, "--target", standalone.url, "--out", out]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const { result } = readResult(out);
    expect(validateResult(result), JSON.stringify(validateResult.errors)).toBe(true);
    const scenario = result.scenarios[0];
    expect(scenario?.replication).toBeUndefined();
    expect(scenario?.claims).toBeUndefined();
    expect(scenario?.steps?.map((s) => [s.targetRatePerSec, s.scheduled, s.counts.writes])).toEqual([
      [150, 300, 300],
      [250, 500, 500],
    ]);
    expect(scenario?.steps?.every((s) => s.lag === null && Object.keys(s.lagMs).length === 0)).toBe(true);
    expect(scenario?.steps?.[1]?.serverCounters?.ok).toBe(true);
  }, 60_000);

  it("needs --replica with --target, and refuses bad rates before connecting (exit 2)", async () => {
    const without = await runCli(["run", "replica-lag", "--target", primaryUrl()]);
    expect(without.exitCode).toBe(2);
    expect(without.stderr).toMatch(
      /^error: replica-lag: with --target, name the target's replicas with --replica URL/m,
    );
    for (const rates of ["0", "fast"]) {
      const bad = await runCli(["run", "replica-lag", "--rates", rates]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr.trim()).toBe(
        `error: --rates: '${rates}' is not a rate; give updates per second above 0 and up to 10,000,000, separated by commas, such as 2000,13800`,
      );
    }
    const closed = await runCli(["run", "aurora-read", "--rates", "1000"]);
    expect(closed.exitCode).toBe(2);
    expect(closed.stderr).toMatch(/^error: --rates: none of aurora-read runs at fixed rates/m);
  }, 60_000);
});
