import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReplicaTopology, startReplicaTopology } from "../sandbox/topology.js";
import { type AdminConnection, withAdmin } from "../target/connection.js";
import { checkReplication } from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { processesMentioning, tempDir } from "../testing/servers.js";
import { TargetError } from "../util/errors.js";
import { sleep } from "../util/timer.js";
import { type LagProbeResult, type ProbeSample, type ReplicaLagResult, startLagProbe } from "./lag.js";
import { nearestRank } from "./lag-stats.js";

const TINY = { connections: 8, tables: 1, tableSize: 100 };
/** Attempts (50 ms apart) at a replica's threads running again or its waits gone: 10 s at most. */
const SETTLE_ATTEMPTS = 200;

function replica(result: LagProbeResult, name: string): ReplicaLagResult {
  const found = result.replicas.find((r) => r.name === name);
  if (!found) throw new Error(`no result for ${name}`);
  return found;
}

function figures(r: ReplicaLagResult): string {
  const l = r.lagMs;
  const w = r.waits;
  const waits = w
    ? `, waits ${w.reached} reached (${w.held} held, ${w.atOnce} found applied, ${w.shownAlong} shown along), ${w.timedOut} timed out`
    : `, poll every ${r.pollIntervalMs} ms`;
  return `${r.name} [${r.method}]: ${l.samples} samples, p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms; round trip ${r.roundTripMs} ms, resolution ${r.resolutionMs} ms${waits}; unseen ${r.unseen}`;
}

/** Runs `sql` on a replica and waits (bounded) until both its threads run or `check` holds. */
async function onReplica(target: TargetSpec, statements: string[]): Promise<void> {
  await withAdmin(target, async (conn) => {
    for (const sql of statements) await conn.query(sql);
    await untilTrue(async () => {
      const [channel] = await checkReplication(conn);
      return Boolean(channel?.ioRunning && channel.sqlRunning);
    }, "replication running again");
  });
}

async function untilTrue(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`not within ${(SETTLE_ATTEMPTS * 50) / 1000} s: ${what}`);
}

/** GTID waits still running on the server behind `conn` (other than its own statement). */
async function waitsRunning(conn: AdminConnection): Promise<number> {
  const [rows] = await conn.query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%MASTER_GTID_WAIT(%' AND ID <> CONNECTION_ID()",
  );
  return Number((rows as { n: unknown }[])[0]?.n ?? 0);
}

describe("lag probe by GTID wait on a primary and 2 replicas, replica-2 delayed by MASTER_DELAY=1", () => {
  const dir = tempDir("rb-lag-wait-");
  let topology: ReplicaTopology;
  const target = (name: string) => topology.replicas.find((r) => r.name === name)?.target as TargetSpec;

  beforeAll(async () => {
    topology = await startReplicaTopology({ dir, replicas: 2, sizing: TINY, log: () => {} });
    await onReplica(target("replica-2"), ["STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY=1", "START SLAVE"]);
  }, 90_000);

  afterAll(async () => {
    await topology?.stop();
    expect(await processesMentioning(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("chooses the GTID wait on both replicas by itself: every heartbeat seen, each sample's bound well under the poll's", async () => {
    const probe = await startLagProbe({ primary: topology.primary, replicas: topology.replicas });
    await sleep(2500);
    const result = await probe.stop();
    for (const r of result.replicas) console.log(`auto: ${figures(r)}`);

    expect(result.heartbeat.errors).toEqual([]);
    expect(result.heartbeat.written).toBeGreaterThan(100);
    for (const r of result.replicas) {
      expect(r.method).toBe("gtid-wait");
      expect(r.methodReason).toBe("MASTER_GTID_WAIT (its channel: Using_Gtid Slave_Pos)");
      expect(r.errors).toEqual([]);
      expect(r.unseen).toBe(0);
      expect(r.lagMs.samples).toBe(result.heartbeat.written);
      expect(r.pollIntervalMs).toBeNull();
      expect(r.roundTripMs).toBeGreaterThan(0);
      expect(r.waits).toMatchObject({ timedOut: 0, withoutGtid: 0, clockResets: 0 });
      const waits = r.waits as NonNullable<ReplicaLagResult["waits"]>;
      expect(waits.held + waits.atOnce).toBe(r.lagMs.samples);
      // How many waits were held before their heartbeat depends on the machine's load (a busy
      // 2-core machine answers more of them at once), so only that some were is asserted.
      expect(waits.held).toBeGreaterThan(0);
      // A held wait's bound is how closely the waits pin the server's clock: at most half of a
      // round trip, so the typical bound is below the waits' median round trip.
      expect(r.resolutionMs).toBeGreaterThan(0);
      expect(r.resolutionMs as number).toBeLessThan(r.roundTripMs as number);
    }
    // The delayed replica lags by MASTER_DELAY's second, the other by far less.
    expect(replica(result, "replica-2").lagMs.max as number).toBeGreaterThan(900);
    expect(replica(result, "replica-1").lagMs.p50 as number).toBeLessThan(100);
  }, 30_000);

  it("agrees with the 1 ms poll on the delayed replica, heartbeat by heartbeat, within the poll's own error", async () => {
    const lags = new Map<string, Map<number, number>>();
    const probe = await startLagProbe({
      primary: topology.primary,
      replicas: [
        { name: "delayed-wait", target: target("replica-2"), method: "wait" },
        { name: "delayed-poll", target: target("replica-2"), method: "poll" },
      ],
      onSample: (s: ProbeSample) => {
        const byReplica = lags.get(s.replica) ?? new Map<number, number>();
        byReplica.set(s.seq, s.lagMs);
        lags.set(s.replica, byReplica);
      },
    });
    await sleep(4000);
    const result = await probe.stop();
    const wait = replica(result, "delayed-wait");
    const poll = replica(result, "delayed-poll");
    for (const r of [wait, poll]) console.log(`side by side: ${figures(r)}`);

    expect(wait.method).toBe("gtid-wait");
    expect(poll.method).toBe("poll");
    expect(wait.server).toBe(poll.server);
    for (const r of [wait, poll]) {
      expect(r.errors).toEqual([]);
      expect(r.unseen).toBe(0);
      expect(r.lagMs.samples).toBe(result.heartbeat.written);
      // MASTER_DELAY=1: the first heartbeat of each second waits its full second.
      expect(r.lagMs.max as number).toBeGreaterThan(900);
      expect(r.lagMs.max as number).toBeLessThan(5000);
    }
    const pollResolution = poll.resolutionMs as number;
    expect(wait.resolutionMs as number).toBeLessThan(pollResolution);
    // The same heartbeats, timed both ways: the poll can see one up to its resolution later
    // than it appeared, the wait a fraction of a ms after (the GTID is recorded after the commit).
    const differences: number[] = [];
    for (const [seq, waitLag] of lags.get("delayed-wait") ?? []) {
      const pollLag = lags.get("delayed-poll")?.get(seq);
      if (pollLag !== undefined) differences.push(pollLag - waitLag);
    }
    differences.sort((a, b) => a - b);
    expect(differences.length).toBe(result.heartbeat.written);
    const median = nearestRank(differences, 50);
    console.log(
      `poll - wait per heartbeat: p10 ${nearestRank(differences, 10).toFixed(3)} ms, p25 ${nearestRank(differences, 25).toFixed(3)} ms, p50 ${median.toFixed(3)} ms, p75 ${nearestRank(differences, 75).toFixed(3)} ms, p90 ${nearestRank(differences, 90).toFixed(3)} ms (poll resolution ${pollResolution} ms, p99 gap ${poll.pollIntervalP99Ms} ms; wait bound p99 ${wait.waits?.resolutionP99Ms} ms)`,
    );
    // Agreement within the poll's resolution plus its worst gap between reads: on a machine short
    // of CPU every read and every woken wait starts late, and the poll's p99 gap measures by how
    // much. Within it, the middle half of the heartbeats and their median agree; the tails are
    // printed, not held to a bound.
    const agreeMs = pollResolution + (poll.pollIntervalP99Ms as number) + 1;
    expect(Math.abs(median)).toBeLessThan(agreeMs);
    expect(nearestRank(differences, 25)).toBeGreaterThan(-agreeMs);
    expect(nearestRank(differences, 75)).toBeLessThan(agreeMs);
    // The two summaries' medians: a median moves no further than the largest per-heartbeat
    // difference (an order statistic of values each moved by at most that much), plus the
    // histograms' 3 significant digits. A tail heartbeat on a loaded machine can make that larger
    // than the middle half's agreement above, so it is the bound here.
    const widest = Math.max(Math.abs(differences[0] ?? 0), Math.abs(differences.at(-1) ?? 0));
    const precisionMs = 0.001 * Math.max(wait.lagMs.p50 as number, poll.lagMs.p50 as number) + 0.01;
    expect(Math.abs((wait.lagMs.p50 as number) - (poll.lagMs.p50 as number))).toBeLessThanOrEqual(
      widest + precisionMs,
    );
  }, 30_000);

  it("polls a replica following by file and position, and refuses it when the wait is asked for", async () => {
    const byPosition = target("replica-1");
    await onReplica(byPosition, ["STOP SLAVE", "CHANGE MASTER TO MASTER_USE_GTID=no", "START SLAVE"]);
    try {
      const probe = await startLagProbe({ primary: topology.primary, replicas: topology.replicas });
      await sleep(500);
      const result = await probe.stop();
      expect(replica(result, "replica-1")).toMatchObject({
        method: "poll",
        methodReason:
          "its channel follows by file and position (Using_Gtid No); reads the heartbeat row instead",
        waits: null,
        unseen: 0,
      });
      expect(replica(result, "replica-1").pollIntervalMs).toBeGreaterThan(0);
      expect(replica(result, "replica-2").method).toBe("gtid-wait");

      const refused = await startLagProbe({
        primary: topology.primary,
        replicas: topology.replicas,
        method: "wait",
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TargetError);
      expect((refused as Error).message).toMatch(
        /replica-1 .* cannot time heartbeats by GTID wait, which was asked for: its channel follows by file and position/,
      );
    } finally {
      await onReplica(byPosition, [
        "STOP SLAVE",
        "CHANGE MASTER TO MASTER_USE_GTID=slave_pos",
        "START SLAVE",
      ]);
    }
  }, 30_000);

  it("counts waits that time out, and at a stop kills the waits still held", async () => {
    const held = target("replica-1");
    await withAdmin(held, async (admin) => {
      await admin.query("STOP SLAVE SQL_THREAD");
      let result: LagProbeResult | undefined;
      let stopMs = 0;
      try {
        const probe = await startLagProbe({
          primary: topology.primary,
          replicas: [{ name: "held", target: held }],
          waitTimeoutMs: 300,
          drainTimeoutMs: 300,
        });
        await sleep(1000);
        const stopping = performance.now();
        result = await probe.stop();
        stopMs = performance.now() - stopping;
      } finally {
        await admin.query("START SLAVE SQL_THREAD");
      }
      const r = replica(result, "held");
      console.log(`held back: ${figures(r)}; stop took ${stopMs.toFixed(0)} ms`);
      expect(r.method).toBe("gtid-wait");
      expect(r.lagMs.samples).toBe(0);
      expect(r.unseen).toBe(result.heartbeat.written);
      // ~1.3 s held with 300 ms timeouts on each of the waits in flight.
      expect(r.waits?.timedOut).toBeGreaterThanOrEqual(2);
      expect(r.waits?.reached).toBe(0);
      // Killed at the drain's end, not left to their timeout: nothing is noted for them.
      expect(r.errors).toEqual([]);
      expect(stopMs).toBeLessThan(5000);
      await untilTrue(
        async () => (await waitsRunning(admin)) === 0,
        "the probe's waits gone from the replica",
      );
    });
  }, 30_000);
});
