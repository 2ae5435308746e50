import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OpAggregate } from "../metrics/aggregate.js";
import { countOps } from "../result/counting.js";
import { UsageError } from "../util/errors.js";
import { builtInScenarioDir } from "../util/paths.js";
import { statementKind } from "../workload/kinds.js";
import { compileWorkload, planTransaction } from "../workload/program.js";
import { SYSBENCH_SPECIAL, seededRandom } from "../workload/random.js";
import { loadCatalog, loadFile, selectScenarios } from "./load.js";
import { type ResolvedScenario, resolveScenario, scalingNotes, sweepPoint } from "./resolve.js";
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

describe("published rows of a sweep (the Aurora paper's tables, sigmod-2017)", () => {
  const size = builtIn("sigmod-write-size.yaml");
  const oltp = builtIn("sigmod-oltp-connections.yaml");
  const n = (v: number) => v.toLocaleString("en-US");

  it("are carried into the resolved sweep, each matched by value to the point at the paper's own value", () => {
    const resolved = resolveScenario(oltp.file, oltp.scenario);
    expect(resolved.sweep?.values).toEqual([50, 500, 5000]);
    expect(resolved.sweep?.published).toMatchObject({
      metric: "writesPerSec",
      unit: "writes/s",
      label: "connections",
      matchedBy: "value",
    });
    expect(resolved.sweep?.published?.source).toMatch(/section 6\.1\.3, Table 3/);
    expect(resolved.sweep?.published?.rows).toEqual([
      { value: 50, label: "50", aurora: 40_000, mysql: 10_000, pointValue: 50 },
      { value: 500, label: "500", aurora: 71_000, mysql: 21_000, pointValue: 500 },
      { value: 5000, label: "5,000", aurora: 110_000, mysql: 13_000, pointValue: 5000 },
    ]);
    // Table 2: the sizes as rows per table (an approximation, said so in the note).
    const sizes = resolveScenario(size.file, size.scenario).sweep?.published;
    expect(sizes?.rows.map((r) => [r.label, r.value, r.aurora, r.mysql])).toEqual([
      ["1 GB", 5556, 107_000, 8400],
      ["10 GB", 55_556, 107_000, 2400],
      ["100 GB", 555_556, 101_000, 1500],
      ["1 TB", 5_555_556, 41_000, 1200],
    ]);
    expect(sizes?.note).toMatch(/approximation/);
  });

  it("a point at a row has that row's Aurora figure as its claim, and at the paper's own shape no scaled note", () => {
    const resolved = resolveScenario(oltp.file, oltp.scenario);
    const point = sweepPoint(resolved, 500);
    expect(point.claim).toMatchObject({
      id: "table-3",
      metric: "writesPerSec",
      value: 71_000,
      unit: "writes/s",
      method: { clients: 1, connectionsPerClient: 500, tables: 250, tableSize: 25_000 },
    });
    expect(point.claim?.quote).toBe("connections 500: Aurora 71,000 writes/s, MySQL 21,000 writes/s");
    expect(point.scaled).toEqual([]);
  });

  it("under --quick the n-th quick value stands for the n-th row, matched by position, and every point's notes say so", () => {
    const resolved = resolveScenario(oltp.file, oltp.scenario, { quick: true });
    expect(resolved.sweep?.values).toEqual([5, 50, 500]);
    expect(resolved.sweep?.published?.matchedBy).toBe("position");
    expect(resolved.sweep?.published?.rows.map((r) => [r.value, r.pointValue])).toEqual([
      [50, 5],
      [500, 50],
      [5000, 500],
    ]);
    // 50 is a row's value too, but under --quick it stands for the 2nd row (500), not the 1st.
    const point = sweepPoint(resolved, 50);
    expect(point.load.connectionsPerClient).toBe(50);
    expect(point.claim?.value).toBe(71_000);
    expect(point.claim?.method.connectionsPerClient).toBe(500);
    expect(point.scaled[0]).toBe(
      "connections per client 50 for the published connections 500: --quick's 2nd value of 3 stands for the sweep's 2nd, matched by position",
    );
    expect(point.scaled).not.toContain("connections per client 50 (claim: 500)");
    for (const value of resolved.sweep?.values ?? []) {
      expect(sweepPoint(resolved, value).scaled[0]).toMatch(/matched by position$/);
    }
    const sized = resolveScenario(size.file, size.scenario, { quick: true });
    expect(sweepPoint(sized, 250).scaled[0]).toBe(
      `rows per table 250 for the published DB size 1 GB (${n(5556)} rows per table): --quick's 1st value of 4 stands for the sweep's 1st, matched by position`,
    );
    expect(sweepPoint(sized, 250).claim?.value).toBe(107_000);
  });

  it("a list given to the flag matches rows by value only; a row without a point has none", () => {
    const resolved = resolveScenario(oltp.file, oltp.scenario, {
      sweep: { parameter: "connections", values: [5, 50, 100], flag: "--connections" },
    });
    expect(resolved.sweep?.published?.matchedBy).toBe("value");
    expect(resolved.sweep?.published?.rows.map((r) => r.pointValue)).toEqual([50, null, null]);
    expect(sweepPoint(resolved, 50).claim?.value).toBe(40_000);
    // A point no row stands at keeps the scenario's claim and its usual notes.
    expect(sweepPoint(resolved, 100).claim?.value).toBe(110_000);
    expect(sweepPoint(resolved, 100).scaled).toContain("connections per client 100 (claim: 5,000)");
    // The other parameter's list: the table's rows are not about it.
    const sizes = resolveScenario(oltp.file, oltp.scenario, {
      sweep: { parameter: "tableSize", values: [100, 1000], flag: "--table-size" },
    });
    expect(sizes.sweep?.published).toBeUndefined();
  });

  it("refuses rows at values the sweep does not run, a value twice, and quick values that cannot stand for them", () => {
    const sweep = oltp.scenario.sweep as NonNullable<ScenarioFile["sweep"]>;
    const published = sweep.published as NonNullable<typeof sweep.published>;
    const row = published.rows[0] as (typeof published.rows)[number];
    const with_ = (over: Partial<ScenarioFile>): ScenarioFile => ({ ...oltp.scenario, ...over });
    expect(() =>
      resolveScenario(
        oltp.file,
        with_({ sweep: { ...sweep, published: { ...published, rows: [{ ...row, value: 60 }] } } }),
      ),
    ).toThrow(/sweep\.published\.rows\[0\]: value 60 \(50\) is not one of sweep\.values \(50, 500, 5000\)/);
    expect(() =>
      resolveScenario(
        oltp.file,
        with_({ sweep: { ...sweep, published: { ...published, rows: [row, row] } } }),
      ),
    ).toThrow(/rows\[1\]: a second row at value 50/);
    expect(() =>
      resolveScenario(oltp.file, with_({ quick: { ...oltp.scenario.quick, sweep: [5, 50] } }), {
        quick: true,
      }),
    ).toThrow("quick.sweep has 2 values and sweep.values 3");
  });

  it("the sigmod-2017 suite resolves under --quick: each scenario its kind and scaled shape", () => {
    const catalog = loadCatalog();
    const selection = selectScenarios(["sigmod-2017"], catalog);
    const resolved = selection.scenarios.map(({ file, scenario }) =>
      resolveScenario(file, scenario, { quick: true }),
    );
    expect(resolved.map((r) => [r.id, r.kind])).toEqual([
      ["sigmod-write-size", "throughput"],
      ["sigmod-oltp-connections", "throughput"],
      ["sigmod-replica-lag", "rate-steps"],
    ]);
    const [sizes, connections, lag] = resolved;
    expect(sizes?.sweep?.values).toEqual([250, 2500, 25_000, 250_000]);
    expect(sizes?.dataset).toEqual({ tables: 8, tableSize: 250_000 });
    expect(connections?.sweep?.values).toEqual([5, 50, 500]);
    expect(connections?.load.connections).toBe(500);
    expect(lag?.load.ratesPerSec).toEqual([1000, 2000, 5000]);
    expect(lag?.claims?.map((c) => [c.system, c.ratePerSec, c.value])).toEqual([
      ["aurora", 1000, 2.62],
      ["aurora", 2000, 3.42],
      ["aurora", 5000, 3.94],
      ["aurora", 10_000, 5.38],
      ["mysql", 1000, 1000],
      ["mysql", 2000, 1000],
      ["mysql", 5000, 60_000],
      ["mysql", 10_000, 300_000],
    ]);
    // The throughput scenarios are scaled as a whole, and every point of theirs says how.
    for (const r of [sizes, connections]) {
      expect(r?.scaled.length).toBeGreaterThan(0);
      for (const value of r?.sweep?.values ?? []) {
        expect(sweepPoint(r as ResolvedScenario, value).scaled[0]).toMatch(/matched by position$/);
      }
    }
  });
});

describe("sysbench 0.5's oltp.lua read-write transaction (sigmod-oltp-connections)", () => {
  const oltp = builtIn("sigmod-oltp-connections.yaml");
  const resolved = resolveScenario(oltp.file, oltp.scenario, { quick: true });
  const program = compileWorkload(resolved.workload, resolved.dataset);

  it("is 10 point selects, 4 ranges, 2 updates, a DELETE and an INSERT of the same id, in one table", () => {
    const sql: string[] = [];
    const ops: number[] = [];
    const count = planTransaction(program, seededRandom(7), sql, ops);
    expect(count).toBe(18);
    expect(program.statementsPerTxn).toBe(18);
    expect(resolved.workload.transaction).toBe(true);
    expect(resolved.workload.special).toEqual(SYSBENCH_SPECIAL);
    const tables = new Set(sql.map((s) => /sbtest(\d+)/.exec(s)?.[1]));
    expect(tables.size).toBe(1);
    const names = ops.map((op) => program.ops.names[op]);
    expect(names).toEqual([
      ...Array(10).fill("point_select"),
      "simple_range",
      "sum_range",
      "order_range",
      "distinct_range",
      "update_index",
      "update_non_index",
      "delete",
      "insert",
    ]);
    // Each range is oltp.lua's "BETWEEN n AND n+99": both bounds from the one id of its step.
    for (const range of sql.slice(10, 14)) {
      const [, low, high] = /BETWEEN (\d+) AND (\d+)\+99/.exec(range) ?? [];
      expect(low).toBeDefined();
      expect(high).toBe(low);
    }
    expect(sql[13]).toMatch(/^SELECT DISTINCT c FROM sbtest\d+ WHERE id BETWEEN \d+ AND \d+\+99 ORDER BY c$/);
    const deleted = /WHERE id=(\d+)$/.exec(sql[16] ?? "")?.[1];
    expect(sql[17]).toMatch(new RegExp(`VALUES \\(${deleted}, `));
  });

  it("counts as sysbench does: 14 reads and 4 writes a transaction", () => {
    const sql: string[] = [];
    const ops: number[] = [];
    planTransaction(program, seededRandom(11), sql, ops);
    expect(sql.map((s) => statementKind(s)).filter((k) => k === "select")).toHaveLength(14);
    expect(sql.map((s) => statementKind(s)).filter((k) => k !== "select")).toHaveLength(4);
    // 100 committed transactions, as the executor records them: per op, completions.
    const table = program.ops;
    const aggregates: OpAggregate[] = table.names.map(() => ({
      count: 0,
      errors: 0,
      rows: 0,
      histogram: null,
      encoded: null,
    }));
    for (const op of ops) (aggregates[op] as OpAggregate).count += 100;
    (aggregates[table.begin] as OpAggregate).count = 100;
    (aggregates[table.commit] as OpAggregate).count = 100;
    (aggregates[table.txn] as OpAggregate).count = 100;
    const counts = countOps(aggregates, table, true);
    expect(counts).toMatchObject({ reads: 1400, writes: 400, txns: 100 });
  });
});

describe("resolveScenario, --protocol", () => {
  it("leaves the protocol out (text) unless the file or --protocol gives one; --protocol wins", () => {
    expect(resolveScenario(write.file, write.scenario).workload.protocol).toBeUndefined();
    expect(resolveScenario(write.file, write.scenario, { protocol: "binary" }).workload.protocol).toBe(
      "binary",
    );
    const binaryFile = {
      ...write.scenario,
      workload: { ...write.scenario.workload, protocol: "binary" as const },
    };
    expect(resolveScenario(write.file, binaryFile).workload.protocol).toBe("binary");
    expect(resolveScenario(write.file, binaryFile, { protocol: "text" }).workload.protocol).toBe("text");
  });

  it("names prepared statements as a way the run differs from the claim's method (text)", () => {
    const exact = resolveScenario(write.file, write.scenario, { ...WRITE_CLAIM_SHAPE, protocol: "binary" });
    expect(exact.scaled).toEqual(["prepared statements, binary protocol (claim: text protocol)"]);
    expect(
      resolveScenario(write.file, write.scenario, { ...WRITE_CLAIM_SHAPE, protocol: "text" }).scaled,
    ).toEqual([]);
  });

  it("refuses a statement that cannot be prepared, in one line naming it and the flag", () => {
    const scenario = {
      ...write.scenario,
      workload: {
        ...write.scenario.workload,
        steps: [{ statements: [{ name: "odd", sql: "UPDATE sbtest{table} SET c='v{c}' WHERE id={id}" }] }],
      },
    };
    expect(() => resolveScenario(write.file, scenario, { protocol: "binary" })).toThrow(UsageError);
    expect(() => resolveScenario(write.file, scenario, { protocol: "binary" })).toThrow(
      /^--protocol: binary protocol: workload\.steps\[0\]\.statements\[0\] \(odd\): \{c\} is part of a longer string/,
    );
    expect(resolveScenario(write.file, scenario).workload.steps).toHaveLength(1);
  });
});
