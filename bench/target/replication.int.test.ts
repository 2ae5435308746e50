import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReplicaTopology, replicationDialect, startReplicaTopology } from "../sandbox/topology.js";
import { processesMentioning, startTestServer, tempDir } from "../testing/servers.js";
import { TargetError } from "../util/errors.js";
import { openAdminConnection } from "./connection.js";
import { assertReplicating, checkReplication, serverReportedLag } from "./replication.js";
import type { TargetSpec } from "./url.js";

async function run(target: TargetSpec, sql: string): Promise<void> {
  const conn = await openAdminConnection(target, false);
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** The error assertReplicating throws, checked to be a one-line TargetError without a password. */
async function failure(primary: TargetSpec, replicas: TargetSpec[]): Promise<string> {
  const error = await assertReplicating(primary, replicas).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TargetError);
  const message = (error as Error).message;
  expect(message).not.toContain("\n");
  for (const target of [primary, ...replicas]) expect(message).not.toContain(target.password);
  return message;
}

async function until(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("replication checks against a real primary, 2 replicas and a standalone server", () => {
  const dir = tempDir("rb-replication-");
  let topology: ReplicaTopology;
  let standalone: Awaited<ReturnType<typeof startTestServer>>;
  let primary: TargetSpec;
  let replica1: TargetSpec;
  let replica2: TargetSpec;

  beforeAll(async () => {
    topology = await startReplicaTopology({
      dir,
      replicas: 2,
      sizing: { connections: 8, tables: 1, tableSize: 100 },
      log: () => {},
    });
    primary = topology.primary;
    [replica1, replica2] = topology.replicas.map((r) => r.target) as [TargetSpec, TargetSpec];
    // The same server_id as the topology's primary: server ids alone cannot tell them apart.
    standalone = await startTestServer({ connections: 8, extraArgs: ["--server-id=1"] });
  }, 90_000);

  afterAll(async () => {
    await topology?.stop();
    await standalone?.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    if (standalone) expect(await processesMentioning(standalone.dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("passes for the topology, and says what identified the source", async () => {
    const checks = await assertReplicating(primary, [replica1, replica2]);
    expect(checks.map((c) => c.replica)).toEqual([replica1.displayUrl, replica2.displayUrl]);
    for (const check of checks) {
      expect(check.channel).toMatchObject({ ioRunning: true, sqlRunning: true, sourcePort: primary.port });
      expect(check.checkedBy).toEqual(expect.arrayContaining(["server_id", "host:port"]));
    }
  });

  it("reads the status of a replica with its threads, source and GTID mode", async () => {
    const conn = await openAdminConnection(replica1, false);
    try {
      const [status] = await checkReplication(conn);
      expect(status).toMatchObject({
        channel: "",
        ioThread: "Yes",
        sqlThread: "Yes",
        sourceHost: "127.0.0.1",
        sourcePort: primary.port,
        sourceServerId: 1,
        lastIoError: "",
        lastSqlError: "",
      });
      expect(status?.gtid).toMatch(/^(Slave_Pos|1)$/);
      const lag = await serverReportedLag(conn);
      expect(lag.secondsBehindSource).toBe(0);
      expect(lag.aurora).toBeUndefined();
    } finally {
      await conn.end();
    }
  });

  it("a standalone server given as a replica is not a replica", async () => {
    const message = await failure(primary, [replica1, standalone.target]);
    expect(message).toBe(
      `${standalone.target.displayUrl} is not a replica: it reports no replication status`,
    );
  });

  it("a replica of another server: an equal server_id is not enough, the port on this machine tells", async () => {
    const message = await failure(standalone.target, [replica1]);
    expect(message).toContain(
      `${replica1.displayUrl} replicates from 127.0.0.1:${primary.port} (server_id 1)`,
    );
    expect(message).toContain(`not from ${standalone.target.displayUrl}`);
    expect(message).toMatch(/the primary listens on \d+/);
  });

  it("replication stopped on one replica fails naming that replica; its lag is then NULL", async () => {
    const dialect = replicationDialect(topology.settings.flavor, topology.settings.version);
    await run(replica2, dialect.stop);
    try {
      const message = await failure(primary, [replica1, replica2]);
      expect(message).toBe(
        `${replica2.displayUrl}: replication from ${primary.displayUrl} is stopped (IO thread No, SQL thread No; last error: none)`,
      );
      const conn = await openAdminConnection(replica2, false);
      try {
        expect((await serverReportedLag(conn)).secondsBehindSource).toBeNull();
      } finally {
        await conn.end();
      }
    } finally {
      await run(replica2, dialect.start);
    }
    await until(
      async () => (await assertReplicating(primary, [replica2]).catch(() => [])).length === 1,
      15_000,
    );
  });

  it("a replica whose SQL thread failed: the message carries the server's own error", async () => {
    // A row only the primary has (kept out of its binary log), then changed with logging on: the
    // replicas receive an update for a row they never got.
    const conn = await openAdminConnection(primary, false);
    try {
      await conn.query("CREATE TABLE sbtest.drift (id INT PRIMARY KEY, v INT)");
      await conn.query("SET SESSION sql_log_bin = 0");
      await conn.query("INSERT INTO sbtest.drift VALUES (1, 0)");
      await conn.query("SET SESSION sql_log_bin = 1");
      await conn.query("UPDATE sbtest.drift SET v = 1 WHERE id = 1");
    } finally {
      await conn.end();
    }
    let message = "";
    await until(async () => {
      message = await failure(primary, [replica1]).catch(() => "");
      return message !== "";
    }, 15_000);
    expect(message).toMatch(
      new RegExp(
        `^${replica1.displayUrl.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: replication .* is stopped \\(IO thread Yes, SQL thread No; last error: .*drift`,
      ),
    );
  });

  it("stopping the topology and the standalone server leaves no process", async () => {
    await topology.stop();
    await standalone.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    expect(await processesMentioning(standalone.dir)).toEqual([]);
  });
});
