import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionOptions } from "../target/connection.js";
import type { TargetSpec } from "../target/url.js";
import { processesMentioning, tempDir } from "../testing/servers.js";
import { TargetError } from "../util/errors.js";
import { type GaleraCluster, startGaleraCluster, waitSynced } from "./galera.js";

const TINY = { connections: 8, tables: 1, tableSize: 100 };
const VISIBLE_WITHIN_MS = 10_000;
/** The others drop a killed node after evs.suspect_timeout (5 s); a few more for a loaded machine. */
const EVICTED_WITHIN_MS = 30_000;
const MIB = 1024 * 1024;

async function query(target: TargetSpec, sql: string, values: unknown[] = []): Promise<unknown[]> {
  const conn = await mysql.createConnection(connectionOptions(target, false));
  try {
    const [rows] = await conn.query(sql, values);
    return rows as unknown[];
  } finally {
    await conn.end();
  }
}

async function status(target: TargetSpec): Promise<Record<string, string>> {
  const rows = (await query(
    target,
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_cluster_state_uuid')",
  )) as { Variable_name: string; Value: string }[];
  return Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
}

/** Polls `check` on every target until it holds on all; throws after `withinMs`. Returns ms taken. */
async function untilAll(
  targets: TargetSpec[],
  check: (target: TargetSpec) => Promise<boolean>,
  withinMs: number,
  what: string,
): Promise<number> {
  const startMs = Date.now();
  for (;;) {
    const results = await Promise.all(targets.map((t) => check(t).catch(() => false)));
    if (results.every(Boolean)) return Date.now() - startMs;
    if (Date.now() - startMs > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rowVisible = (sql: string) => async (target: TargetSpec) => (await query(target, sql)).length > 0;

describe("galera cluster: 3 nodes", () => {
  const dir = tempDir("rb-galera-");
  const lines: string[] = [];
  let cluster: GaleraCluster;

  beforeAll(async () => {
    cluster = await startGaleraCluster({ dir, nodes: 3, sizing: TINY, log: (line) => lines.push(line) });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("every node Synced in one Primary component of 3 with the same cluster UUID; settings as asked", async () => {
    expect(cluster.nodes.map((n) => n.name)).toEqual(["node-1", "node-2", "node-3"]);
    for (const node of cluster.nodes) {
      const s = await status(node.target);
      expect(s).toEqual({
        wsrep_local_state_comment: "Synced",
        wsrep_cluster_size: "3",
        wsrep_cluster_status: "Primary",
        wsrep_cluster_state_uuid: cluster.clusterUuid,
      });
    }
    const ports = cluster.nodes.flatMap((n) => [n.target.port, n.gmcastPort, n.istPort, n.sstPort]);
    expect(new Set(ports).size).toBe(12);
    expect(cluster.settings).toMatchObject({
      provider: expect.stringMatching(/libgalera_smm\.so$/),
      providerVersion: expect.stringMatching(/^\d+\.\d+/),
      sstMethod: "mariabackup",
      version: expect.stringMatching(/MariaDB/),
      clusterSize: 3,
      // Small per node: 3 nodes and another test file's servers share 2 cores.
      bufferPoolBytes: 32 * MIB,
      flushLogAtTrxCommit: 1,
      applierThreads: 4,
      gcacheBytes: 128 * MIB,
      binlogFormat: "ROW",
      autoincLockMode: 2,
    });
    expect(cluster.startupMs).toBeGreaterThan(0);
    expect(cluster.startupMs).toBeLessThan(120_000);
  });

  it("a row written on node 1 is on nodes 2 and 3 within a bound", async () => {
    const [first, ...others] = cluster.nodes.map((n) => n.target) as [TargetSpec, ...TargetSpec[]];
    await query(first, "CREATE TABLE sbtest.galera_probe (id INT PRIMARY KEY, note VARCHAR(40))");
    await query(first, "INSERT INTO sbtest.galera_probe VALUES (1, 'from node 1')");
    const ms = await untilAll(
      others,
      rowVisible("SELECT note FROM sbtest.galera_probe WHERE id = 1"),
      VISIBLE_WITHIN_MS,
      "row 1 on nodes 2 and 3",
    );
    expect(ms).toBeLessThan(VISIBLE_WITHIN_MS);
  });

  it("kill(0): nodes 2 and 3 stay Primary and take a write; restart(0) rejoins by IST with that write", async () => {
    const [first, ...others] = cluster.nodes.map((n) => n.target) as [TargetSpec, ...TargetSpec[]];
    const firstPid = cluster.nodes[0]?.sandbox.pid as number;
    await cluster.kill(0);
    expect(() => process.kill(firstPid, 0)).toThrow();
    await untilAll(
      others,
      async (t) => {
        const s = await status(t);
        return (
          s.wsrep_cluster_size === "2" &&
          s.wsrep_cluster_status === "Primary" &&
          s.wsrep_local_state_comment === "Synced"
        );
      },
      EVICTED_WITHIN_MS,
      "nodes 2 and 3 in a Primary component of 2",
    );
    await query(
      others[0] as TargetSpec,
      "INSERT INTO sbtest.galera_probe VALUES (2, 'while node 1 was down')",
    );

    const logPath = join(dir, "node-1", "error.log");
    const logBefore = readFileSync(logPath, "utf8").length;
    const beforeMs = Date.now();
    const { readyEpochMs, syncedEpochMs } = await cluster.restart(0);
    const restartMs = Date.now() - beforeMs;
    expect(syncedEpochMs).toBeGreaterThanOrEqual(readyEpochMs);
    expect(restartMs).toBeLessThan(60_000);
    expect(cluster.nodes[0]?.sandbox.pid).not.toBe(firstPid);

    const s = await status(first);
    expect(s.wsrep_local_state_comment).toBe("Synced");
    expect(s.wsrep_cluster_state_uuid).toBe(cluster.clusterUuid);
    await untilAll(
      cluster.nodes.map((n) => n.target),
      async (t) => (await status(t)).wsrep_cluster_size === "3",
      VISIBLE_WITHIN_MS,
      "a cluster of 3 again",
    );
    expect(await query(first, "SELECT note FROM sbtest.galera_probe WHERE id = 2")).toEqual([
      { note: "while node 1 was down" },
    ]);
    // By IST from the others' gcache, not by a whole snapshot (SST): the recovered position did it.
    const restartLog = readFileSync(logPath, "utf8").slice(logBefore);
    expect(restartLog).toMatch(/IST received/);
    expect(restartLog).not.toMatch(/Proceeding with SST/);
    // And it took writes again, for everyone.
    await query(first, "INSERT INTO sbtest.galera_probe VALUES (3, 'after the restart')");
    await untilAll(
      others,
      rowVisible("SELECT note FROM sbtest.galera_probe WHERE id = 3"),
      VISIBLE_WITHIN_MS,
      "row 3 on nodes 2 and 3",
    );
    await waitSynced(first, "node-1", 1_000);
  }, 120_000);

  it("no password in server command lines or log lines", async () => {
    const secret = cluster.nodes[0]?.target.password as string;
    expect(secret.length).toBeGreaterThan(10);
    for (const node of cluster.nodes) expect(node.target.password).toBe(secret);
    const processes = await processesMentioning(dir);
    expect(processes.filter((p) => p.includes("mariadbd"))).toHaveLength(3);
    for (const line of [...processes, ...lines]) expect(line).not.toContain(secret);
  });

  it("waitSynced on a node that is not up fails in one line naming it", async () => {
    const gone = { ...(cluster.nodes[0]?.target as TargetSpec), port: 1 };
    const error = await waitSynced(gone, "node-9", 300).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as Error).message).toMatch(
      /^galera cluster: node-9 is not Synced after 0.3 s; last state: /,
    );
    expect((error as Error).message).not.toContain("\n");
  });

  it("stop(): every node stopped, no process left, twice is fine", async () => {
    await cluster.stop();
    await cluster.stop();
    expect(await processesMentioning(dir)).toEqual([]);
  }, 60_000);
});

describe("galera cluster: a start that fails", () => {
  const dir = tempDir("rb-galera-fail-");

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("a node that refuses its options: the nodes started are stopped, one-line TargetError naming it", async () => {
    const lines: string[] = [];
    const error = await startGaleraCluster({
      dir,
      nodes: 3,
      sizing: TINY,
      log: (line) => lines.push(line),
      nodeArgs: (index) => (index === 1 ? ["--wsrep-provider-options=no.such.option=1"] : []),
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(TargetError);
    const message = (error as Error).message;
    expect(message).toMatch(/^galera cluster: node-2: /);
    expect(message).toMatch(/no\.such\.option/);
    expect(message).not.toContain("\n");
    // node-1 was up before node-2 failed, and was stopped.
    expect(lines.some((l) => l.startsWith("node-1: sandbox: stopped"))).toBe(true);
    expect(lines.some((l) => l.startsWith("node-3:"))).toBe(false);
    expect(await processesMentioning(dir)).toEqual([]);
    // The copies of the template are gone, so the folder takes another start; the logs stay.
    expect(existsSync(join(dir, "node-1", "data"))).toBe(false);
    expect(existsSync(join(dir, "node-2", "error.log"))).toBe(true);
  }, 120_000);

  it("no provider library: a TargetError telling to install galera-4, nothing started", async () => {
    const error = await startGaleraCluster({
      dir,
      nodes: 3,
      sizing: TINY,
      log: () => {},
      providerPath: join(dir, "libgalera_smm.so"),
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as Error).message).toMatch(
      /no Galera provider at .*; install it .*apt-get install galera-4/,
    );
    expect(await processesMentioning(dir)).toEqual([]);
  });
});
