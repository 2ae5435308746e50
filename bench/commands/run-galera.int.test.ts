import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GaleraCluster, startGaleraCluster } from "../sandbox/galera.js";
import type { TargetInspection } from "../target/inspect.js";
import type { TargetSpec } from "../target/url.js";
import { processesMentioning, readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";

const urlOf = (t: TargetSpec) =>
  `mysql://${t.user}:${encodeURIComponent(t.password)}@${t.host}:${t.port}/${t.database}`;

describe("Galera sandbox runs", () => {
  const sandboxDir = tempDir("rb-galera-runs-");
  afterAll(() => rmSync(sandboxDir, { recursive: true, force: true }));

  it("replica-lag --engine galera --replicas 2 --quick: lag on the two other nodes, caught up by token, no server left", async () => {
    const out = tempDir("rb-galera-lag-");
    const run = await runCli(
      [
        "run",
        "replica-lag",
        "--engine",
        "galera",
        "--replicas",
        "2",
        "--quick",
        "--sandbox-dir",
        sandboxDir,
      ].concat(["--rates", "300,300", "--duration", "3s", "--out", out]),
      { timeoutMs: 200_000 },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const result = readResultIn(out);
    const scenario = result.scenarios[0];
    expect(scenario?.replication?.engine).toBe("galera");
    // The run's server is the cluster's first node: its inspection is the target's.
    expect(result.environment.target.flavor).toBe("mariadb");
    const inspection = result.environment.target.inspection as TargetInspection;
    expect(inspection.galera?.state).toBe("Synced");
    expect(inspection.galera?.clusterSize).toBe(3);
    expect(scenario?.replication?.replicas.map((r) => r.name)).toEqual(["node-2", "node-3"]);
    for (const step of scenario?.steps ?? []) {
      // Galera nodes have no position to wait on: a token written on node 1 was read back on each.
      expect(step.caughtUpBy).toBe("heartbeat");
      expect(step.lagMs["node-2"]?.samples).toBeGreaterThan(0);
      expect(step.lagMs["node-3"]?.samples).toBeGreaterThan(0);
      // Each replica's probe reached one server of its own, not node 1.
      const servers = step.lag?.replicas.map((r) => r.server);
      expect(new Set(servers).size).toBe(2);
    }
    expect(scenario?.steps).toHaveLength(2);
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 220_000);

  it("crash-recovery --engine galera --quick: the writer is killed, the load fails over, every row is kept", async () => {
    const out = tempDir("rb-galera-crash-");
    const run = await runCli(
      ["run", "crash-recovery", "--engine", "galera", "--quick", "--sandbox-dir", sandboxDir, "--out", out],
      { timeoutMs: 200_000 },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const result = readResultIn(out);
    expect(result.environment.target.sandbox?.engine).toBe("galera");
    expect(result.environment.target.sandbox?.nodes).toHaveLength(3);
    // One URL naming the three nodes: the load's failover path.
    expect(result.environment.target.url).toMatch(
      /^mysql:\/\/bench:\*\*\*@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/sbtest$/,
    );
    const crashes = result.scenarios[0]?.crashes ?? [];
    expect(crashes).toHaveLength(1);
    const crash = crashes[0];
    expect(crash?.method).toBe("galera-failover");
    expect(crash?.steps.map((s) => [s.name, s.ok])).toEqual([
      ["find writer", true],
      ["kill", true],
      ["rejoin", true],
    ]);
    // The node holding the load was killed: its connections were lost, and commits came back on
    // another node within the phase.
    expect(crash?.connectionsLost).toBeGreaterThan(0);
    expect(crash?.downtimeMs).toBeGreaterThan(0);
    expect(crash?.after?.writesPerSec).toBeGreaterThan(0);
    expect(crash?.integrity?.ok).toBe(true);
    expect(crash?.integrity?.rowsAfter).toBe(crash?.integrity?.rowsBefore);
    expect(await processesMentioning(sandboxDir)).toEqual([]);
  }, 220_000);

  it("doctor --engine galera: a Synced node, its two peers accepted as nodes of its cluster", async () => {
    const run = await runCli(
      ["doctor", "--engine", "galera", "--sandbox-dir", tempDir("rb-galera-doctor-")],
      {
        timeoutMs: 120_000,
      },
    );
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^role: +Galera node \(.+\), Synced in a Primary component of 3 node\(s\)/m);
    expect(run.stdout).toMatch(/replica-lag catch-up: heartbeat/);
    expect(
      run.stdout.match(/^ {2}\[ok\] +mysql:\/\/bench:\*\*\*@127\.0\.0\.1:\d+\/sbtest: galera /gm),
    ).toHaveLength(2);
    expect(run.stdout).toMatch(/^verdict: usable$/m);
  }, 130_000);
});

describe("a given Galera cluster", () => {
  const dir = tempDir("rb-galera-given-");
  let cluster: GaleraCluster;
  let standalone: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    cluster = await startGaleraCluster({
      dir,
      nodes: 2,
      sizing: { connections: 32, tables: 1, tableSize: 1000 },
      log: () => {},
    });
    standalone = await startTestServer();
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    await standalone?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const node = (i: number) => urlOf((cluster.nodes[i] as { target: TargetSpec }).target);

  it("is detected by wsrep_on: replica-lag --target node 1 --replica node 2 measures lag on node 2", async () => {
    const out = tempDir("rb-galera-given-out-");
    const run = await runCli(
      ["run", "replica-lag", "--target", node(0), "--replica", node(1), "--rates", "200"]
        .concat([
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
        ])
        .concat(["--out", out]),
      { timeoutMs: 120_000 },
    );
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const scenario = readResultIn(out).scenarios[0];
    const settings = scenario?.replication?.settings as { kind: string; checkedBy: string[] }[];
    expect(settings[0]?.kind).toBe("galera");
    expect(settings[0]?.checkedBy).toContain("wsrep_cluster_state_uuid");
    expect(scenario?.steps?.[0]?.caughtUpBy).toBe("heartbeat");
    expect(scenario?.steps?.[0]?.lagMs["replica-1"]?.samples).toBeGreaterThan(0);
  }, 130_000);

  it("refuses a server that is not a node of the target's cluster (exit 3), in run and in doctor", async () => {
    const run = await runCli(
      ["run", "replica-lag", "--target", node(0), "--replica", standalone.url, "--rates", "200"]
        .concat(["--tables", "1", "--table-size", "1000", "--connections", "4", "--duration", "2s"])
        .concat(["--out", tempDir("rb-galera-given-out-")]),
      { timeoutMs: 60_000 },
    );
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(
      /^error: mysql:\/\/bench:\*\*\*@127\.0\.0\.1:\d+\/sbtest is not a usable node of .+'s Galera cluster: it is in cluster /m,
    );
    const doctor = await runCli([
      "doctor",
      "--target",
      node(0),
      "--replica",
      standalone.url,
      "--replica",
      node(1),
    ]);
    expect(doctor.exitCode).toBe(3);
    expect(doctor.stdout).toMatch(/^ {2}\[refused\] .+ is not a usable node/m);
    expect(doctor.stdout).toMatch(/^ {2}\[ok\] .+: galera /m);
    expect(doctor.stdout + doctor.stderr).not.toContain(standalone.target.password);
  }, 90_000);
});
