import { getEventListeners } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDataset } from "../dataset/sbtest.js";
import { type AdminConnection, connectionOptions, openAdminConnection } from "../target/connection.js";
import { startTestServer } from "../testing/servers.js";
import type { Workload } from "../workload/schema.js";
import { type LoadOutcome, runLoad } from "./load.js";

const POINT_SELECT: Workload = {
  transaction: false,
  distribution: "uniform",
  steps: [{ statements: [{ name: "select", sql: "SELECT c FROM sbtest{table} WHERE id={id}" }] }],
};
const DATASET = { tables: 1, tableSize: 1000 };
const CONNECTIONS = 4;
const DURATION_MS = 4000;
/** When the test kills every load connection, into the measured phase. */
const KILL_AT_MS = 1200;

let server: Awaited<ReturnType<typeof startTestServer>>;
let admin: AdminConnection;

beforeAll(async () => {
  server = await startTestServer({ connections: 32 });
  await ensureDataset({ shape: DATASET, open: () => openAdminConnection(server.target), log: () => {} });
  admin = await openAdminConnection(server.target);
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

/** Kills every connection of the benchmark user but this one, as a failover or a DBA would. */
async function killLoadConnections(): Promise<number> {
  const [rows] = await admin.query(
    "SELECT id FROM information_schema.processlist WHERE user = ? AND id <> CONNECTION_ID()",
    [server.target.user],
  );
  const ids = (rows as { id: number }[]).map((row) => row.id);
  for (const id of ids) await admin.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
  return ids.length;
}

async function runWithKill(openLoop?: {
  ratePerSec: number;
}): Promise<{ outcome: LoadOutcome; killed: number; abortListenersLeft: number }> {
  let killed = 0;
  // A run's signal outlives its phases: none of them may leave a listener on it.
  const controller = new AbortController();
  let kill: Promise<void> = Promise.resolve();
  const outcome = await runLoad({
    workload: POINT_SELECT,
    dataset: DATASET,
    connection: connectionOptions(server.target),
    connections: CONNECTIONS,
    workers: 1,
    warmupMs: 0,
    durationMs: DURATION_MS,
    seed: 3,
    signal: controller.signal,
    ...(openLoop ? { openLoop } : {}),
    atBoundary: async (boundary) => {
      if (boundary !== "before-measured") return;
      kill = new Promise((resolve) =>
        setTimeout(() => {
          void killLoadConnections().then((n) => {
            killed = n;
            resolve();
          });
        }, KILL_AT_MS),
      );
    },
  });
  await kill;
  return { outcome, killed, abortListenersLeft: getEventListeners(controller.signal, "abort").length };
}

function successesAfterKill(outcome: LoadOutcome): number {
  const select = outcome.ops.names.indexOf("select");
  return (
    (outcome.measured?.aggregate.ordered() ?? [])
      // Seconds 2 and 3: the kill came at 1.2 s, and a reconnection takes 50-100 ms.
      .filter((interval) => interval.index >= 2)
      .reduce((sum, interval) => sum + (interval.ops[select]?.count ?? 0), 0)
  );
}

describe("connections killed mid-run come back", () => {
  it("closed loop: every killed connection reconnects and the run goes on, the losses counted", async () => {
    const { outcome, killed, abortListenersLeft } = await runWithKill();
    expect(killed).toBe(CONNECTIONS);
    expect(abortListenersLeft).toBe(0);
    const totals = outcome.measured?.aggregate.totals();
    const lost = Object.values(totals?.errorsByCode ?? {}).reduce((a, b) => a + b, 0);
    // Each connection lost the statement in flight when it was killed (or found out on its next send).
    expect(lost).toBeGreaterThanOrEqual(1);
    expect(lost).toBeLessThanOrEqual(CONNECTIONS);
    expect(successesAfterKill(outcome)).toBeGreaterThan(100);
    expect(outcome.measured?.aliveConnections).toBe(CONNECTIONS);
    expect(outcome.failure).toBeUndefined();
  }, 60_000);

  it("open loop: the schedule goes on through the loss; the lost ops are errors, none is dropped", async () => {
    const { outcome, killed } = await runWithKill({ ratePerSec: 200 });
    expect(killed).toBe(CONNECTIONS);
    const schedule = outcome.measured?.schedule;
    expect(schedule?.scheduled).toBe((200 * DURATION_MS) / 1000);
    expect(schedule?.dropped).toBe(0);
    const select = outcome.ops.names.indexOf("select");
    const totals = outcome.measured?.aggregate.totals();
    const ok = totals?.ops[select]?.count ?? 0;
    const failed = totals?.ops[select]?.errors ?? 0;
    // Every op sent either succeeded or failed with the loss of its connection.
    expect(ok + failed).toBe(schedule?.started);
    expect(failed).toBeLessThanOrEqual(CONNECTIONS);
    // Both seconds after the kill ran on schedule: 2 x 200 ops (give or take one at each edge).
    expect(successesAfterKill(outcome)).toBeGreaterThanOrEqual(395);
    expect(successesAfterKill(outcome)).toBeLessThanOrEqual(405);
    expect(outcome.measured?.aliveConnections).toBe(CONNECTIONS);
  }, 60_000);
});

describe("a target that goes away for good", () => {
  it("ends the phase once no connection has been open for the bound, with the reason, keeping what was measured", async () => {
    const gone = await startTestServer({ connections: 16 });
    try {
      await ensureDataset({ shape: DATASET, open: () => openAdminConnection(gone.target), log: () => {} });
      let stopped: Promise<void> = Promise.resolve();
      const outcome = await runLoad({
        workload: POINT_SELECT,
        dataset: DATASET,
        connection: connectionOptions(gone.target),
        connections: 2,
        workers: 1,
        warmupMs: 0,
        durationMs: 20_000,
        seed: 5,
        unreachableAfterMs: 2000,
        atBoundary: async (boundary) => {
          if (boundary === "before-measured") {
            stopped = new Promise((resolve) =>
              setTimeout(() => void gone.sandbox.stop().then(resolve), 1000),
            );
          }
        },
      });
      await stopped;
      expect(outcome.failure).toMatch(
        /^no connection to the target for [23] s: it went away and did not come back$/,
      );
      const measured = outcome.measured;
      if (!measured) throw new Error("no measured phase");
      // It stopped about 2-3 s after the server did, not at the end of the 20 s phase.
      expect(measured.endEpochMs - measured.startEpochMs).toBeLessThan(8000);
      const select = outcome.ops.names.indexOf("select");
      expect(measured.aggregate.totals().ops[select]?.count ?? 0).toBeGreaterThan(100);
    } finally {
      await gone.stop();
    }
  }, 60_000);
});
