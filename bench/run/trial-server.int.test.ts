import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatasetOutcome, ensureDataset } from "../dataset/sbtest.js";
import { LiveOutputs, type LiveSecond } from "../live/second.js";
import { loadCatalog } from "../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../scenario/resolve.js";
import { openAdminConnection } from "../target/connection.js";
import { startTestServer } from "../testing/servers.js";
import { runTrial, type TrialOutcome } from "./trial.js";

const SHAPE = { tables: 1, tableSize: 1000 };
const CONNECTIONS = 4;

/** sysbench's write-only transaction (BEGIN; 2 UPDATEs; DELETE; INSERT; COMMIT), short and small. */
function writeScenario(): ResolvedScenario {
  const found = loadCatalog().scenarios.get("aurora-write");
  if (!found) throw new Error("no scenario aurora-write");
  return resolveScenario(found.file, found.scenario, {
    warmupMs: 2000,
    durationMs: 3000,
    connectionsPerClient: CONNECTIONS,
    ...SHAPE,
  });
}

describe("a trial samples the server each second", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let dataset: DatasetOutcome;
  let trial: TrialOutcome;
  const live: LiveSecond[] = [];

  beforeAll(async () => {
    server = await startTestServer({ connections: 16 });
    dataset = await ensureDataset({
      shape: SHAPE,
      open: () => openAdminConnection(server.target),
      log: () => {},
    });
    trial = await runTrial(
      {
        scenario: writeScenario(),
        target: server.target,
        dataset,
        label: "aurora-write",
        workers: 1,
        seed: 7,
        counters: true,
        serverOnClientMachine: true,
        measuredEnvironment: "sandbox on the client's machine",
      },
      {
        hotPath: "lean",
        seed: 7,
        signal: new AbortController().signal,
        secrets: [],
        log: () => {},
        live: new LiveOutputs([{ second: (s) => live.push(s), close: async () => {} }]),
      },
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("stores each measured second's server figures in intervals[], and they add up to the counters' change", () => {
    const { built, counterDelta } = trial;
    expect(built.status).toBe("complete");
    expect(built.serverCounters?.ok).toBe(true);
    const sampled = built.intervals.filter((i) => i.server);
    expect(sampled.map((i) => i.t)).toEqual([0, 1, 2]);
    const count = (name: string) =>
      sampled.reduce(
        (sum, i) => sum + ((i.server?.ratesPerSec[name] ?? 0) * (i.server?.spanMs ?? 0)) / 1000,
        0,
      );
    const commits = count("Com_commit");
    console.log(
      `measured: ${built.counts.txns} txns; sampled seconds: Com_commit ${commits.toFixed(1)}, Com_update ${count("Com_update").toFixed(1)}; counters' change: Com_commit ${counterDelta?.Com_commit}, Com_update ${counterDelta?.Com_update}`,
    );
    for (const interval of sampled) {
      console.log(
        `t=${interval.t}: client ${interval.txnPerSec.toFixed(0)} txn/s, server Com_commit ${interval.server?.ratesPerSec.Com_commit?.toFixed(0)}/s, Innodb_os_log_written ${interval.server?.ratesPerSec.Innodb_os_log_written?.toFixed(0)} B/s, Threads_running ${interval.server?.gauges.Threads_running}`,
      );
    }
    // The sampled seconds run from the read at the phase's start to the one at its scheduled end;
    // the counters' window also holds the drain after it, and each read lands a millisecond or so
    // off its instant (8 transactions a millisecond here): close, not equal.
    const delta = counterDelta?.Com_commit ?? Number.NaN;
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThanOrEqual(delta + 0.01);
    expect(delta - commits).toBeLessThanOrEqual(delta * 0.01);
  });

  it("figures the server's work per transaction from the counters' change", () => {
    const work = trial.built.serverWork;
    console.log(`serverWork: ${JSON.stringify(work)}`);
    expect(work?.txns).toBe(trial.built.counts.txns);
    expect(work?.logBytesPerTxn).toBeGreaterThan(100);
    // Each commit writes the redo log at least once, less when commits are grouped.
    expect(work?.iosPerTxn).toBeGreaterThan(0);
    expect(work?.paper.mirroredMysqlIosPerTxn).toBe(7.4);
  });

  it("passes the server's figures with the live seconds that have them by then", () => {
    for (const [phase, seconds] of [
      ["warmup", 2],
      ["measured", 3],
    ] as const) {
      const passed = live.filter((s) => s.phase === phase && s.entry.t < seconds);
      expect(passed).toHaveLength(seconds);
      console.log(
        `live ${phase}: seconds ${passed.map((s) => `${s.entry.t}${s.server ? " with" : " without"} the server's figures`).join(", ")}`,
      );
      // A second is passed 200 ms or more after its end, its read due at its end: it is back by then.
      // The last of a phase goes out at the drain's end, racing its read: it may go without.
      for (const s of passed.slice(0, -1)) {
        expect(s.server?.t).toBe(s.entry.t);
        expect(s.server?.phase).toBe(phase);
      }
    }
  });
});
