import { describe, expect, it } from "vitest";
import { runCli } from "../testing/servers.js";

/**
 * Input the CLI refuses before it starts anything (no server, no sandbox): exit 2 with one line
 * naming the flag. Runs the built CLI (`npm run build` first).
 */

// Each single-valued option of `run`, with a value that would pass on its own.
const SINGLE_VALUED: [string, string][] = [
  ["--target", "mysql://app:Sup3rS3cret@db.example.com/sbtest"],
  ["--duration", "60s"],
  ["--warmup", "10s"],
  ["--connections", "8"],
  ["--clients", "2"],
  ["--tables", "4"],
  ["--table-size", "1000"],
  ["--out", "results/x"],
  ["--workers", "2"],
  ["--sandbox-dir", "/tmp/sb"],
  ["--seed", "42"],
  ["--hot-path", "lean"],
  ["--protocol", "binary"],
  ["--baseline", "mysql://app:Sup3rS3cret@mysql.example.com/sbtest"],
  ["--rates", "1000,2000"],
  ["--replicas", "2"],
  ["--engine", "mariadb"],
  ["--crash-command", "kubectl delete pod db-0"],
  ["--restart-command", "kubectl scale sts db --replicas=1"],
  ["--client-index", "0"],
  ["--run-id", "r1"],
  ["--barrier-timeout", "10m"],
  ["--unreachable-after", "30s"],
];

describe("run refuses a single-valued option given twice", () => {
  it.each(SINGLE_VALUED)("%s", async (flag, value) => {
    // Commander would keep the last; refused however it is written, even with the same value. The
    // bad --engine (or --hot-path) stops a CLI that let the repeat through before it starts a run.
    const guard = flag === "--engine" ? ["--hot-path", "nosuch"] : ["--engine", "nosuch"];
    const run = await runCli(["run", "aurora-write", flag, value, `${flag}=${value}`, ...guard]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(`error: ${flag}: given twice; give it once`);
    expect(run.stdout).toBe("");
  });

  it("but takes --replica as often as it is given", async () => {
    const run = await runCli([
      "run",
      "aurora-write",
      "--replica",
      "mysql://u@r1/db",
      "--replica",
      "mysql://u@r2/db",
    ]);
    // Past the parser: the check that --replica needs --target.
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^error: --replica: give the primary with --target too/);
  });
});

describe("--protocol", () => {
  it("refuses a value other than text or binary, in one line naming the flag and the values", async () => {
    const run = await runCli(["run", "aurora-write", "--protocol", "prepared"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe("error: --protocol: 'prepared' must be text or binary");
    expect(run.stdout).toBe("");
  });
});

describe("durations longer than Node's timers can wait", () => {
  it("are refused at once, in one line, with no TimeoutOverflowWarning", async () => {
    for (const [flag, value] of [
      ["--duration", "700h"],
      ["--warmup", "600h"],
    ]) {
      // The bad --engine (checked after the durations) stops a CLI that took the duration before
      // it starts a run.
      const run = await runCli(
        ["run", "aurora-write", flag as string, value as string, "--engine", "nosuch"],
        {
          timeoutMs: 30_000,
        },
      );
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toBe(
        `error: ${flag}: '${value}' is longer than the longest run this tool can time (24 days); give at most 576h`,
      );
      expect(run.stderr).not.toContain("TimeoutOverflowWarning");
    }
  });
});

describe("k8s refuses names Kubernetes would reject", () => {
  const target = ["--target", "mysql://app:Sup3rS3cret@db.example.com/sbtest"];

  it("a namespace that is not a DNS label, an empty image, a run id too long to name the Job", async () => {
    for (const [args, line] of [
      [
        ["--namespace", "BAD NS: {x}"],
        /^error: --namespace: 'BAD NS: \{x\}' is not a Kubernetes namespace; /,
      ],
      [["--image", ""], /^error: --image: '' is not an image reference; /],
      [["--run-id", "r".repeat(42)], /^error: --run-id: 'r{42}' is too long to name the Job and the Secret /],
    ] as const) {
      const run = await runCli(["k8s", "aurora-write", ...target, ...args]);
      expect(run.exitCode, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(line);
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).not.toContain("Sup3rS3cret");
    }
  });
});
