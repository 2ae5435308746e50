import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionOptions } from "../target/connection.js";
import { assertReplicating } from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { processesMentioning, tempDir } from "../testing/servers.js";
import { runCleanups } from "../util/cleanup.js";
import { TargetError } from "../util/errors.js";
import { type ReplicaTopology, startReplicaTopology } from "./topology.js";

const TINY = { connections: 8, tables: 1, tableSize: 100 };
const VISIBLE_WITHIN_MS = 15_000;

async function query(target: TargetSpec, sql: string, values: unknown[] = []): Promise<unknown[]> {
  const conn = await mysql.createConnection(connectionOptions(target, false));
  try {
    const [rows] = await conn.query(sql, values);
    return rows as unknown[];
  } finally {
    await conn.end();
  }
}

/** Milliseconds until `sql` returns a row on every target; throws after `withinMs`. */
async function visibleOnAll(targets: TargetSpec[], sql: string, withinMs: number): Promise<number> {
  const startMs = Date.now();
  const pending = new Set(targets);
  while (pending.size > 0) {
    for (const target of [...pending]) {
      // A table whose CREATE has not reached the replica yet is as not visible as a missing row.
      const rows = await query(target, sql).catch((error: { errno?: number }) => {
        if (error.errno === 1146) return [];
        throw error;
      });
      if (rows.length > 0) pending.delete(target);
    }
    if (pending.size === 0) break;
    if (Date.now() - startMs > withinMs) {
      throw new Error(
        `not visible within ${withinMs} ms on ${[...pending].map((t) => t.displayUrl).join(", ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - startMs;
}

describe("replica topology: primary and 2 replicas", () => {
  const dir = tempDir("rb-topology-");
  const lines: string[] = [];
  let topology: ReplicaTopology;

  beforeAll(async () => {
    topology = await startReplicaTopology({
      dir,
      replicas: 2,
      sizing: TINY,
      log: (line) => lines.push(line),
    });
  }, 90_000);

  afterAll(async () => {
    await topology?.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("binary log on the primary (--log-bin after the sandbox's --skip-log-bin), GTID, distinct ids, read-only replicas", async () => {
    const s = topology.settings;
    expect(s.primary.logBin).toBe(true);
    expect(s.binlogFormat).toBe("ROW");
    expect(s.gtid).toBe(s.flavor === "mariadb" ? "mariadb-slave_pos" : "mysql-auto-position");
    expect(s.primary.serverId).toBe(1);
    expect([...s.replicas.serverIds].sort()).toEqual([2, 3]);
    expect(s.replicas.readOnly).toBe(true);
    expect(s.replicas.logBin).toBe(false);
    expect(s.parallelApplyThreads).toBe(4);
    expect(s.primary).toMatchObject({ syncBinlog: 1, flushLogAtTrxCommit: 1 });
    // Small per server: 16 of these must fit on one machine.
    expect(s.bufferPoolBytes).toBe(32 * 1024 * 1024);
    const [row] = (await query(topology.primary, "SELECT @@log_bin AS lb, @@server_id AS id")) as {
      lb: number;
      id: number;
    }[];
    expect(row).toEqual({ lb: 1, id: 1 });
    expect(topology.replicas.map((r) => r.name)).toEqual(["replica-1", "replica-2"]);
    for (const replica of topology.replicas) expect(replica.target.port).not.toBe(topology.primary.port);
  });

  it("a row written on the primary is visible on both replicas within a bounded time", async () => {
    await query(
      topology.primary,
      "CREATE TABLE sbtest.topology_probe (id INT PRIMARY KEY, note VARCHAR(40))",
    );
    await query(topology.primary, "INSERT INTO sbtest.topology_probe VALUES (1, 'from the primary')");
    const ms = await visibleOnAll(
      topology.replicas.map((r) => r.target),
      "SELECT note FROM sbtest.topology_probe WHERE id = 1",
      VISIBLE_WITHIN_MS,
    );
    expect(ms).toBeLessThan(VISIBLE_WITHIN_MS);
  });

  it("replicas refuse writes from the benchmark user with the read-only error", async () => {
    for (const replica of topology.replicas) {
      const error = await query(
        replica.target,
        "INSERT INTO sbtest.topology_probe VALUES (2, 'on a replica')",
      ).catch((e: unknown) => e as { errno?: number; message: string });
      expect((error as { errno?: number }).errno).toBe(1290);
      expect((error as Error).message).toMatch(/read-only|read_only/);
    }
  });

  it("no password in server command lines, log lines or the primary's binary log", async () => {
    const secret = topology.primary.password;
    expect(secret.length).toBeGreaterThan(10);
    const processes = await processesMentioning(dir);
    expect(processes).toHaveLength(3);
    for (const line of [...processes, ...lines]) expect(line).not.toContain(secret);
    const primaryDir = join(dir, "primary");
    const binlogs = readdirSync(primaryDir).filter((f) => /^binlog\.\d+$/.test(f));
    expect(binlogs).toHaveLength(1);
    for (const file of binlogs) expect(readFileSync(join(primaryDir, file)).includes(secret)).toBe(false);
  });

  it("started again in the same folder, replicas resume where they were", async () => {
    await topology.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    topology = await startReplicaTopology({ dir, replicas: 2, sizing: TINY, log: () => {} });
    await query(topology.primary, "INSERT INTO sbtest.topology_probe VALUES (3, 'after a restart')");
    await visibleOnAll(
      topology.replicas.map((r) => r.target),
      "SELECT note FROM sbtest.topology_probe WHERE id = 3",
      VISIBLE_WITHIN_MS,
    );
    const rows = await query(
      topology.replicas[1]?.target as TargetSpec,
      "SELECT id FROM sbtest.topology_probe",
    );
    expect(rows).toEqual([{ id: 1 }, { id: 3 }]);
  }, 60_000);

  it("refuses a folder holding only some of the servers, before starting any", async () => {
    const mixed = tempDir("rb-topology-mixed-");
    mkdirSync(join(mixed, "primary", "data", "mysql"), { recursive: true });
    try {
      const error = await startReplicaTopology({
        dir: mixed,
        replicas: 2,
        sizing: TINY,
        log: () => {},
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TargetError);
      expect((error as Error).message).toMatch(/not replica-1, replica-2; use an empty folder/);
      expect(await processesMentioning(mixed)).toEqual([]);
    } finally {
      rmSync(mixed, { recursive: true, force: true });
    }
  });

  it("stop() stops every server, replicas first, and leaves no process", async () => {
    await topology.stop();
    await topology.stop();
    expect(await processesMentioning(dir)).toEqual([]);
  });
});

describe("replica topology: 15 replicas, as in the claim", () => {
  const dir = tempDir("rb-topology-15-");
  let topology: ReplicaTopology | undefined;

  afterAll(async () => {
    await topology?.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("all 15 replicate a row from the primary; the cleanup registry stops all 16 servers", async () => {
    topology = await startReplicaTopology({
      dir,
      replicas: 15,
      sizing: TINY,
      log: () => {},
      settings: { parallelApplyThreads: 0 },
    });
    expect(new Set([topology.settings.primary.serverId, ...topology.settings.replicas.serverIds]).size).toBe(
      16,
    );
    expect(await processesMentioning(dir)).toHaveLength(16);
    await query(topology.primary, "CREATE TABLE sbtest.fifteen (id INT PRIMARY KEY)");
    await query(topology.primary, "INSERT INTO sbtest.fifteen VALUES (15)");
    const targets = topology.replicas.map((r) => r.target);
    await visibleOnAll(targets, "SELECT id FROM sbtest.fifteen WHERE id = 15", VISIBLE_WITHIN_MS);
    const checks = await assertReplicating(topology.primary, targets);
    expect(checks).toHaveLength(15);
    // What SIGINT, SIGTERM and a failed run go through.
    await runCleanups();
    expect(await processesMentioning(dir)).toEqual([]);
  }, 120_000);
});

describe("replica topology with binary logs on the replicas", () => {
  const dir = tempDir("rb-topology-binlog-");
  let topology: ReplicaTopology;

  beforeAll(async () => {
    topology = await startReplicaTopology({
      dir,
      replicas: 1,
      sizing: TINY,
      log: () => {},
      settings: { replicaBinlog: true },
    });
  }, 90_000);

  afterAll(async () => {
    await topology?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("the setup writes no transaction of the replica's own into its binary log (no errant GTID; MariaDB guards FLUSH RELAY LOGS itself, MySQL needs LOCAL)", async () => {
    const replica = (topology.replicas[0] as { target: TargetSpec }).target;
    const [row] = (await query(replica, "SELECT @@server_id AS id, @@gtid_binlog_state AS state")) as {
      id: number;
      state: string;
    }[];
    expect(topology.settings.replicas.logBin).toBe(true);
    // MariaDB GTIDs are domain-server_id-sequence: every one the replica logged must come from the primary.
    const servers = row?.state ? row.state.split(",").map((gtid) => Number(gtid.split("-")[1])) : [];
    expect(servers).not.toContain(row?.id);
  });
});
