import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.js";
import { builtInScenarioDir } from "../util/paths.js";
import { SYSBENCH_SPECIAL } from "../workload/random.js";
import { loadFile } from "./load.js";
import { resolveScenario, scalingNotes, sweepPoint } from "./resolve.js";
import type { ScenarioFile } from "./schema.js";

function builtIn(name: string): { file: string; scenario: ScenarioFile } {
  const file = join(builtInScenarioDir(), name);
  const loaded = loadFile(file);
  if (loaded.kind !== "scenario") throw new Error(`${name} is not a scenario`);
  return { file, scenario: loaded.scenario };
}

const write = builtIn("aurora-write.yaml");
const read = builtIn("aurora-read.yaml");

/** The claim's exact shape for aurora-write: 4 clients x 1,000 connections, 250 x 25,000 rows, 600 s. */
const WRITE_CLAIM_SHAPE = {
  clients: 4,
  connectionsPerClient: 1000,
  tables: 250,
  tableSize: 25_000,
  durationMs: 600_000,
};

describe("resolveScenario", () => {
  it("takes the scenario's own values without overrides", () => {
    const resolved = resolveScenario(write.file, write.scenario);
    expect(resolved.id).toBe("aurora-write");
    expect(resolved.quick).toBe(false);
    expect(resolved.dataset).toEqual({ tables: 250, tableSize: 25_000 });
    expect(resolved.load).toEqual({
      clients: 4,
      connectionsPerClient: 1000,
      connections: 4000,
      warmupMs: 10_000,
      durationMs: 60_000,
    });
    expect(resolved.workload.transaction).toBe(true);
    expect(resolved.claim).toEqual(write.scenario.claim);
    expect(resolved.description).toBe(write.scenario.description);
  });

  it("applies the quick overrides under quick", () => {
    const resolved = resolveScenario(write.file, write.scenario, { quick: true });
    expect(resolved.quick).toBe(true);
    expect(resolved.dataset).toEqual({ tables: 8, tableSize: 10_000 });
    expect(resolved.load).toEqual({
      clients: 1,
      connectionsPerClient: 16,
      connections: 16,
      warmupMs: 2000,
      durationMs: 8000,
    });
  });

  it("ignores the quick block when quick is not asked for", () => {
    expect(resolveScenario(write.file, write.scenario, { quick: false }).dataset.tables).toBe(250);
  });

  it("lets CLI overrides win over quick", () => {
    const resolved = resolveScenario(write.file, write.scenario, {
      quick: true,
      tables: 3,
      tableSize: 77,
      clients: 2,
      connectionsPerClient: 5,
      warmupMs: 0,
      durationMs: 1500,
    });
    expect(resolved.dataset).toEqual({ tables: 3, tableSize: 77 });
    expect(resolved.load).toEqual({
      clients: 2,
      connectionsPerClient: 5,
      connections: 10,
      warmupMs: 0,
      durationMs: 1500,
    });
  });

  it("mixes override, quick and scenario values field by field", () => {
    const resolved = resolveScenario(write.file, write.scenario, { quick: true, tables: 4 });
    expect(resolved.dataset).toEqual({ tables: 4, tableSize: 10_000 });
    const partial: ScenarioFile = { ...write.scenario, quick: { tables: 9 } };
    const mixed = resolveScenario(write.file, partial, { quick: true, clients: 3 });
    expect(mixed.dataset).toEqual({ tables: 9, tableSize: 25_000 });
    expect(mixed.load).toMatchObject({
      clients: 3,
      connectionsPerClient: 1000,
      warmupMs: 10_000,
      durationMs: 60_000,
    });
  });

  it("runs a scenario without a quick block at full size under quick", () => {
    const { quick: _quick, ...withoutQuick } = write.scenario;
    const resolved = resolveScenario(write.file, withoutQuick, { quick: true });
    expect(resolved.quick).toBe(true);
    expect(resolved.dataset).toEqual({ tables: 250, tableSize: 25_000 });
  });

  it("fills the special distribution's defaults only for special", () => {
    expect(resolveScenario(read.file, read.scenario).workload.special).toEqual({
      pct: 1,
      res: 75,
      iterations: 12,
    });
    const { special: _special, ...noSpecial } = read.scenario.workload;
    const defaulted = resolveScenario(read.file, { ...read.scenario, workload: noSpecial });
    expect(defaulted.workload.special).toEqual(SYSBENCH_SPECIAL);
    expect(resolveScenario(write.file, write.scenario).workload.special).toBeUndefined();
    const { transaction: _transaction, ...noTransaction } = write.scenario.workload;
    expect(
      resolveScenario(write.file, { ...write.scenario, workload: noTransaction }).workload.transaction,
    ).toBe(true);
  });

  it("copies thresholds through, and leaves them out when the scenario has none", () => {
    expect(resolveScenario(write.file, write.scenario)).not.toHaveProperty("thresholds");
    const withThresholds: ScenarioFile = { ...write.scenario, thresholds: ["p99 < 20ms", "errors < 0.1%"] };
    expect(resolveScenario(write.file, withThresholds).thresholds).toEqual(["p99 < 20ms", "errors < 0.1%"]);
  });

  it("shows the file relative to the working directory", () => {
    const resolved = resolveScenario(write.file, write.scenario);
    expect(resolved.file).toBe(join("scenarios", "aurora-write.yaml"));
  });

  it("rejects a zero duration", () => {
    expect(() => resolveScenario(write.file, write.scenario, { durationMs: 0 })).toThrow(UsageError);
    expect(() => resolveScenario(write.file, write.scenario, { durationMs: 0 })).toThrow("--duration");
  });

  it("rejects a scenario duration that is not a duration, naming the field", () => {
    const bad: ScenarioFile = { ...write.scenario, load: { ...write.scenario.load, warmup: "later" } };
    expect(() => resolveScenario("/x/bad.yaml", bad)).toThrow(UsageError);
    expect(() => resolveScenario("/x/bad.yaml", bad)).toThrow("load.warmup: 'later' is not a duration");
  });
});

describe("scaling notes", () => {
  it("are empty when the run has the claim's exact shape", () => {
    const resolved = resolveScenario(write.file, write.scenario, WRITE_CLAIM_SHAPE);
    expect(resolved.scaled).toEqual([]);
    expect(scalingNotes(resolved)).toEqual([]);
  });

  it("name each difference from claim.method", () => {
    const resolved = resolveScenario(write.file, write.scenario, { quick: true });
    expect(resolved.scaled).toEqual([
      "clients 1 (claim: 4)",
      "connections per client 16 (claim: 1,000)",
      "tables 8 (claim: 250)",
      "rows per table 10,000 (claim: 25,000)",
      "measured for 8s (claim: 600s)",
    ]);
  });

  it("name only what differs", () => {
    const shorter = resolveScenario(write.file, write.scenario, { ...WRITE_CLAIM_SHAPE, durationMs: 60_000 });
    expect(shorter.scaled).toEqual(["measured for 60s (claim: 600s)"]);
    const fewerClients = resolveScenario(write.file, write.scenario, { ...WRITE_CLAIM_SHAPE, clients: 1 });
    expect(fewerClients.scaled).toEqual(["clients 1 (claim: 4)"]);
    const bigger = resolveScenario(write.file, write.scenario, {
      ...WRITE_CLAIM_SHAPE,
      tableSize: 1_000_000,
    });
    expect(bigger.scaled).toEqual(["rows per table 1,000,000 (claim: 25,000)"]);
    const moreConnections = resolveScenario(write.file, write.scenario, {
      ...WRITE_CLAIM_SHAPE,
      connectionsPerClient: 2000,
    });
    expect(moreConnections.scaled).toEqual(["connections per client 2,000 (claim: 1,000)"]);
    const fewerTables = resolveScenario(write.file, write.scenario, { ...WRITE_CLAIM_SHAPE, tables: 10 });
    expect(fewerTables.scaled).toEqual(["tables 10 (claim: 250)"]);
  });

  it("do not count the warmup as a difference", () => {
    expect(resolveScenario(write.file, write.scenario, { ...WRITE_CLAIM_SHAPE, warmupMs: 0 }).scaled).toEqual(
      [],
    );
  });

  it("are empty for a scenario without a claim", () => {
    const { claim: _claim, ...noClaim } = write.scenario;
    const resolved = resolveScenario(write.file, noClaim, { quick: true });
    expect(resolved.claim).toBeUndefined();
    expect(resolved.scaled).toEqual([]);
  });

  it("compare the read scenario with its own claim (1 client x 1,000)", () => {
    const resolved = resolveScenario(read.file, read.scenario);
    expect(resolved.scaled).toEqual(["measured for 60s (claim: 600s)"]);
  });
});

describe("fixed-rate (replica-lag) scenarios", () => {
  const lag = builtIn("replica-lag.yaml");

  it("take the scenario's rates and replicas, --quick's, then the flags'", () => {
    const plain = resolveScenario(lag.file, lag.scenario);
    expect(plain.load.ratesPerSec).toEqual([2000, 13800]);
    expect(plain.replication).toMatchObject({
      replicas: 1,
      parallelApplyThreads: 4,
      parallelMode: "optimistic",
      primary: { syncBinlog: 1, flushLogAtTrxCommit: 1 },
    });
    expect(plain.claims?.map((c) => c.id)).toContain("lag-aurora");
    expect(resolveScenario(lag.file, lag.scenario, { quick: true }).load.ratesPerSec).toEqual([500, 2000]);
    const flagged = resolveScenario(lag.file, lag.scenario, {
      quick: true,
      ratesPerSec: [1000, 5000],
      replicas: 15,
    });
    expect(flagged.load.ratesPerSec).toEqual([1000, 5000]);
    expect(flagged.replication?.replicas).toBe(15);
  });

  it("leave a closed-loop scenario closed-loop whatever --rates says", () => {
    const resolved = resolveScenario(write.file, write.scenario, { ratesPerSec: [1000], replicas: 3 });
    expect(resolved.load.ratesPerSec).toBeUndefined();
    expect(resolved.replication).toBeUndefined();
  });

  it("without a replication section, are a fixed-rate run on one server", () => {
    const { replication: _dropped, claims: _claims, ...bare } = lag.scenario;
    const resolved = resolveScenario(lag.file, bare);
    expect(resolved.load.ratesPerSec).toEqual([2000, 13800]);
    expect(resolved.replication).toBeUndefined();
  });
});

describe("crash and fault sections", () => {
  const crash = builtIn("crash-recovery.yaml");
  const faults = builtIn("aurora-faults.yaml");

  it("resolves the crash's time, windows, caches and claims; --quick takes its own times", () => {
    const full = resolveScenario(crash.file, crash.scenario);
    expect(full.crash).toMatchObject({ atMs: 20_000, windowMs: 10_000, caches: ["warm", "cold"] });
    expect(full.crash?.claims.map((c) => [c.id, c.metric, c.value, c.cache])).toEqual([
      ["crash", "downtimeMs", 10_000, "any"],
      ["warm", "recoveryMs", 10_000, "warm"],
    ]);
    const quick = resolveScenario(crash.file, crash.scenario, { quick: true });
    expect(quick.crash).toMatchObject({ atMs: 5000, windowMs: 3000 });
    expect(quick.load.durationMs).toBe(14_000);
  });

  it("refuses a crash that leaves no window before it or none after it", () => {
    const at = (text: string, window: string, durationMs: number) => () =>
      resolveScenario(crash.file, {
        ...crash.scenario,
        load: { ...crash.scenario.load, duration: `${durationMs}ms` },
        crash: { ...(crash.scenario.crash as NonNullable<ScenarioFile["crash"]>), at: text, window },
      });
    expect(at("5s", "10s", 60_000)).toThrow(
      /crash\.at \(5s\) must leave crash\.window \(10s\) of load before the crash/,
    );
    expect(at("20s", "10s", 30_000)).toThrow(
      /crash\.at \+ crash\.window \(30s\) must be less than the measured duration \(30s; --duration\)/,
    );
    expect(at("20s", "1500ms", 60_000)).toThrow(/crash\.window: must be whole seconds/);
    expect(at("20s", "10s", 31_000)).not.toThrow();
  });

  it("a --duration too short for the crash moves it to a third of the phase and says so", () => {
    const fitted = resolveScenario(crash.file, crash.scenario, { durationMs: 10_000 });
    expect(fitted.crash).toMatchObject({ atMs: 3000, windowMs: 3000 });
    expect(fitted.scaled).toEqual([
      "crash at 3s with 3s windows (the scenario's 20s and 10s do not fit --duration 10s)",
    ]);
    expect(resolveScenario(crash.file, crash.scenario, { durationMs: 31_000 }).crash?.atMs).toBe(20_000);
    expect(() => resolveScenario(crash.file, crash.scenario, { durationMs: 2000 })).toThrow(
      /--duration: .*crash-recovery\.yaml crashes the target mid-phase and needs at least 3s measured/,
    );
  });

  it("resolves faults with times in ms and checks what each kind takes", () => {
    const resolved = resolveScenario(faults.file, faults.scenario);
    expect(resolved.faults?.map((f) => [f.kind, f.atMs, f.forMs])).toEqual([
      ["disk-congestion", 20_000, 20_000],
      ["disk-failure", 60_000, 10_000],
      ["replica-failure", 90_000, 10_000],
    ]);
    const withFault =
      (fault: Record<string, unknown>, durationMs = 120_000) =>
      () =>
        resolveScenario(faults.file, { ...faults.scenario, faults: [fault as never] }, { durationMs });
    expect(withFault({ kind: "disk-congestion", at: "1s", for: "5s", percent: 10 })).toThrow(
      /disk-congestion needs minMs and maxMs/,
    );
    expect(
      withFault({ kind: "disk-congestion", at: "1s", for: "5s", percent: 10, minMs: 50, maxMs: 10 }),
    ).toThrow(/minMs \(50\) is more than maxMs \(10\)/);
    expect(withFault({ kind: "disk-failure", at: "1s", for: "5s", percent: 10, minMs: 1, maxMs: 2 })).toThrow(
      /minMs and maxMs are for disk-congestion only/,
    );
    expect(withFault({ kind: "disk-failure", at: "1s", for: "5s", percent: 10, disk: 1, node: 2 })).toThrow(
      /give disk or node, not both/,
    );
    expect(withFault({ kind: "replica-failure", at: "1s", for: "5s", percent: 10, disk: 1 })).toThrow(
      /replica-failure takes replica, not disk or node/,
    );
    expect(withFault({ kind: "disk-failure", at: "1s", for: "5s", percent: 10, replica: "r1" })).toThrow(
      /replica is for replica-failure only/,
    );
    expect(withFault({ kind: "disk-failure", at: "1s", for: "500ms", percent: 10 })).toThrow(
      /for: must be whole seconds/,
    );
    expect(withFault({ kind: "disk-failure", at: "10s", for: "5s", percent: 10 }, 10_000)).toThrow(
      /faults\[0\]\.at: 10s is past the measured duration \(10s\)/,
    );
  });
});

describe("scenario lengths a timer cannot hold", () => {
  it("a scenario file whose warm-up and duration pass 24 days is refused, naming the file's fields", async () => {
    const { loadCatalog } = await import("./load.js");
    const write = loadCatalog().scenarios.get("aurora-write");
    if (!write) throw new Error("no aurora-write");
    const long = { ...write.scenario, load: { ...write.scenario.load, duration: "700h" } };
    expect(() => resolveScenario("long.yaml", long)).toThrow(
      /^long\.yaml: load\.duration \+ load\.warmup: '[^']+' is longer than the longest run this tool can time \(24 days\)/,
    );
  });
});

describe("sweeps", () => {
  const lag = builtIn("replica-lag.yaml");
  const crash = builtIn("crash-recovery.yaml");
  const connections = { parameter: "connections" as const, values: [4, 16, 64], flag: "--connections" };

  it("a list sizes the scenario for its largest value; each point has its own value and scaled notes", () => {
    const swept = resolveScenario(read.file, read.scenario, { sweep: connections });
    expect(swept.sweep).toEqual({ parameter: "connections", values: [4, 16, 64] });
    expect(swept.load.connectionsPerClient).toBe(64);
    expect(swept.load.connections).toBe(64 * swept.load.clients);
    const point = sweepPoint(swept, 16);
    expect(point.sweep).toBeUndefined();
    expect(point.load.connectionsPerClient).toBe(16);
    expect(point.load.connections).toBe(16 * swept.load.clients);
    expect(point.scaled).toContain("connections per client 16 (claim: 1,000)");
    const sizes = resolveScenario(write.file, write.scenario, {
      sweep: { parameter: "tableSize", values: [100, 1000], flag: "--table-size" },
    });
    expect(sizes.dataset.tableSize).toBe(1000);
    expect(sweepPoint(sizes, 100).dataset.tableSize).toBe(100);
    expect(sweepPoint(sizes, 100).load).toEqual(sizes.load);
  });

  it("a scenario file's sweep runs, its quick values under --quick; one value of the parameter runs that point alone", () => {
    const file: ScenarioFile = {
      ...read.scenario,
      sweep: { parameter: "connections", values: [8, 32] },
      quick: { ...read.scenario.quick, sweep: [2, 4] },
    };
    expect(resolveScenario(read.file, file).sweep?.values).toEqual([8, 32]);
    expect(resolveScenario(read.file, file, { quick: true }).sweep?.values).toEqual([2, 4]);
    const one = resolveScenario(read.file, file, { connectionsPerClient: 5 });
    expect(one.sweep).toBeUndefined();
    expect(one.load.connectionsPerClient).toBe(5);
  });

  it("refuses a list for scenarios of another kind, and for a client of a split run", () => {
    expect(() => resolveScenario(lag.file, lag.scenario, { sweep: connections })).toThrow(
      "--connections: a list of values sweeps throughput scenarios; replica-lag is rate-steps, give it one value (run it on its own)",
    );
    expect(() => resolveScenario(crash.file, crash.scenario, { sweep: connections })).toThrow(UsageError);
    expect(() => resolveScenario(write.file, write.scenario, { sweep: connections, clientIndex: 0 })).toThrow(
      "--connections: a client of a split run measures one point; give one value",
    );
  });
});
