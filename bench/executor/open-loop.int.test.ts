import { availableParallelism } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDataset } from "../dataset/sbtest.js";
import { histogramOf } from "../metrics/aggregate.js";
import { type Histogram, summarizeMs } from "../metrics/histogram.js";
import type { WarmupSecond, WorkerJudgement } from "../metrics/worker-starvation.js";
import { intervalEntry } from "../result/interval-entry.js";
import { connectionOptions, openAdminConnection } from "../target/connection.js";
import { startTestServer } from "../testing/servers.js";
import type { Workload } from "../workload/schema.js";
import { type LoadOutcome, type LoadSecond, runLoad } from "./load.js";

/** sysbench's index update, one statement per op, as the replica-lag scenario sends it. */
const UPDATE: Workload = {
  transaction: false,
  distribution: "uniform",
  steps: [{ statements: [{ name: "update", sql: "UPDATE sbtest{table} SET k=k+1 WHERE id={id}" }] }],
};
const DATASET = { tables: 2, tableSize: 1000 };
const RATE_PER_SEC = 200;
const DURATION_MS = 3000;
/** How long the test holds a global read lock on the primary, blocking every update. */
const STALL_MS = 1000;

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ connections: 32 });
  await ensureDataset({
    shape: DATASET,
    open: () => openAdminConnection(server.target),
    log: () => {},
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function run(atMeasuredStart?: () => void, onInterval?: (second: LoadSecond) => void): Promise<LoadOutcome> {
  return runLoad({
    workload: UPDATE,
    dataset: DATASET,
    connection: connectionOptions(server.target),
    connections: 4,
    workers: 2,
    warmupMs: 0,
    durationMs: DURATION_MS,
    seed: 7,
    openLoop: { ratePerSec: RATE_PER_SEC },
    ...(onInterval ? { onInterval } : {}),
    atBoundary: async (boundary) => {
      if (boundary === "before-measured") atMeasuredStart?.();
    },
  });
}

function view(outcome: LoadOutcome, name: string): Histogram {
  const index = outcome.ops.names.indexOf(name);
  const op = outcome.measured?.aggregate.totals().ops[index];
  const histogram = op ? histogramOf(op) : null;
  if (!histogram) throw new Error(`no samples for ${name}`);
  return histogram;
}

describe("open loop against a real server", () => {
  it("sends exactly the schedule when the server keeps up: every op once, none dropped, on time", async () => {
    const outcome = await run();
    const schedule = outcome.measured?.schedule;
    // 200/s over 3 s: ops 0..599 are intended inside the window, split 300/300 over the two workers.
    expect(schedule).toEqual({
      scheduled: 600,
      started: 600,
      dropped: 0,
      discarded: 0,
      maxBacklog: expect.any(Number),
    });
    const totals = outcome.measured?.aggregate.totals();
    const update = totals?.ops[outcome.ops.names.indexOf("update")];
    expect(update?.count).toBe(600);
    expect(update?.errors).toBe(0);
    expect(view(outcome, "intended").totalCount).toBe(600);
    expect(view(outcome, "lateness").totalCount).toBe(600);
    // The achieved rate is the target's: 600 completions over the 3 s window.
    expect((update?.count ?? 0) / (DURATION_MS / 1000)).toBe(RATE_PER_SEC);
    // Sends leave on their timer, not after a queue: the median send is within a few ms of its time.
    expect(summarizeMs(view(outcome, "lateness")).p50).toBeLessThan(20);
  }, 60_000);

  it("a stall on the primary shows in latency from the intended start, not in the service time", async () => {
    const admin = await openAdminConnection(server.target);
    let released: Promise<unknown> = Promise.resolve();
    try {
      const outcome = await run(() => {
        // Starts 500 ms into the measured phase and holds every update back for STALL_MS.
        released = (async () => {
          await new Promise((r) => setTimeout(r, 500));
          await admin.query("FLUSH TABLES WITH READ LOCK");
          await new Promise((r) => setTimeout(r, STALL_MS));
          await admin.query("UNLOCK TABLES");
        })();
      });
      await released;
      const intended = summarizeMs(view(outcome, "intended"));
      const service = summarizeMs(view(outcome, "update"));
      const lateness = summarizeMs(view(outcome, "lateness"));
      // The op due as the lock was taken waited the whole stall; about a third of all ops waited.
      expect(intended.max).toBeGreaterThanOrEqual(STALL_MS * 0.9);
      expect(intended.p90).toBeGreaterThan(STALL_MS * 0.3);
      // Once sent, most ops were quick: only the 4 caught on their connections took the stall.
      expect(service.p90).toBeLessThan(STALL_MS * 0.1);
      expect(lateness.max).toBeGreaterThan(STALL_MS * 0.8);
      // Nothing was dropped: the backlog (10 s) holds the stall, and every op ran.
      expect(outcome.measured?.schedule?.dropped).toBe(0);
      expect(outcome.measured?.schedule?.started).toBe(600);
      expect(outcome.measured?.schedule?.maxBacklog).toBeGreaterThan(50);
      const backlogSeen = outcome.measured?.aggregate
        .ordered()
        .some((i) => i.health.some((h) => h.backlog > 0));
      expect(backlogSeen).toBe(true);
    } finally {
      await released.catch(() => undefined);
      await admin.end();
    }
  }, 60_000);

  it("passes every interval on once, in order, with the figures the result gives it at the end", async () => {
    const passed: { index: number; afterPhase: boolean; entry: string }[] = [];
    const outcome = await run(undefined, (second) => {
      // As JSON at the moment it is passed: what a live output would have written then.
      const entry = intervalEntry(second.interval, {
        ops: second.ops,
        transactional: false,
        spanMs: second.spanMs,
        clientCpuMs: second.clientCpuMs,
        workers: second.workers,
      });
      passed.push({
        index: second.interval.index,
        afterPhase: second.afterPhase,
        entry: JSON.stringify(entry),
      });
    });
    const measured = outcome.measured;
    if (!measured) throw new Error("no measured phase");
    const final = measured.aggregate.ordered();
    // Each once; in order, but for a second no worker had reported when it fell due (passed at the end).
    expect(passed.map((p) => p.index).sort((a, b) => a - b)).toEqual(final.map((i) => i.index));
    // The scheduled seconds go while the phase runs; at least the first does (3 s of load).
    expect(passed[0]?.afterPhase).toBe(false);
    const scheduled = Math.floor(DURATION_MS / 1000);
    const byIndex = new Map(passed.map((p) => [p.index, p]));
    final.forEach((interval) => {
      const spanMs = Math.min(
        1000,
        Math.max(1, measured.endEpochMs - (measured.startEpochMs + interval.index * 1000)),
      );
      const atEnd = intervalEntry(interval, {
        ops: outcome.ops,
        transactional: false,
        spanMs,
        clientCpuMs: measured.aggregate.clientCpuMs.get(interval.index) ?? null,
        workers: interval.index < scheduled ? outcome.workers : 0,
      });
      expect(JSON.parse(byIndex.get(interval.index)?.entry ?? "null")).toEqual(
        JSON.parse(JSON.stringify(atEnd)),
      );
    });
  }, 60_000);
});

describe("closed loop: workers raised after a starved warm-up", () => {
  it("tries the raised workers in a warm-up of their own, and measures with the ones that sent more", async () => {
    const judged: WorkerJudgement[] = [];
    const evidence: { seconds: WarmupSecond[]; cores: number | undefined }[] = [];
    const outcome = await runLoad({
      workload: UPDATE,
      dataset: DATASET,
      connection: connectionOptions(server.target),
      connections: 4,
      workers: 1,
      warmupMs: 2000,
      durationMs: 2000,
      seed: 7,
      adaptWorkers: {
        maxWorkers: 2,
        // Starved, whatever the machine: the restart path runs.
        judge: (seconds, workers, max, cores) => {
          evidence.push({ seconds: [...seconds], cores });
          return {
            decision: "raise",
            initial: workers,
            chosen: max,
            seconds: 2,
            utilizationMean: 0.95,
            cpuCoresPerWorker: 0.3,
            reason: "starved (forced)",
          };
        },
        onJudged: (j) => judged.push(j),
      },
    });
    const [judgement] = judged;
    expect(judged).toHaveLength(1);
    // The rule is given each warm-up second's process CPU and machine idle share, and the cores.
    expect(evidence[0]?.cores).toBe(availableParallelism());
    const seconds = evidence[0]?.seconds ?? [];
    expect(seconds.length).toBeGreaterThanOrEqual(2);
    for (const second of seconds.slice(0, 2)) {
      expect(second.clientCpuMs).toBeGreaterThan(0);
      expect(second.machineIdleShare).toBeGreaterThanOrEqual(0);
      expect(second.machineIdleShare).toBeLessThanOrEqual(1);
    }
    expect(outcome.workerJudgement).toBe(judgement);
    const trial = judgement?.trial;
    expect(trial?.initialStatementsPerSec).toBeGreaterThan(0);
    expect(trial?.chosenStatementsPerSec).toBeGreaterThan(0);
    // The measured phase ran with the workers the trial kept, on all 4 connections.
    const kept = trial?.kept === "chosen" ? 2 : 1;
    expect(outcome.workers).toBe(kept);
    expect(judgement?.chosen).toBe(kept);
    expect(trial?.kept === "chosen").toBe(
      (trial?.chosenStatementsPerSec ?? 0) >= (trial?.initialStatementsPerSec ?? 0),
    );
    // Every warm-up is kept for the counts: the first pool's, and the second's when it was replaced.
    expect(outcome.earlierWarmups?.length).toBe(kept === 2 ? 1 : 2);
    const measured = outcome.measured;
    expect(measured?.aliveConnections).toBe(4);
    expect(measured?.aggregate.ordered().every((i) => i.health.length === kept)).toBe(true);
  }, 60_000);
});
