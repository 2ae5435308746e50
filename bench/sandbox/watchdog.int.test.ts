import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { cliPath, processesMentioning, tempDir } from "../testing/servers.js";
import { startWatchdog } from "./watchdog.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean | Promise<boolean>, withinMs: number): Promise<number> {
  const startMs = Date.now();
  while (!(await check())) {
    if (Date.now() - startMs > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - startMs;
}

/** A stand-in process (for the tool or the server) that a test can kill. */
function standIn() {
  const child = spawn("sleep", ["120"], { stdio: "ignore" });
  return { pid: child.pid as number, child };
}

describe("the sandbox's watchdog", () => {
  it("stops the server within seconds of the tool's death, and only when the tool died", async () => {
    const tool = standIn();
    const server = standIn();
    const watchdog = startWatchdog(server.pid, tool.pid);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(alive(server.pid)).toBe(true);
    tool.child.kill("SIGKILL");
    const tookMs = await waitUntil(
      () => server.child.exitCode !== null || server.child.signalCode !== null,
      10_000,
    );
    expect(tookMs).toBeLessThan(5000);
    expect(server.child.signalCode).toBe("SIGTERM");
    expect(watchdog.pid).toBeGreaterThan(0);
  });

  it("cancelled (the tool stops the server itself): it leaves the server alone", async () => {
    const tool = standIn();
    const server = standIn();
    startWatchdog(server.pid, tool.pid).cancel();
    tool.child.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(alive(server.pid)).toBe(true);
    server.child.kill("SIGKILL");
  });
});

describe("kill -9 of the tool", () => {
  const sandboxDir = tempDir("rb-watchdog-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("leaves no sandbox server running for long", async () => {
    const child = execa(
      cliPath(),
      [
        "run",
        "aurora-write",
        "--quick",
        "--duration",
        "30s",
        "--sandbox-dir",
        sandboxDir,
        "--out",
        tempDir("rb-out-"),
      ],
      { reject: false, timeout: 120_000, env: { ...process.env, CI: "true" } },
    );
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("aurora-write measured") || stderr.includes("aurora-write warmup")) resolve();
      });
      void child.then(() => reject(new Error(`the run ended first: ${stderr}`)));
    });
    expect(await processesMentioning(sandboxDir)).not.toEqual([]);
    child.kill("SIGKILL");
    await child;
    // The server gets SIGTERM within about a second and shuts down.
    const tookMs = await waitUntil(async () => (await processesMentioning(sandboxDir)).length === 0, 30_000);
    expect(tookMs).toBeLessThan(30_000);
  }, 150_000);
});
