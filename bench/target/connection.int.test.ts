import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../sandbox/port.js";
import { readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";
import { sleep } from "../util/timer.js";
import { connectionOptions, openAdminConnection } from "./connection.js";

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

async function killConnection(server: TestServer, threadId: number): Promise<void> {
  const conn = await mysql.createConnection(connectionOptions(server.target, false));
  try {
    await conn.query(`KILL ${threadId}`);
  } finally {
    await conn.end();
  }
}

describe("admin connections the server closes", () => {
  let server: TestServer;
  beforeAll(async () => {
    // wait_timeout 2 s: the server closes an idle connection as MySQL (ERR 4031) or a proxy would.
    server = await startTestServer({ extraArgs: ["--wait-timeout=2"] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("survive a KILL while idle (no unhandled 'error') and are reopened with their session settings", async () => {
    const conn = await openAdminConnection(server.target, false);
    try {
      await conn.query("SET SESSION sql_mode = 'ANSI_QUOTES'");
      const first = conn.threadId as number;
      expect(first).toBeGreaterThan(0);
      await killConnection(server, first);
      // The loss reaches the idle connection as an 'error' event; unhandled, it would end the process.
      await sleep(300);
      expect(conn.lostReason).toBeDefined();
      const [rows] = await conn.query("SELECT CONNECTION_ID() AS id, @@SESSION.sql_mode AS mode");
      const row = (rows as { id: number; mode: string }[])[0];
      expect(row?.id).not.toBe(first);
      expect(row?.mode).toBe("ANSI_QUOTES");
      expect(conn.reopened).toBe(1);
    } finally {
      await conn.end();
    }
  });

  it("run their afterReopen check before the statement that needed the reopen; a refusal fails it and the next reopens again", async () => {
    let refuse = true;
    const checked: number[] = [];
    const conn = await openAdminConnection(server.target, false, async (reopened) => {
      const [rows] = await reopened.query("SELECT CONNECTION_ID() AS id");
      checked.push((rows as { id: number }[])[0]?.id as number);
      if (refuse) throw new Error("reached another server");
    });
    try {
      await killConnection(server, conn.threadId as number);
      await sleep(300);
      await expect(conn.query("SELECT 1")).rejects.toThrow("reached another server");
      expect(conn.lostReason).toBe("reached another server");
      refuse = false;
      const [rows] = await conn.query("SELECT CONNECTION_ID() AS id");
      // Two reopens, each checked; the statement ran on the second, the one the check passed.
      expect(checked).toHaveLength(2);
      expect((rows as { id: number }[])[0]?.id).toBe(checked[1]);
      expect(conn.reopened).toBe(2);
    } finally {
      await conn.end();
    }
  });

  it("survive the server's idle timeout", async () => {
    const conn = await openAdminConnection(server.target, false);
    try {
      await sleep(3500);
      const [rows] = await conn.query("SELECT 1 AS one");
      expect((rows as { one: number }[])[0]?.one).toBe(1);
      expect(conn.reopened).toBe(1);
    } finally {
      await conn.end();
    }
  }, 15_000);

  it("a run whose control connection idles past wait_timeout still reads the counters and agrees with them", async () => {
    const out = tempDir("rb-out-idle-");
    const run = await runCli(
      [
        "run",
        "aurora-write",
        "--target",
        server.url,
        "--tables",
        "2",
        "--table-size",
        "500",
        "--connections",
        "4",
        // The control connection is idle through the warm-up: longer than wait_timeout.
        "--warmup",
        "3s",
        "--duration",
        "2s",
        "--out",
        out,
      ],
      { timeoutMs: 90_000 },
    );
    expect(run.stderr).not.toMatch(/Unhandled|at .*\.js:\d+/);
    expect(run.exitCode).toBe(0);
    const scenario = readResultIn(out).scenarios[0];
    expect(scenario?.serverCounters?.ok).toBe(true);
    expect(scenario?.serverCounters?.checks.find((c) => c.counter === "Com_commit")?.server).toBeGreaterThan(
      0,
    );
  }, 100_000);
});

describe("a target URL with several hosts", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("skips a host that refuses connections: the load and the control connection go to the next", async () => {
    const closedPort = await freePort();
    const { user, password, port } = server.target;
    const url = `mysql://${user}:${encodeURIComponent(password)}@127.0.0.1:${closedPort},127.0.0.1:${port}/sbtest`;
    const out = tempDir("rb-out-failover-");
    const run = await runCli(
      [
        "run",
        "aurora-write",
        "--target",
        url,
        "--tables",
        "2",
        "--table-size",
        "500",
        "--connections",
        "4",
      ].concat(["--warmup", "1s", "--duration", "2s", "--out", out]),
      { timeoutMs: 90_000 },
    );
    expect(run.exitCode).toBe(0);
    expect(run.stderr).not.toContain(password);
    const result = readResultIn(out);
    expect(result.environment.target.url).toBe(
      `mysql://${user}:***@127.0.0.1:${closedPort},127.0.0.1:${port}/sbtest`,
    );
    const scenario = result.scenarios[0];
    // Every statement reached the second host: its counters hold all of them. A deadlock (1213) is
    // the server's answer to 16 writers on 1,000 rows, not a connection that went astray.
    const { "1213": deadlocks = 0, ...others } = scenario?.errors ?? {};
    expect(others).toEqual({});
    expect(scenario?.counts.errors).toBe(deadlocks);
    expect(scenario?.serverCounters?.ok).toBe(true);
    expect(scenario?.counts.txns).toBeGreaterThan(0);
  }, 100_000);
});
