import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { histogramTag, readHistogramLog } from "../live/hlog.js";
import { decodeHistogram } from "../metrics/histogram.js";
import type { Result, ScenarioResult } from "../result/schema.js";
import { freePort } from "../sandbox/port.js";
import { cliPath, readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";
import { sleep } from "../util/timer.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer({ connections: 32 });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const SMALL = ["--tables", "2", "--table-size", "500", "--connections", "4", "--warmup", "1s"];

interface StreamLine {
  scenario: string;
  label: string;
  phase: string;
  targetRatePerSec: number | null;
  t: number;
  [field: string]: unknown;
}

const readLines = (path: string): StreamLine[] =>
  existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as StreamLine)
    : [];

/** The interval-stream line's figures that result.json's intervals[] hold too. */
function asInterval(line: StreamLine): Record<string, unknown> {
  const { t, readsPerSec, writesPerSec, txnPerSec, errors, latencyMs, generator, connections } = line;
  return { t, readsPerSec, writesPerSec, txnPerSec, errors, latencyMs, generator, connections };
}

function fromResult(interval: ScenarioResult["intervals"][number]): Record<string, unknown> {
  const { t, readsPerSec, writesPerSec, txnPerSec, errors, latencyMs, generator, connections } = interval;
  return { t, readsPerSec, writesPerSec, txnPerSec, errors, latencyMs, generator, connections };
}

/** Every count the .hlog holds under one tag. */
function loggedCount(hlog: string, tag: string): number {
  return readHistogramLog(hlog)
    .filter((i) => i.tag === tag)
    .reduce((sum, i) => sum + i.histogram.totalCount, 0);
}

describe("run: a run watched while it runs", () => {
  it("streams a line per second while it goes, serves /metrics only while it lives, and logs every histogram", async () => {
    const out = tempDir("rb-live-");
    const stream = join(out, "seconds.jsonl");
    const port = await freePort();
    const child = execa(
      cliPath(),
      [
        "run",
        "aurora-write",
        ...SMALL,
        "--duration",
        "6s",
        "--target",
        server.url,
        "--out",
        out,
        "--out-intervals",
        stream,
        "--metrics-port",
        String(port),
      ],
      { reject: false, timeout: 120_000, env: { ...process.env, CI: "true" } },
    );
    // Mid-run: two measured seconds are in the file, each line whole, and /metrics answers.
    let midRun: StreamLine[] = [];
    let scrape = "";
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      midRun = readLines(stream).filter((l) => l.phase === "measured");
      if (midRun.length >= 2) {
        scrape = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        break;
      }
      await sleep(100);
    }
    const done = await child;
    expect(done.stderr).not.toMatch(/^error:/m);
    expect(done.exitCode).toBe(0);
    expect(midRun.length).toBeGreaterThanOrEqual(2);
    expect(scrape).toContain('scenario="aurora-write"');
    // The endpoint went with the run.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();

    const result = readResultIn(out);
    const scenario = result.scenarios[0] as ScenarioResult;
    const lines = readLines(stream);
    const measured = lines.filter((l) => l.phase === "measured");
    expect(measured.map(asInterval)).toEqual(scenario.intervals.map(fromResult));
    expect(lines.filter((l) => l.phase === "warmup").length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.scenario))).toEqual(new Set(["aurora-write"]));

    // The .hlog's measured intervals add up to the result's histograms, op by op.
    const hlog = readFileSync(join(out, "histograms.hlog"), "utf8");
    const label = measured[0]?.label ?? "";
    for (const [op, encoded] of Object.entries(scenario.histograms)) {
      const tag = histogramTag({ scenario: "aurora-write", label }, "measured", op);
      expect(loggedCount(hlog, tag), op).toBe(decodeHistogram(encoded).totalCount);
    }
  }, 180_000);

  it("labels an open loop's seconds with each step's rate, and each step's seconds equal its intervals", async () => {
    const dir = tempDir("rb-live-rate-");
    const file = join(dir, "fixed-rate.yaml");
    writeFileSync(
      file,
      [
        "id: fixed-rate-update",
        "title: Index updates at fixed rates",
        "dataset: { tables: 1, tableSize: 1000 }",
        "workload:",
        "  transaction: false",
        "  distribution: uniform",
        "  steps:",
        '    - statements: [{ name: update, sql: "UPDATE sbtest{table} SET k=k+1 WHERE id={id}" }]',
        "load: { clients: 1, connectionsPerClient: 4, warmup: 0s, duration: 3s, rates: [150, 250] }",
        "",
      ].join("\n"),
    );
    const out = join(dir, "out");
    const stream = join(dir, "seconds.csv");
    const run = await runCli(["run", file, "--target", server.url, "--out", out, "--out-intervals", stream]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const [header, ...rows] = readFileSync(stream, "utf8").trim().split("\n");
    const columns = (header ?? "").split(",");
    const at = (row: string, column: string) => row.split(",")[columns.indexOf(column)];
    const result: Result = readResultIn(out);
    const steps = result.scenarios[0]?.steps ?? [];
    expect(steps.map((s) => s.targetRatePerSec)).toEqual([150, 250]);
    for (const step of steps) {
      const mine = rows.filter(
        (row) =>
          at(row, "phase") === "measured" && Number(at(row, "targetRatePerSec")) === step.targetRatePerSec,
      );
      expect(mine.map((row) => Number(at(row, "t")))).toEqual(step.intervals.map((i) => i.t));
      expect(mine.map((row) => Number(at(row, "writesPerSec")))).toEqual(
        step.intervals.map((i) => i.writesPerSec),
      );
    }
  }, 120_000);

  it("serves each replica's lag while a replica-lag step runs", async () => {
    const out = tempDir("rb-live-lag-");
    const port = await freePort();
    const child = execa(
      cliPath(),
      [
        "run",
        "replica-lag",
        "--quick",
        "--rates",
        "200",
        "--duration",
        "6s",
        "--out",
        out,
        "--metrics-port",
        String(port),
      ],
      { reject: false, timeout: 170_000, env: { ...process.env, CI: "true" } },
    );
    let lagCount = 0;
    for (let i = 0; i < 1600 && child.exitCode === null && lagCount === 0; i++) {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => "");
      const line = text
        .split("\n")
        .find(
          (l) =>
            l.startsWith("reinvent_bench_replica_lag_seconds_count{") && l.includes('replica="replica-1"'),
        );
      lagCount = line ? Number(line.split(" ").at(-1)) : 0;
      if (lagCount === 0) await sleep(100);
    }
    const done = await child;
    expect(done.stderr).not.toMatch(/^error:/m);
    expect(done.exitCode).toBe(0);
    expect(lagCount).toBeGreaterThan(0);
    // Counted mid-run: no more than the probe recorded for the step in all.
    const step = readResultIn(out).scenarios[0]?.steps?.[0];
    expect(lagCount).toBeLessThanOrEqual(step?.lagMs["replica-1"]?.samples ?? 0);
  }, 180_000);

  it("refuses a stream file of another kind and a port it cannot have, before connecting (exit 2)", async () => {
    const bad = await runCli(["run", "aurora-write", "--out-intervals", "x.json", "--target", server.url]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toMatch(
      /^error: interval stream x\.json: extension "\.json"; name a file ending in \.jsonl/,
    );
    const port = await runCli(["run", "aurora-write", "--metrics-port", "70000"]);
    expect(port.exitCode).toBe(2);
    expect(port.stderr.trim()).toBe(
      "error: --metrics-port: '70000' must be a TCP port from 0 to 65535 (0: any free port, printed when the run starts)",
    );
    const host = await runCli(["run", "aurora-write", "--metrics-host", "0.0.0.0"]);
    expect(host.exitCode).toBe(2);
    expect(host.stderr.trim()).toBe(
      "error: --metrics-host: the address of the metrics endpoint; give --metrics-port N too",
    );
  }, 60_000);
});
