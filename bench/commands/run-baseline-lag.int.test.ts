import { readFileSync, rmSync, writeFileSync } from "node:fs";
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
        "--out-intervals",
        join(out, "seconds.jsonl"),
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
    // Each run's live seconds say which run they are: a stream of its own, labels with its part.
    const labels = (file: string) =>
      new Set(
        readFileSync(join(out, file), "utf8")
          .trim()
          .split("\n")
          .map((line) => (JSON.parse(line) as { label: string }).label),
      );
    expect(labels("seconds.baseline.jsonl")).toEqual(new Set(["baseline: replica-lag @200/s"]));
    expect(labels("seconds.jsonl")).toEqual(new Set(["target: replica-lag @200/s"]));
    const comparison = readFileSync(join(out, "comparison.md"), "utf8");
    expect(comparison).toMatch(/replica-lag @ 200\/s/);
    for (const text of [comparison, run.stdout, run.stderr]) {
      expect(text).not.toContain(target.primary.password);
      expect(text).not.toContain(baseline.primary.password);
    }
  }, 180_000);

  it("checks an Aurora lag claim against its MySQL counterpart: the baseline's lag over the target's", async () => {
    // Claims at rates this machine keeps, paired as the keynote pairs 7.2 ms at 13.8K/s with ~2 s at 2K/s.
    const file = join(tempDir("rb-contrast-"), "contrast.yaml");
    const claim = (id: string, system: string, valueMs: number, ratePerSec: number, versus = "") =>
      `  - { id: ${id}, metric: lagMs, statistic: p50, value: ${valueMs}, unit: ms, ratePerSec: ${ratePerSec}, replicas: 1, system: ${system}, ${versus}quote: q, source: s, hardware: h }`;
    writeFileSync(
      file,
      [
        "id: lag-contrast",
        "title: A lag contrast at small rates",
        "kind: rate-steps",
        "claims:",
        claim("slow", "mysql", 2000, 150),
        claim("fast", "aurora", 7.2, 300, "versus: slow, "),
        "replication: { replicas: 1 }",
        "dataset: { tables: 1, tableSize: 1000 }",
        "workload:",
        "  transaction: false",
        "  distribution: uniform",
        "  steps:",
        '    - statements: [{ name: update, sql: "UPDATE sbtest{table} SET k=k+1 WHERE id={id}" }]',
        "load: { clients: 1, connectionsPerClient: 4, warmup: 0s, duration: 3s, rates: [150, 300] }",
        "",
      ].join("\n"),
    );
    const out = tempDir("rb-contrast-out-");
    const run = await runCli(
      [
        "run",
        file,
        "--target",
        urlOf(target.primary),
        "--replica",
        replicaOf(target),
        "--baseline",
        urlOf(baseline.primary),
        "--baseline-replica",
        replicaOf(baseline),
        "--out",
        out,
      ],
      { timeoutMs: 170_000 },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const read = (side: string) => JSON.parse(readFileSync(join(out, side, "result.json"), "utf8")) as Result;
    const lagAt = (side: string, rate: number) =>
      read(side).scenarios[0]?.steps?.find((s) => s.targetRatePerSec === rate)?.lagMs["replica-1"]?.p50;
    const baselineMs = lagAt("baseline", 150);
    const targetMs = lagAt("target", 300);
    expect(baselineMs).toBeGreaterThan(0);
    expect(targetMs).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(out, "comparison.json"), "utf8"));
    const [check, ...more] = saved.pairs[0].awsClaims.lag;
    expect(more).toEqual([]);
    expect(check).toMatchObject({ auroraClaim: "fast", mysqlClaim: "slow", factor: 2000 / 7.2 });
    expect(check.baseline).toMatchObject({ stepRatePerSec: 150, valueMs: baselineMs });
    expect(check.target).toMatchObject({ stepRatePerSec: 300, valueMs: targetMs });
    expect(check.baseline.seconds).toBeGreaterThan(0);
    expect(check.ratio).toBeCloseTo((baselineMs as number) / (targetMs as number), 10);
    expect(["met", "not met", "inconclusive"]).toContain(check.verdict);
    expect(readFileSync(join(out, "comparison.md"), "utf8")).toContain("### AWS's replica-lag contrast");
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
