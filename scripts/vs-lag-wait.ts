/**
 * vs-lag-wait: the lag probe's two ways of timing a heartbeat on a replica, side by side on the
 * same sandbox: the GTID wait (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET, held on the replica
 * from the heartbeat's ack until it is applied) and the row poll (every 1 ms). Prints, per method
 * and replica, the lag percentiles, the resolution, the probe's CPU and the samples, then the same
 * heartbeats timed both ways at once.
 *
 *   npm run vs-lag-wait -- --duration 10s --rate 1000 [--delay 1] [--json FILE]
 *
 * It starts a sandbox primary with two replicas (bench/sandbox/topology.ts) in a temporary folder,
 * delays replica-2 by --delay seconds (MASTER_DELAY), runs a write load at --rate (UPDATEs of
 * sbtest1, 0 for heartbeats only), and measures four windows of --duration each, one after the
 * other:
 * - load alone: no probe; the CPU this process and each replica's server spend on the load;
 * - wait: startLagProbe({ method: "wait" }) on both replicas;
 * - poll: startLagProbe({ method: "poll", pollIntervalMs: 1 }) on both replicas;
 * - both: each replica listed twice, once per method, so both time the very same heartbeats;
 *   per heartbeat, the poll's lag minus the wait's.
 * Probe CPU is this process's CPU (process.cpuUsage) over a window less the load-alone window's,
 * per second of window; replica CPU is each replica server's (/proc/<pid>/stat) the same way. The
 * servers run their connections on a thread pool, so CPU is not told apart per connection.
 * Servers, load and probes are stopped (and the folder removed, unless --keep) on every exit path.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import Table from "cli-table3";
import { ensureDataset } from "../bench/dataset/sbtest.js";
import {
  type LagProbe,
  type LagProbeReplica,
  type LagProbeResult,
  type ProbeSample,
  type ReplicaLagResult,
  startLagProbe,
} from "../bench/probe/lag.js";
import { nearestRank } from "../bench/probe/lag-stats.js";
import { type ReplicaTopology, replicationDialect, startReplicaTopology } from "../bench/sandbox/topology.js";
import { openAdminConnection, withAdmin } from "../bench/target/connection.js";
import { checkReplication } from "../bench/target/replication.js";
import type { TargetSpec } from "../bench/target/url.js";
import { atLeastVersion } from "../bench/target/version.js";
import { runCleanups } from "../bench/util/cleanup.js";
import { parseDurationMs } from "../bench/util/duration.js";
import { ExitCode } from "../bench/util/errors.js";
import { formatBytes, formatRate } from "../bench/util/format.js";
import { sleep } from "../bench/util/timer.js";
import { createDatabaseIfMissing } from "./lib/database.js";
import { interruptOnSignals } from "./lib/interrupt.js";
import { machineFacts, writeJsonReport } from "./lib/json-report.js";
import { log, redactingLog } from "./lib/log.js";
import { optionsOrExit, parseFlags, UsageProblem, wholeNumber } from "./lib/options.js";
import { clockTicksPerSec, statFields } from "./lib/process-sample.js";
import { type Load, type LoadSummary, startLoad } from "./lib/update-load.js";
import { makeWorkDir, removeWorkDir } from "./lib/work-dir.js";

const SIZING = { connections: 64, tables: 1, tableSize: 10_000 };
/** The load stops by itself this long after the planned end of all windows. */
const LOAD_GRACE_MS = 60_000;
const MAX_RATE = 50_000;
const MAX_DURATION_MS = 600_000;
const MAX_DELAY_S = 10;
/** Attempts (50 ms apart) at the delayed replica's threads running again: 30 s at most. */
const RUNNING_ATTEMPTS = 600;
const POLL_INTERVAL_MS = 1;
/** Server settings printed with the results: what decides how fast a wait or a read is answered. */
const SETTINGS = [
  "version",
  "thread_handling",
  "thread_pool_size",
  "thread_pool_max_threads",
  "thread_pool_oversubscribe",
  "thread_pool_stall_limit",
  "max_connections",
  "performance_schema",
  "binlog_format",
  "sync_binlog",
  "innodb_flush_log_at_trx_commit",
  "innodb_buffer_pool_size",
  "slave_parallel_threads",
  "slave_parallel_mode",
  "replica_parallel_workers",
  "log_slave_updates",
  "gtid_mode",
] as const;

interface Options {
  durationMs: number;
  rate: number;
  delayS: number;
  waits?: number;
  json?: string;
  keep: boolean;
}

const USAGE = `usage: npx tsx scripts/vs-lag-wait.ts [options]
  --duration TIME  each of the four windows, 2s to 10m (default 10s)
  --rate N         UPDATEs per second on the primary throughout, 0 for heartbeats only (default 1000)
  --delay S        MASTER_DELAY of replica-2 in seconds, 0 to ${MAX_DELAY_S} (default 1)
  --waits N        GTID waits in flight per replica, 1 to 64 (default: the probe's, 16)
  --json FILE      also write every figure, the settings and the probes' results as JSON
  --keep           keep the temporary folder (sandbox data)`;

function parseOptions(argv: string[]): Options | undefined {
  const values = parseFlags(
    argv,
    {
      duration: { type: "string", default: "10s" },
      rate: { type: "string", default: "1000" },
      delay: { type: "string", default: "1" },
      waits: { type: "string" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    { firstSentenceOnly: true },
  );
  if (values.help) return undefined;
  const durationMs = parseDurationMs(values.duration);
  if (durationMs === undefined || durationMs < 2000 || durationMs > MAX_DURATION_MS) {
    throw new UsageProblem(`--duration: '${values.duration}' must be a time from 2s to 10m, such as 10s`);
  }
  const options: Options = {
    durationMs,
    rate: wholeNumber("--rate", values.rate, 0, MAX_RATE),
    delayS: wholeNumber("--delay", values.delay, 0, MAX_DELAY_S),
    keep: values.keep,
  };
  if (values.waits !== undefined) options.waits = wholeNumber("--waits", values.waits, 1, 64);
  if (values.json !== undefined) {
    if (values.json.trim() === "") throw new UsageProblem("--json: give a file name");
    options.json = resolve(values.json);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Write load on the primary

// ---------------------------------------------------------------------------------------------
// CPU

interface CpuReading {
  /** This process, user + system, ms. */
  clientMs: number;
  /** Each replica's server process, user + system, ms (NaN when /proc cannot be read). */
  replicaMs: number[];
  atMs: number;
}

function serverCpuMs(pid: number, ticksPerSec: number): number {
  try {
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, "utf8"));
    // utime and stime, fields 14 and 15 of proc(5), from field 3 on.
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSec) * 1000;
  } catch {
    return Number.NaN;
  }
}

function readCpu(session: Session): CpuReading {
  const usage = process.cpuUsage();
  return {
    clientMs: (usage.user + usage.system) / 1000,
    replicaMs: session.replicaPids.map((pid) => serverCpuMs(pid, session.ticksPerSec)),
    atMs: performance.now(),
  };
}

/** CPU per second of the window between two readings: ms of CPU per s (10 = 1% of a core). */
interface CpuRate {
  clientMsPerS: number;
  replicaMsPerS: number[];
}

function cpuRate(from: CpuReading, to: CpuReading): CpuRate {
  const seconds = (to.atMs - from.atMs) / 1000;
  return {
    clientMsPerS: (to.clientMs - from.clientMs) / seconds,
    replicaMsPerS: to.replicaMs.map((ms, i) => (ms - (from.replicaMs[i] ?? Number.NaN)) / seconds),
  };
}

// ---------------------------------------------------------------------------------------------
// Windows

interface Window {
  name: "load alone" | "wait" | "poll" | "both";
  cpu: CpuRate;
  result: LagProbeResult | null;
  /** "both" only: per heartbeat, per replica of the topology, the poll's lag minus the wait's. */
  differences: Record<string, number[]>;
}

/** One window: the probe (none for the load alone) runs --duration; CPU is read around that time. */
async function runWindow(
  session: Session,
  name: Window["name"],
  replicas: LagProbeReplica[] | null,
  options: { method?: "wait" | "poll"; onSample?: (s: ProbeSample) => void } = {},
): Promise<Window> {
  session.say(`window '${name}': ${session.options.durationMs / 1000} s`);
  let probe: LagProbe | undefined;
  if (replicas) {
    probe = await startLagProbe({
      primary: (session.topology as ReplicaTopology).primary,
      replicas,
      pollIntervalMs: POLL_INTERVAL_MS,
      ...(options.method ? { method: options.method } : {}),
      ...(session.options.waits ? { waitsInFlight: session.options.waits } : {}),
      ...(options.onSample ? { onSample: options.onSample } : {}),
    });
    session.probe = probe;
  }
  const before = readCpu(session);
  await sleep(session.options.durationMs, session.signal);
  const after = readCpu(session);
  const result = probe ? await probe.stop() : null;
  session.probe = undefined;
  return { name, cpu: cpuRate(before, after), result, differences: {} };
}

/** Both methods on every replica at once, on the same heartbeats. */
async function runBoth(session: Session): Promise<Window> {
  const topology = session.topology as ReplicaTopology;
  const lags = new Map<string, Map<number, number>>();
  const twins: LagProbeReplica[] = topology.replicas.flatMap((r) => [
    { name: `${r.name} wait`, target: r.target, method: "wait" as const },
    { name: `${r.name} poll`, target: r.target, method: "poll" as const },
  ]);
  const window = await runWindow(session, "both", twins, {
    onSample: (s) => {
      const byReplica = lags.get(s.replica) ?? new Map<number, number>();
      byReplica.set(s.seq, s.lagMs);
      lags.set(s.replica, byReplica);
    },
  });
  for (const r of topology.replicas) {
    const wait = lags.get(`${r.name} wait`) ?? new Map<number, number>();
    const poll = lags.get(`${r.name} poll`) ?? new Map<number, number>();
    const differences: number[] = [];
    for (const [seq, waitLag] of wait) {
      const pollLag = poll.get(seq);
      if (pollLag !== undefined) differences.push(pollLag - waitLag);
    }
    window.differences[r.name] = differences.sort((a, b) => a - b);
  }
  return window;
}

// ---------------------------------------------------------------------------------------------
// Servers

/** Delays `replica` by `seconds` (MariaDB MASTER_DELAY, MySQL SOURCE_DELAY), then waits for it to run. */
async function delayReplica(
  topology: ReplicaTopology,
  replica: TargetSpec,
  seconds: number,
): Promise<string> {
  const { flavor, version } = topology.settings;
  const dialect = replicationDialect(flavor, version);
  const change =
    flavor === "mysql" && atLeastVersion(version, 8, 0, 23)
      ? `CHANGE REPLICATION SOURCE TO SOURCE_DELAY=${seconds}`
      : `CHANGE MASTER TO MASTER_DELAY=${seconds}`;
  await withAdmin(replica, async (conn) => {
    await conn.query(dialect.stop);
    await conn.query(change);
    await conn.query(dialect.start);
    for (let attempt = 0; attempt < RUNNING_ATTEMPTS; attempt++) {
      const [channel] = await checkReplication(conn);
      if (channel?.ioRunning && channel.sqlRunning) return;
      await sleep(50);
    }
    throw new Error("the delayed replica did not start replicating again");
  });
  return `${dialect.stop}; ${change}; ${dialect.start}`;
}

type Settings = Record<string, Record<string, string>>;

/** The settings that matter, as each server reports them, and replica-2's SQL_Delay. */
async function readSettings(topology: ReplicaTopology): Promise<Settings> {
  const list = SETTINGS.map((name) => `'${name}'`).join(",");
  const read = (target: TargetSpec) =>
    withAdmin(target, async (conn) => {
      const [rows] = await conn.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${list})`);
      const vars: Record<string, string> = {};
      for (const row of rows as { Variable_name: string; Value: string }[])
        vars[row.Variable_name] = row.Value;
      const [status] = await conn.query(
        /mariadb/i.test(vars.version ?? "") ? "SHOW ALL SLAVES STATUS" : "SHOW REPLICA STATUS",
      );
      const channel = (status as Record<string, unknown>[])[0];
      if (channel) vars.SQL_Delay = String(channel.SQL_Delay ?? "?");
      return vars;
    });
  const settings: Settings = { primary: await read(topology.primary) };
  for (const r of topology.replicas) settings[r.name] = await read(r.target);
  return settings;
}

function settingsText(settings: Settings): string {
  const names = [...new Set(Object.values(settings).flatMap((vars) => Object.keys(vars)))];
  const lines: string[] = [];
  for (const name of names) {
    const values = Object.entries(settings).map(([server, vars]) => {
      const value = vars[name];
      const shown = name === "innodb_buffer_pool_size" && value ? formatBytes(Number(value)) : value;
      return `${server} ${shown ?? "-"}`;
    });
    const distinct = new Set(Object.values(settings).map((vars) => vars[name]));
    lines.push(
      distinct.size === 1
        ? `${name}: ${values[0]?.split(" ").slice(1).join(" ")} (all)`
        : `${name}: ${values.join(", ")}`,
    );
  }
  return lines.map((line) => `  ${line}`).join("\n");
}

// ---------------------------------------------------------------------------------------------
// Report

const ms3 = (value: number | null | undefined) =>
  value === null || value === undefined || !Number.isFinite(value) ? "-" : `${value.toFixed(3)} ms`;
const ms1 = (value: number | null | undefined) =>
  value === null || value === undefined || !Number.isFinite(value) ? "-" : `${value.toFixed(1)} ms`;
const cpuText = (msPerS: number) => (Number.isFinite(msPerS) ? `${msPerS.toFixed(1)} ms/s` : "-");

function resolutionText(r: ReplicaLagResult): string {
  if (r.method === "poll") {
    return `${ms3(r.resolutionMs)}\n(poll ${ms3(r.pollIntervalMs)}\n+ half of ${ms3(r.roundTripMs)})`;
  }
  const w = r.waits;
  return `${ms3(r.resolutionMs)}\n(p99 ${ms3(w?.resolutionP99Ms)};\n${w?.held} held, ${w?.atOnce} found\napplied)`;
}

function methodsTable(session: Session, windows: Window[]): string {
  const table = new Table({
    head: [
      "method",
      "replica",
      "samples",
      "lag p50",
      "lag p99",
      "lag max",
      "resolution",
      "probe CPU",
      "replica CPU",
    ],
    style: { head: [], border: [] },
  });
  const base = windows.find((w) => w.name === "load alone") as Window;
  const names = (session.topology as ReplicaTopology).replicas.map((r) => r.name);
  for (const window of windows.filter((w) => w.name === "wait" || w.name === "poll")) {
    for (const [i, name] of names.entries()) {
      const r = window.result?.replicas.find((x) => x.name === name);
      if (!r) continue;
      const client = window.cpu.clientMsPerS - base.cpu.clientMsPerS;
      const server = (window.cpu.replicaMsPerS[i] ?? Number.NaN) - (base.cpu.replicaMsPerS[i] ?? Number.NaN);
      table.push([
        `${window.name} (${r.method})`,
        name,
        r.lagMs.samples.toLocaleString("en-US"),
        ms1(r.lagMs.p50),
        ms1(r.lagMs.p99),
        ms1(r.lagMs.max),
        resolutionText(r),
        i === 0 ? `${cpuText(client)}\n(both replicas)` : "",
        cpuText(server),
      ]);
    }
  }
  return table.toString();
}

function pairedTable(session: Session, both: Window): string {
  const table = new Table({
    head: [
      "replica",
      "heartbeats",
      "poll - wait p10",
      "p50",
      "p90",
      "p50 lag wait",
      "p50 lag poll",
      "poll resolution",
    ],
    style: { head: [], border: [] },
  });
  for (const { name } of (session.topology as ReplicaTopology).replicas) {
    const d = both.differences[name] ?? [];
    const wait = both.result?.replicas.find((r) => r.name === `${name} wait`);
    const poll = both.result?.replicas.find((r) => r.name === `${name} poll`);
    const at = (p: number) => (d.length === 0 ? null : nearestRank(d, p));
    table.push([
      name,
      d.length.toLocaleString("en-US"),
      ms3(at(10)),
      ms3(at(50)),
      ms3(at(90)),
      ms1(wait?.lagMs.p50),
      ms1(poll?.lagMs.p50),
      ms3(poll?.resolutionMs),
    ]);
  }
  return table.toString();
}

/** The targets asked of the wait, each with what was measured. */
function verdicts(session: Session, windows: Window[]): string[] {
  const byName = (name: Window["name"]) => windows.find((w) => w.name === name) as Window;
  const wait = byName("wait");
  const poll = byName("poll");
  const both = byName("both");
  const names = (session.topology as ReplicaTopology).replicas.map((r) => r.name);
  const lines: string[] = [];
  const waitResolutions = (wait.result?.replicas ?? []).map((r) => r.resolutionMs ?? Number.NaN);
  const worst = Math.max(...waitResolutions);
  lines.push(
    `resolution <= 0.25 ms with the wait: ${worst <= 0.25 ? "yes" : "NO"} (worst replica ${ms3(worst)}; poll ${(
      poll.result?.replicas ?? []
    )
      .map((r) => ms3(r.resolutionMs))
      .join(", ")})`,
  );
  const waitCpu = wait.cpu.clientMsPerS;
  const pollCpu = poll.cpu.clientMsPerS;
  const base = byName("load alone").cpu.clientMsPerS;
  lines.push(
    `less probe CPU than the 1 ms poll: ${waitCpu < pollCpu ? "yes" : "NO"} (this process ${cpuText(waitCpu - base)} with the wait, ${cpuText(pollCpu - base)} with the poll, over the load alone)`,
  );
  for (const name of names) {
    const d = both.differences[name] ?? [];
    const poll1 = both.result?.replicas.find((r) => r.name === `${name} poll`);
    const median = d.length === 0 ? Number.NaN : nearestRank(d, 50);
    const within = Math.abs(median) <= (poll1?.resolutionMs ?? 0);
    lines.push(
      `same median within the poll's resolution, ${name}: ${within ? "yes" : "NO"} (per heartbeat, poll - wait p50 ${ms3(median)}; poll resolution ${ms3(poll1?.resolutionMs)})`,
    );
  }
  return lines;
}

function problems(windows: Window[], load: LoadSummary | null): string[] {
  const out: string[] = [];
  for (const window of windows) {
    for (const r of window.result?.replicas ?? []) {
      for (const e of r.errors) out.push(`${window.name} ${r.name}: ${e}`);
      if (r.unseen > 0) out.push(`${window.name} ${r.name}: ${r.unseen} heartbeats never seen`);
      if ((r.waits?.timedOut ?? 0) > 0)
        out.push(`${window.name} ${r.name}: ${r.waits?.timedOut} waits timed out`);
    }
    for (const e of window.result?.heartbeat.errors ?? []) out.push(`${window.name} heartbeat: ${e}`);
  }
  for (const e of load?.errors ?? []) out.push(`load: ${e}`);
  return out;
}

function reportText(session: Session, c: Comparison): string {
  const { options } = session;
  const topology = session.topology as ReplicaTopology;
  const facts = machineFacts();
  const both = c.windows.find((w) => w.name === "both") as Window;
  const loadLine =
    c.load === null
      ? "load: none (--rate 0); heartbeats only"
      : `load: ${formatRate(c.load.achievedRate)} UPDATEs/s achieved of ${options.rate} asked (${c.load.updates.toLocaleString("en-US")} over ${(c.load.elapsedMs / 1000).toFixed(1)} s, ${c.load.connections} connections, ${c.load.skippedSlots} slots skipped), through all four windows`;
  const probeLine = (r: LagProbeResult | null | undefined) =>
    r ? `${r.heartbeat.written} heartbeats, commit p50 ${ms3(r.heartbeat.commitMs.p50)}` : "-";
  return (
    `\nlag probe: GTID wait vs 1 ms poll on a ${topology.settings.flavor} ${topology.settings.version} sandbox, primary + 2 replicas (replica-2 delayed ${options.delayS} s) on this machine (${facts.cpus} CPUs, ${facts.cpuModel}, Node ${facts.node})\n` +
    `${options.durationMs / 1000} s per window; ${loadLine}\n` +
    `delay: ${c.delayStatement} on replica-2\n` +
    `server settings (SHOW GLOBAL VARIABLES; SQL_Delay from the replica's status):\n${settingsText(c.settings)}\n\n` +
    `windows one after the other (wait: ${probeLine(c.windows.find((w) => w.name === "wait")?.result)}; poll: ${probeLine(c.windows.find((w) => w.name === "poll")?.result)}):\n` +
    `${methodsTable(session, c.windows)}\n` +
    "probe CPU: this process (heartbeats, probe, load) per second of window, less the window with the load alone;\n" +
    "replica CPU: that replica's server the same way. Wait resolution: the median per-sample bound (held: how\n" +
    "closely the waits pin the server's clock to ours; found applied: from the ack or the previous sighting).\n\n" +
    `both methods at once, on the same ${probeLine(both.result)}:\n` +
    `${pairedTable(session, both)}\n` +
    "poll - wait > 0: the poll saw the heartbeat later. The wait answers when the replica records the GTID as\n" +
    "applied, which follows the row becoming visible by a fraction of a ms.\n\n" +
    `${verdicts(session, c.windows).join("\n")}\n` +
    (c.problems.length > 0 ? `problems:\n${c.problems.map((p) => `  ${p}`).join("\n")}\n` : "")
  );
}

// ---------------------------------------------------------------------------------------------
// Main

interface Session {
  options: Options;
  signal: AbortSignal;
  secrets: string[];
  say: (line: string) => void;
  workDir: string;
  ticksPerSec: number;
  replicaPids: number[];
  topology?: ReplicaTopology;
  load?: Load;
  probe?: LagProbe;
}

interface Comparison {
  settings: Settings;
  delayStatement: string;
  windows: Window[];
  load: LoadSummary | null;
  problems: string[];
}

async function startServers(session: Session): Promise<ReplicaTopology> {
  const topology = await startReplicaTopology({
    dir: join(session.workDir, "topology"),
    replicas: 2,
    sizing: SIZING,
    log: session.say,
  });
  session.topology = topology;
  session.secrets.push(topology.primary.password, ...topology.replicas.map((r) => r.target.password));
  session.replicaPids = topology.replicas.map((r) =>
    Number(readFileSync(join(topology.dir, r.name, "server.pid"), "utf8").trim()),
  );
  return topology;
}

async function compare(session: Session): Promise<number> {
  const { options, signal } = session;
  const topology = await startServers(session);
  const primary = topology.primary;
  await withAdmin(primary, (conn) => createDatabaseIfMissing(conn, primary.database));
  if (options.rate > 0) {
    await ensureDataset({
      shape: { tables: SIZING.tables, tableSize: SIZING.tableSize },
      open: () => openAdminConnection(primary),
      log: session.say,
      signal,
    });
  }
  const delayed = topology.replicas[1]?.target as TargetSpec;
  const delayStatement = await delayReplica(topology, delayed, options.delayS);
  const settings = await readSettings(topology);
  if (signal.aborted) throw new Error("interrupted");
  if (options.rate > 0) {
    session.load = await startLoad(
      primary,
      options.rate,
      SIZING.tableSize,
      4 * options.durationMs + LOAD_GRACE_MS,
      session.secrets,
    );
  }
  const replicas = topology.replicas.map((r) => ({ name: r.name, target: r.target }));
  const windows: Window[] = [];
  windows.push(await runWindow(session, "load alone", null));
  if (!signal.aborted) windows.push(await runWindow(session, "wait", replicas, { method: "wait" }));
  if (!signal.aborted) windows.push(await runWindow(session, "poll", replicas, { method: "poll" }));
  if (!signal.aborted) windows.push(await runBoth(session));
  const load = session.load ? await session.load.stop() : null;
  session.load = undefined;
  if (signal.aborted || windows.length < 4) throw new Error("interrupted");
  const comparison: Comparison = {
    settings,
    delayStatement,
    windows,
    load,
    problems: problems(windows, load),
  };
  process.stdout.write(reportText(session, comparison));
  if (options.json) {
    writeJsonReport(options.json, {
      generatedAt: new Date().toISOString(),
      config: { ...options, pollIntervalMs: POLL_INTERVAL_MS, sizing: SIZING },
      environment: { ...machineFacts(), topology: topology.settings, settings },
      delayStatement,
      load,
      windows,
      verdicts: verdicts(session, windows),
      problems: comparison.problems,
    });
    session.say(`json: ${options.json}`);
  }
  return comparison.problems.length > 0 ? 1 : 0;
}

/** Stops the probe, the load and the servers, whatever state they are in. */
async function release(session: Session): Promise<void> {
  await session.probe?.stop().catch(() => undefined);
  await session.load?.stop().catch(() => undefined);
  await session.topology
    ?.stop()
    .catch((error: unknown) => session.say(`topology stop: ${(error as Error).message}`));
}

async function main(argv: string[]): Promise<number> {
  const read = optionsOrExit(argv, parseOptions, USAGE);
  if ("exitCode" in read) return read.exitCode;
  const { options } = read;
  const workDir = makeWorkDir("vs-lag-wait-");
  const removeFiles = () => removeWorkDir(workDir, options.keep, log);
  const interrupt = interruptOnSignals("stopping the probes, the load and the servers", removeFiles);
  const secrets: string[] = [];
  const session: Session = {
    options,
    signal: interrupt.signal,
    secrets,
    say: redactingLog(secrets),
    workDir,
    ticksPerSec: await clockTicksPerSec(),
    replicaPids: [],
  };
  let exitCode = 0;
  try {
    exitCode = await compare(session);
  } catch (error) {
    exitCode = interrupt.signal.aborted ? ExitCode.interrupted : 1;
    session.say(`error: ${(error as Error).message}`);
  } finally {
    await release(session);
    await runCleanups();
    removeFiles();
    interrupt.dispose();
  }
  return exitCode;
}

process.exit(await main(process.argv.slice(2)));
