/**
 * vs-sysbench: runs sysbench 1.0 and reinvent-bench side by side on the same server, the same sbtest
 * tables and the same connection counts, alternating sysbench / ours / sysbench / ours, for the read
 * mix (aurora-read), the write mix (aurora-write) and, when asked for, the fixed-rate update mix
 * (update-rate). Prints, for each server setting, a table of throughput, the ratio ours / sysbench,
 * client CPU per statement and client peak memory, and optionally writes them as JSON.
 *
 *   npm run vs-sysbench -- --connections 16,1000 --duration 20s --rounds 2 [--mixes read,write,update-rate]
 *                          [--rate 2000] [--servers pool,one-thread | --target URL] [--json FILE]
 *
 * Without --target it measures on sandbox servers in a temporary folder, one for each --servers
 * setting (default both, in the order given), as the figures differ between them:
 * - pool: MariaDB's thread pool (thread_handling=pool-of-threads, the pool size the sandbox leaves
 *   to the server), what the sandbox runs with elsewhere in reinvent-bench;
 * - one-thread: one thread per connection (thread_handling=one-thread-per-connection), what MySQL
 *   Community, RDS and most servers people own run with.
 * Each is sized for the largest connection count with the same settings otherwise, loads the dataset
 * into a data folder of its own, and is stopped (and its folder removed) before the next starts, on
 * every exit path, SIGINT included. A server that fails does not stop the next one; an interrupt
 * does. With --target, the one server as it is.
 *
 * Each server gets a table of its own, titled with what the server reports of itself once started,
 * never what it was asked for (@@thread_handling, @@thread_pool_size where it uses a pool, @@version,
 * @@innodb_buffer_pool_size, @@max_connections), and a section of its own in the JSON (`servers`,
 * with those settings). A sandbox that reports another thread handling than asked is not measured.
 *
 * read and write are closed loops: every connection sends its next transaction as soon as the last one
 * returns, so throughput is what each tool gets out of the server. update-rate is an open loop: both
 * tools send `UPDATE sbtestN SET k=k+1 WHERE id=?` (uniform table and id, autocommit, text protocol) at
 * --rate per second over the given connections: sysbench oltp_update_index --rate (Poisson arrivals
 * queued for its threads), ours a scenario file written to the temporary folder with load.rates
 * [--rate] (an absolute schedule over a pool of connections). Both send the same number of updates
 * while they keep up, so the figure that matters there is client CPU per update: what it costs each
 * tool to generate the same load.
 *
 * How each figure is taken, for both tools alike:
 * - throughput: the tool's own count over its measured phase (after the warm-up). sysbench 1.0 has no
 *   warm-up option, so it runs for warm-up + duration with a report checkpoint at the end of the
 *   warm-up; the checkpoint resets its counters, and the final report covers the measured phase only.
 *   update-rate: achieved updates/s, for sysbench its final report's writes over that window, for ours
 *   the step's achievedRatePerSec (updates completed in the window and the drain of its backlog).
 * - kept the rate (update-rate): ours, the step's `sustained` (nothing dropped or left unsent, >= 95%
 *   of the rate achieved) with its dropped and unsent counts; sysbench, >= 95% of the rate achieved and
 *   its event queue never full (when it fills, sysbench stops its threads early).
 * - client CPU: user + system time of the whole client process (start to exit, all threads), taken
 *   exactly from this process's cutime/cstime once the child is reaped (it is our only child that
 *   exits), cross-checked with /proc/<pid>/stat sampled while it runs. Divided by the statements the
 *   server counted over the same span (Com_select/insert/update/delete/begin/commit/rollback); the
 *   per-statement figure from the tool's own counts is kept in the JSON. update-rate: divided by the
 *   server's Com_update over the same span (CPU per update); ours' in-run figure is result.json's
 *   cpuUsPerQuery of the step's measured window.
 * - server CPU per statement (sandboxes only): the server process's own user + system time (all its
 *   threads) over the same span, from /proc/<pid>/stat, / the statements it counted. With the server on
 *   the same cores, a client's throughput depends on the server's cost per statement as much as on its
 *   own: one thread per connection answers a thread-per-connection client in a cheap ping-pong (the
 *   client thread sleeps in recv and the woken server thread takes its core), which an event loop that
 *   keeps running after each write does not get. This column shows that cost, not only the client's.
 * - machine idle: the share of all the machine's cores idle over the run, from the kernel's idle
 *   counters as the load's worker judgement reads them (bench/metrics/machine-idle.ts): CPU that
 *   neither tool nor the server used.
 * - peak memory: the highest VmRSS seen in /proc/<pid>/status, sampled every SAMPLE_MS; VmHWM (the
 *   kernel's high-water mark) is kept in the JSON. For ours, result.json's rssPeakBytes (measured
 *   phase, sampled in-process) is shown too.
 * - counter check: each tool's counts (warm-up + measured) against the server's counters over the run
 *   (for update-rate, Com_update against the updates the tool counted); a difference beyond
 *   COUNTER_TOLERANCE_PCT is a warning.
 * - latency (update-rate, JSON only): sysbench's is per event from the moment a thread took it off the
 *   queue, a service time, so it is set beside ours' serviceTimeMs; ours' latencyMs (from the intended
 *   start) is kept too.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join, resolve } from "node:path";
import Table from "cli-table3";
import { execa } from "execa";
import { ensureDataset } from "../bench/dataset/sbtest.js";
import { idleShare, machineIdle } from "../bench/metrics/machine-idle.js";
import type { Result, ScenarioResult } from "../bench/result/schema.js";
import { Sandbox } from "../bench/sandbox/server.js";
import type { ThreadHandling } from "../bench/sandbox/settings.js";
import { type AdminConnection, openAdminConnection, withAdmin } from "../bench/target/connection.js";
import {
  COUNTERS,
  type CounterName,
  counterDelta,
  readCounters,
  readServerFacts,
  type ServerFacts,
} from "../bench/target/facts.js";
import { formatTargetUrl, parseTargetUrl, type TargetSpec } from "../bench/target/url.js";
import { runCleanups } from "../bench/util/cleanup.js";
import { parseDurationMs } from "../bench/util/duration.js";
import { ExitCode } from "../bench/util/errors.js";
import { formatBytes, formatCount, formatRate } from "../bench/util/format.js";
import { packageRoot } from "../bench/util/paths.js";
import { redactText } from "../bench/util/redact.js";
import { sleep } from "../bench/util/timer.js";
import { type CpuSplit, cpuList, onCpus, pinProcess, splitCpus } from "./lib/cpu-split.js";
import { createDatabaseIfMissing } from "./lib/database.js";
import { interruptOnSignals } from "./lib/interrupt.js";
import { machineFacts, writeJsonReport } from "./lib/json-report.js";
import { redactingLog } from "./lib/log.js";
import {
  type ChildOutcome,
  childFailure,
  type MeasuredCommand,
  runMeasured,
  tailLines,
} from "./lib/measured-child.js";
import { optionsOrExit, parseFlags, UsageProblem, wholeNumber } from "./lib/options.js";
import { clockTicksPerSec, processCpu } from "./lib/process-sample.js";
import {
  readServerSettings,
  SERVER_CHOICES,
  type ServerChoice,
  type ServerSettings,
  serverChoices,
  serverTitle,
  THREAD_HANDLING,
} from "./lib/server-settings.js";
import { makeWorkDir, removeWorkDir } from "./lib/work-dir.js";

const ROOT = packageRoot();
const CLI = join(ROOT, "bin", "reinvent-bench.js");
/** How often a client process's /proc figures are sampled: often enough to catch its peak memory. */
const SAMPLE_MS = 200;
/** Pause between runs, so purge and page flushing of one run weigh less on the next. */
const PAUSE_MS = 2000;
/** Client counts and server counters may differ by this much before a run is flagged. */
const COUNTER_TOLERANCE_PCT = 1;
/**
 * Statements outside the load the server may count besides the per-table ones: reinvent-bench's
 * dataset check runs one SELECT COUNT(*) per table before its load, and a few control queries.
 */
const CONTROL_STATEMENTS = 8;
const MAX_CONNECTIONS = 100_000;
const MAX_ROUNDS = 100;
const MAX_RATE = 1_000_000;
/** Share of the rate a run must achieve to count as keeping it (as ours' `sustained`). */
const SUSTAINED_SHARE = 0.95;

const MIX_NAMES = ["read", "write", "update-rate"] as const;
type MixName = (typeof MIX_NAMES)[number];
type Tool = "sysbench" | "ours";

interface Mix {
  /** ours: a built-in scenario; fixedRate: the id of a scenario file written to the temporary folder. */
  scenario: string;
  sysbenchTest: string;
  sysbenchArgs: string[];
  metric: "readsPerSec" | "writesPerSec" | "updatesPerSec";
  metricLabel: string;
  /** BEGIN ... COMMIT around each transaction (false: autocommit statements). */
  transactional: boolean;
  /** Open loop at --rate per second instead of a closed loop. */
  fixedRate: boolean;
}

const MIXES: Record<MixName, Mix> = {
  read: {
    scenario: "aurora-read",
    sysbenchTest: "oltp_read_only",
    sysbenchArgs: [
      "--point-selects=10",
      "--simple-ranges=0",
      "--sum-ranges=0",
      "--order-ranges=0",
      "--distinct-ranges=0",
      "--rand-type=special",
    ],
    metric: "readsPerSec",
    metricLabel: "reads/s",
    transactional: true,
    fixedRate: false,
  },
  write: {
    scenario: "aurora-write",
    sysbenchTest: "oltp_write_only",
    sysbenchArgs: ["--rand-type=uniform"],
    metric: "writesPerSec",
    metricLabel: "writes/s",
    transactional: true,
    fixedRate: false,
  },
  "update-rate": {
    scenario: "update-rate",
    // One index update per event, no BEGIN/COMMIT: UPDATE sbtestN SET k=k+1 WHERE id=?
    sysbenchTest: "oltp_update_index",
    sysbenchArgs: ["--index-updates=1", "--rand-type=uniform"],
    metric: "updatesPerSec",
    metricLabel: "updates/s",
    transactional: false,
    fixedRate: true,
  },
};

/** Ours' side of update-rate: the same statement, uniform ids, autocommit, one step at --rate. */
function rateScenarioYaml(options: Options, mix: Mix, connections: number): string {
  return [
    `id: ${mix.scenario}`,
    "title: Index updates at a fixed rate (vs-sysbench)",
    `dataset: { tables: ${options.tables}, tableSize: ${options.tableSize} }`,
    "workload:",
    "  transaction: false",
    "  distribution: uniform",
    "  steps:",
    '    - statements: [{ name: update, sql: "UPDATE sbtest{table} SET k=k+1 WHERE id={id}" }]',
    `load: { clients: 1, connectionsPerClient: ${connections}, warmup: ${options.warmupSec}s, duration: ${options.durationSec}s, rates: [${options.ratePerSec}] }`,
    "",
  ].join("\n");
}

interface Options {
  connections: number[];
  durationSec: number;
  warmupSec: number;
  rounds: number;
  tables: number;
  tableSize: number;
  mixes: MixName[];
  /** update-rate: updates per second. */
  ratePerSec: number;
  /** The sandboxes' settings, one table each (empty with --target). */
  servers: ServerChoice[];
  targetUrl?: string;
  target?: TargetSpec;
  json?: string;
  keep: boolean;
  /** Sandbox server and clients on separate cores (--split-cores); undefined: all share every core. */
  split?: CpuSplit;
}

const USAGE = `usage: node dist/scripts/vs-sysbench.js [options]
  --connections LIST   connection counts (sysbench threads), comma separated (default 16,1000)
  --duration TIME      measured phase per run, whole seconds (default 20s)
  --warmup TIME        warm-up per run, whole seconds, excluded from the figures (default 5s)
  --rounds N           sysbench/ours pairs per mix and connection count (default 2)
  --tables N           sbtest tables (default 16)
  --table-size N       rows per table (default 25000)
  --mixes LIST         read, write, update-rate, comma separated (default read,write)
  --rate N             update-rate: updates per second for both tools (default 2000)
  --servers LIST       sandbox settings, one table each, comma separated (default pool,one-thread):
                       pool = thread_handling=pool-of-threads, one-thread = one-thread-per-connection
  --split-cores        pin each sandbox server to the upper half of the CPUs and both tools to the lower
                       half (on 2 CPUs: server CPU 1, clients CPU 0), as a client machine of its own
                       would; without it, all share every core
  --target URL         mysql://user:password@host:port/db, measured as it is, one table
                       (default: a sandbox for each --servers setting in a temporary folder)
  --json FILE          also write the tables and every run's figures as JSON, a section per server
  --keep               keep the temporary folder (sandbox data, ours' result.json files)`;

function wholeSeconds(flag: string, text: string, allowZero: boolean): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms % 1000 !== 0 || (!allowZero && ms === 0) || ms > 86_400_000) {
    throw new UsageProblem(
      `${flag}: '${text}' must be a whole number of seconds such as 20s or 1m (sysbench counts in seconds)`,
    );
  }
  return ms / 1000;
}

/** Comma-separated connection counts, each once, in the order given. */
function connectionCounts(text: string): number[] {
  const counts = [
    ...new Set(
      text
        .split(",")
        .filter((part) => part.trim() !== "")
        .map((part) => wholeNumber("--connections", part, 1, MAX_CONNECTIONS)),
    ),
  ];
  if (counts.length === 0) throw new UsageProblem("--connections: give at least one count");
  return counts;
}

/** Comma-separated mix names, each once, in the order given. */
function mixNames(text: string): MixName[] {
  const mixes = [...new Set(text.split(",").map((part) => part.trim()))];
  for (const mix of mixes) {
    if (!(MIX_NAMES as readonly string[]).includes(mix))
      throw new UsageProblem(`--mixes: '${mix}' is not one of ${MIX_NAMES.join(", ")}`);
  }
  return mixes as MixName[];
}

function parseOptions(argv: string[]): Options | undefined {
  const values = parseFlags(argv, {
    connections: { type: "string", default: "16,1000" },
    duration: { type: "string", default: "20s" },
    warmup: { type: "string", default: "5s" },
    rounds: { type: "string", default: "2" },
    tables: { type: "string", default: "16" },
    "table-size": { type: "string", default: "25000" },
    mixes: { type: "string", default: "read,write" },
    rate: { type: "string", default: "2000" },
    // No default here: given with --target, it is refused rather than ignored.
    servers: { type: "string" },
    target: { type: "string" },
    json: { type: "string" },
    keep: { type: "boolean", default: false },
    "split-cores": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return undefined;
  const connections = connectionCounts(values.connections);
  const mixes = mixNames(values.mixes);
  const options: Options = {
    connections,
    durationSec: wholeSeconds("--duration", values.duration, false),
    warmupSec: wholeSeconds("--warmup", values.warmup, true),
    rounds: wholeNumber("--rounds", values.rounds, 1, MAX_ROUNDS),
    tables: wholeNumber("--tables", values.tables, 1, 100_000),
    tableSize: wholeNumber("--table-size", values["table-size"], 1, 1_000_000_000),
    mixes,
    ratePerSec: wholeNumber("--rate", values.rate, 1, MAX_RATE),
    servers: [],
    keep: values.keep,
  };
  if (values.target === undefined) {
    options.servers = serverChoices("--servers", values.servers ?? SERVER_CHOICES.join(","));
  } else {
    if (values.servers !== undefined) {
      throw new UsageProblem("--servers: sets up sandboxes; a --target server is measured as it is");
    }
    if (values["split-cores"]) {
      throw new UsageProblem("--split-cores: pins a sandbox server; a --target server is measured as it is");
    }
    options.targetUrl = values.target;
    options.target = parseTargetUrl(values.target, "--target");
  }
  if (values.json !== undefined) options.json = resolve(values.json);
  // With --target it was refused above.
  if (values["split-cores"]) {
    try {
      options.split = splitCpus(availableParallelism());
    } catch (error) {
      throw new UsageProblem((error as Error).message);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// sysbench

interface SysbenchReport {
  read: number;
  write: number;
  other: number;
  total: number;
  transactions: number;
  transactionsPerSec: number;
  queries: number;
  queriesPerSec: number;
  ignoredErrors: number;
  reconnects: number;
  totalTimeSec: number;
  /** Per event, from when a thread started it (with --rate: took it off the queue) to its end. */
  latencyMs: { avg: number; p95: number | null; max: number } | null;
}

function reportNumber(block: string, label: string): number | undefined {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^\\s*${escaped}:\\s+([\\d.]+)`, "m").exec(block);
  return match ? Number(match[1]) : undefined;
}

function reportRate(block: string, label: string): number | undefined {
  const match = new RegExp(`^\\s*${label}:\\s+\\d+\\s+\\(([\\d.]+) per sec\\.\\)`, "m").exec(block);
  return match ? Number(match[1]) : undefined;
}

function parseLatency(block: string): SysbenchReport["latencyMs"] {
  const at = block.search(/^Latency \(ms\):$/m);
  if (at < 0) return null;
  const latency = block.slice(at);
  const avg = reportNumber(latency, "avg");
  const max = reportNumber(latency, "max");
  if (avg === undefined || max === undefined) return null;
  return { avg, p95: reportNumber(latency, "95th percentile") ?? null, max };
}

/** sysbench --rate: its event queue filled up and its threads stopped before the time limit. */
const queueFullPattern = /event queue is full/i;

/** Every statistics block of sysbench's output, in order (checkpoint reports, then the final one). */
function parseSysbenchReports(text: string): SysbenchReport[] {
  const blocks = text.split(/^SQL statistics:$/m).slice(1);
  const reports: SysbenchReport[] = [];
  for (const block of blocks) {
    const read = reportNumber(block, "read");
    const write = reportNumber(block, "write");
    const other = reportNumber(block, "other");
    const total = reportNumber(block, "total");
    const transactions = reportNumber(block, "transactions");
    const queries = reportNumber(block, "queries");
    const totalTimeSec = reportNumber(block, "total time");
    if (
      read === undefined ||
      write === undefined ||
      other === undefined ||
      total === undefined ||
      transactions === undefined ||
      queries === undefined ||
      totalTimeSec === undefined
    ) {
      continue;
    }
    reports.push({
      read,
      write,
      other,
      total,
      transactions,
      transactionsPerSec: reportRate(block, "transactions") ?? 0,
      queries,
      queriesPerSec: reportRate(block, "queries") ?? 0,
      ignoredErrors: reportNumber(block, "ignored errors") ?? 0,
      reconnects: reportNumber(block, "reconnects") ?? 0,
      totalTimeSec,
      latencyMs: parseLatency(block),
    });
  }
  return reports;
}

// ---------------------------------------------------------------------------------------------
// One run of either tool

interface PhaseCounts {
  reads: number;
  writes: number;
  /** Transactions (update-rate: updates, each its own autocommit transaction). */
  txns: number;
  /** COMMITs sent: txns for the transactional mixes, 0 for update-rate. */
  commits: number;
  /** Every statement, BEGIN and COMMIT included. */
  statements: number;
  errors: number;
}

interface RunRecord {
  tool: Tool;
  mix: MixName;
  connections: number;
  round: number;
  ok: boolean;
  failure: string | null;
  warnings: string[];
  measuredSec: number;
  measured: PhaseCounts;
  warmup: PhaseCounts | null;
  readsPerSec: number;
  writesPerSec: number;
  /** update-rate: achieved updates per second (0 for the other mixes). */
  updatesPerSec: number;
  txnPerSec: number;
  reconnects: number;
  wallSec: number;
  cpuUserSec: number;
  cpuSystemSec: number;
  cpuSource: "reaped" | "sampled";
  sampledCpuSec: number;
  /** Client CPU over the whole process / statements the server counted over the same span. */
  cpuUsPerStatement: number | null;
  /** Client CPU over the whole process / statements the tool counted (warm-up + measured). */
  cpuUsPerStatementClientCount: number | null;
  rssPeakBytes: number;
  rssHwmBytes: number;
  /** ours only: result.json's client figures (measured phase, taken in-process). */
  resultRssPeakBytes: number | null;
  resultCpuUsPerQuery: number | null;
  /** ours only: load workers of the measured phase, and the warm-up's judgement of them when it made one. */
  workers: number | null;
  workerDecision: string | null;
  serverStatements: number | null;
  /** The server process's own CPU (all threads) over the same span / the statements it counted; sandbox only. */
  serverCpuUsPerStatement: number | null;
  /** Share of the whole machine's CPU time left idle over the run (both tools, the server, everything). */
  machineIdleShare: number | null;
  counterChecks: { counter: string; client: number; server: number; diffPct: number }[];
  /** update-rate only (null otherwise): the rate asked for and whether the tool kept it. */
  targetRatePerSec: number | null;
  sustained: boolean | null;
  /** ours: the step's dropped (backlog full) and discarded (unsent at the window's end) ops. */
  dropped: number | null;
  discarded: number | null;
  /** sysbench: its event queue filled up and it stopped early. */
  queueFull: boolean | null;
  /** Client CPU over the whole process / Com_update the server counted over the same span. */
  cpuUsPerUpdate: number | null;
  /** sysbench: per event after it left the queue; ours: the step's serviceTimeMs.update. */
  serviceTimeMs: { avg?: number; p50?: number; p95: number | null; p99?: number; max: number } | null;
  /** ours: the step's latencyMs.update, from each update's intended start. */
  intendedLatencyMs: { p50: number; p95: number; p99: number; max: number } | null;
}

interface Context {
  options: Options;
  target: TargetSpec;
  /** The URL handed to reinvent-bench, password included. */
  targetUrlWithPassword: string;
  admin: AdminConnection;
  /** This server's folder: ours' output and scenario files (the work folder holds one per server). */
  workDir: string;
  /** This server's name on the progress log. */
  serverName: string;
  signal: AbortSignal;
  secrets: string[];
  log: (line: string) => void;
  /** USER_HZ, for reading /proc CPU times. */
  ticksPerSec: number;
  /** The sandbox server's pid, whose CPU is read beside the client's; undefined for --target. */
  serverPid: number | undefined;
}

function sysbenchArgs(ctx: Context, mix: Mix, connections: number): string[] {
  const { options, target } = ctx;
  return [
    mix.sysbenchTest,
    ...mix.sysbenchArgs,
    "--db-ps-mode=disable",
    `--mysql-host=${target.host}`,
    `--mysql-port=${target.port}`,
    `--mysql-user=${target.user}`,
    `--mysql-password=${target.password}`,
    `--mysql-db=${target.database}`,
    ...(target.tls === "disabled" ? [] : ["--mysql-ssl=on"]),
    `--tables=${options.tables}`,
    `--table-size=${options.tableSize}`,
    `--threads=${connections}`,
    ...(mix.fixedRate ? [`--rate=${options.ratePerSec}`] : []),
    // sysbench 1.0 has no --warmup-time: run warm-up + duration and reset the counters at a
    // checkpoint when the warm-up ends; the final report then covers the measured phase only.
    `--time=${options.warmupSec + options.durationSec}`,
    ...(options.warmupSec > 0 ? [`--report-checkpoints=${options.warmupSec}`] : []),
    "--report-interval=0",
    "run",
  ];
}

/** The scenario file ours runs for a fixed-rate mix (written by writeRateScenario). */
function rateScenarioPath(ctx: Context, mix: Mix, connections: number): string {
  return join(ctx.workDir, `${mix.scenario}-${connections}.yaml`);
}

function writeRateScenario(ctx: Context, mix: Mix, connections: number): void {
  writeFileSync(rateScenarioPath(ctx, mix, connections), rateScenarioYaml(ctx.options, mix, connections));
}

function oursArgs(ctx: Context, mix: Mix, connections: number, outDir: string): string[] {
  const { options } = ctx;
  return [
    "run",
    mix.fixedRate ? rateScenarioPath(ctx, mix, connections) : mix.scenario,
    "--target",
    ctx.targetUrlWithPassword,
    "--clients",
    "1",
    "--connections",
    String(connections),
    "--tables",
    String(options.tables),
    "--table-size",
    String(options.tableSize),
    "--duration",
    `${options.durationSec}s`,
    "--warmup",
    `${options.warmupSec}s`,
    ...(mix.fixedRate ? ["--rates", String(options.ratePerSec)] : []),
    "--out",
    outDir,
  ];
}

function emptyRecord(tool: Tool, mix: MixName, connections: number, round: number): RunRecord {
  const zero: PhaseCounts = { reads: 0, writes: 0, txns: 0, commits: 0, statements: 0, errors: 0 };
  return {
    tool,
    mix,
    connections,
    round,
    ok: false,
    failure: null,
    warnings: [],
    measuredSec: 0,
    measured: zero,
    warmup: null,
    readsPerSec: 0,
    writesPerSec: 0,
    updatesPerSec: 0,
    txnPerSec: 0,
    reconnects: 0,
    wallSec: 0,
    cpuUserSec: 0,
    cpuSystemSec: 0,
    cpuSource: "sampled",
    sampledCpuSec: 0,
    cpuUsPerStatement: null,
    cpuUsPerStatementClientCount: null,
    rssPeakBytes: 0,
    rssHwmBytes: 0,
    resultRssPeakBytes: null,
    resultCpuUsPerQuery: null,
    workers: null,
    workerDecision: null,
    serverStatements: null,
    serverCpuUsPerStatement: null,
    machineIdleShare: null,
    counterChecks: [],
    targetRatePerSec: null,
    sustained: null,
    dropped: null,
    discarded: null,
    queueFull: null,
    cpuUsPerUpdate: null,
    serviceTimeMs: null,
    intendedLatencyMs: null,
  };
}

/** ours' output folder of one run. */
function oursOutDir(ctx: Context, mixName: MixName, connections: number, round: number | "N"): string {
  return join(ctx.workDir, "ours", `${mixName}-${connections}-r${round}`);
}

/** sysbench from the PATH, or ours as npx runs it: the file itself, so the V8 flags on its #! line apply. */
function toolCommand(
  ctx: Context,
  tool: Tool,
  mix: Mix,
  connections: number,
  outDir: string,
): MeasuredCommand {
  const command =
    tool === "sysbench"
      ? { file: "sysbench", args: sysbenchArgs(ctx, mix, connections), marker: "sysbench", cwd: ROOT }
      : { file: CLI, args: oursArgs(ctx, mix, connections, outDir), marker: "reinvent-bench.js", cwd: ROOT };
  const split = ctx.options.split;
  return split ? { ...command, ...onCpus(split.clientCpus, command.file, command.args) } : command;
}

type ServerCounts = Record<CounterName, number>;

/** Runs the tool under measurement, with the server's counters read just before and just after. */
async function measureWithCounters(
  ctx: Context,
  command: MeasuredCommand,
  timeoutMs: number,
): Promise<{
  outcome: ChildOutcome;
  server: ServerCounts;
  serverCpuSec: number | null;
  idle: number | null;
}> {
  const countersBefore = await readCounters(ctx.admin);
  const serverCpuBefore =
    ctx.serverPid === undefined ? undefined : processCpu(ctx.serverPid, ctx.ticksPerSec);
  const idleBefore = machineIdle();
  const outcome = await runMeasured(command, {
    timeoutMs,
    signal: ctx.signal,
    sampleMs: SAMPLE_MS,
    ticksPerSec: ctx.ticksPerSec,
  });
  // MariaDB and MySQL report every counter this compares; a missing one reads as 0 and fails the check.
  const reported = counterDelta(countersBefore, await readCounters(ctx.admin));
  const server = Object.fromEntries(COUNTERS.map((name) => [name, reported[name] ?? 0])) as ServerCounts;
  const idle = idleShare(idleBefore, machineIdle());
  const serverCpuAfter = ctx.serverPid === undefined ? undefined : processCpu(ctx.serverPid, ctx.ticksPerSec);
  const serverCpuSec =
    serverCpuBefore && serverCpuAfter
      ? serverCpuAfter.userSec +
        serverCpuAfter.systemSec -
        serverCpuBefore.userSec -
        serverCpuBefore.systemSec
      : null;
  return { outcome, server, serverCpuSec, idle };
}

/** What the client process cost, and whether it ended well. */
function recordProcess(record: RunRecord, outcome: ChildOutcome): void {
  record.wallSec = outcome.wallSec;
  record.cpuUserSec = outcome.cpuUserSec;
  record.cpuSystemSec = outcome.cpuSystemSec;
  record.cpuSource = outcome.cpuSource;
  record.sampledCpuSec = outcome.sampledCpuSec;
  record.rssPeakBytes = outcome.rssPeakBytes;
  record.rssHwmBytes = outcome.hwmBytes;
  if (outcome.cpuSource === "sampled") {
    record.warnings.push(
      "client CPU from /proc samples (the exact figure from the reaped child looked wrong)",
    );
  }
  record.failure = childFailure(outcome);
}

/** sysbench's counts of one report; oltp_update_index has no BEGIN/COMMIT: its transactions are its events. */
function sysbenchPhase(report: SysbenchReport, mix: Mix): PhaseCounts {
  return {
    reads: report.read,
    writes: report.write,
    txns: report.transactions,
    commits: mix.transactional ? report.transactions : 0,
    statements: report.total,
    errors: report.ignoredErrors,
  };
}

/** The seconds the final report covers: its rates cover the time since the checkpoint; its "total time" does not. */
function measuredWindowSec(final: SysbenchReport, warmupSec: number): number {
  if (final.queriesPerSec > 0) return final.queries / final.queriesPerSec;
  if (final.transactionsPerSec > 0) return final.transactions / final.transactionsPerSec;
  return final.totalTimeSec - warmupSec;
}

/** sysbench's figures: the checkpoint report covers the warm-up, the final one the measured phase. */
function readSysbenchRun(record: RunRecord, outcome: ChildOutcome, mix: Mix, options: Options): void {
  const reports = parseSysbenchReports(outcome.stdout);
  const expected = options.warmupSec > 0 ? 2 : 1;
  const final = reports[reports.length - 1];
  if (mix.fixedRate) {
    record.queueFull = queueFullPattern.test(`${outcome.stdout}\n${outcome.stderr}`);
    if (record.queueFull) {
      record.warnings.push("sysbench's event queue filled up: it could not keep the rate and stopped early");
    }
  }
  if (!final || reports.length !== expected) {
    record.failure ??= `sysbench printed ${reports.length} reports, expected ${expected}${record.queueFull ? " (its event queue filled up)" : ""}: ${tailLines(`${outcome.stdout}\n${outcome.stderr}`)}`;
    return;
  }
  const warm = expected === 2 ? reports[0] : undefined;
  const windowSec = measuredWindowSec(final, options.warmupSec);
  record.measuredSec = windowSec;
  record.measured = sysbenchPhase(final, mix);
  if (warm) record.warmup = sysbenchPhase(warm, mix);
  record.reconnects = final.reconnects + (warm?.reconnects ?? 0);
  if (windowSec > 0) {
    record.readsPerSec = final.read / windowSec;
    record.writesPerSec = final.write / windowSec;
    record.txnPerSec = final.transactions / windowSec;
    if (mix.fixedRate) record.updatesPerSec = final.write / windowSec;
  }
  if (mix.fixedRate) {
    record.sustained = !record.queueFull && record.updatesPerSec >= options.ratePerSec * SUSTAINED_SHARE;
    record.serviceTimeMs = final.latencyMs;
  }
  if (record.measured.errors > 0 || (record.warmup?.errors ?? 0) > 0) {
    record.warnings.push(
      `sysbench ignored ${record.measured.errors} errors measured, ${record.warmup?.errors ?? 0} in warm-up`,
    );
  }
  if (record.reconnects > 0) record.warnings.push(`sysbench reconnected ${record.reconnects} times`);
}

/** ours' counts of one phase of result.json. */
function oursPhase(
  c: { reads: number; writes: number; txns: number; errors: number; rollbacks: number },
  mix: Mix,
): PhaseCounts {
  return {
    reads: c.reads,
    writes: c.writes,
    txns: c.txns,
    commits: mix.transactional ? c.txns : 0,
    // BEGIN + COMMIT per transaction, BEGIN + ROLLBACK per rolled-back one, and failed statements
    // (update-rate: autocommit updates, no BEGIN or COMMIT).
    statements: mix.transactional
      ? c.reads + c.writes + 2 * c.txns + 2 * c.rollbacks + c.errors
      : c.reads + c.writes + c.errors,
    errors: c.errors,
  };
}

/** ours' figures from the result.json it wrote in `outDir`. */
function readOursRun(record: RunRecord, outDir: string, mix: Mix): void {
  let result: Result | undefined;
  try {
    result = JSON.parse(readFileSync(join(outDir, "result.json"), "utf8")) as Result;
  } catch {
    record.failure ??= `no result.json in ${outDir}`;
  }
  const scenario = result?.scenarios[0];
  if (result && !scenario) record.failure ??= `result.json has no scenario (status ${result.status})`;
  if (!scenario) return;
  if (scenario.status !== "complete") record.failure ??= `scenario ${scenario.status}`;
  record.measured = oursPhase(scenario.counts, mix);
  record.warmup = scenario.warmup ? oursPhase(scenario.warmup.counts, mix) : null;
  record.measuredSec = scenario.measuredMs / 1000;
  record.readsPerSec = scenario.throughput.readsPerSec;
  record.writesPerSec = scenario.throughput.writesPerSec;
  record.txnPerSec = scenario.throughput.txnPerSec;
  record.resultRssPeakBytes = scenario.client?.rssPeakBytes ?? null;
  record.resultCpuUsPerQuery = scenario.client?.cpuUsPerQuery ?? null;
  record.workers = scenario.client?.workers ?? null;
  record.workerDecision = scenario.workerJudgement
    ? `${scenario.workerJudgement.decision} ${scenario.workerJudgement.initial} -> ${scenario.workerJudgement.chosen}` +
      (scenario.workerJudgement.trial ? ` (kept ${scenario.workerJudgement.trial.kept})` : "")
    : null;
  for (const warning of scenario.verdict.warnings) record.warnings.push(`result.json: ${warning}`);
  if (scenario.dataset && scenario.dataset.loadedTables > 0) {
    record.warnings.push(`reinvent-bench reloaded ${scenario.dataset.loadedTables} tables before the run`);
  }
  if (scenario.counts.errors > 0) record.warnings.push(`${scenario.counts.errors} statement errors`);
  if (mix.fixedRate) readRateStep(record, scenario);
}

/** update-rate: ours' one fixed-rate step, whether it kept the rate, and its latencies. */
function readRateStep(record: RunRecord, scenario: ScenarioResult): void {
  const steps = scenario.steps ?? [];
  const step = steps[0];
  if (!step || steps.length !== 1) {
    record.failure ??= `result.json has ${steps.length} fixed-rate steps, expected 1`;
    return;
  }
  record.updatesPerSec = step.achievedRatePerSec;
  record.sustained = step.sustained;
  record.dropped = step.dropped;
  record.discarded = step.discarded;
  const service = step.serviceTimeMs.update;
  if (service) {
    record.serviceTimeMs = { p50: service.p50, p95: service.p95, p99: service.p99, max: service.max };
  }
  const intended = step.latencyMs.update;
  if (intended) {
    record.intendedLatencyMs = {
      p50: intended.p50,
      p95: intended.p95,
      p99: intended.p99,
      max: intended.max,
    };
  }
  if (!step.sustained) {
    record.warnings.push(
      `did not keep the rate: ${formatRate(step.achievedRatePerSec)}/s achieved, ${step.dropped} dropped, ${step.discarded} unsent`,
    );
  }
}

/** A count the tool kept, over its whole process: warm-up and measured phase. */
function clientTotal(record: RunRecord, pick: (c: PhaseCounts) => number): number {
  return pick(record.measured) + (record.warmup ? pick(record.warmup) : 0);
}

/** Every statement the server counted, BEGIN, COMMIT and ROLLBACK included. */
function serverStatementCount(server: ServerCounts): number {
  return (
    server.Com_select +
    server.Com_insert +
    server.Com_update +
    server.Com_delete +
    server.Com_begin +
    server.Com_commit +
    server.Com_rollback
  );
}

/**
 * The tool's counts against the server's counters over the same span. A difference beyond the
 * tolerance and beyond what the server may count besides the load is a warning.
 */
function checkCounters(record: RunRecord, server: ServerCounts, mix: Mix, options: Options): void {
  const serverStatements = serverStatementCount(server);
  const total = (pick: (c: PhaseCounts) => number) => clientTotal(record, pick);
  const checks: [string, number, number][] = [
    ["Com_select", total((c) => c.reads), server.Com_select],
    // update-rate writes nothing but updates: check them against Com_update alone.
    mix.fixedRate
      ? ["Com_update", total((c) => c.writes), server.Com_update]
      : [
          "Com_insert+update+delete",
          total((c) => c.writes),
          server.Com_insert + server.Com_update + server.Com_delete,
        ],
    ["Com_commit", total((c) => c.commits), server.Com_commit],
    ["all statements", total((c) => c.statements), serverStatements],
  ];
  for (const [counter, client, serverCount] of checks) {
    if (client === 0 && serverCount === 0) continue;
    const diffPct = ((serverCount - client) / Math.max(1, client)) * 100;
    record.counterChecks.push({ counter, client, server: serverCount, diffPct });
    const beyondSlack = Math.abs(serverCount - client) > options.tables + CONTROL_STATEMENTS;
    if (!record.failure && Math.abs(diffPct) > COUNTER_TOLERANCE_PCT && beyondSlack) {
      record.warnings.push(
        `${counter}: ${record.tool} counted ${client}, server ${serverCount} (${diffPct >= 0 ? "+" : ""}${diffPct.toFixed(2)}%)`,
      );
    }
  }
}

/**
 * Client CPU of the whole process per statement (and per update) the server and the tool counted,
 * and the server's own CPU per statement it counted.
 */
function recordCpuShares(
  record: RunRecord,
  server: ServerCounts,
  serverCpuSec: number | null,
  mix: Mix,
): void {
  const serverStatements = serverStatementCount(server);
  const cpuUs = (record.cpuUserSec + record.cpuSystemSec) * 1e6;
  const clientStatements = clientTotal(record, (c) => c.statements);
  record.serverStatements = serverStatements;
  record.cpuUsPerStatement = serverStatements > 0 ? cpuUs / serverStatements : null;
  record.cpuUsPerStatementClientCount = clientStatements > 0 ? cpuUs / clientStatements : null;
  record.serverCpuUsPerStatement =
    serverCpuSec !== null && serverStatements > 0 ? (serverCpuSec * 1e6) / serverStatements : null;
  if (mix.fixedRate) record.cpuUsPerUpdate = server.Com_update > 0 ? cpuUs / server.Com_update : null;
}

async function runOnce(
  ctx: Context,
  tool: Tool,
  mixName: MixName,
  connections: number,
  round: number,
): Promise<RunRecord> {
  const mix = MIXES[mixName];
  const { options } = ctx;
  const record = emptyRecord(tool, mixName, connections, round);
  const timeoutMs = (options.warmupSec + options.durationSec) * 1000 + 180_000 + connections * 50;
  const outDir = oursOutDir(ctx, mixName, connections, round);
  const command = toolCommand(ctx, tool, mix, connections, outDir);
  const { outcome, server, serverCpuSec, idle } = await measureWithCounters(ctx, command, timeoutMs);
  recordProcess(record, outcome);
  record.machineIdleShare = idle;
  if (mix.fixedRate) record.targetRatePerSec = options.ratePerSec;
  if (tool === "sysbench") readSysbenchRun(record, outcome, mix, options);
  else readOursRun(record, outDir, mix);
  checkCounters(record, server, mix, options);
  recordCpuShares(record, server, serverCpuSec, mix);
  record.ok = record.failure === null;
  if (record.failure) record.failure = redactText(record.failure, ctx.secrets);
  return record;
}

// ---------------------------------------------------------------------------------------------
// Summary

interface Side {
  rounds: number[];
  mean: number | null;
  txnPerSecMean: number | null;
  cpuUsPerStatement: number | null;
  cpuUsPerStatementClientCount: number | null;
  rssPeakBytes: number | null;
  rssHwmBytes: number | null;
  resultRssPeakBytes: number | null;
  resultCpuUsPerQuery: number | null;
  serverCpuUsPerStatement: number | null;
  machineIdleShare: number | null;
  failedRuns: number;
  /** update-rate (null otherwise): CPU per update, runs that kept the rate, ours' dropped and unsent. */
  cpuUsPerUpdate: number | null;
  sustainedRuns: number | null;
  dropped: number | null;
  discarded: number | null;
  queueFullRuns: number | null;
}

interface SummaryRow {
  mix: MixName;
  connections: number;
  metric: string;
  /** update-rate: updates per second asked of both tools. */
  targetRatePerSec: number | null;
  sysbench: Side;
  ours: Side;
  ratio: number | null;
}

const mean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
const maxOf = (values: number[]): number | null => (values.length === 0 ? null : Math.max(...values));

function side(runs: RunRecord[], mix: Mix): Side {
  const { metric } = mix;
  const ok = runs.filter((run) => run.ok);
  const numbers = (pick: (run: RunRecord) => number | null) =>
    ok.map(pick).filter((value): value is number => value !== null);
  const sum = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0));
  return {
    rounds: ok.map((run) => run[metric]),
    mean: mean(ok.map((run) => run[metric])),
    txnPerSecMean: mean(ok.map((run) => run.txnPerSec)),
    cpuUsPerStatement: mean(numbers((run) => run.cpuUsPerStatement)),
    cpuUsPerStatementClientCount: mean(numbers((run) => run.cpuUsPerStatementClientCount)),
    rssPeakBytes: maxOf(ok.map((run) => run.rssPeakBytes)),
    rssHwmBytes: maxOf(ok.map((run) => run.rssHwmBytes)),
    resultRssPeakBytes: maxOf(numbers((run) => run.resultRssPeakBytes)),
    resultCpuUsPerQuery: mean(numbers((run) => run.resultCpuUsPerQuery)),
    serverCpuUsPerStatement: mean(numbers((run) => run.serverCpuUsPerStatement)),
    machineIdleShare: mean(numbers((run) => run.machineIdleShare)),
    failedRuns: runs.length - ok.length,
    cpuUsPerUpdate: mix.fixedRate ? mean(numbers((run) => run.cpuUsPerUpdate)) : null,
    sustainedRuns: mix.fixedRate ? ok.filter((run) => run.sustained === true).length : null,
    dropped: mix.fixedRate ? sum(numbers((run) => run.dropped)) : null,
    discarded: mix.fixedRate ? sum(numbers((run) => run.discarded)) : null,
    queueFullRuns: mix.fixedRate ? runs.filter((run) => run.queueFull === true).length : null,
  };
}

function summarize(options: Options, runs: RunRecord[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const mixName of options.mixes) {
    const mix = MIXES[mixName];
    for (const connections of options.connections) {
      const here = runs.filter((run) => run.mix === mixName && run.connections === connections);
      if (here.length === 0) continue;
      const sysbench = side(
        here.filter((run) => run.tool === "sysbench"),
        mix,
      );
      const ours = side(
        here.filter((run) => run.tool === "ours"),
        mix,
      );
      rows.push({
        mix: mixName,
        connections,
        metric: mix.metricLabel,
        targetRatePerSec: mix.fixedRate ? options.ratePerSec : null,
        sysbench,
        ours,
        ratio: sysbench.mean && ours.mean !== null ? ours.mean / sysbench.mean : null,
      });
    }
  }
  return rows;
}

const dash = "-";
const cpuText = (value: number | null) => (value === null ? dash : value.toFixed(1));
const bytesText = (value: number | null) => (value === null ? dash : formatBytes(value));
const percentText = (share: number | null) => (share === null ? dash : `${(share * 100).toFixed(0)}%`);

function rateCell(s: Side): string {
  if (s.mean === null) return s.failedRuns > 0 ? `failed (${s.failedRuns})` : dash;
  const perRound = s.rounds.length > 1 ? `\n${s.rounds.map(formatRate).join(" / ")}` : "";
  const failed = s.failedRuns > 0 ? `\n${s.failedRuns} run(s) failed` : "";
  return `${formatRate(s.mean)}${perRound}${failed}`;
}

/** Whether the runs kept the rate: "yes" or how many did not, with ours' dropped and unsent ops. */
function keptCell(s: Side, tool: Tool): string {
  const runs = s.rounds.length;
  if (runs === 0 || s.sustainedRuns === null) return dash;
  const kept = s.sustainedRuns === runs ? "yes" : `no (${runs - s.sustainedRuns}/${runs})`;
  if (tool === "sysbench") return (s.queueFullRuns ?? 0) > 0 ? `${kept}\nqueue full` : kept;
  return `${kept}\n${formatCount(s.dropped ?? 0)} dropped\n${formatCount(s.discarded ?? 0)} unsent`;
}

function renderRateTable(rows: SummaryRow[]): string {
  const table = new Table({
    head: [
      "mix",
      "conns",
      "target\nupdates/s",
      "sysbench\n(mean; rounds)",
      "ours\n(mean; rounds)",
      "ours /\nsysbench",
      "CPU us/update\nsysbench",
      "CPU us/update\nours (in-run)",
      "peak RSS\nsysbench",
      "peak RSS ours\n(result.json)",
      "kept rate\nsysbench",
      "kept rate\nours",
    ],
    style: { head: [], border: [] },
  });
  for (const row of rows) {
    table.push([
      row.mix,
      row.connections.toLocaleString("en-US"),
      row.targetRatePerSec === null ? dash : formatRate(row.targetRatePerSec),
      `${rateCell(row.sysbench)}\n${row.metric}`,
      `${rateCell(row.ours)}\n${row.metric}`,
      row.ratio === null ? dash : `${row.ratio.toFixed(2)}x`,
      cpuText(row.sysbench.cpuUsPerUpdate),
      `${cpuText(row.ours.cpuUsPerUpdate)}\n(${cpuText(row.ours.resultCpuUsPerQuery)})`,
      bytesText(row.sysbench.rssPeakBytes),
      `${bytesText(row.ours.rssPeakBytes)}\n(${bytesText(row.ours.resultRssPeakBytes)})`,
      keptCell(row.sysbench, "sysbench"),
      keptCell(row.ours, "ours"),
    ]);
  }
  return table.toString();
}

function renderTable(rows: SummaryRow[]): string {
  const table = new Table({
    head: [
      "mix",
      "conns",
      "sysbench\n(mean; rounds)",
      "ours\n(mean; rounds)",
      "ours /\nsysbench",
      "CPU us/stmt\nsysbench",
      "CPU us/stmt\nours (in-run)",
      "peak RSS\nsysbench",
      "peak RSS ours\n(result.json)",
      "server CPU\nus/stmt\nsysbench / ours",
      "machine idle\nsysbench / ours",
    ],
    style: { head: [], border: [] },
  });
  for (const row of rows) {
    table.push([
      row.mix,
      row.connections.toLocaleString("en-US"),
      `${rateCell(row.sysbench)}\n${row.metric}`,
      `${rateCell(row.ours)}\n${row.metric}`,
      row.ratio === null ? dash : `${row.ratio.toFixed(2)}x`,
      cpuText(row.sysbench.cpuUsPerStatement),
      `${cpuText(row.ours.cpuUsPerStatement)}\n(${cpuText(row.ours.resultCpuUsPerQuery)})`,
      bytesText(row.sysbench.rssPeakBytes),
      `${bytesText(row.ours.rssPeakBytes)}\n(${bytesText(row.ours.resultRssPeakBytes)})`,
      `${cpuText(row.sysbench.serverCpuUsPerStatement)} / ${cpuText(row.ours.serverCpuUsPerStatement)}`,
      `${percentText(row.sysbench.machineIdleShare)} / ${percentText(row.ours.machineIdleShare)}`,
    ]);
  }
  return table.toString();
}

// ---------------------------------------------------------------------------------------------
// Main

/** What the comparison holds while it runs, and lets go of on every exit path. */
interface Session {
  options: Options;
  signal: AbortSignal;
  /** Passwords to hide from every line printed; a sandbox's joins once it has started. */
  secrets: string[];
  say: (line: string) => void;
  workDir: string;
  /** The server being measured, while it is: one at a time. */
  sandbox?: Sandbox;
  admin?: AdminConnection;
}

/** One server the comparison runs on: a sandbox with a thread handling of its own, or --target as it is. */
interface ServerSetup {
  /** Its name on the progress log, in the JSON, and its folder's in the work folder. */
  name: ServerChoice | "target";
  /** What the sandbox is started with; null for --target. */
  threadHandling: ThreadHandling | null;
}

/** The servers in order: the --servers sandboxes, or the --target server alone. */
function serverPlan(options: Options): ServerSetup[] {
  if (options.target) return [{ name: "target", threadHandling: null }];
  return options.servers.map((name) => ({ name, threadHandling: THREAD_HANDLING[name] }));
}

interface Versions {
  sysbench: string;
  /** Which reinvent-bench was measured: the commit, and whether bench/ had uncommitted changes. */
  ours: string;
}

async function sysbenchVersion(): Promise<string> {
  const version = (await execa("sysbench", ["--version"], { reject: false })).stdout.trim();
  if (!version.startsWith("sysbench")) throw new Error("sysbench is not on the PATH");
  return version;
}

async function oursVersion(): Promise<string> {
  const gitHead = (await execa("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, reject: false })).stdout;
  const gitDirty = (
    await execa("git", ["status", "--porcelain", "--", "bench", "bin"], { cwd: ROOT, reject: false })
  ).stdout.trim();
  return `${gitHead.trim() || "unknown"}${gitDirty ? " + uncommitted changes in bench/" : ""}`;
}

/**
 * The --target server, or a sandbox in `dir` sized for the largest connection count, with the
 * setup's thread handling and the same settings otherwise.
 */
async function openServer(
  session: Session,
  setup: ServerSetup,
  dir: string,
): Promise<{ target: TargetSpec; targetUrlWithPassword: string }> {
  const { options } = session;
  if (setup.threadHandling === null) {
    if (!options.target || !options.targetUrl) throw new Error("no --target server to measure");
    return { target: options.target, targetUrlWithPassword: options.targetUrl };
  }
  const maxConnections = Math.max(...options.connections);
  session.sandbox = await Sandbox.start({
    dir: join(dir, "sandbox"),
    sizing: { connections: maxConnections + 1, tables: options.tables, tableSize: options.tableSize },
    threadHandling: setup.threadHandling,
    log: session.say,
  });
  const target = session.sandbox.target;
  session.secrets.push(target.password);
  const split = options.split;
  if (split) {
    const pid = session.sandbox.pid;
    if (pid === undefined) throw new Error("--split-cores: the sandbox server has no pid to pin");
    const reported = await pinProcess(pid, split.serverCpus);
    session.say(
      `sandbox: server pinned to CPU ${reported}; sysbench and ours run on CPU ${cpuList(split.clientCpus)}`,
    );
  }
  return { target, targetUrlWithPassword: formatTargetUrl(target, true) };
}

/**
 * Reads what the server is and creates the database; refuses a server that cannot take the
 * largest run's connections.
 */
async function prepareServer(target: TargetSpec, maxConnections: number): Promise<ServerFacts> {
  const facts = await withAdmin(target, async (conn) => {
    const read = await readServerFacts(conn);
    await createDatabaseIfMissing(conn, target.database);
    return read;
  });
  // Each run needs its connections, plus reinvent-bench's control connection and margin, plus ours here.
  const serverMax = Number(facts.variables.max_connections ?? Number.NaN);
  if (Number.isFinite(serverMax) && serverMax < maxConnections + 3) {
    throw new Error(
      `${target.displayUrl}: max_connections is ${serverMax}, the largest run needs ${maxConnections + 3}`,
    );
  }
  return facts;
}

interface PlannedRun {
  mixName: MixName;
  connections: number;
  round: number;
  tool: Tool;
}

/** Every run in order: per mix and connection count, the rounds, each sysbench then ours. */
function runPlan(options: Options): PlannedRun[] {
  const plan: PlannedRun[] = [];
  for (const mixName of options.mixes) {
    for (const connections of options.connections) {
      for (let round = 1; round <= options.rounds; round++) {
        for (const tool of ["sysbench", "ours"] as const) plan.push({ mixName, connections, round, tool });
      }
    }
  }
  return plan;
}

/** Before a mix and connection count's first run: its scenario file if it needs one, and both commands. */
function startGroup(ctx: Context, mixName: MixName, connections: number): void {
  const mix = MIXES[mixName];
  if (mix.fixedRate) writeRateScenario(ctx, mix, connections);
  ctx.log(
    `\n${mixName}${mix.fixedRate ? ` at ${formatRate(ctx.options.ratePerSec)}/s` : ""} x ${connections} connections; commands (password redacted):\n` +
      `  sysbench ${sysbenchArgs(ctx, mix, connections).join(" ")}\n` +
      `  bin/reinvent-bench.js ${oursArgs(ctx, mix, connections, oursOutDir(ctx, mixName, connections, "N")).join(" ")}`,
  );
}

/** One finished run's line on the progress log. */
function progressLine(options: Options, record: RunRecord, position: string): string {
  const mix = MIXES[record.mix];
  const cpu = record.cpuUsPerStatement === null ? "-" : record.cpuUsPerStatement.toFixed(1);
  const cpuUpdate = record.cpuUsPerUpdate === null ? "-" : record.cpuUsPerUpdate.toFixed(1);
  const cpuSec = (record.cpuUserSec + record.cpuSystemSec).toFixed(2);
  const figures = mix.fixedRate
    ? `${formatRate(record.updatesPerSec)} of ${formatRate(options.ratePerSec)} ${mix.metricLabel} ` +
      `(${record.sustained ? "kept" : "NOT kept"}${record.dropped === null ? "" : `, ${record.dropped} dropped, ${record.discarded ?? 0} unsent`}), ` +
      `CPU ${cpuUpdate} us/update (${cpuSec} s)`
    : `${formatRate(record[mix.metric])} ${mix.metricLabel}, ${formatRate(record.txnPerSec)} txn/s, ` +
      `CPU ${cpu} us/stmt (${cpuSec} s)` +
      (record.serverCpuUsPerStatement === null
        ? ""
        : `, server ${record.serverCpuUsPerStatement.toFixed(1)} us/stmt`) +
      (record.machineIdleShare === null
        ? ""
        : `, machine ${(record.machineIdleShare * 100).toFixed(0)}% idle`);
  return (
    `[${position}] ${record.mix} ${record.connections} conns round ${record.round} ${record.tool.padEnd(8)} ` +
    (record.ok
      ? `${figures}, peak RSS ${formatBytes(record.rssPeakBytes)}, wall ${record.wallSec.toFixed(1)} s` +
        (record.workers === null ? "" : `, ${record.workers} worker(s)`) +
        (record.workerDecision === null ? "" : ` [${record.workerDecision}]`)
      : `FAILED: ${record.failure}`) +
    (record.warnings.length > 0 ? `\n    warnings: ${record.warnings.join("; ")}` : "")
  );
}

/**
 * Runs the plan, pausing between runs, until it ends or is interrupted. A run that throws (the
 * server or the control connection failed) stops the rest, but what was measured is kept.
 */
async function runAll(ctx: Context): Promise<{ runs: RunRecord[]; stoppedEarly: boolean }> {
  const plan = runPlan(ctx.options);
  const runs: RunRecord[] = [];
  for (const [i, { mixName, connections, round, tool }] of plan.entries()) {
    if (round === 1 && tool === "sysbench") startGroup(ctx, mixName, connections);
    if (ctx.signal.aborted) break;
    let record: RunRecord;
    try {
      record = await runOnce(ctx, tool, mixName, connections, round);
    } catch (error) {
      ctx.log(`error during ${tool} ${mixName} ${connections} round ${round}: ${(error as Error).message}`);
      return { runs, stoppedEarly: true };
    }
    runs.push(record);
    ctx.log(progressLine(ctx.options, record, `${ctx.serverName} ${i + 1}/${plan.length}`));
    await sleep(PAUSE_MS, ctx.signal);
  }
  return { runs, stoppedEarly: false };
}

type Status = "complete" | "stopped-early" | "interrupted";
/** failed: the server did not start, was not as asked, or could not be prepared; nothing was run. */
type SectionStatus = Status | "failed";

/** One server's part of the comparison: its table, and its section of the JSON. */
interface ServerSection {
  name: ServerSetup["name"];
  /** The thread handling the sandbox was started with; null for --target. */
  askedThreadHandling: ThreadHandling | null;
  status: SectionStatus;
  error: string | null;
  /** As the server reported them once started; null when it never got that far. */
  settings: ServerSettings | null;
  /** The table's title, from `settings`. */
  title: string | null;
  server: { flavor: string; version: string; url: string } | null;
  sandbox: { settings: Record<string, string>; extraArgs: string[] } | null;
  rows: SummaryRow[];
  runs: RunRecord[];
}

function emptySection(setup: ServerSetup): ServerSection {
  return {
    name: setup.name,
    askedThreadHandling: setup.threadHandling,
    status: "failed",
    error: null,
    settings: null,
    title: null,
    server: null,
    sandbox: null,
    rows: [],
    runs: [],
  };
}

/** Whole-comparison facts, the same for every server. */
interface Tools {
  versions: Versions;
  /** USER_HZ, for reading /proc CPU times. */
  ticksPerSec: number;
}

/** The top of the summary, once for every table: the load, the machine and both tools. */
function summaryHeader(options: Options, versions: Versions): string {
  return (
    `\nsysbench vs reinvent-bench: ${options.tables} tables x ${options.tableSize.toLocaleString("en-US")} rows, ` +
    `${options.durationSec} s measured after ${options.warmupSec} s warm-up, ${options.rounds} round(s) each, ` +
    `${cpus().length} CPUs\nreinvent-bench ${versions.ours}; ${versions.sysbench}\n`
  );
}

/** Where --split-cores put the server and the clients, for a table's title; empty without it. */
const splitText = (split: CpuSplit | undefined): string =>
  split ? `, server on CPU ${cpuList(split.serverCpus)}, clients on CPU ${cpuList(split.clientCpus)}` : "";

/** A table's title line: the server as it reported itself, or why there is no table. */
function sectionHeading(section: ServerSection): string {
  const note = section.status === "complete" ? "" : ` [${section.status}]`;
  if (section.title === null) return `\nServer ${section.name}: no figures${note}: ${section.error ?? "-"}`;
  return `\nServer: ${section.title}${note}`;
}

/** One server's tables: closed loops, then fixed rate. */
function sectionTables(section: ServerSection): string {
  const closedRows = section.rows.filter((row) => !MIXES[row.mix].fixedRate);
  const rateRows = section.rows.filter((row) => MIXES[row.mix].fixedRate);
  return [
    sectionHeading(section),
    ...(closedRows.length > 0 ? [renderTable(closedRows)] : []),
    ...(rateRows.length > 0 ? [renderRateTable(rateRows)] : []),
    "",
  ].join("\n");
}

/** What the columns mean, once after every table, for the kinds of table printed. */
function legends(sections: ServerSection[]): string {
  const rows = sections.flatMap((section) => section.rows);
  const lines: string[] = [];
  if (rows.some((row) => !MIXES[row.mix].fixedRate)) {
    lines.push(
      "CPU us/stmt: client user+system CPU of the whole process / statements the server counted (BEGIN and COMMIT included);",
      "(in-run): result.json's measured-phase figure. Peak RSS: highest sampled VmRSS; (result.json): in-process.",
      "Server CPU us/stmt: the sandbox server process's own CPU (all threads) over the same span / the statements it counted",
      "(- for --target). Machine idle: share of the whole machine's CPU time idle over the run (/proc/stat).",
    );
  }
  if (rows.some((row) => MIXES[row.mix].fixedRate)) {
    lines.push(
      "update-rate: achieved updates/s over the measured phase. CPU us/update: client user+system CPU of the whole",
      "process / Com_update the server counted over the same span; (in-run): result.json's cpuUsPerQuery of the step.",
      `Kept rate: >= ${SUSTAINED_SHARE * 100}% of the rate achieved (sysbench: and its event queue never full; ours: the step's`,
      "`sustained`, nothing dropped or unsent). Peak RSS: highest sampled VmRSS; (result.json): in-process.",
    );
  }
  return lines.map((line) => `${line}\n`).join("");
}

/** Every server's table on stdout, each under its own title, then the legends. */
function printSummary(options: Options, sections: ServerSection[], versions: Versions): void {
  if (sections.length === 0) return;
  process.stdout.write(
    summaryHeader(options, versions) + sections.map(sectionTables).join("") + legends(sections),
  );
}

/** The --json file: per server, its settings, the table's rows and every run's figures. */
function jsonReport(
  options: Options,
  status: SectionStatus,
  sections: ServerSection[],
  versions: Versions,
): unknown {
  return {
    generatedAt: new Date().toISOString(),
    status,
    config: {
      connections: options.connections,
      durationSec: options.durationSec,
      warmupSec: options.warmupSec,
      rounds: options.rounds,
      tables: options.tables,
      tableSize: options.tableSize,
      mixes: options.mixes,
      ratePerSec: options.mixes.some((name) => MIXES[name].fixedRate) ? options.ratePerSec : null,
      servers: serverPlan(options).map((setup) => setup.name),
      cpuSplit: options.split ?? null,
    },
    environment: { ...machineFacts(), sysbench: versions.sysbench, reinventBench: versions.ours },
    servers: sections,
  };
}

/** interrupted, else failed if a server could not be measured, else stopped-early if one stopped early. */
function overallStatus(aborted: boolean, sections: ServerSection[]): SectionStatus {
  if (aborted) return "interrupted";
  if (sections.some((section) => section.status === "failed")) return "failed";
  return sections.some((section) => section.status !== "complete") ? "stopped-early" : "complete";
}

/** 130 when interrupted, 1 when a server or a run failed or the runs stopped early, else 0. */
function exitCodeOf(status: SectionStatus, sections: ServerSection[]): number {
  if (status === "interrupted") return ExitCode.interrupted;
  const runs = sections.flatMap((section) => section.runs);
  return status !== "complete" || runs.some((run) => !run.ok) ? 1 : 0;
}

/** A sandbox that does not run as asked would put one setting's figures under another's name. */
function checkThreadHandling(setup: ServerSetup, settings: ServerSettings): void {
  if (setup.threadHandling !== null && settings.threadHandling !== setup.threadHandling) {
    throw new Error(
      `asked for thread_handling=${setup.threadHandling}, the server reports ${settings.threadHandling}`,
    );
  }
}

/**
 * One server's part: starts it, reads what it is, loads the dataset and runs the plan, filling in
 * `section` as it goes (what was learnt stays if a later step throws). The caller releases it.
 */
async function measureOn(
  session: Session,
  setup: ServerSetup,
  section: ServerSection,
  tools: Tools,
): Promise<void> {
  const { options, say, signal } = session;
  const dir = join(session.workDir, setup.name);
  mkdirSync(dir, { recursive: true });
  const { target, targetUrlWithPassword } = await openServer(session, setup, dir);
  if (session.sandbox) {
    const { settings, extraArgs } = session.sandbox.info;
    section.sandbox = { settings, extraArgs };
  }
  if (signal.aborted) throw new Error("interrupted");
  const facts = await prepareServer(target, Math.max(...options.connections));
  section.server = { flavor: facts.flavor, version: facts.version, url: target.displayUrl };
  section.settings = await withAdmin(target, readServerSettings);
  section.title = serverTitle(
    section.settings,
    session.sandbox ? `sandbox on this machine${splitText(options.split)}` : target.displayUrl,
  );
  checkThreadHandling(setup, section.settings);
  say(`server: ${section.title}; ${tools.versions.sysbench}`);
  await ensureDataset({
    shape: { tables: options.tables, tableSize: options.tableSize },
    open: () => openAdminConnection(target),
    log: say,
    signal,
  });
  session.admin = await openAdminConnection(target);

  const ctx: Context = {
    options,
    target,
    targetUrlWithPassword,
    admin: session.admin,
    workDir: dir,
    serverName: setup.name,
    signal,
    secrets: session.secrets,
    log: say,
    ticksPerSec: tools.ticksPerSec,
    serverPid: session.sandbox?.pid,
  };
  const { runs, stoppedEarly } = await runAll(ctx);
  section.runs = runs;
  section.rows = summarize(options, runs);
  section.status = signal.aborted ? "interrupted" : stoppedEarly ? "stopped-early" : "complete";
}

/** Measures one server and lets it go, whatever happened; a failure is kept in the section, not thrown. */
async function measureServer(session: Session, setup: ServerSetup, tools: Tools): Promise<ServerSection> {
  const section = emptySection(setup);
  try {
    await measureOn(session, setup, section, tools);
  } catch (error) {
    section.status = session.signal.aborted ? "interrupted" : "failed";
    section.error = redactText((error as Error).message, session.secrets);
    session.say(`error on server ${setup.name}: ${section.error}`);
  } finally {
    await release(session);
  }
  return section;
}

/** Everything between reading the options and cleaning up; returns the exit code. */
async function compare(session: Session): Promise<number> {
  const { options, say, signal } = session;
  const sysbench = await sysbenchVersion();
  const tools: Tools = {
    versions: { sysbench, ours: await oursVersion() },
    ticksPerSec: await clockTicksPerSec(),
  };
  say(`reinvent-bench: ${tools.versions.ours}`);

  const plan = serverPlan(options);
  const sections: ServerSection[] = [];
  for (const [i, setup] of plan.entries()) {
    if (signal.aborted) break;
    const asked = setup.threadHandling === null ? "as it is" : `thread_handling=${setup.threadHandling}`;
    say(`\n=== server ${i + 1}/${plan.length}: ${setup.name} (${asked}) ===`);
    sections.push(await measureServer(session, setup, tools));
  }
  printSummary(options, sections, tools.versions);
  const status = overallStatus(signal.aborted, sections);
  if (options.json) {
    writeJsonReport(options.json, jsonReport(options, status, sections, tools.versions));
    say(`json: ${options.json}`);
  }
  return exitCodeOf(status, sections);
}

/**
 * Closes the control connection, stops the sandbox and removes its folder (kept with --keep), so the
 * next server starts alone; a failure to stop is said, not thrown, and that folder left to the end.
 */
async function release(session: Session): Promise<void> {
  const { admin, sandbox } = session;
  session.admin = undefined;
  session.sandbox = undefined;
  await admin?.end().catch(() => undefined);
  if (!sandbox) return;
  try {
    await sandbox.stop();
  } catch (error) {
    session.say(`sandbox stop: ${(error as Error).message}`);
    return;
  }
  removeWorkDir(sandbox.info.dir, session.options.keep, session.say);
}

async function main(argv: string[]): Promise<number> {
  const read = optionsOrExit(argv, parseOptions, USAGE);
  if ("exitCode" in read) return read.exitCode;
  const { options } = read;
  const workDir = makeWorkDir("vs-sysbench-");
  const secrets = options.target?.password ? [options.target.password] : [];
  const say = redactingLog(secrets);
  // A second signal quits at once: the folder goes then too, unless --keep.
  const interrupt = interruptOnSignals("stopping the current run and the server", () =>
    removeWorkDir(workDir, options.keep, say),
  );
  const session: Session = { options, signal: interrupt.signal, secrets, say, workDir };
  let exitCode = 0;
  try {
    exitCode = await compare(session);
  } catch (error) {
    exitCode = interrupt.signal.aborted ? ExitCode.interrupted : 1;
    session.say(`error: ${(error as Error).message}`);
  } finally {
    await release(session);
    await runCleanups();
    removeWorkDir(session.workDir, options.keep, session.say);
    interrupt.dispose();
  }
  return exitCode;
}

process.exit(await main(process.argv.slice(2)));
