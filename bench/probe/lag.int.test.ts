import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHistogram } from "../metrics/histogram.js";
import { type ReplicaTopology, startReplicaTopology } from "../sandbox/topology.js";
import { connectionOptions } from "../target/connection.js";
import type { TargetSpec } from "../target/url.js";
import { processesMentioning, tempDir } from "../testing/servers.js";
import { sleep } from "../util/timer.js";
import { type LagProbeReplica, type LagProbeResult, type ReplicaLagResult, startLagProbe } from "./lag.js";

const TINY = { connections: 8, tables: 1, tableSize: 100 };
/**
 * Reads 10x coarser than the default in the held-back test: the backlog a replica applies at once
 * on release then shows up in a read or two, so taking a lag from the ack of the heartbeat shown
 * instead of each heartbeat's own would make the lags small, and fail. (At 1 ms reads the backlog
 * shows a few heartbeats at a time, and that mistake would be off by only 10-20 ms.)
 */
const COARSE_POLL_MS = 100;

/** Sockets and timers this process holds, by kind. */
function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Waits (briefly: a closed socket leaves the list on its next tick) for no more handles than before. */
async function noExtraHandles(before: Record<string, number>): Promise<Record<string, number>> {
  let extra: Record<string, number> = {};
  for (let i = 0; i < 20; i++) {
    const now = handleCounts();
    extra = Object.fromEntries(
      Object.entries(now).filter(
        ([kind, n]) => (kind === "TCPSocketWrap" || kind === "Timeout") && n > (before[kind] ?? 0),
      ),
    );
    if (Object.keys(extra).length === 0) break;
    await sleep(50);
  }
  return extra;
}

function replica(result: LagProbeResult, name: string): ReplicaLagResult {
  const found = result.replicas.find((r) => r.name === name);
  if (!found) throw new Error(`no result for ${name}`);
  return found;
}

/** The figures a report quotes, on one line. */
function figures(r: ReplicaLagResult): string {
  const l = r.lagMs;
  return `${r.name}: ${l.samples} samples, p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms; poll every ${r.pollIntervalMs} ms, round trip ${r.roundTripMs} ms, resolution ${r.resolutionMs} ms, unseen ${r.unseen}, before ack ${r.beforeAck}`;
}

describe("lag probe against a primary and 2 replicas", () => {
  const dir = tempDir("rb-lag-probe-");
  let topology: ReplicaTopology;
  let undelayed: LagProbeResult | undefined;

  beforeAll(async () => {
    topology = await startReplicaTopology({ dir, replicas: 2, sizing: TINY, log: () => {} });
  }, 90_000);

  afterAll(async () => {
    await topology?.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("polled, without added delay: samples on every replica, small lags, every heartbeat seen, nothing left open", async () => {
    const before = handleCounts();
    // The poll's own figures (interval, round trip); lag-wait.int.test.ts covers the GTID wait.
    const probe = await startLagProbe({
      primary: topology.primary,
      replicas: topology.replicas,
      method: "poll",
    });
    await sleep(2500);
    const result = await probe.stop();
    undelayed = result;
    for (const r of result.replicas) console.log(`no delay: ${figures(r)}`);
    console.log(
      `no delay: ${result.heartbeat.written} heartbeats in ${result.durationMs} ms, commit p50 ${result.heartbeat.commitMs.p50} ms, ${result.heartbeat.skippedSlots} slots skipped`,
    );

    expect(result.heartbeat.errors).toEqual([]);
    // 250 slots of 10 ms; a slow fsync on this machine may skip some, never most.
    expect(result.heartbeat.written).toBeGreaterThan(100);
    expect(result.heartbeat.written + result.heartbeat.skippedSlots).toBeGreaterThanOrEqual(240);
    expect(result.replicas.map((r) => r.name)).toEqual(["replica-1", "replica-2"]);
    for (const r of result.replicas) {
      expect(r).toMatchObject({ method: "poll", methodReason: "poll asked for", waits: null });
      expect(r.errors).toEqual([]);
      expect(r.unseen).toBe(0);
      expect(r.overWindow).toBe(0);
      expect(r.foreign).toBe(0);
      // Every heartbeat written became exactly one sample on every replica.
      expect(r.lagMs.samples).toBe(result.heartbeat.written);
      expect(r.lagMs.p50).toBeLessThan(100);
      expect(r.pollIntervalMs).toBeGreaterThan(0);
      expect(r.pollIntervalMs).toBeLessThan(10);
      expect(r.roundTripMs).toBeGreaterThan(0);
      expect(r.resolutionMs).toBeCloseTo((r.pollIntervalMs ?? 0) + (r.roundTripMs ?? 0) / 2, 2);
      expect(decodeHistogram(r.histogram).totalCount).toBe(r.lagMs.samples);
      // About once a second from the start: at 0, 1000 and 2000 ms.
      expect(r.serverReported.length).toBeGreaterThanOrEqual(2);
      expect(r.serverReported.length).toBeLessThanOrEqual(4);
      expect(r.serverReported[0]?.tMs).toBeLessThan(500);
      for (const s of r.serverReported) expect(s).toMatchObject({ secondsBehind: 0, auroraLagMs: null });
    }
    expect(await noExtraHandles(before)).toEqual({});
    expect(await probe.stop()).toBe(result);
  }, 30_000);

  it("per-second rows add up to the total, in order, each with p50 <= p99 <= max", () => {
    expect(undelayed).toBeDefined();
    for (const r of (undelayed as LagProbeResult).replicas) {
      expect(r.perSecond.length).toBeGreaterThanOrEqual(2);
      expect(r.perSecond.reduce((sum, row) => sum + row.count, 0)).toBe(r.lagMs.samples);
      const seconds = r.perSecond.map((row) => row.second);
      expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
      expect(new Set(seconds).size).toBe(seconds.length);
      for (const row of r.perSecond) {
        expect(row.p50Ms).toBeLessThanOrEqual(row.p99Ms);
        expect(row.p99Ms).toBeLessThanOrEqual(row.maxMs);
        expect(row.maxMs).toBeLessThanOrEqual(r.lagMs.max as number);
      }
      expect(Math.max(...r.perSecond.map((row) => row.maxMs))).toBeCloseTo(r.lagMs.max as number, 0);
    }
  });

  it("sees a replica held back by a stopped SQL thread as late as it was held, the other not", async () => {
    const late = topology.replicas.find((r) => r.name === "replica-1")?.target as TargetSpec;
    const admin = await mysql.createConnection(connectionOptions(late, false));
    let heldMs = 0;
    let result: LagProbeResult;
    try {
      const probe = await startLagProbe({
        primary: topology.primary,
        replicas: topology.replicas,
        method: "poll",
        pollIntervalMs: COARSE_POLL_MS,
      });
      try {
        await sleep(500);
        await admin.query("STOP SLAVE SQL_THREAD");
        const stoppedMs = performance.now();
        await sleep(800);
        await admin.query("START SLAVE SQL_THREAD");
        heldMs = performance.now() - stoppedMs;
        await sleep(1000);
      } finally {
        result = await probe.stop();
      }
    } finally {
      await admin.query("START SLAVE SQL_THREAD").catch(() => {});
      await admin.end();
    }
    const held = replica(result, "replica-1");
    const free = replica(result, "replica-2");
    console.log(`SQL thread of replica-1 stopped for ${heldMs.toFixed(1)} ms`);
    for (const r of [held, free]) console.log(`held back: ${figures(r)}`);

    expect(held.errors).toEqual([]);
    expect(held.unseen).toBe(0);
    // The first heartbeat acknowledged after the stop waited until the start: about heldMs. It
    // can be no shorter than heldMs less a heartbeat interval and scheduling slack, and no
    // longer than heldMs plus applying ~80 queued heartbeats on this loaded machine.
    const maxMs = held.lagMs.max as number;
    expect(maxMs).toBeGreaterThan(heldMs - 100);
    expect(maxMs).toBeLessThan(heldMs + 1000);
    expect(maxMs).toBeGreaterThan(700);
    expect(maxMs).toBeLessThan(2000);
    // Heartbeats written during the stop waited less the later they came: a ramp, not one outlier.
    const h = decodeHistogram(held.histogram);
    expect(h.getValueAtPercentile(100 * (1 - 10 / h.totalCount)) / 1000).toBeGreaterThan(heldMs / 2);
    // The other replica was not held back.
    expect(free.unseen).toBe(0);
    expect(free.lagMs.max as number).toBeLessThan(heldMs / 2);
    expect(free.lagMs.samples).toBe(held.lagMs.samples);
  }, 30_000);
  it("a probe connection the server kills is reopened and counted; one reopened on another server is refused, not read", async () => {
    const [first, second] = topology.replicas as [LagProbeReplica, LagProbeReplica];
    // replica-1's spec is the probe's own object: pointing it at replica-2 after the start plays an
    // endpoint that routes a reopened connection elsewhere (DNS round robin, a proxy).
    const rerouted: TargetSpec = { ...first.target };
    const admins = await Promise.all(
      [first.target, second.target].map((t) => mysql.createConnection(connectionOptions(t, false))),
    );
    const killProbeConnections = async () => {
      for (const [i, admin] of admins.entries()) {
        const user = (i === 0 ? first : second).target.user;
        const [rows] = await admin.query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()",
          [user],
        );
        for (const { ID } of rows as { ID: number }[]) await admin.query(`KILL ${ID}`).catch(() => {});
      }
    };
    let result: LagProbeResult;
    try {
      const probe = await startLagProbe({
        primary: topology.primary,
        replicas: [
          { ...first, target: rerouted },
          { ...second, method: "poll" },
        ],
        method: "poll",
      });
      try {
        await sleep(700);
        rerouted.port = second.target.port;
        await killProbeConnections();
        await sleep(1500);
      } finally {
        result = await probe.stop();
      }
    } finally {
      await Promise.all(admins.map((a) => a.end()));
    }
    const moved = replica(result, "replica-1");
    const kept = replica(result, "replica-2");
    for (const r of [moved, kept])
      console.log(`killed: ${figures(r)}; reconnects ${r.reconnects}; ${r.errors.join("; ")}`);
    // Both lost their connections and opened them again.
    expect(kept.reconnects).toBeGreaterThanOrEqual(1);
    expect(moved.reconnects).toBeGreaterThanOrEqual(1);
    // replica-2 went on being read on its own server: every heartbeat seen, no wrong-server error.
    expect(kept.unseen).toBe(0);
    expect(kept.errors.join(" ")).not.toMatch(/reopened connection reached/);
    // replica-1's reopened connections reached replica-2: said, and its reads stopped there.
    expect(moved.errors.join(" ")).toMatch(/reopened connection reached .+, not /);
    expect(moved.unseen).toBeGreaterThan(0);
  }, 30_000);
});
