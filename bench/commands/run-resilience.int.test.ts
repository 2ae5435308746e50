import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, readResultIn, startTestServer, tempDir } from "../testing/servers.js";

const LOAD = [
  "--tables",
  "2",
  "--table-size",
  "1000",
  "--clients",
  "1",
  "--connections",
  "8",
  "--warmup",
  "0s",
];

/** Starts `run` in the background; resolves `measuring` once its first measured second is shown. */
function startRun(args: string[]) {
  const child = execa(cliPath(), ["run", "aurora-write", ...LOAD, ...args], {
    reject: false,
    timeout: 120_000,
    env: { ...process.env, CI: "true" },
  });
  let stderr = "";
  const measuring = new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("aurora-write measured")) resolve();
    });
    // A run that ends before measuring fails the test with what it said, instead of hanging it.
    void child.then((outcome) =>
      reject(new Error(`the run ended before measuring (exit ${outcome.exitCode}): ${stderr}`)),
    );
  });
  return { child, measuring, stderr: () => stderr };
}

describe("a target that fails under the load", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ connections: 64 });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("killed mid-run and brought back: the run reconnects, finishes its duration, exit 0, errors counted", async () => {
    const out = tempDir("rb-resilience-");
    const run = startRun(["--duration", "8s", "--target", server.url, "--out", out]);
    await run.measuring;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.sandbox.kill();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.sandbox.restart();
    const outcome = await run.child;
    expect(outcome.exitCode, run.stderr()).toBe(0);
    const result = readResultIn(out);
    expect(result.status).toBe("complete");
    const scenario = result.scenarios[0];
    if (!scenario) throw new Error("no scenario");
    expect(scenario.status).toBe("complete");
    // The statements in flight died with the server: counted by code, in the result and the timeline.
    const errors = Object.values(scenario.errors).reduce((a, b) => a + b, 0);
    expect(errors).toBeGreaterThan(0);
    expect(scenario.counts.errors).toBe(errors);
    // All 8 died with the server; one reopened while it was still starting can be lost again, so
    // the count is at least 8, and every loss was reopened.
    const lost = scenario.intervals.reduce((sum, i) => sum + (i.connections?.lost ?? 0), 0);
    expect(lost).toBeGreaterThanOrEqual(8);
    expect(scenario.intervals.reduce((sum, i) => sum + (i.connections?.reconnected ?? 0), 0)).toBe(lost);
    expect(scenario.intervals.some((i) => i.errors > 0 && Object.keys(i.errorsByCode ?? {}).length > 0)).toBe(
      true,
    );
    expect(scenario.connections.aliveAtEnd).toBe(8);
    // Load before the kill, a dip while down, load again after the restart.
    const txns = scenario.intervals.map((i) => i.txnPerSec);
    expect(txns[0]).toBeGreaterThan(0);
    expect(Math.min(...txns.slice(0, -1))).toBeLessThan(Math.max(...txns) / 2);
    expect(txns.slice(-3).every((t) => t > 0)).toBe(true);
    expect(scenario.verdict.warnings.join(" ")).not.toMatch(/connections were lost/);
    // The control connection was reopened for the counter read; the restart reset the counters,
    // and the result says so in the tool's words instead of comparing them.
    expect(scenario.serverCounters ?? null).toBeNull();
    const warnings = scenario.verdict.warnings.join(" ");
    expect(warnings).toMatch(
      /the server restarted during the measured phase \(up \d+ s at its end, \d+ s without a restart\)/,
    );
    expect(warnings).not.toMatch(/closed state/);
  }, 120_000);

  it("killed for good: the phase ends after --unreachable-after, status failed with the reason, results kept, exit 3", async () => {
    const out = tempDir("rb-resilience-");
    const run = startRun([
      "--duration",
      "60s",
      "--unreachable-after",
      "3s",
      "--target",
      server.url,
      "--out",
      out,
    ]);
    await run.measuring;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const killedAt = Date.now();
    await server.sandbox.kill();
    const outcome = await run.child;
    const tookMs = Date.now() - killedAt;
    await server.sandbox.restart();
    expect(outcome.exitCode, run.stderr()).toBe(3);
    expect(tookMs).toBeLessThan(30_000);
    expect(run.stderr()).toMatch(/no connection to the target for 3 s/);
    const result = readResultIn(out);
    expect(result.status).toBe("failed");
    expect(result.failure?.message).toMatch(/no connection to the target for 3 s/);
    const scenario = result.scenarios[0];
    expect(scenario?.status).toBe("failed");
    expect(scenario?.counts.txns).toBeGreaterThan(0);
    expect(scenario?.intervals.length).toBeGreaterThan(2);
  }, 120_000);

  it("frozen (SIGSTOP: connections open, nothing answers): statements time out, the run fails after --unreachable-after, exit 3", async () => {
    const out = tempDir("rb-resilience-");
    const run = startRun([
      "--duration",
      "60s",
      "--unreachable-after",
      "3s",
      "--target",
      server.url,
      "--out",
      out,
    ]);
    await run.measuring;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const pid = server.sandbox.pid as number;
    const frozenAt = Date.now();
    process.kill(pid, "SIGSTOP");
    let outcome: Awaited<typeof run.child>;
    let tookMs: number;
    try {
      outcome = await run.child;
      tookMs = Date.now() - frozenAt;
    } finally {
      process.kill(pid, "SIGCONT");
    }
    expect(outcome.exitCode, run.stderr()).toBe(3);
    // 3 s for the statements to time out, up to 10 s for a reconnection's handshake to give up,
    // 3 s without a connection: far below the 60 s the run was asked for.
    expect(tookMs).toBeLessThan(30_000);
    const result = readResultIn(out);
    expect(result.status).toBe("failed");
    expect(result.failure?.message).toMatch(/no connection to the target for 3 s/);
    const scenario = result.scenarios[0];
    expect(scenario?.errors.TIMEOUT).toBeGreaterThan(0);
    expect(scenario?.counts.txns).toBeGreaterThan(0);
  }, 120_000);
});
