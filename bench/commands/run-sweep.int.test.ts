import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultJsonSchema } from "../result/json-schema.js";
import { readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";

const validateResult = new Ajv({ strict: false }).compile(JSON.parse(resultJsonSchema()));

describe("sweeps: a throughput scenario over a list of values", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ connections: 120 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("--connections 4,16,64: a point each, checked against the server's counters, the peak, the fit and its charts", async () => {
    const out = tempDir("rb-out-sweep-");
    const run = await runCli(
      [
        "run",
        "aurora-read",
        "--connections",
        "4,16,64",
        "--quick",
        "--target",
        server.url,
        "--tables",
        "2",
        "--table-size",
        "500",
        "--warmup",
        "1s",
        "--duration",
        "2s",
        "--out",
        out,
      ],
      { timeoutMs: 150_000 },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const result = readResultIn(out);
    expect(validateResult(result), JSON.stringify(validateResult.errors)).toBe(true);
    const scenario = result.scenarios[0];
    expect(scenario?.kind).toBe("throughput");
    const points = scenario?.points ?? [];
    expect(points.map((p) => [p.parameter, p.value, p.connections])).toEqual([
      ["connections", 4, 4],
      ["connections", 16, 16],
      ["connections", 64, 64],
    ]);
    for (const point of points) {
      expect(point.status).toBe("complete");
      expect(point.throughput.readsPerSec).toBeGreaterThan(0);
      // Each point's own window, against the server's own counters.
      expect(point.serverCounters?.ok, JSON.stringify(point.serverCounters)).toBe(true);
      expect(point.serverCounters?.checks.find((c) => c.counter === "Com_select")?.client).toBe(
        point.counts.reads,
      );
    }
    const sweep = scenario?.sweep;
    expect(sweep?.parameter).toBe("connections");
    expect(sweep?.metric).toBe("readsPerSec");
    const best = Math.max(...points.map((p) => p.throughput.readsPerSec));
    expect(sweep?.peak).toEqual({
      value: points.find((p) => p.throughput.readsPerSec === best)?.value,
      throughputPerSec: best,
    });
    expect(sweep?.usl?.levels).toBe(3);
    expect(Number.isFinite(sweep?.usl?.rSquared)).toBe(true);
    // The scenario's own figures are the peak point's.
    expect(scenario?.throughput.readsPerSec).toBe(best);
    expect(scenario?.verdict.text).toMatch(/connections per client \(the sweep's peak\)/);
    expect(existsSync(join(out, "charts", "sweep-throughput-aurora-read.svg"))).toBe(true);
    expect(existsSync(join(out, "charts", "sweep-latency-aurora-read.svg"))).toBe(true);
    const report = readFileSync(join(out, "report.md"), "utf8");
    expect(report).toMatch(/\| connections per client \| connections \| readsPerSec \|/);
    expect(report).toMatch(/Universal Scalability Law, fitted to 3 levels of connections/);
    expect(run.stderr).toMatch(/a sweep over connections per client: 4, 16, 64/);
  }, 160_000);

  it("--table-size 200,400: the dataset is loaded for each size, and no scalability fit is claimed", async () => {
    const out = tempDir("rb-out-sweep-");
    const run = await runCli(
      [
        "run",
        "aurora-write",
        "--table-size",
        "200,400",
        "--quick",
        "--target",
        server.url,
        "--tables",
        "2",
        "--connections",
        "4",
        "--clients",
        "1",
        "--warmup",
        "1s",
        "--duration",
        "2s",
        "--out",
        out,
      ],
      { timeoutMs: 150_000 },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const scenario = readResultIn(out).scenarios[0];
    expect(scenario?.points?.map((p) => [p.value, p.dataset?.tableSize, p.dataset?.tables])).toEqual([
      [200, 200, 2],
      [400, 400, 2],
    ]);
    expect(scenario?.sweep?.usl).toBeNull();
    expect(scenario?.sweep?.metric).toBe("writesPerSec");
  }, 160_000);

  it("refuses what a sweep cannot be, before any load: exit 2, one line naming the flag", async () => {
    const both = await runCli(["run", "aurora-read", "--connections", "4,16", "--table-size", "10,20"]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr.trim()).toBe(
      "error: --table-size: a sweep varies one parameter; give a list to --connections or --table-size, not both",
    );
    const lag = await runCli(["run", "replica-lag", "--connections", "4,16"]);
    expect(lag.exitCode).toBe(2);
    expect(lag.stderr).toMatch(
      /--connections: a list of values sweeps throughput scenarios; replica-lag is rate-steps/,
    );
    expect(lag.stderr).not.toMatch(/at .*\.js:\d+/);
  }, 60_000);
});
