import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { histogramTag, readHistogramLog } from "../live/hlog.js";
import { decodeHistogram } from "../metrics/histogram.js";
import type { CrashResult, ScenarioResult } from "../result/schema.js";
import { HLOG_FILE } from "../run/live-options.js";
import {
  cliPath,
  processesMentioning,
  readResultIn,
  runCli,
  startTestServer,
  tempDir,
} from "../testing/servers.js";

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The interval stream's fields these tests read (bench/live/interval-record.ts has them all). */
interface StreamLine {
  label: string;
  phase: string;
  t: number;
  connections: { alive: number; lost: number; reconnected: number } | null;
  [field: string]: unknown;
}

const readLines = (path: string): StreamLine[] =>
  existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as StreamLine)
    : [];

/** The figures a stream line and an entry of result.json's intervals[] both hold. */
function sharedFigures(interval: Record<string, unknown>): Record<string, unknown> {
  const { t, readsPerSec, writesPerSec, txnPerSec, errors, latencyMs, connections } = interval;
  return { t, readsPerSec, writesPerSec, txnPerSec, errors, latencyMs, connections };
}

describe("crash-recovery on the sandbox", () => {
  const sandboxDir = tempDir("rb-crash-sandbox-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("kills and restarts the sandbox twice (warm, cold) under load and times each outage", async () => {
    const out = tempDir("rb-crash-out-");
    const stream = join(out, "s.jsonl");
    const run = await runCli(
      [
        "run",
        "crash-recovery",
        "--quick",
        "--out",
        out,
        "--sandbox-dir",
        sandboxDir,
        "--out-intervals",
        stream,
      ],
      { timeoutMs: 240_000 },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const result = readResultIn(out);
    expect(result.status).toBe("complete");
    const scenario = result.scenarios[0];
    const crashes = scenario?.crashes ?? [];
    expect(crashes.map((c) => [c.method, c.cache])).toEqual([
      ["sandbox-kill", "warm"],
      ["sandbox-kill", "cold"],
    ]);
    for (const crash of crashes as CrashResult[]) {
      expect(crash.failure).toBeNull();
      // Truth the test controls: no server process existed from the kill until the restart
      // started one, so the outage spans at least that; the last commit came before the kill.
      const phaseStartEpochMs = Date.parse(crash.at) - crash.atMs;
      const restart = crash.steps.find((s) => s.name === "restart");
      const kill = crash.steps.find((s) => s.name === "kill");
      expect(crash.outage?.fromMs).toBeLessThanOrEqual(
        Date.parse(kill?.startedAt ?? "") + (kill?.durationMs ?? 0) - phaseStartEpochMs + 1,
      );
      expect(crash.outage?.toMs).toBeGreaterThanOrEqual(
        Date.parse(restart?.startedAt ?? "") - phaseStartEpochMs - 1,
      );
      // The first commit follows the server's return within the reconnect bound (200 ms) and a
      // transaction's time; the tool's own readiness check may queue behind the load's handshakes.
      expect(crash.restartMs).toBeGreaterThan(0);
      expect(crash.downtimeMs).toBeGreaterThan((crash.restartMs as number) - 250);
      expect(crash.downtimeMs).toBeLessThan((crash.restartMs as number) + 1500);
      // Recovered no earlier than the first commit after the crash.
      expect(crash.recoveryMs).toBeGreaterThanOrEqual((crash.outage?.toMs as number) - crash.atMs - 1);
      expect(crash.before?.writesPerSec).toBeGreaterThan(0);
      expect(crash.after?.writesPerSec).toBeGreaterThan(0);
      expect(crash.before?.p99Ms).toBeGreaterThan(0);
      // Every in-flight statement died with the server: lost connections, counted by code, reopened.
      expect(total(crash.errors)).toBeGreaterThan(0);
      expect(crash.connectionsLost).toBeGreaterThan(0);
      expect(crash.reconnected).toBe(crash.connectionsLost);
      expect(crash.integrity?.ok).toBe(true);
      expect(crash.integrity?.rowsAfter).toBe(8 * 10_000);
      expect(crash.claims.length).toBeGreaterThan(0);
      expect(crash.commitsPerTick.length).toBeGreaterThan(100);
      // The steps that crashed and restarted it are kept.
      expect(crash.steps.map((s) => s.name)).toEqual(
        crash.cache === "warm" ? ["buffer pool dump", "kill", "restart"] : ["kill", "restart"],
      );
    }
    // The intervals of the last run mark the losses and the reconnections on the timeline.
    expect(scenario?.intervals.some((i) => (i.connections?.lost ?? 0) > 0)).toBe(true);
    expect(scenario?.intervals.some((i) => (i.connections?.reconnected ?? 0) > 0)).toBe(true);
    expect(scenario?.verdict.text).toMatch(
      /After the first commit, throughput was back to 90% in .* with the cache kept \(warm\)/,
    );
    const report = readFileSync(join(out, "report.md"), "utf8");
    // At 5 s, or a little after: the warm crash dumps the buffer pool first.
    expect(report).toMatch(/\| warm \(sandbox-kill\) at 5\.\d s \|/);
    expect(report).toContain("charts/crash-timeline-crash-recovery.svg");
    expect(await processesMentioning(sandboxDir)).toEqual([]);

    // The live outputs over the crashes: every measured second of each crash's run is a line of
    // the interval stream, the seconds around the crash with the connections it lost, as result.json has them.
    const lines = readLines(stream);
    for (const crash of crashes as CrashResult[]) {
      const label = `crash-recovery (${crash.cache})`;
      const measured = lines.filter((l) => l.label === label && l.phase === "measured");
      expect(
        measured.map((l) => [l.t, l.connections?.lost, l.connections?.reconnected]),
        label,
      ).toEqual(crash.intervals.map((i) => [i.t, i.lost, i.reconnected]));
      expect(
        measured.some((l) => (l.connections?.lost ?? 0) > 0),
        label,
      ).toBe(true);
    }
    // The last crash's run is the one the scenario's intervals and histograms describe.
    const last = scenario as ScenarioResult;
    const lastLabel = `crash-recovery (${crashes.at(-1)?.cache})`;
    const lastMeasured = lines.filter((l) => l.label === lastLabel && l.phase === "measured");
    expect(lastMeasured.map(sharedFigures)).toEqual(last.intervals.map(sharedFigures));
    // The run folder's .hlog reads back, its measured intervals adding up to the result's histograms.
    const logged = readHistogramLog(readFileSync(join(out, HLOG_FILE), "utf8"));
    expect(Object.keys(last.histograms).length).toBeGreaterThan(0);
    for (const [op, encoded] of Object.entries(last.histograms)) {
      const tag = histogramTag({ scenario: "crash-recovery", label: lastLabel }, "measured", op);
      const count = logged.filter((i) => i.tag === tag).reduce((sum, i) => sum + i.histogram.totalCount, 0);
      expect(count, tag).toBe(decodeHistogram(encoded).totalCount);
    }
  }, 300_000);
});

describe("crash-recovery interrupted", () => {
  const sandboxDir = tempDir("rb-crash-sandbox-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("SIGTERM while the sandbox restarts: result interrupted, exit 130, no server left", async () => {
    const out = tempDir("rb-crash-out-");
    const { execa } = await import("execa");
    const child = execa(
      cliPath(),
      ["run", "crash-recovery", "--quick", "--out", out, "--sandbox-dir", sandboxDir],
      {
        reject: false,
        timeout: 180_000,
        env: { ...process.env, CI: "true" },
      },
    );
    let stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("sandbox: killed")) resolve();
      });
    });
    child.kill("SIGTERM");
    const outcome = await child;
    expect(outcome.exitCode, stderr).toBe(130);
    const result = readResultIn(out);
    expect(result.status).toBe("interrupted");
    expect(result.scenarios[0]?.status).toBe("interrupted");
    expect(result.scenarios[0]?.crashes?.[0]?.cache).toBe("warm");
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 240_000);
});

describe("crash-recovery interrupted before its first crash", () => {
  const sandboxDir = tempDir("rb-crash-early-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("says the crash was not reached, with no downtime, and the scenario's status agrees with the run's", async () => {
    const out = tempDir("rb-crash-out-");
    const { execa } = await import("execa");
    const child = execa(
      cliPath(),
      ["run", "crash-recovery", "--quick", "--out", out, "--sandbox-dir", sandboxDir],
      { reject: false, timeout: 180_000, env: { ...process.env, CI: "true" } },
    );
    let stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        // The dataset is ready: 2 s of warm-up follow, then the measured phase, its crash 5 s in.
        if (/dataset: (loaded|reusing)/.test(stderr)) resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    child.kill("SIGINT");
    const outcome = await child;
    const printed = String(outcome.stderr);
    expect(outcome.exitCode, printed).toBe(130);
    expect(printed).toMatch(/crash \(sandbox-kill, warm\): not reached: interrupted before the crash/);
    expect(printed).not.toMatch(/downtime 0\.00 ms/);
    const result = readResultIn(out);
    expect(result.status).toBe("interrupted");
    expect(result.scenarios[0]?.status).toBe("interrupted");
    const crash = result.scenarios[0]?.crashes?.[0];
    expect(crash?.downtimeMs).toBeNull();
    expect(crash?.recoveryMs).toBeNull();
    expect(crash?.steps).toEqual([]);
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 200_000);
});

describe("crash-recovery on a given target, by command", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ connections: 64 });
  }, 120_000);
  afterAll(async () => {
    // A stopped server would not stop: make sure it runs before stopping it.
    if (server?.sandbox.pid) process.kill(server.sandbox.pid, "SIGCONT");
    await server?.stop();
  });

  const SMALL = [
    "--quick",
    "--tables",
    "2",
    "--table-size",
    "1000",
    "--connections",
    "4",
    "--warmup",
    "1s",
    "--duration",
    "10s",
  ];

  it("runs the crash and restart commands, keeps their output redacted, and times the outage", async () => {
    const out = tempDir("rb-crash-cmd-");
    const pid = server.sandbox.pid as number;
    const password = server.target.password as string;
    // Frozen, not killed: the server is unresponsive for a known 1.5 s, then goes on.
    const run = await runCli([
      "run",
      "crash-recovery",
      ...SMALL,
      "--target",
      server.url,
      "--crash-command",
      `echo "freezing with ${password}"; kill -STOP ${pid}`,
      "--restart-command",
      `sleep 1.5; kill -CONT ${pid}; echo thawed`,
      "--out",
      out,
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const text = readFileSync(join(out, "result.json"), "utf8");
    for (const output of [run.stdout, run.stderr, text]) expect(output).not.toContain(password);
    const crashes = readResultIn(out).scenarios[0]?.crashes ?? [];
    expect(crashes).toHaveLength(1);
    const crash = crashes[0] as CrashResult;
    expect([crash.method, crash.cache, crash.failure]).toEqual(["command", "unknown", null]);
    expect(crash.steps.map((s) => [s.name, s.ok, s.exitCode])).toEqual([
      ["crash", true, 0],
      ["restart", true, 0],
    ]);
    expect(crash.steps[0]?.output).toBe("freezing with ***");
    expect(crash.steps[0]?.action).toContain("freezing with ***");
    expect(crash.steps[1]?.output).toBe("thawed");
    expect(crash.downtimeMs).toBeGreaterThanOrEqual(1450);
    expect(crash.downtimeMs).toBeLessThan(3500);
    expect(crash.after?.writesPerSec).toBeGreaterThan(0);
    // Only the warm claim is about a kept cache; a command's cache is unknown.
    expect(crash.claims.map((c) => c.id)).toEqual(["crash"]);
  }, 120_000);

  it("a failing crash command: the scenario fails with its exit code and output, exit 3", async () => {
    const out = tempDir("rb-crash-cmd-");
    const run = await runCli([
      "run",
      "crash-recovery",
      ...SMALL,
      "--target",
      server.url,
      "--crash-command",
      "echo no permission >&2; exit 7",
      "--out",
      out,
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/crash command exited 7: no permission/);
    const result = readResultIn(out);
    expect(result.status).toBe("failed");
    expect(result.scenarios[0]?.crashes?.[0]?.steps[0]?.output).toBe("no permission");
  }, 120_000);

  it("refuses malformed crash options and targets it cannot crash, before any load, exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["run", "crash-recovery", "--target", server.url, "--crash-command", " "],
        /--crash-command: give the shell command/,
      ],
      [
        ["run", "crash-recovery", "--target", server.url, "--restart-command", "true"],
        /--restart-command: runs after --crash-command/,
      ],
      [
        ["run", "aurora-read", "--target", server.url, "--crash-command", "true"],
        /--crash-command: none of aurora-read crashes the target/,
      ],
      [
        ["run", "crash-recovery", "--crash-command", "true"],
        /--crash-command: the sandbox is crashed by the tool itself/,
      ],
      [["run", "crash-recovery", "--unreachable-after", "0s"], /--unreachable-after: '0s' must be/],
      [
        ["run", "crash-recovery", "--unreachable-after", "soon"],
        /--unreachable-after: 'soon' must be a duration/,
      ],
      [
        ["run", "crash-recovery", "--quick", "--duration", "2s"],
        /--duration: .*crash-recovery\.yaml crashes the target mid-phase and needs at least 3s measured/,
      ],
      [
        ["run", "crash-recovery", ...SMALL, "--target", server.url],
        /neither the sandbox nor Aurora; give --crash-command/,
      ],
      [
        ["run", "aurora-faults", "--quick", "--target", server.url],
        /aurora-faults: its faults \(disk-congestion, disk-failure, replica-failure\) are Aurora's ALTER SYSTEM SIMULATE statements/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.exitCode, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr).not.toContain(server.target.password as string);
    }
  }, 120_000);
});
