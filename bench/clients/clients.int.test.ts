import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHistogram, newLatencyHistogram } from "../metrics/histogram.js";
import type { Result } from "../result/schema.js";
import { cliPath, readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";

const LOAD = [
  "--connections",
  "2",
  "--tables",
  "2",
  "--table-size",
  "500",
  "--warmup",
  "1s",
  "--duration",
  "3s",
];

function shard(
  url: string,
  runId: string,
  clients: number,
  index: number,
  out: string,
  extra: string[] = [],
) {
  return execa(
    cliPath(),
    [
      "run",
      "aurora-write",
      ...LOAD,
      "--target",
      // The last client of four takes its URL from the environment, as the Kubernetes pods do.
      index === 3 ? "env:RB_SHARD_TARGET" : url,
      "--clients",
      String(clients),
      "--client-index",
      String(index),
      "--run-id",
      runId,
      "--out",
      out,
      "--print-result",
      ...extra,
    ],
    { reject: false, timeout: 120_000, env: { ...process.env, CI: "true", RB_SHARD_TARGET: url } },
  );
}

async function commits(url: string): Promise<number> {
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query("SHOW GLOBAL STATUS LIKE 'Com_commit'");
    return Number((rows as { Value: string }[])[0]?.Value);
  } finally {
    await conn.end();
  }
}

describe("a run split over client processes", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ connections: 64 });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("four shards meet, start together, and merge into counts and percentiles of the whole", async () => {
    const outs = [0, 1, 2, 3].map(() => tempDir("rb-shard-"));
    const before = await commits(server.url);
    const runs = await Promise.all(outs.map((out, i) => shard(server.url, "test-four", 4, i, out)));
    const after = await commits(server.url);
    for (const run of runs) expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(readResultIn(outs[3] as string).command).toContain("env:RB_SHARD_TARGET");
    const results = outs.map(readResultIn);
    for (const [i, result] of results.entries()) {
      expect(result.clients).toEqual({ count: 4, index: i, runId: "test-four", hosts: [expect.any(String)] });
      expect(result.scenarios[0]?.connections.opened).toBe(2);
      expect(result.scenarios[0]?.shard?.meetings.map((m) => m.meeting)).toEqual([
        "aurora-write:warmup",
        "aurora-write:measured",
        "aurora-write:done",
      ]);
      // Only client 0 prepared the dataset.
      expect(result.scenarios[0]?.dataset === null).toBe(i !== 0);
    }
    // They started the measured phase at one agreed instant (this machine: one clock for all).
    const starts = results.map((r) => Date.parse(r.scenarios[0]?.measuredFrom ?? ""));
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(100);
    // Every shard committed what it counted: the server's counter over all four is their sum.
    const committed = results.reduce(
      (sum, r) => sum + (r.scenarios[0]?.counts.txns ?? 0) + (r.scenarios[0]?.warmup?.counts.txns ?? 0),
      0,
    );
    expect(after - before).toBe(committed);

    const merged = tempDir("rb-merged-");
    const merge = await runCli(["merge", ...outs, "--out", merged]);
    expect(merge.exitCode, merge.stderr).toBe(0);
    const m = readResultIn(merged);
    const scenario = m.scenarios[0];
    if (!scenario) throw new Error("no merged scenario");
    expect(m.clients).toMatchObject({ count: 4, index: null, runId: "test-four" });
    expect(scenario.shards?.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    expect(scenario.connections.opened).toBe(8);
    for (const key of ["reads", "writes", "txns", "errors", "rollbacks", "rows"] as const) {
      expect(scenario.counts[key], key).toBe(
        results.reduce((sum, r) => sum + (r.scenarios[0]?.counts[key] ?? 0), 0),
      );
    }
    // Percentiles of the merge are those of the combined raw histograms, not averages.
    for (const op of ["txn", "update_index", "commit"]) {
      const combined = newLatencyHistogram();
      for (const r of results) combined.add(decodeHistogram(r.scenarios[0]?.histograms[op] as string));
      expect(scenario.latencyMs[op]?.count, op).toBe(combined.totalCount);
      expect(scenario.latencyMs[op]?.p50, op).toBe(combined.getValueAtPercentile(50) / 1000);
      expect(scenario.latencyMs[op]?.p99, op).toBe(combined.getValueAtPercentile(99) / 1000);
      expect(scenario.latencyMs[op]?.max, op).toBe(combined.maxValue / 1000);
    }
    // Per-second throughput adds up on the shared clock.
    const second = (r: Result, t: number) => r.scenarios[0]?.intervals[t]?.writesPerSec ?? 0;
    expect(scenario.intervals[1]?.writesPerSec).toBeCloseTo(
      results.reduce((sum, r) => sum + second(r, 1), 0),
      6,
    );
    // Client 0's counter window (all clients idle at both ends) against the four clients' statements.
    expect(scenario.serverCounters?.ok).toBe(true);
    // Transactions are counted exactly; the meetings add a few statements of their own at most.
    const byCounter = Object.fromEntries((scenario.serverCounters?.checks ?? []).map((c) => [c.counter, c]));
    for (const counter of ["Com_commit", "Com_begin", "Com_delete"]) {
      expect(byCounter[counter]?.server, counter).toBe(byCounter[counter]?.client);
    }
    // The server's work per transaction: client 0's I/O counters over every client's transactions.
    const work = scenario.serverWork;
    expect(work?.txns).toBe(scenario.counts.txns);
    expect(work?.logBytesPerTxn).toBeGreaterThan(0);
    expect(work?.logBytesPerTxn).toBeCloseTo(
      (work?.delta.Innodb_os_log_written ?? 0) / scenario.counts.txns,
      6,
    );
    // And its seconds, as client 0 sampled them.
    const client0 = results.find((r) => r.clients?.index === 0)?.scenarios[0];
    expect(scenario.intervals.filter((i) => i.server).length).toBeGreaterThan(0);
    expect(scenario.intervals[1]?.server).toEqual(client0?.intervals[1]?.server);
    const report = readFileSync(join(merged, "report.md"), "utf8");
    expect(report).toContain("| aurora-write | 100,000 writes/s |");
    expect(report).toMatch(/\| client \| host \| started \(after the first\) \|/);
    expect(report).toMatch(/\| 3 \| [^|]+ \| \d+ ms \| 2 \|/);

    // The same merge from the pods' logs (kubectl logs --prefix output).
    const log = join(tempDir("rb-logs-"), "shards.log");
    writeFileSync(
      log,
      runs
        .map((run, i) =>
          String(run.stdout)
            .split("\n")
            .map((line) => `[pod/bench-${i}-x/bench] ${line}`)
            .join("\n"),
        )
        .join("\n"),
    );
    const fromLogs = tempDir("rb-merged-");
    const again = await runCli(["merge", log, "--out", fromLogs]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(readResultIn(fromLogs).scenarios[0]?.counts).toEqual(scenario.counts);

    // Mismatched or incomplete sets are refused, naming the problem.
    const refusals: [string[], RegExp][] = [
      [[outs[0] as string, outs[1] as string, outs[2] as string], /missing client 3/],
      [[outs[0] as string, outs[0] as string, outs[1] as string, outs[2] as string], /client 0 again/],
      [[merged], /not one client's result of a run of several/],
    ];
    for (const [args, message] of refusals) {
      const run = await runCli(["merge", ...args, "--out", tempDir("rb-merged-")]);
      expect(run.exitCode, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  }, 180_000);

  it("a shard that never arrives: the others time out with the missing index, exit 3", async () => {
    const outs = [0, 1].map(() => tempDir("rb-shard-"));
    const runs = await Promise.all(
      outs.map((out, i) => shard(server.url, "test-missing", 3, i, out, ["--barrier-timeout", "3s"])),
    );
    for (const run of runs) {
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(
        /run test-missing: client 2 of 3 never arrived at aurora-write:warmup within 3 s/,
      );
      expect(run.stderr).not.toContain(server.target.password as string);
    }
    expect(readResultIn(outs[0] as string).status).toBe("failed");
  }, 120_000);

  it("refuses shard flags that cannot work, before any load (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["run", "aurora-write", "--client-index", "0", "--target", server.url],
        /--client-index: give every client of the run the same --run-id/,
      ],
      [
        ["run", "aurora-write", "--client-index", "0", "--run-id", "x"],
        /--client-index: clients of one run must share a target/,
      ],
      [
        ["run", "aurora-write", "--client-index", "4", "--run-id", "x", "--target", server.url],
        /--client-index: 4 is not a client of aurora-write's 4 \(0 to 3/,
      ],
      [
        ["run", "aurora-write", "--client-index", "0", "--run-id", "a b", "--target", server.url],
        /--run-id: 'a b' must be/,
      ],
      [
        ["run", "crash-recovery", "--client-index", "0", "--run-id", "x", "--target", server.url],
        /crash-recovery crashes the target and runs from one client only/,
      ],
      [["run", "aurora-write", "--run-id", "x"], /--run-id: only for one client of several/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.exitCode, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(message);
    }
  }, 60_000);
});
