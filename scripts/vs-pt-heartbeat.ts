/**
 * vs-pt-heartbeat: measures replica lag on the same replicas at the same time with this project's
 * lag probe (bench/probe/lag.ts) and with Percona's pt-heartbeat, and prints what each reports and
 * how finely it can tell. Optionally drives a write load on the primary so that there is lag to see.
 *
 *   npm run vs-pt-heartbeat -- --duration 20s --rate 1000 [--replicas 1] [--json FILE]
 *
 * It starts a sandbox primary with --replicas replicas (bench/sandbox/topology.ts) in a temporary
 * folder, loads a small sbtest dataset, and stops the servers, the pt-heartbeat processes and the
 * load (and removes the folder, unless --keep) on every exit path, SIGINT included.
 *
 * How each figure is taken:
 * - ours: startLagProbe with its defaults writes a sequence number to rb_heartbeat every 10 ms and
 *   reads it on each replica about every 1 ms. A heartbeat's lag is the moment a replica first shows
 *   it minus the moment its commit was acknowledged, both on this process's monotonic clock: one
 *   reading per heartbeat. Its resolution is the probe's own resolutionMs (mean poll interval + half
 *   the median round trip of a read), its percentiles those of its HDR histogram.
 * - pt-heartbeat: `--update` writes its clock's time into its own table (heartbeat) on the primary
 *   every --interval 0.01 s (its finest), and one `--monitor` per replica reads that row every 0.01 s
 *   and prints `now - ts` on its own clock, in seconds with two decimals: one line per reading. The
 *   timestamp is taken before the UPDATE is sent, so a reading includes the primary's commit and the
 *   age of the newest heartbeat (0 to 10 ms); it compares two processes' wall clocks, which here are
 *   one machine's clock. Its monitor subtracts --skew (default 0.5 s) from every reading and shows
 *   anything below as 0; this script passes --skew 0 (change with --skew) so small lags stay visible.
 *   Percentiles are nearest-rank over the printed readings; the finest step is the smallest gap
 *   between two distinct printed values, which bounds what it can tell apart.
 * - window: both start together after the load has started; pt-heartbeat's monitor waits for the
 *   next whole second before its first reading, so it covers up to 1 s less of the window. Both are
 *   stopped together: ours with stop() (which waits for the replicas to show its last heartbeat),
 *   pt-heartbeat through its --sentinel file, so it exits by itself and flushes its output.
 * - load: UPDATE sbtest1 SET k=k+1 WHERE id=<random> at --rate per second, spread over a few
 *   connections on a fixed schedule (a late update skips its slots rather than bursting to catch up).
 *
 * The password reaches pt-heartbeat through a defaults file (mode 0600, removed afterwards), never
 * its command line.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import { execa, type Result } from "execa";
import { ensureDataset } from "../bench/dataset/sbtest.js";
import { type LagProbeResult, type ReplicaLagResult, startLagProbe } from "../bench/probe/lag.js";
import { MAX_REPLICAS, type ReplicaTopology, startReplicaTopology } from "../bench/sandbox/topology.js";
import { type AdminConnection, errorCode, openAdminConnection } from "../bench/target/connection.js";
import type { TargetSpec } from "../bench/target/url.js";
import { addCleanup, runCleanups } from "../bench/util/cleanup.js";
import { parseDurationMs } from "../bench/util/duration.js";
import { formatMs, formatRate } from "../bench/util/format.js";
import { redactText } from "../bench/util/redact.js";

const SIZING = { connections: 64, tables: 4, tableSize: 10_000 };
const PT_TABLE = "heartbeat";
/** pt-heartbeat's finest --interval, in seconds. */
const PT_INTERVAL_S = 0.01;
/** How long pt-heartbeat may take to notice its sentinel file and exit before it is killed. */
const PT_STOP_GRACE_MS = 3000;
/** pt-heartbeat exits by itself this long after the planned end, should this process die unseen. */
const PT_RUN_TIME_MARGIN_S = 120;
/** The longest wait for pt-heartbeat's table and row to reach every replica. */
const PT_VISIBLE_TIMEOUT_MS = 60_000;
const LOAD_CONNECTIONS = 4;
/** The load stops by itself this long after the planned end of the measurement. */
const LOAD_GRACE_MS = 30_000;
const MAX_RATE = 100_000;
const MAX_DURATION_MS = 3_600_000;
const ER_NO_SUCH_TABLE = "1146";

interface Options {
  durationMs: number;
  rate: number;
  replicas: number;
  skewS: number;
  json?: string;
  keep: boolean;
}

class UsageProblem extends Error {}

const USAGE = `usage: npx tsx scripts/vs-pt-heartbeat.ts [options]
  --duration TIME  how long both measure at once, 1s to 1h (default 20s)
  --rate N         UPDATEs per second on the primary during the run, 0 for none (default 1000)
  --replicas N     replicas of the sandbox primary, 1 to ${MAX_REPLICAS} (default 1)
  --skew SECONDS   pt-heartbeat --skew for its monitors, 0 to 10 (default 0; its own default is 0.5)
  --json FILE      also write the table, every pt-heartbeat reading and the probe's result as JSON
  --keep           keep the temporary folder (sandbox data, pt-heartbeat output)`;

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageProblem(`${flag}: '${text}' must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function parseOptions(argv: string[]): Options | undefined {
  let values: {
    duration: string;
    rate: string;
    replicas: string;
    skew: string;
    json?: string | undefined;
    keep: boolean;
    help: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: "string", default: "20s" },
        rate: { type: "string", default: "1000" },
        replicas: { type: "string", default: "1" },
        skew: { type: "string", default: "0" },
        json: { type: "string" },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    // node:util's messages go on with advice about positionals; the first sentence says it.
    const first = (error as Error).message.split(/\n|\. /)[0] ?? String(error);
    throw new UsageProblem(first.replace(/\.$/, ""));
  }
  if (values.help) return undefined;
  const durationMs = parseDurationMs(values.duration);
  if (durationMs === undefined || durationMs < 1000 || durationMs > MAX_DURATION_MS) {
    throw new UsageProblem(`--duration: '${values.duration}' must be a time from 1s to 1h, such as 20s`);
  }
  const skewS = Number(values.skew);
  if (!/^\d+(\.\d+)?$/.test(values.skew.trim()) || skewS > 10) {
    throw new UsageProblem(`--skew: '${values.skew}' must be a number of seconds from 0 to 10`);
  }
  const options: Options = {
    durationMs,
    rate: wholeNumber("--rate", values.rate, 0, MAX_RATE),
    replicas: wholeNumber("--replicas", values.replicas, 1, MAX_REPLICAS),
    skewS,
    keep: values.keep,
  };
  if (values.json !== undefined) {
    if (values.json.trim() === "") throw new UsageProblem("--json: give a file name");
    options.json = resolve(values.json);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((done) => {
    if (signal.aborted) return done();
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      done();
    };
    const timer = setTimeout(finish, Math.max(0, ms));
    signal.addEventListener("abort", finish, { once: true });
  });

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const quoteIdentifier = (name: string) => `\`${name.replace(/`/g, "``")}\``;
const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Nearest-rank percentile of sorted values; null when there are none. */
function nearestRank(sorted: readonly number[], percentile: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(false), ms);
  });
  const result = await Promise.race([settled, late]);
  clearTimeout(timer);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Write load on the primary

interface LoadSummary {
  targetRate: number;
  connections: number;
  updates: number;
  /** Schedule slots passed over because an update came back later than its lane's next slot. */
  skippedSlots: number;
  elapsedMs: number;
  achievedRate: number;
  errors: string[];
}

interface Load {
  stop(): Promise<LoadSummary>;
}

const noLoad = (): LoadSummary => ({
  targetRate: 0,
  connections: 0,
  updates: 0,
  skippedSlots: 0,
  elapsedMs: 0,
  achievedRate: 0,
  errors: [],
});

/**
 * UPDATEs of random sbtest1 rows at `rate` per second over a few connections, each lane on a fixed
 * schedule of its own (offset so the lanes interleave). Ends at stop() or after `limitMs`.
 */
async function startLoad(
  target: TargetSpec,
  rate: number,
  tableSize: number,
  limitMs: number,
  secrets: string[],
): Promise<Load> {
  const lanes = Math.max(1, Math.min(LOAD_CONNECTIONS, rate));
  const conns: AdminConnection[] = [];
  const closeAll = async () => {
    await Promise.all(conns.map((conn) => conn.end().catch(() => conn.destroy())));
  };
  try {
    for (let i = 0; i < lanes; i++) conns.push(await openAdminConnection(target));
  } catch (error) {
    await closeAll();
    throw error;
  }
  const halt = new AbortController();
  const slotMs = 1000 / rate;
  const laneIntervalMs = slotMs * lanes;
  const errors: string[] = [];
  let updates = 0;
  let skippedSlots = 0;
  const startMs = performance.now();
  const deadline = setTimeout(() => halt.abort(), limitMs);
  const done = Promise.all(
    conns.map(async (conn, lane) => {
      const offsetMs = lane * slotMs;
      for (let slot = 0; !halt.signal.aborted; ) {
        const waitMs = startMs + offsetMs + slot * laneIntervalMs - performance.now();
        if (waitMs > 0) await sleep(waitMs, halt.signal);
        if (halt.signal.aborted) break;
        const id = 1 + Math.floor(Math.random() * tableSize);
        try {
          await conn.query("UPDATE sbtest1 SET k=k+1 WHERE id=?", [id]);
        } catch (error) {
          if (!halt.signal.aborted && errors.length < 5) {
            errors.push(redactText((error as Error).message ?? String(error), secrets));
          }
          break;
        }
        updates++;
        const next = Math.max(
          slot + 1,
          Math.floor((performance.now() - startMs - offsetMs) / laneIntervalMs) + 1,
        );
        skippedSlots += next - slot - 1;
        slot = next;
      }
    }),
  );
  let stopping: Promise<LoadSummary> | undefined;
  const stop = async (): Promise<LoadSummary> => {
    halt.abort();
    clearTimeout(deadline);
    await done;
    const elapsedMs = performance.now() - startMs;
    await closeAll();
    return {
      targetRate: rate,
      connections: lanes,
      updates,
      skippedSlots,
      elapsedMs: Math.round(elapsedMs),
      achievedRate: elapsedMs > 0 ? (updates * 1000) / elapsedMs : 0,
      errors,
    };
  };
  const removeCleanup = addCleanup(async () => {
    stopping ??= stop();
    await stopping;
  });
  return {
    stop: () => {
      removeCleanup();
      stopping ??= stop();
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// pt-heartbeat

interface PtOutcome {
  exitCode: number | null;
  signal: string | null;
  /** True when it did not exit by its sentinel file in time and was killed. */
  killed: boolean;
  stdout: string;
  stderr: string;
}

interface PtProcess {
  name: string;
  command: string;
  exited: () => boolean;
  stop(): Promise<PtOutcome>;
}

/** `--defaults-file` contents: the password never reaches a command line. */
function defaultsFileText(target: TargetSpec): string {
  const quote = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  return `[client]\nuser=${quote(target.user)}\npassword=${quote(target.password)}\n`;
}

function startPt(name: string, args: string[], sentinel: string, secrets: string[]): PtProcess {
  rmSync(sentinel, { force: true });
  const child = execa("pt-heartbeat", args, {
    reject: false,
    stdin: "ignore",
    cleanup: true,
    forceKillAfterDelay: 2000,
  });
  let result: Result | undefined;
  const settled = child.then((r) => {
    result = r as Result;
    return r;
  });
  let killed = false;
  const finish = async (): Promise<PtOutcome> => {
    if (result === undefined) {
      // Its loop checks the sentinel file before each reading or update, then exits and flushes.
      writeFileSync(sentinel, "");
      if (!(await settlesWithin(settled, PT_STOP_GRACE_MS))) {
        killed = true;
        child.kill("SIGTERM");
      }
    }
    const r = (await settled) as Result;
    rmSync(sentinel, { force: true });
    return {
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      killed,
      stdout: String(r.stdout ?? ""),
      stderr: redactText(String(r.stderr ?? ""), secrets).trim(),
    };
  };
  let stopping: Promise<PtOutcome> | undefined;
  const removeCleanup = addCleanup(async () => {
    stopping ??= finish();
    await stopping;
  });
  return {
    name,
    command: redactText(["pt-heartbeat", ...args].join(" "), secrets),
    exited: () => result !== undefined,
    stop: () => {
      removeCleanup();
      stopping ??= finish();
      return stopping;
    },
  };
}

/** Lag readings in ms from `pt-heartbeat --monitor` lines such as "0.01s [  0.00s,  0.00s,  0.00s ]". */
function parseMonitorOutput(stdout: string): { readingsMs: number[]; otherLines: string[] } {
  const readingsMs: number[] = [];
  const otherLines: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const match = /^\s*(\d+(?:\.\d+)?)s \[/.exec(line);
    if (match) readingsMs.push(round3(Number(match[1]) * 1000));
    else otherLines.push(line);
  }
  return { readingsMs, otherLines };
}

interface ReadingStats {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Every distinct value printed, ascending. */
  distinct: number[];
  /** Smallest gap between two distinct values: the finest difference it showed. */
  finestStepMs: number | null;
  zeroReadings: number;
}

function readingStats(readingsMs: readonly number[]): ReadingStats {
  const sorted = [...readingsMs].sort((a, b) => a - b);
  const distinct = [...new Set(sorted)];
  let finest: number | null = null;
  for (let i = 1; i < distinct.length; i++) {
    const step = round3((distinct[i] as number) - (distinct[i - 1] as number));
    if (step > 0 && (finest === null || step < finest)) finest = step;
  }
  return {
    count: sorted.length,
    p50: nearestRank(sorted, 50),
    p99: nearestRank(sorted, 99),
    max: sorted.at(-1) ?? null,
    distinct,
    finestStepMs: finest,
    zeroReadings: sorted.filter((v) => v === 0).length,
  };
}

/**
 * Waits until every replica shows pt-heartbeat's row for `serverId` changing. `--update` writes the
 * row once at its start and then waits for the next whole second to begin its schedule, so a row
 * merely present may be up to a second old: a monitor started then reads that age as lag.
 */
async function waitPtRowUpdating(
  topology: ReplicaTopology,
  table: string,
  serverId: number,
  updater: PtProcess,
  signal: AbortSignal,
): Promise<void> {
  const startMs = Date.now();
  for (const replica of topology.replicas) {
    const conn = await openAdminConnection(replica.target);
    try {
      let first: string | undefined;
      for (;;) {
        if (signal.aborted) throw new Error("interrupted");
        if (updater.exited()) throw new Error("pt-heartbeat --update exited early");
        try {
          const [rows] = await conn.query(`SELECT ts FROM ${table} WHERE server_id = ?`, [serverId]);
          const ts = (rows as { ts: unknown }[])[0]?.ts;
          if (ts !== undefined && ts !== null) {
            if (first === undefined) first = String(ts);
            else if (String(ts) !== first) break;
          }
        } catch (error) {
          if (errorCode(error) !== ER_NO_SUCH_TABLE) throw error;
        }
        if (Date.now() - startMs > PT_VISIBLE_TIMEOUT_MS) {
          throw new Error(
            `${replica.name}: pt-heartbeat's row was not updated there within ${PT_VISIBLE_TIMEOUT_MS} ms`,
          );
        }
        await sleep(20, signal);
      }
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  replica: string;
  tool: "reinvent-bench probe" | "pt-heartbeat";
  readings: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  resolution: string;
  how: string;
}

const HOW_OURS = "sequence number first seen on the replica minus its commit ack, one monotonic clock";
const HOW_PT = "age of a timestamp row: monitor's wall clock minus updater's at send";

function msCell(value: number | null): string {
  return value === null ? "-" : formatMs(value);
}

function oursRow(r: ReplicaLagResult): Row {
  const detail =
    r.pollIntervalMs === null || r.roundTripMs === null
      ? ""
      : `\n(poll ${formatMs(r.pollIntervalMs)} + half of\n${formatMs(r.roundTripMs)} round trip)`;
  return {
    replica: r.name,
    tool: "reinvent-bench probe",
    readings: r.lagMs.samples,
    p50Ms: r.lagMs.p50,
    p99Ms: r.lagMs.p99,
    maxMs: r.lagMs.max,
    resolution: `${msCell(r.resolutionMs)}${detail}`,
    how: HOW_OURS,
  };
}

function ptRow(replica: string, stats: ReadingStats): Row {
  return {
    replica,
    tool: "pt-heartbeat",
    readings: stats.count,
    p50Ms: stats.p50,
    p99Ms: stats.p99,
    maxMs: stats.max,
    resolution:
      `interval ${formatMs(PT_INTERVAL_S * 1000)};\nfinest step ${msCell(stats.finestStepMs)}` +
      `\n(${stats.distinct.length} distinct values)`,
    how: HOW_PT,
  };
}

function renderTable(rows: Row[]): string {
  const table = new Table({
    head: ["replica", "tool", "readings", "p50", "p99", "max", "resolution", "how it works"],
    colWidths: [null, null, null, null, null, null, null, 40],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const row of rows) {
    table.push([
      row.replica,
      row.tool,
      row.readings.toLocaleString("en-US"),
      msCell(row.p50Ms),
      msCell(row.p99Ms),
      msCell(row.maxMs),
      row.resolution,
      row.how,
    ]);
  }
  return table.toString();
}

function distinctText(values: number[]): string {
  const shown = values.slice(0, 16).map((v) => `${v}`);
  return `${shown.join(", ")}${values.length > shown.length ? `, ... (${values.length} in all)` : ""} ms`;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(argv: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(argv);
  } catch (error) {
    log(`error: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const opts = options;

  const found = await execa("sh", ["-c", "command -v pt-heartbeat"], { reject: false });
  if (found.exitCode !== 0 || String(found.stdout).trim() === "") {
    log("pt-heartbeat not found: apt-get install -y percona-toolkit");
    return 2;
  }
  const ptVersion = String(
    (await execa("pt-heartbeat", ["--version"], { reject: false, stdin: "ignore" })).stdout,
  ).trim();

  const abort = new AbortController();
  const workDir = mkdtempSync(join(tmpdir(), "vs-pt-heartbeat-"));
  const defaultsFile = join(workDir, "pt-heartbeat.cnf");
  const removeFiles = () => {
    rmSync(defaultsFile, { force: true });
    if (opts.keep) log(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log(`\n${name}: stopping the measurement, pt-heartbeat and the servers (again to quit at once)`);
      abort.abort();
    } else {
      void runCleanups()
        .then(removeFiles)
        .finally(() => process.exit(130));
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const secrets: string[] = [];
  const say = (line: string) => log(redactText(line, secrets));

  let topology: ReplicaTopology | undefined;
  let load: Load | undefined;
  let probe: Awaited<ReturnType<typeof startLagProbe>> | undefined;
  const ptProcesses: PtProcess[] = [];
  let exitCode = 0;
  try {
    topology = await startReplicaTopology({
      dir: join(workDir, "topology"),
      replicas: opts.replicas,
      sizing: SIZING,
      log: say,
    });
    const primary = topology.primary;
    secrets.push(primary.password, ...topology.replicas.map((r) => r.target.password));
    if (abort.signal.aborted) throw new Error("interrupted");
    const { flavor, version } = topology.settings;
    const primaryServerId = topology.settings.primary.serverId;
    const database = primary.database;

    const noDb = await openAdminConnection(primary, false);
    try {
      await noDb.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`);
    } finally {
      await noDb.end();
    }
    await ensureDataset({
      shape: { tables: SIZING.tables, tableSize: SIZING.tableSize },
      open: () => openAdminConnection(primary),
      log: say,
      signal: abort.signal,
    });
    if (abort.signal.aborted) throw new Error("interrupted");

    writeFileSync(defaultsFile, defaultsFileText(primary), { mode: 0o600 });
    chmodSync(defaultsFile, 0o600);
    const dsn = (target: TargetSpec) => `F=${defaultsFile},h=${target.host},P=${target.port}`;
    const runTimeS = Math.ceil(opts.durationMs / 1000) + PT_RUN_TIME_MARGIN_S;
    const common = [
      "--no-version-check",
      "--database",
      database,
      "--table",
      PT_TABLE,
      "--interval",
      String(PT_INTERVAL_S),
      "--run-time",
      `${runTimeS}s`,
    ];
    const updater = startPt(
      "update",
      ["--update", "--create-table", ...common, "--sentinel", join(workDir, "pt-update.stop"), dsn(primary)],
      join(workDir, "pt-update.stop"),
      secrets,
    );
    ptProcesses.push(updater);
    // Everything written before it (the dataset) has been applied once its row shows on every replica.
    await waitPtRowUpdating(
      topology,
      `${quoteIdentifier(database)}.${PT_TABLE}`,
      primaryServerId,
      updater,
      abort.signal,
    );
    say("pt-heartbeat --update running; its row is updated on every replica");

    if (opts.rate > 0) {
      load = await startLoad(primary, opts.rate, SIZING.tableSize, opts.durationMs + LOAD_GRACE_MS, secrets);
      say(`load: ${opts.rate} UPDATEs/s over ${Math.min(LOAD_CONNECTIONS, opts.rate)} connections`);
    }

    const monitors = topology.replicas.map((replica) => {
      const sentinel = join(workDir, `pt-monitor-${replica.name}.stop`);
      const monitor = startPt(
        replica.name,
        [
          "--monitor",
          ...common,
          "--master-server-id",
          String(primaryServerId),
          "--skew",
          String(opts.skewS),
          "--sentinel",
          sentinel,
          dsn(replica.target),
        ],
        sentinel,
        secrets,
      );
      ptProcesses.push(monitor);
      return monitor;
    });
    probe = await startLagProbe({
      primary,
      replicas: topology.replicas.map((r) => ({ name: r.name, target: r.target })),
    });
    say(`measuring for ${opts.durationMs / 1000} s on ${topology.replicas.length} replica(s)`);
    await sleep(opts.durationMs, abort.signal);

    const [probeResult, monitorOutcomes] = await Promise.all([
      probe.stop(),
      Promise.all(monitors.map((m) => m.stop())),
    ]);
    const loadSummary = load ? await load.stop() : noLoad();
    const updaterOutcome = await updater.stop();

    const rows: Row[] = [];
    const ptResults = topology.replicas.map((replica, i) => {
      const outcome = monitorOutcomes[i] as PtOutcome;
      const parsed = parseMonitorOutput(outcome.stdout);
      const stats = readingStats(parsed.readingsMs);
      const ours = probeResult.replicas.find((r) => r.name === replica.name);
      if (ours) rows.push(oursRow(ours));
      rows.push(ptRow(replica.name, stats));
      return {
        replica: replica.name,
        command: monitors[i]?.command ?? "",
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        killed: outcome.killed,
        stderr: outcome.stderr,
        otherLines: parsed.otherLines.slice(0, 20),
        stats,
        readingsMs: parsed.readingsMs,
      };
    });

    const problems: string[] = [];
    for (const r of probeResult.replicas) {
      for (const e of r.errors) problems.push(`probe ${r.name}: ${e}`);
      if (r.unseen > 0) problems.push(`probe ${r.name}: ${r.unseen} heartbeats never seen`);
    }
    for (const e of probeResult.heartbeat.errors) problems.push(`probe heartbeat: ${e}`);
    for (const p of ptResults) {
      if (p.stats.count === 0) problems.push(`pt-heartbeat ${p.replica}: no readings`);
      if (p.stderr) problems.push(`pt-heartbeat ${p.replica} stderr: ${p.stderr.split("\n")[0]}`);
      if (p.killed) problems.push(`pt-heartbeat ${p.replica}: did not stop by its sentinel; killed`);
      else if (p.signal) {
        problems.push(
          `pt-heartbeat ${p.replica}: ended by ${p.signal}; readings it had not yet written out are lost`,
        );
      }
    }
    if (updaterOutcome.stderr) {
      problems.push(`pt-heartbeat update stderr: ${updaterOutcome.stderr.split("\n")[0]}`);
    }
    for (const e of loadSummary.errors) problems.push(`load: ${e}`);

    const hb = probeResult.heartbeat;
    const loadLine =
      opts.rate > 0
        ? `load: ${formatRate(loadSummary.achievedRate)} UPDATEs/s achieved of ${opts.rate} asked ` +
          `(${loadSummary.updates.toLocaleString("en-US")} over ${(loadSummary.elapsedMs / 1000).toFixed(1)} s, ` +
          `${loadSummary.connections} connections, ${loadSummary.skippedSlots.toLocaleString("en-US")} slots skipped)`
        : "load: none (--rate 0)";
    const commands = [
      `reinvent-bench: startLagProbe({ primary: ${primary.displayUrl}, replicas: [${topology.replicas
        .map((r) => `${r.name} ${r.target.displayUrl}`)
        .join(", ")}] }) (heartbeat every 10 ms, reads every 1 ms), stop() after ${opts.durationMs / 1000} s`,
      updater.command,
      ...monitors.map((m) => m.command),
      `${defaultsFile}: [client] user=${primary.user} password=*** (mode 0600, removed afterwards)`,
      ...(opts.rate > 0
        ? [`load: UPDATE sbtest1 SET k=k+1 WHERE id=<random 1..${SIZING.tableSize}> at ${opts.rate}/s`]
        : []),
    ].map((c) => redactText(c, secrets));

    const windowText = abort.signal.aborted
      ? `interrupted after ${(probeResult.durationMs / 1000).toFixed(1)} s of ${opts.durationMs / 1000} s`
      : `${opts.durationMs / 1000} s`;
    process.stdout.write(
      `\nreinvent-bench lag probe vs pt-heartbeat: ${flavor} ${version} sandbox, primary + ` +
        `${topology.replicas.length} replica(s) on this machine (${cpus().length} CPUs, one shared clock), ` +
        `${windowText}, ${opts.rate > 0 ? `${opts.rate} UPDATEs/s asked` : "no load"}\n` +
        `${ptVersion}; pt-heartbeat --skew ${opts.skewS}\n` +
        `${renderTable(rows)}\n` +
        `ours: ${hb.written.toLocaleString("en-US")} heartbeats acknowledged in ${(probeResult.durationMs / 1000).toFixed(1)} s, ` +
        `${hb.skippedSlots} slots skipped, commit p50 ${msCell(hb.commitMs.p50)}, p99 ${msCell(hb.commitMs.p99)}\n` +
        ptResults
          .map(
            (p) =>
              `pt-heartbeat ${p.replica}: ${p.stats.count.toLocaleString("en-US")} readings ` +
              `(${p.stats.zeroReadings} of them 0); values seen: ${distinctText(p.stats.distinct)}\n`,
          )
          .join("") +
        `${loadLine}\n` +
        "pt-heartbeat prints seconds with two decimals (10 ms steps); a reading includes the primary's commit\n" +
        "and the age of the newest heartbeat. Ours: one reading per heartbeat, error at most its resolution.\n" +
        `commands (password redacted):\n${commands.map((c) => `  ${c}`).join("\n")}\n` +
        (problems.length > 0 ? `problems:\n${problems.map((p) => `  ${p}`).join("\n")}\n` : ""),
    );

    if (opts.json) {
      mkdirSync(dirname(opts.json), { recursive: true });
      writeFileSync(
        opts.json,
        `${JSON.stringify(
          {
            generatedAt: new Date().toISOString(),
            status: abort.signal.aborted ? "interrupted" : problems.length > 0 ? "problems" : "complete",
            config: {
              durationMs: opts.durationMs,
              rate: opts.rate,
              replicas: opts.replicas,
              ptSkewS: opts.skewS,
              ptIntervalS: PT_INTERVAL_S,
              sizing: SIZING,
            },
            environment: {
              cpus: cpus().length,
              cpuModel: cpus()[0]?.model ?? "unknown",
              node: process.version,
              server: { flavor, version },
              ptHeartbeat: ptVersion,
              topology: topology.settings,
            },
            rows,
            commands,
            load: loadSummary,
            ours: probeResult satisfies LagProbeResult,
            ptHeartbeat: { update: { ...updaterOutcome, stdout: undefined }, monitors: ptResults },
            problems,
          },
          null,
          2,
        )}\n`,
      );
      say(`json: ${opts.json}`);
    }
    if (abort.signal.aborted) exitCode = 130;
    else if (problems.length > 0) exitCode = 1;
  } catch (error) {
    exitCode = abort.signal.aborted ? 130 : 1;
    say(`error: ${(error as Error).message}`);
  } finally {
    await probe?.stop().catch(() => undefined);
    await Promise.all(ptProcesses.map((p) => p.stop().catch(() => undefined)));
    await load?.stop().catch(() => undefined);
    await topology?.stop().catch((error: unknown) => say(`topology stop: ${(error as Error).message}`));
    await runCleanups();
    removeFiles();
    if (existsSync(defaultsFile)) say(`could not remove ${defaultsFile}`);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return exitCode;
}

process.exit(await main(process.argv.slice(2)));
