import { describe, expect, it } from "vitest";
import { clientResult, resultOf, writeScenario } from "../testing/results.js";
import { checkShards, mergedCounterChecks, mergeResults } from "./merge.js";
import type { Result } from "./schema.js";

describe("merging clients' results", () => {
  it("refuses results of other runs, other counts, other scenarios, duplicates and missing clients", () => {
    const a = { source: "a.json", result: clientResult(0) };
    const b = { source: "b.json", result: clientResult(1) };
    expect(() =>
      checkShards([a, { source: "x.json", result: clientResult(1, 2, [1000], { runId: "r2" }) }]),
    ).toThrow("x.json: run r2, but a.json is run r1; merge one run's clients only");
    expect(() => checkShards([a, { source: "x.json", result: clientResult(1, 3) }])).toThrow(
      "x.json: one of 3 clients, but a.json one of 2",
    );
    const other = clientResult(1);
    other.scenarios = [{ ...(other.scenarios[0] as Result["scenarios"][number]), id: "aurora-read" }];
    expect(() => checkShards([a, { source: "x.json", result: other }])).toThrow(
      "x.json: scenarios aurora-read, but a.json has aurora-write; merge results of the same scenarios",
    );
    expect(() => checkShards([a, a])).toThrow("a.json: client 0 again (also in a.json)");
    expect(() => checkShards([a])).toThrow("merge: run r1 had 2 clients; missing client 1");
    const single = { source: "s.json", result: resultOf([writeScenario()]) };
    expect(() => checkShards([single])).toThrow(/s\.json: not one client's result of a run of several/);
    expect(checkShards([b, a]).ordered.map((i) => i.source)).toEqual(["a.json", "b.json"]);
  });

  it("sums counts, merges histograms exactly and keeps each client's detail", () => {
    const merged = mergeResults([
      { source: "a", result: clientResult(0, 2, [1000, 2000, 3000]) },
      { source: "b", result: clientResult(1, 2, [4000, 100_000]) },
    ]);
    const s = merged.scenarios[0];
    expect(merged.clients).toEqual({ count: 2, index: null, runId: "r1", hosts: ["testhost", "testhost"] });
    expect(s?.counts.writes).toBe(2 * 882_300);
    expect(s?.latencyMs.txn?.count).toBe(5);
    // The median of all five samples, not the mean of the two clients' medians.
    expect(s?.latencyMs.txn?.p50).toBeCloseTo(3, 2);
    expect(s?.latencyMs.txn?.max).toBeCloseTo(100, 0);
    expect(s?.shards?.map((x) => x.index)).toEqual([0, 1]);
    expect(s?.measuredFrom).toBe("2026-11-22T04:00:00.000Z");
    expect(s?.connections.opened).toBe(8000);
  });

  it("keeps the server's seconds and work as client 0 measured them, per transaction of every client", () => {
    const withServer = (index: number) => {
      const result = clientResult(index, 2, [1000, 2000]);
      const scenario = result.scenarios[0] as Result["scenarios"][number];
      const server = (rate: number) => ({
        readEpochMs: 1_000 + index,
        spanMs: 1000,
        readMs: 0.4,
        ratesPerSec: { Innodb_os_log_written: rate },
        gauges: { Threads_running: 3 + index },
      });
      scenario.intervals = scenario.intervals.map((interval, t) => ({
        ...interval,
        server: server(100 * (t + 1) + index),
      }));
      scenario.shard = {
        count: 2,
        index,
        runId: "r1",
        host: `h${index}`,
        meetings: [],
        serverCounterDelta: null,
        clientCounters: {},
        // Both clients read the one server over the same window: the same increase.
        serverWorkDelta: { Innodb_os_log_written: 3_529_200, Innodb_data_writes: 882_300 },
      };
      return result;
    };
    const merged = mergeResults([
      { source: "a", result: withServer(0) },
      { source: "b", result: withServer(1) },
    ]).scenarios[0];
    const txns = merged?.counts.txns ?? 0;
    expect(txns).toBeGreaterThan(0);
    expect(merged?.serverWork?.txns).toBe(txns);
    // Over every client's transactions, not client 0's alone.
    expect(merged?.serverWork?.logBytesPerTxn).toBeCloseTo(3_529_200 / txns, 10);
    expect(merged?.serverWork?.dataWritesPerTxn).toBeCloseTo(882_300 / txns, 10);
    expect(merged?.intervals.length).toBeGreaterThan(0);
    merged?.intervals.forEach((interval, t) => {
      expect(interval.server?.ratesPerSec.Innodb_os_log_written).toBe(100 * (t + 1));
      expect(interval.server?.gauges.Threads_running).toBe(3);
    });
  });

  it("counts the meetings' own statements as allowed extras in the counter check", () => {
    const { checks, ok } = mergedCounterChecks(
      { Com_commit: 100, Com_select: 7, Com_update: 203 },
      { Com_commit: 100, Com_select: 0, Com_update: 200 },
      { Com_select: 8, Com_update: 4 },
    );
    expect(ok).toBe(true);
    expect(checks.map((c) => [c.counter, c.ok])).toEqual([
      ["Com_commit", true],
      ["Com_select", true],
      ["Com_update", true],
    ]);
    expect(mergedCounterChecks({ Com_commit: 90 }, { Com_commit: 100 }, {}).ok).toBe(false);
    expect(mergedCounterChecks({ Com_select: 30 }, { Com_select: 0 }, { Com_select: 8 }).ok).toBe(false);
  });
});
