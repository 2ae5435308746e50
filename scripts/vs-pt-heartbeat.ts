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
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import Table from "cli-table3";
import { execa, type Result } from "execa";
import { ensureDataset } from "../bench/dataset/sbtest.js";
import {
  type LagProbe,
  type LagProbeResult,
  quoteIdentifier,
  type ReplicaLagResult,
  startLagProbe,
} from "../bench/probe/lag.js";
import { nearestRank } from "../bench/probe/lag-stats.js";
import { MAX_REPLICAS, type ReplicaTopology, startReplicaTopology } from "../bench/sandbox/topology.js";
import {
  type AdminConnection,
  errorCode,
  openAdminConnection,
  withAdmin,
} from "../bench/target/connection.js";
import type { TargetSpec } from "../bench/target/url.js";
import { addCleanup, runCleanups } from "../bench/util/cleanup.js";
import { parseDurationMs } from "../bench/util/duration.js";
import { ExitCode } from "../bench/util/errors.js";
import { formatMs, formatRate } from "../bench/util/format.js";
import { redactText } from "../bench/util/redact.js";
import { sleep } from "../bench/util/timer.js";
import { createDatabaseIfMissing } from "./lib/database.js";
import { interruptOnSignals } from "./lib/interrupt.js";
import { machineFacts, writeJsonReport } from "./lib/json-report.js";
import { log, redactingLog } from "./lib/log.js";
import { optionsOrExit, parseFlags, UsageProblem, wholeNumber } from "./lib/options.js";
import { LOAD_CONNECTIONS, type Load, type LoadSummary, startLoad } from "./lib/update-load.js";
import { makeWorkDir, removeWorkDir } from "./lib/work-dir.js";

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

const USAGE = `usage: npx tsx scripts/vs-pt-heartbeat.ts [options]
  --duration TIME  how long both measure at once, 1s to 1h (default 20s)
  --rate N         UPDATEs per second on the primary during the run, 0 for none (default 1000)
  --replicas N     replicas of the sandbox primary, 1 to ${MAX_REPLICAS} (default 1)
  --skew SECONDS   pt-heartbeat --skew for its monitors, 0 to 10 (default 0; its own default is 0.5)
  --json FILE      also write the table, every pt-heartbeat reading and the probe's result as JSON
  --keep           keep the temporary folder (sandbox data, pt-heartbeat output)`;

function parseOptions(argv: string[]): Options | undefined {
  const values = parseFlags(
    argv,
    {
      duration: { type: "string", default: "20s" },
      rate: { type: "string", default: "1000" },
      replicas: { type: "string", default: "1" },
      skew: { type: "string", default: "0" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    { firstSentenceOnly: true },
  );
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

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const stopWaiting = new AbortController();
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, sleep(ms, stopWaiting.signal).then(() => false)]);
  // Takes the timer away when the promise settled first.
  stopWaiting.abort();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Write load on the primary

const noLoad = (): LoadSummary => ({
  targetRate: 0,
  connections: 0,
  updates: 0,
  skippedSlots: 0,
  elapsedMs: 0,
  achievedRate: 0,
  errors: [],
});

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
  // A monitor that printed nothing has no percentiles.
  const percentile = (p: number) => (sorted.length === 0 ? null : nearestRank(sorted, p));
  return {
    count: sorted.length,
    p50: percentile(50),
    p99: percentile(99),
    max: sorted.at(-1) ?? null,
    distinct,
    finestStepMs: finest,
    zeroReadings: sorted.filter((v) => v === 0).length,
  };
}

/** Polls one replica until its row for `serverId` changes; throws if the updater exits or time runs out. */
async function waitRowChanges(
  conn: AdminConnection,
  replicaName: string,
  table: string,
  serverId: number,
  updater: PtProcess,
  startMs: number,
  signal: AbortSignal,
): Promise<void> {
  let first: string | undefined;
  for (;;) {
    if (signal.aborted) throw new Error("interrupted");
    if (updater.exited()) throw new Error("pt-heartbeat --update exited early");
    try {
      const [rows] = await conn.query(`SELECT ts FROM ${table} WHERE server_id = ?`, [serverId]);
      const ts = (rows as { ts: unknown }[])[0]?.ts;
      if (ts !== undefined && ts !== null) {
        if (first === undefined) first = String(ts);
        else if (String(ts) !== first) return;
      }
    } catch (error) {
      if (errorCode(error) !== ER_NO_SUCH_TABLE) throw error;
    }
    if (Date.now() - startMs > PT_VISIBLE_TIMEOUT_MS) {
      throw new Error(
        `${replicaName}: pt-heartbeat's row was not updated there within ${PT_VISIBLE_TIMEOUT_MS} ms`,
      );
    }
    await sleep(20, signal);
  }
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
  // One time limit for all the replicas together.
  const startMs = Date.now();
  for (const replica of topology.replicas) {
    await withAdmin(
      replica.target,
      (conn) => waitRowChanges(conn, replica.name, table, serverId, updater, startMs, signal),
      true,
    );
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

/** What the comparison holds while it runs, and stops on every exit path. */
interface Session {
  options: Options;
  signal: AbortSignal;
  /** Passwords to hide from every line printed; the servers' join once they have started. */
  secrets: string[];
  say: (line: string) => void;
  workDir: string;
  /** pt-heartbeat's user and password, so that they never reach its command line. */
  defaultsFile: string;
  topology?: ReplicaTopology;
  load?: Load;
  probe?: LagProbe;
  ptProcesses: PtProcess[];
}

/** pt-heartbeat's version line, or undefined when it is not on the PATH. */
async function ptHeartbeatVersion(): Promise<string | undefined> {
  const found = await execa("sh", ["-c", "command -v pt-heartbeat"], { reject: false });
  if (found.exitCode !== 0 || String(found.stdout).trim() === "") return undefined;
  return String(
    (await execa("pt-heartbeat", ["--version"], { reject: false, stdin: "ignore" })).stdout,
  ).trim();
}

/** A sandbox primary with its replicas in the work folder; their passwords join the secrets. */
async function startServers(session: Session): Promise<ReplicaTopology> {
  const topology = await startReplicaTopology({
    dir: join(session.workDir, "topology"),
    replicas: session.options.replicas,
    sizing: SIZING,
    log: session.say,
  });
  session.topology = topology;
  session.secrets.push(topology.primary.password, ...topology.replicas.map((r) => r.target.password));
  return topology;
}

/** The database and a small sbtest dataset on the primary (UPDATEs of the load go to sbtest1). */
async function loadDataset(session: Session, primary: TargetSpec): Promise<void> {
  await withAdmin(primary, (conn) => createDatabaseIfMissing(conn, primary.database));
  await ensureDataset({
    shape: { tables: SIZING.tables, tableSize: SIZING.tableSize },
    open: () => openAdminConnection(primary),
    log: session.say,
    signal: session.signal,
  });
}

/** pt-heartbeat's DSN for one server: user and password come from the defaults file. */
function ptDsn(session: Session, target: TargetSpec): string {
  return `F=${session.defaultsFile},h=${target.host},P=${target.port}`;
}

/** Arguments of every pt-heartbeat process: its table, its finest interval, and a run time that ends it should this process die unseen. */
function ptCommonArgs(session: Session, database: string): string[] {
  const runTimeS = Math.ceil(session.options.durationMs / 1000) + PT_RUN_TIME_MARGIN_S;
  return [
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
}

/** pt-heartbeat --update on the primary, returned once its row is being updated on every replica. */
async function startUpdater(
  session: Session,
  topology: ReplicaTopology,
  common: string[],
): Promise<PtProcess> {
  const primary = topology.primary;
  const sentinel = join(session.workDir, "pt-update.stop");
  const updater = startPt(
    "update",
    ["--update", "--create-table", ...common, "--sentinel", sentinel, ptDsn(session, primary)],
    sentinel,
    session.secrets,
  );
  session.ptProcesses.push(updater);
  // Everything written before it (the dataset) has been applied once its row shows on every replica.
  await waitPtRowUpdating(
    topology,
    `${quoteIdentifier(primary.database)}.${PT_TABLE}`,
    topology.settings.primary.serverId,
    updater,
    session.signal,
  );
  session.say("pt-heartbeat --update running; its row is updated on every replica");
  return updater;
}

/** The write load on the primary, unless --rate 0. */
async function startLoadIfAsked(session: Session, primary: TargetSpec): Promise<void> {
  const { options } = session;
  if (options.rate === 0) return;
  session.load = await startLoad(
    primary,
    options.rate,
    SIZING.tableSize,
    options.durationMs + LOAD_GRACE_MS,
    session.secrets,
  );
  session.say(`load: ${options.rate} UPDATEs/s over ${Math.min(LOAD_CONNECTIONS, options.rate)} connections`);
}

/** One pt-heartbeat --monitor per replica, in the replicas' order. */
function startMonitors(session: Session, topology: ReplicaTopology, common: string[]): PtProcess[] {
  return topology.replicas.map((replica) => {
    const sentinel = join(session.workDir, `pt-monitor-${replica.name}.stop`);
    const monitor = startPt(
      replica.name,
      [
        "--monitor",
        ...common,
        "--master-server-id",
        String(topology.settings.primary.serverId),
        "--skew",
        String(session.options.skewS),
        "--sentinel",
        sentinel,
        ptDsn(session, replica.target),
      ],
      sentinel,
      session.secrets,
    );
    session.ptProcesses.push(monitor);
    return monitor;
  });
}

/** What both tools and the load measured. */
interface Measured {
  probe: LagProbeResult;
  /** In the replicas' order. */
  monitors: PtOutcome[];
  load: LoadSummary;
  updater: PtOutcome;
}

/**
 * Stops both tools together, each flushing what it measured (ours waits for the replicas to show
 * its last heartbeat), then the load, then the updater the monitors were reading.
 */
async function stopMeasuring(
  session: Session,
  probe: LagProbe,
  monitors: PtProcess[],
  updater: PtProcess,
): Promise<Measured> {
  const [probeResult, monitorOutcomes] = await Promise.all([
    probe.stop(),
    Promise.all(monitors.map((m) => m.stop())),
  ]);
  const loadSummary = session.load ? await session.load.stop() : noLoad();
  return { probe: probeResult, monitors: monitorOutcomes, load: loadSummary, updater: await updater.stop() };
}

/** One replica's pt-heartbeat monitor: how it ended, and its readings. */
interface PtResult {
  replica: string;
  command: string;
  exitCode: number | null;
  signal: string | null;
  killed: boolean;
  stderr: string;
  otherLines: string[];
  stats: ReadingStats;
  readingsMs: number[];
}

/** Per replica, ours' row then pt-heartbeat's, and each monitor's readings. */
function compareReplicas(
  topology: ReplicaTopology,
  monitors: PtProcess[],
  measured: Measured,
): { rows: Row[]; ptResults: PtResult[] } {
  const rows: Row[] = [];
  const ptResults = topology.replicas.map((replica, i): PtResult => {
    const outcome = measured.monitors[i] as PtOutcome;
    const parsed = parseMonitorOutput(outcome.stdout);
    const stats = readingStats(parsed.readingsMs);
    const ours = measured.probe.replicas.find((r) => r.name === replica.name);
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
  return { rows, ptResults };
}

/** What went wrong in either tool or the load; any makes the exit code 1. */
function listProblems(measured: Measured, ptResults: PtResult[]): string[] {
  const problems: string[] = [];
  for (const r of measured.probe.replicas) {
    for (const e of r.errors) problems.push(`probe ${r.name}: ${e}`);
    if (r.unseen > 0) problems.push(`probe ${r.name}: ${r.unseen} heartbeats never seen`);
  }
  for (const e of measured.probe.heartbeat.errors) problems.push(`probe heartbeat: ${e}`);
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
  if (measured.updater.stderr) {
    problems.push(`pt-heartbeat update stderr: ${measured.updater.stderr.split("\n")[0]}`);
  }
  for (const e of measured.load.errors) problems.push(`load: ${e}`);
  return problems;
}

/** Every command both tools and the load ran, passwords redacted. */
function commandLines(
  session: Session,
  topology: ReplicaTopology,
  updater: PtProcess,
  monitors: PtProcess[],
): string[] {
  const { options } = session;
  const primary = topology.primary;
  return [
    `reinvent-bench: startLagProbe({ primary: ${primary.displayUrl}, replicas: [${topology.replicas
      .map((r) => `${r.name} ${r.target.displayUrl}`)
      .join(
        ", ",
      )}] }) (heartbeat every 10 ms, reads every 1 ms), stop() after ${options.durationMs / 1000} s`,
    updater.command,
    ...monitors.map((m) => m.command),
    `${session.defaultsFile}: [client] user=${primary.user} password=*** (mode 0600, removed afterwards)`,
    ...(options.rate > 0
      ? [`load: UPDATE sbtest1 SET k=k+1 WHERE id=<random 1..${SIZING.tableSize}> at ${options.rate}/s`]
      : []),
  ].map((c) => redactText(c, session.secrets));
}

/** What was compared, with the results and how they were taken. */
interface Comparison {
  ptVersion: string;
  topology: ReplicaTopology;
  measured: Measured;
  rows: Row[];
  ptResults: PtResult[];
  commands: string[];
  problems: string[];
}

function loadLine(options: Options, load: LoadSummary): string {
  return options.rate > 0
    ? `load: ${formatRate(load.achievedRate)} UPDATEs/s achieved of ${options.rate} asked ` +
        `(${load.updates.toLocaleString("en-US")} over ${(load.elapsedMs / 1000).toFixed(1)} s, ` +
        `${load.connections} connections, ${load.skippedSlots.toLocaleString("en-US")} slots skipped)`
    : "load: none (--rate 0)";
}

/** The report on stdout: the table, each tool's totals, the load, the commands and any problems. */
function reportText(session: Session, c: Comparison): string {
  const { options } = session;
  const { flavor, version } = c.topology.settings;
  const probe = c.measured.probe;
  const hb = probe.heartbeat;
  const windowText = session.signal.aborted
    ? `interrupted after ${(probe.durationMs / 1000).toFixed(1)} s of ${options.durationMs / 1000} s`
    : `${options.durationMs / 1000} s`;
  return (
    `\nreinvent-bench lag probe vs pt-heartbeat: ${flavor} ${version} sandbox, primary + ` +
    `${c.topology.replicas.length} replica(s) on this machine (${cpus().length} CPUs, one shared clock), ` +
    `${windowText}, ${options.rate > 0 ? `${options.rate} UPDATEs/s asked` : "no load"}\n` +
    `${c.ptVersion}; pt-heartbeat --skew ${options.skewS}\n` +
    `${renderTable(c.rows)}\n` +
    `ours: ${hb.written.toLocaleString("en-US")} heartbeats acknowledged in ${(probe.durationMs / 1000).toFixed(1)} s, ` +
    `${hb.skippedSlots} slots skipped, commit p50 ${msCell(hb.commitMs.p50)}, p99 ${msCell(hb.commitMs.p99)}\n` +
    c.ptResults
      .map(
        (p) =>
          `pt-heartbeat ${p.replica}: ${p.stats.count.toLocaleString("en-US")} readings ` +
          `(${p.stats.zeroReadings} of them 0); values seen: ${distinctText(p.stats.distinct)}\n`,
      )
      .join("") +
    `${loadLine(options, c.measured.load)}\n` +
    "pt-heartbeat prints seconds with two decimals (10 ms steps); a reading includes the primary's commit\n" +
    "and the age of the newest heartbeat. Ours: one reading per heartbeat, error at most its resolution.\n" +
    `commands (password redacted):\n${c.commands.map((line) => `  ${line}`).join("\n")}\n` +
    (c.problems.length > 0 ? `problems:\n${c.problems.map((p) => `  ${p}`).join("\n")}\n` : "")
  );
}

/** The --json file: the table, every pt-heartbeat reading and the probe's whole result. */
function jsonReport(session: Session, c: Comparison): unknown {
  const { options } = session;
  const { flavor, version } = c.topology.settings;
  return {
    generatedAt: new Date().toISOString(),
    status: session.signal.aborted ? "interrupted" : c.problems.length > 0 ? "problems" : "complete",
    config: {
      durationMs: options.durationMs,
      rate: options.rate,
      replicas: options.replicas,
      ptSkewS: options.skewS,
      ptIntervalS: PT_INTERVAL_S,
      sizing: SIZING,
    },
    environment: {
      ...machineFacts(),
      server: { flavor, version },
      ptHeartbeat: c.ptVersion,
      topology: c.topology.settings,
    },
    rows: c.rows,
    commands: c.commands,
    load: c.measured.load,
    ours: c.measured.probe satisfies LagProbeResult,
    ptHeartbeat: { update: { ...c.measured.updater, stdout: undefined }, monitors: c.ptResults },
    problems: c.problems,
  };
}

/** Everything between finding pt-heartbeat and cleaning up; returns the exit code. */
async function compare(session: Session, ptVersion: string): Promise<number> {
  const { options, signal } = session;
  const topology = await startServers(session);
  if (signal.aborted) throw new Error("interrupted");
  const primary = topology.primary;
  await loadDataset(session, primary);
  if (signal.aborted) throw new Error("interrupted");

  writeFileSync(session.defaultsFile, defaultsFileText(primary), { mode: 0o600 });
  // The mode given above applies only to a new file.
  chmodSync(session.defaultsFile, 0o600);
  const common = ptCommonArgs(session, primary.database);
  const updater = await startUpdater(session, topology, common);
  await startLoadIfAsked(session, primary);
  const monitors = startMonitors(session, topology, common);
  const probe = await startLagProbe({
    primary,
    replicas: topology.replicas.map((r) => ({ name: r.name, target: r.target })),
  });
  session.probe = probe;
  session.say(`measuring for ${options.durationMs / 1000} s on ${topology.replicas.length} replica(s)`);
  await sleep(options.durationMs, signal);

  const measured = await stopMeasuring(session, probe, monitors, updater);
  const { rows, ptResults } = compareReplicas(topology, monitors, measured);
  const comparison: Comparison = {
    ptVersion,
    topology,
    measured,
    rows,
    ptResults,
    commands: commandLines(session, topology, updater, monitors),
    problems: listProblems(measured, ptResults),
  };
  process.stdout.write(reportText(session, comparison));
  if (options.json) {
    writeJsonReport(options.json, jsonReport(session, comparison));
    session.say(`json: ${options.json}`);
  }
  if (signal.aborted) return ExitCode.interrupted;
  return comparison.problems.length > 0 ? 1 : 0;
}

/** Stops the probe, every pt-heartbeat, the load and the servers, whatever state they are in. */
async function release(session: Session): Promise<void> {
  await session.probe?.stop().catch(() => undefined);
  await Promise.all(session.ptProcesses.map((p) => p.stop().catch(() => undefined)));
  await session.load?.stop().catch(() => undefined);
  await session.topology
    ?.stop()
    .catch((error: unknown) => session.say(`topology stop: ${(error as Error).message}`));
}

async function main(argv: string[]): Promise<number> {
  const read = optionsOrExit(argv, parseOptions, USAGE);
  if ("exitCode" in read) return read.exitCode;
  const { options } = read;
  const ptVersion = await ptHeartbeatVersion();
  if (ptVersion === undefined) {
    log("pt-heartbeat not found: apt-get install -y percona-toolkit");
    return 2;
  }

  const workDir = makeWorkDir("vs-pt-heartbeat-");
  const defaultsFile = join(workDir, "pt-heartbeat.cnf");
  // The defaults file holds the password: it goes even when the folder is kept.
  const removeFiles = () => {
    rmSync(defaultsFile, { force: true });
    removeWorkDir(workDir, options.keep, log);
  };
  const interrupt = interruptOnSignals("stopping the measurement, pt-heartbeat and the servers", removeFiles);
  const secrets: string[] = [];
  const session: Session = {
    options,
    signal: interrupt.signal,
    secrets,
    say: redactingLog(secrets),
    workDir,
    defaultsFile,
    ptProcesses: [],
  };
  let exitCode = 0;
  try {
    exitCode = await compare(session, ptVersion);
  } catch (error) {
    exitCode = interrupt.signal.aborted ? ExitCode.interrupted : 1;
    session.say(`error: ${(error as Error).message}`);
  } finally {
    await release(session);
    await runCleanups();
    removeFiles();
    if (existsSync(defaultsFile)) session.say(`could not remove ${defaultsFile}`);
    interrupt.dispose();
  }
  return exitCode;
}

process.exit(await main(process.argv.slice(2)));
