import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Result } from "../result/schema.js";
import { type ReplicaTopology, startReplicaTopology } from "../sandbox/topology.js";
import type { TargetSpec } from "../target/url.js";
import { runCli, tempDir } from "../testing/servers.js";

const urlOf = (t: TargetSpec) => `mysql://${t.user}:${t.password}@127.0.0.1:${t.port}/${t.database}`;
const replicaOf = (t: ReplicaTopology) => urlOf((t.replicas[0] as { target: TargetSpec }).target);

describe("run replica-lag --baseline URL --baseline-replica URL: both topologies, compared", () => {
  const dir = tempDir("rb-lag-baseline-");
  let target: ReplicaTopology;
  let baseline: ReplicaTopology;
  beforeAll(async () => {
    const start = (name: string) =>
      startReplicaTopology({
        dir: join(dir, name),
        replicas: 1,
        sizing: { connections: 32, tables: 1, tableSize: 1000 },
        log: () => {},
      });
    target = await start("target");
    baseline = await start("baseline");
  }, 180_000);
  afterAll(async () => {
    await target?.stop();
    await baseline?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("measures lag on each side's own replica, at the same rate, and compares the two", async () => {
    const out = tempDir("rb-lag-baseline-out-");
    const run = await runCli(
      [
        "run",
        "replica-lag",
        "--target",
        urlOf(target.primary),
        "--replica",
        replicaOf(target),
        "--baseline",
        urlOf(baseline.primary),
        "--baseline-replica",
        replicaOf(baseline),
        "--rates",
        "200",
        "--tables",
        "1",
        "--table-size",
        "1000",
        "--connections",
        "4",
        "--warmup",
        "0",
        "--duration",
        "2s",
        "--out",
        out,
      ],
      { timeoutMs: 170_000 },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const read = (side: string) => JSON.parse(readFileSync(join(out, side, "result.json"), "utf8")) as Result;
    for (const [side, topology] of [
      ["baseline", baseline],
      ["target", target],
    ] as const) {
      const lag = read(side).scenarios[0];
      expect(lag?.replication?.primary).toContain(`:${topology.primary.port}/`);
      expect(lag?.replication?.replicas[0]?.url).toContain(
        `:${(topology.replicas[0] as { target: TargetSpec }).target.port}/`,
      );
      expect(lag?.steps?.[0]?.lagMs["replica-1"]?.samples).toBeGreaterThan(0);
    }
    const comparison = readFileSync(join(out, "comparison.md"), "utf8");
    expect(comparison).toMatch(/replica-lag @ 200\/s/);
    for (const text of [comparison, run.stdout, run.stderr]) {
      expect(text).not.toContain(target.primary.password);
      expect(text).not.toContain(baseline.primary.password);
    }
  }, 180_000);

  it("needs replicas on both sides, and --baseline-replica only with a lag scenario (exit 2)", async () => {
    const one = await runCli([
      "run",
      "replica-lag",
      "--target",
      urlOf(target.primary),
      "--replica",
      replicaOf(target),
      "--baseline",
      urlOf(baseline.primary),
    ]);
    expect(one.exitCode).toBe(2);
    expect(one.stderr).toMatch(
      /^error: --baseline: replica-lag needs replicas of each target; give the target's with --replica URL and the baseline's with --baseline-replica URL/m,
    );
    const stray = await runCli([
      "run",
      "aurora-read",
      "--target",
      urlOf(target.primary),
      "--baseline",
      urlOf(baseline.primary),
      "--baseline-replica",
      replicaOf(baseline),
    ]);
    expect(stray.exitCode).toBe(2);
    expect(stray.stderr).toMatch(/^error: --baseline-replica: none of aurora-read measures replica lag/m);
    const alone = await runCli(["run", "replica-lag", "--baseline-replica", replicaOf(baseline)]);
    expect(alone.exitCode).toBe(2);
    expect(alone.stderr).toMatch(
      /^error: --baseline-replica: a replica of --baseline; give --baseline URL too/m,
    );
  }, 60_000);
});
