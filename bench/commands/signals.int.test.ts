import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cliPath, readResultIn, tempDir } from "../testing/servers.js";
import { packageRoot } from "../util/paths.js";

describe("interrupts at the edges of a run", () => {
  it("before the run's own handlers: says no result was written, exit 130", async () => {
    // The handler `run` installs first, exercised in a process of its own.
    const script = join(tempDir("rb-early-"), "early.mjs");
    const module = join(packageRoot(), "dist", "bench", "util", "early-signals.js");
    writeFileSync(
      script,
      `import { installEarlySignalExit } from ${JSON.stringify(module)};\ninstallEarlySignalExit();\nprocess.kill(process.pid, "SIGINT");\nsetTimeout(() => process.exit(0), 5000);\n`,
    );
    const outcome = await execa(process.execPath, [script], { reject: false });
    expect(outcome.exitCode).toBe(130);
    expect(outcome.stderr).toMatch(/SIGINT: interrupted before the run began; no result\.json was written/);
  });

  it("while the reports are written: finishes them and exits 130, the result complete", async () => {
    const out = tempDir("rb-out-late-");
    const child = execa(
      cliPath(),
      [
        "run",
        "aurora-write",
        "--quick",
        "--duration",
        "2s",
        "--warmup",
        "1s",
        "--sandbox-dir",
        tempDir("rb-late-sb-"),
        "--out",
        out,
      ],
      { reject: false, timeout: 120_000, env: { ...process.env, CI: "true" } },
    );
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        // The last scenario's verdict: what follows is stopping the sandbox and writing the reports.
        if (/^verdict: /m.test(stderr)) resolve();
      });
      void child.then(() => reject(new Error(`the run ended first: ${stderr}`)));
    });
    child.kill("SIGINT");
    const outcome = await child;
    expect(outcome.exitCode, String(outcome.stderr)).toBe(130);
    expect(String(outcome.stderr)).toMatch(
      /SIGINT: the measurements are done and saved; finishing the reports, then exit 130/,
    );
    expect(String(outcome.stderr)).not.toMatch(/stopping the load/);
    expect(readResultIn(out).status).toBe("complete");
    expect(existsSync(join(out, "report.md"))).toBe(true);
  }, 150_000);
});
