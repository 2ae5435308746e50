import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Result } from "../result/schema.js";
import { Sandbox } from "../sandbox/server.js";
import { packageRoot } from "../util/paths.js";

/** A server on 127.0.0.1 that a test starts itself, in a temporary folder removed afterwards. */
export async function startTestServer(options: { connections?: number; extraArgs?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "rb-test-server-"));
  const sandbox = await Sandbox.start({
    dir,
    sizing: { connections: options.connections ?? 64, tables: 4, tableSize: 1000 },
    log: () => {},
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  });
  return {
    sandbox,
    target: sandbox.target,
    url: `mysql://${sandbox.target.user}:${sandbox.target.password}@127.0.0.1:${sandbox.target.port}/sbtest`,
    dir,
    async stop() {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The CLI entry point a user runs (bin/, which loads dist/). */
export function cliPath(): string {
  return join(packageRoot(), "bin", "reinvent-bench.js");
}

/** Runs the built CLI (dist/, made by `npm test`'s build step) as a user would. */
export async function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliOutcome> {
  // The file itself, as npx runs it, so the flags on its #! line apply.
  const result = await execa(cliPath(), args, {
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, CI: "true" },
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Processes whose command line mentions `text` (for example a sandbox folder): none may outlive a run. */
export async function processesMentioning(text: string): Promise<string[]> {
  const result = await execa("pgrep", ["-af", text], { reject: false });
  return String(result.stdout)
    .split("\n")
    .filter((line) => line.trim() && !line.includes("pgrep"));
}

/** The result.json a run wrote into `dir`. */
export function readResultIn(dir: string): Result {
  return JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as Result;
}
