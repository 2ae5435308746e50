import { randomBytes } from "node:crypto";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, join, resolve } from "node:path";
import { type AdminConnection, openAdminConnection, withAdmin } from "../target/connection.js";
import { readGaleraState } from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { addCleanup } from "../util/cleanup.js";
import { TargetError, UsageError } from "../util/errors.js";
import { loadExeca } from "../util/load-execa.js";
import { redactText } from "../util/redact.js";
import { epochNowMs, sleep } from "../util/timer.js";
import { findServerBinary } from "./find.js";
import { freePort } from "./port.js";
import { Sandbox } from "./server.js";
import type { SandboxSizing } from "./settings.js";
import { type FlushLogAtTrxCommit, MAX_REPLICAS, topologyMemory } from "./topology.js";

/** As many nodes as the replica topology has servers: a node is a whole server, all on this machine. */
export const MAX_GALERA_NODES = MAX_REPLICAS + 1;
/** Where distributions put the Galera 4 provider (Debian/Ubuntu first). */
export const GALERA_PROVIDER_PATHS = [
  "/usr/lib/galera/libgalera_smm.so",
  "/usr/lib/galera-4/libgalera_smm.so",
  "/usr/lib64/galera-4/libgalera_smm.so",
  "/usr/lib64/galera/libgalera_smm.so",
  "/usr/local/lib/libgalera_smm.so",
  "/opt/homebrew/lib/libgalera_smm.so",
];
export const GALERA_INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install galera-4)";
/**
 * What a mariabackup state transfer runs besides the server: the SST script (shipped with the
 * server), mariabackup, and socat to stream the backup. rsync, the other SST method shipped,
 * fails when the server runs as root, as it does here when the tool runs as root.
 */
const SST_TOOLS: readonly (readonly string[])[] = [
  ["wsrep_sst_mariabackup"],
  ["mariadb-backup", "mariabackup"],
  ["socat"],
];
const SST_METHOD = "mariabackup";
/**
 * The SST account: the sandbox's root, which has an empty password and is root@localhost, so
 * mariabackup on the donor reaches it over the socket only. No secret on any command line.
 */
const SST_AUTH = "root:";
const MIB = 1024 * 1024;
export const DEFAULT_GCACHE_BYTES = 128 * MIB;
/** The template only bootstraps once and stops; its write-set cache is not copied. */
const TEMPLATE_GCACHE_BYTES = 16 * MIB;
/** Threads applying the other nodes' writes: as many as the replica topology's apply threads. */
export const DEFAULT_APPLIER_THREADS = 4;
const BENCH_USER = "bench";
const JOIN_TIMEOUT_MS = 90_000;
const RESTART_SYNC_TIMEOUT_MS = 120_000;
const RECOVER_TIMEOUT_MS = 120_000;
/** Until the others drop a killed node: evs.suspect_timeout (5 s), at worst evs.inactive_timeout (15 s). */
const EVICT_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;
/** An error's line is cut here: an error log line can quote a whole SST command line. */
const MAX_ERROR_CHARS = 1500;
/** Synced is polled this often; a restart's synced time is late by at most this. */
const POLL_MS = 20;

export interface GaleraPorts {
  /** Group communication (gmcast.listen_addr): the port the other nodes' cluster address names. */
  gmcast: number;
  /** Incremental state transfer receiver (ist.recv_addr). */
  ist: number;
  /** Snapshot state transfer receiver (wsrep_sst_receive_address). */
  sst: number;
}

export interface GaleraNode {
  /** "node-1", "node-2", ... */
  name: string;
  sandbox: Sandbox;
  target: TargetSpec;
  gmcastPort: number;
  istPort: number;
  sstPort: number;
}

/** What the servers report after the cluster came up: read back, not assumed. */
export interface GaleraSettings {
  /** wsrep_provider: the library loaded. */
  provider: string;
  /** wsrep_provider_version, "26.4.23(r...)". */
  providerVersion: string;
  /** wsrep_sst_method. */
  sstMethod: string;
  /** Server version (@@version). */
  version: string;
  /** wsrep_cluster_size, the same on every node. */
  clusterSize: number;
  bufferPoolBytes: number;
  flushLogAtTrxCommit: FlushLogAtTrxCommit;
  /** wsrep_slave_threads. */
  applierThreads: number;
  /** gcache.size of wsrep_provider_options. */
  gcacheBytes: number;
  binlogFormat: string;
  autoincLockMode: number;
}

export interface GaleraCluster {
  dir: string;
  /** nodes[0] bootstrapped the cluster. */
  nodes: GaleraNode[];
  /** wsrep_cluster_state_uuid, the same on every node. */
  clusterUuid: string;
  /** From the call to every node Synced in a cluster of all of them. */
  startupMs: number;
  settings: GaleraSettings;
  /**
   * SIGKILL of one node, as a power cut. Resolves when the process is gone; the others notice it
   * a few seconds later (evs.suspect_timeout, 5 s), and commits wait for that. With 3 nodes the 2
   * left are a majority and stay the Primary component. With 2 nodes the one left is not a
   * majority: it goes non-Primary and refuses statements until the other is back (so crash tests
   * use 3 nodes).
   */
  kill(index: number): Promise<void>;
  /**
   * Starts a killed node again on its data directory. It rejoins through the others (its cluster
   * address names all of them) by IST while their gcache holds what it missed, by SST otherwise.
   * readyEpochMs: it took connections; syncedEpochMs: it was seen Synced.
   */
  restart(index: number): Promise<{ readyEpochMs: number; syncedEpochMs: number }>;
  /** Stops every node (joiners first, SIGTERM then SIGKILL as Sandbox.stop). Safe to call twice. */
  stop(): Promise<void>;
}

export interface GaleraOptions {
  dir: string;
  nodes: number;
  sizing: SandboxSizing;
  log: (line: string) => void;
  /** wsrep_slave_threads on every node (default 4). */
  applierThreads?: number;
  /** innodb_flush_log_at_trx_commit on every node (default 1: durable on each node, as the primary of the replica topology). */
  flushLogAtTrxCommit?: FlushLogAtTrxCommit;
  /** Galera's write-set cache (gcache.size, whole MiB): a node that was away rejoins by IST while it holds what it missed. */
  gcacheBytes?: number;
  /** The Galera provider library; found in GALERA_PROVIDER_PATHS when not given. */
  providerPath?: string;
  /** Further server options for the node at `index` (from 0), after the cluster's own; tests make a node fail with it. */
  nodeArgs?: (index: number) => string[];
}

/** The options of a cluster, defaults applied and checked. */
export interface ResolvedGaleraOptions {
  nodes: number;
  applierThreads: number;
  flushLogAtTrxCommit: FlushLogAtTrxCommit;
  gcacheBytes: number;
}

export function resolveGaleraOptions(options: {
  nodes: number;
  applierThreads?: number;
  flushLogAtTrxCommit?: FlushLogAtTrxCommit;
  gcacheBytes?: number;
}): ResolvedGaleraOptions {
  const resolved = {
    nodes: options.nodes,
    applierThreads: options.applierThreads ?? DEFAULT_APPLIER_THREADS,
    flushLogAtTrxCommit: options.flushLogAtTrxCommit ?? 1,
    gcacheBytes: options.gcacheBytes ?? DEFAULT_GCACHE_BYTES,
  };
  if (!Number.isInteger(resolved.nodes) || resolved.nodes < 1 || resolved.nodes > MAX_GALERA_NODES) {
    throw new UsageError(
      `galera cluster: nodes must be from 1 to ${MAX_GALERA_NODES}, not ${resolved.nodes}`,
    );
  }
  const t = resolved.applierThreads;
  if (!Number.isInteger(t) || t < 1 || t > 512) {
    throw new UsageError(`galera cluster: applier threads must be an integer from 1 to 512, not ${t}`);
  }
  if (![0, 1, 2].includes(resolved.flushLogAtTrxCommit)) {
    throw new UsageError("galera cluster: innodb_flush_log_at_trx_commit must be 0, 1 or 2");
  }
  const g = resolved.gcacheBytes;
  if (!Number.isInteger(g) || g < 8 * MIB || g % MIB !== 0) {
    throw new UsageError(`galera cluster: gcache size must be whole MiB, at least 8 MiB, not ${g} bytes`);
  }
  return resolved;
}

export const nodeName = (index: number) => `node-${index + 1}`;

/** gcomm://127.0.0.1:P1,127.0.0.1:P2: the empty gcomm:// when there is no one to join. */
export function clusterAddress(gmcastPorts: readonly number[]): string {
  return `gcomm://${gmcastPorts.map((port) => `127.0.0.1:${port}`).join(",")}`;
}

/** Galera's own options, all on 127.0.0.1 and this node's ports. */
export function providerOptions(ports: GaleraPorts, gcacheBytes: number): string {
  return [
    `gmcast.listen_addr=tcp://127.0.0.1:${ports.gmcast}`,
    `ist.recv_addr=127.0.0.1:${ports.ist}`,
    `gcache.size=${Math.round(gcacheBytes / MIB)}M`,
  ].join(";");
}

/** A Galera size ("128M", "1G", "134217728") in bytes, NaN if it is none. */
export function parseGaleraSize(text: string): number {
  const match = /^\s*(\d+)\s*([KMGT]?)B?\s*$/i.exec(text);
  if (!match) return Number.NaN;
  const power = ["", "K", "M", "G", "T"].indexOf((match[2] ?? "").toUpperCase());
  return Number(match[1]) * 1024 ** power;
}

/** One option of wsrep_provider_options ("a = 1; b = 2"), undefined when absent. */
export function providerOption(options: string, name: string): string | undefined {
  for (const part of options.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface GaleraNodeSpec {
  name: string;
  clusterName: string;
  providerPath: string;
  ports: GaleraPorts;
  /** gmcast ports of the other nodes: the cluster address, to join and to rejoin after a crash. */
  peerGmcastPorts: readonly number[];
  /** Starts a new cluster from this node's data directory (--wsrep-new-cluster). */
  bootstrap: boolean;
  settings: ResolvedGaleraOptions;
  logFileBytes: number;
}

/** The server options of one node, after the sandbox's sized ones. */
export function galeraNodeArgs(spec: GaleraNodeSpec): string[] {
  return [
    "--wsrep-on=ON",
    `--wsrep-provider=${spec.providerPath}`,
    // A name of its own: a node of another sandbox cluster given a port of this one refuses it.
    `--wsrep-cluster-name=${spec.clusterName}`,
    `--wsrep-cluster-address=${clusterAddress(spec.peerGmcastPorts)}`,
    `--wsrep-node-name=${spec.name}`,
    "--wsrep-node-address=127.0.0.1",
    `--wsrep-provider-options=${providerOptions(spec.ports, spec.settings.gcacheBytes)}`,
    `--wsrep-sst-receive-address=127.0.0.1:${spec.ports.sst}`,
    `--wsrep-sst-method=${SST_METHOD}`,
    `--wsrep-sst-auth=${SST_AUTH}`,
    `--wsrep-slave-threads=${spec.settings.applierThreads}`,
    // Galera certifies row events and cannot lock AUTO-INC across nodes.
    "--binlog-format=ROW",
    "--innodb-autoinc-lock-mode=2",
    `--innodb-flush-log-at-trx-commit=${spec.settings.flushLogAtTrxCommit}`,
    `--innodb-log-file-size=${spec.logFileBytes}`,
    ...(spec.bootstrap ? ["--wsrep-new-cluster"] : []),
  ];
}

/**
 * The node's options file. The server and the SST script read it instead of the system's
 * (/etc/mysql/my.cnf, whose [mysqld_safe] syslog would send the SST's own log to a syslog that
 * may not exist). The buffer pool is set here, not on the command line: the SST script hands
 * --innodb-buffer-pool-size from the server's command line to mariabackup, which (10.11.19) has
 * no such option and fails the transfer.
 */
export function galeraOptionsFile(bufferPoolBytes: number): Record<string, Record<string, string>> {
  return {
    mysqld: { "innodb-buffer-pool-size": String(bufferPoolBytes) },
    // Earlier SST logs stay in the data directory, not in /tmp/sst_log_archive.
    sst: { "sst-log-archive": "0" },
  };
}

/** The position `mariadbd --wsrep-recover` found ("uuid:seqno"), undefined when it found none. */
export function parseRecoveredPosition(logText: string): string | undefined {
  const matches = [...logText.matchAll(/WSREP: Recovered position:\s+([0-9a-f-]{36}):(-?\d+)/g)];
  const last = matches.at(-1);
  if (!last || Number(last[2]) < 0 || /^0{8}-/.test(last[1] ?? "")) return undefined;
  return `${last[1]}:${last[2]}`;
}

/** The first provider library that exists, or a one-line TargetError telling how to get one. */
export function findGaleraProvider(
  explicit: string | undefined,
  candidates: readonly string[] = GALERA_PROVIDER_PATHS,
): string {
  if (explicit !== undefined) {
    if (existsSync(explicit)) return explicit;
    throw new TargetError(`galera cluster: no Galera provider at ${explicit}; ${GALERA_INSTALL_HINT}`);
  }
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  throw new TargetError(
    `galera cluster: no Galera provider (libgalera_smm.so) in ${candidates.join(", ")}; ${GALERA_INSTALL_HINT}`,
  );
}

/** Throws a one-line TargetError naming what a mariabackup SST needs and is not installed. */
export function checkSstTools(searchDirs: readonly string[] = defaultToolDirs()): void {
  const missing = SST_TOOLS.filter((names) =>
    names.every((name) => !searchDirs.some((dir) => existsSync(join(dir, name)))),
  ).map((names) => names.join(" or "));
  if (missing.length > 0) {
    throw new TargetError(
      `galera cluster: state transfers need ${missing.join(", ")}, not found on PATH; install them (Debian/Ubuntu: apt-get install mariadb-backup socat)`,
    );
  }
}

function defaultToolDirs(): string[] {
  return [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/bin", "/usr/local/bin"];
}

/** Settings the servers did not take, or do not agree on, as one line each. */
export function galeraProblems(
  perNode: readonly GaleraSettings[],
  wanted: ResolvedGaleraOptions & { bufferPoolBytes: number },
): string[] {
  const problems: string[] = [];
  const first = perNode[0];
  if (!first) return ["no node answered"];
  for (const key of Object.keys(first) as (keyof GaleraSettings)[]) {
    const values = new Set(perNode.map((s) => s[key]));
    if (values.size > 1) problems.push(`nodes disagree on ${key}: ${[...values].join(", ")}`);
  }
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) problems.push(`${what} is ${actual}, not ${expected}`);
  };
  expect("wsrep_cluster_size", first.clusterSize, wanted.nodes);
  expect("wsrep_sst_method", first.sstMethod, SST_METHOD);
  expect("wsrep_slave_threads", first.applierThreads, wanted.applierThreads);
  expect("innodb_flush_log_at_trx_commit", first.flushLogAtTrxCommit, wanted.flushLogAtTrxCommit);
  expect("innodb_buffer_pool_size", first.bufferPoolBytes, wanted.bufferPoolBytes);
  expect("gcache.size", first.gcacheBytes, wanted.gcacheBytes);
  expect("binlog_format", first.binlogFormat, "ROW");
  expect("innodb_autoinc_lock_mode", first.autoincLockMode, 2);
  return problems;
}

/** The last error lines of a node's error log, on one line (empty when it has none). */
function errorLogTail(folder: string, secrets: readonly string[]): string {
  let text: string;
  try {
    text = readFileSync(join(folder, "error.log"), "utf8");
  } catch {
    return "";
  }
  const lines = text
    .split("\n")
    .filter((line) => /\[ERROR\]|fatal|abort/i.test(line))
    .slice(-3)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line.trim()));
  return redactText(lines.join(" | "), secrets);
}

/** An error about one node as a one-line TargetError, with the tail of its error log when it adds to it. */
export function nodeError(
  name: string,
  folder: string,
  error: unknown,
  secrets: readonly string[],
): TargetError {
  const message = redactText((error as Error)?.message ?? String(error), secrets)
    .replace(/\s*\n\s*/g, " | ")
    .replace(/^galera cluster: /, "");
  // The sandbox's own errors quote the log already.
  const quotesLog = /\[ERROR\]|no error log/.test(message);
  const tail = quotesLog ? "" : errorLogTail(folder, secrets);
  const named =
    message.startsWith(`${name} `) || message.startsWith(`${name}:`) ? message : `${name}: ${message}`;
  const line = `galera cluster: ${named}${tail ? `; error log: ${tail}` : ""}`;
  return new TargetError(line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}...` : line);
}

/** Three ports none of `taken` has, and adds them to it. */
async function freeGaleraPorts(taken: Set<number>): Promise<GaleraPorts> {
  const ports: number[] = [];
  while (ports.length < 3) {
    const port = await freePort();
    if (taken.has(port)) continue;
    taken.add(port);
    ports.push(port);
  }
  const [gmcast, ist, sst] = ports as [number, number, number];
  return { gmcast, ist, sst };
}

/**
 * Polls SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment' until it says Synced. A node that does
 * not answer yet is waited for too. After `timeoutMs`, a TargetError naming the node and its last
 * state.
 */
export async function waitSynced(target: TargetSpec, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "never answered";
  let conn: AdminConnection | undefined;
  try {
    for (;;) {
      try {
        conn ??= await openAdminConnection(target, false);
        const [rows] = await conn.query("SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'");
        const value = (rows as { Value?: string }[])[0]?.Value;
        last = value ?? "no wsrep_local_state_comment (not a Galera node)";
        if (value === "Synced") return;
      } catch (error) {
        last = `not answering (${redactText((error as Error).message ?? String(error), [target.password])})`;
        conn?.destroy();
        conn = undefined;
      }
      if (Date.now() >= deadline) {
        throw new TargetError(
          `galera cluster: ${name} is not Synced after ${timeoutMs / 1000} s; last state: ${last}`.replace(
            /\s*\n\s*/g,
            " ",
          ),
        );
      }
      await sleep(POLL_MS);
    }
  } finally {
    await conn?.end();
  }
}

/** Waits until every node sees a cluster of `size`, in the Primary component when `primary`. */
async function waitClusterSize(
  nodes: readonly GaleraNode[],
  size: number,
  timeoutMs: number,
  primary = true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const conns = await Promise.all(nodes.map((n) => openAdminConnection(n.target, false)));
  try {
    let last = "";
    for (;;) {
      const states = await Promise.all(conns.map((c) => readGaleraState(c)));
      if (states.every((s) => s.clusterSize === size && (!primary || s.clusterStatus === "Primary"))) return;
      last = states.map((s, i) => `${nodes[i]?.name} sees ${s.clusterSize} (${s.clusterStatus})`).join(", ");
      if (Date.now() >= deadline) {
        throw new TargetError(`galera cluster: not ${size} nodes after ${timeoutMs / 1000} s: ${last}`);
      }
      await sleep(POLL_MS);
    }
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

/** Gives every node folder the template's data directory, without its write-set cache or view. */
function copyTemplate(templateData: string, folders: readonly string[]): void {
  const skipped = new Set(["galera.cache", "gvwstate.dat"]);
  for (const folder of folders) {
    cpSync(templateData, join(folder, "data"), {
      recursive: true,
      filter: (source) => !skipped.has(basename(source)),
    });
  }
}

async function readNodeSettings(node: GaleraNode): Promise<GaleraSettings & { clusterUuid: string }> {
  return withAdmin(node.target, async (conn) => {
    const [varRows] = await conn.query(
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'wsrep_provider', 'wsrep_provider_options', 'wsrep_sst_method', 'wsrep_slave_threads', 'innodb_buffer_pool_size', 'innodb_flush_log_at_trx_commit', 'binlog_format', 'innodb_autoinc_lock_mode')",
    );
    const [statusRows] = await conn.query("SHOW GLOBAL STATUS LIKE 'wsrep_provider_version'");
    const v: Record<string, string> = {};
    for (const row of [...(varRows as unknown[]), ...(statusRows as unknown[])] as {
      Variable_name: string;
      Value: string;
    }[])
      v[row.Variable_name.toLowerCase()] = String(row.Value);
    const state = await readGaleraState(conn);
    return {
      provider: v.wsrep_provider ?? "",
      providerVersion: v.wsrep_provider_version ?? "",
      sstMethod: v.wsrep_sst_method ?? "",
      version: v.version ?? "",
      clusterSize: state.clusterSize,
      bufferPoolBytes: Number(v.innodb_buffer_pool_size),
      flushLogAtTrxCommit: Number(v.innodb_flush_log_at_trx_commit) as FlushLogAtTrxCommit,
      applierThreads: Number(v.wsrep_slave_threads),
      gcacheBytes: parseGaleraSize(providerOption(v.wsrep_provider_options ?? "", "gcache.size") ?? ""),
      binlogFormat: v.binlog_format ?? "",
      autoincLockMode: Number(v.innodb_autoinc_lock_mode),
      clusterUuid: state.clusterUuid,
    };
  });
}

/** A sandbox folder whose data directory is initialised (what Sandbox.start checks too). */
const hasDataDir = (folder: string) => existsSync(join(folder, "data", "mysql"));

/**
 * Starts a Galera cluster of `nodes` MariaDB servers on 127.0.0.1, as sandboxes in subfolders
 * node-1, node-2... of `dir`, and resolves when every node is Synced in a cluster of all of them.
 *
 * Fast and without a snapshot transfer: one template server bootstraps a cluster and stops; every
 * node gets a copy of its data directory, so all share its cluster UUID and position. node-1
 * bootstraps the cluster from there and the others join one at a time (parallel joins measured
 * slower: each forces another view change) by IST of the few writes node-1 made at its start.
 * A snapshot transfer (mariabackup) costs at least 10 s: the donor's SST script sleeps that long.
 *
 * Always new data directories: a folder holding nodes of an earlier cluster is refused.
 */
export async function startGaleraCluster(options: GaleraOptions): Promise<GaleraCluster> {
  const wanted = resolveGaleraOptions(options);
  const dir = resolve(options.dir);
  const binary = await findServerBinary();
  if (binary.flavor !== "mariadb") {
    throw new TargetError(
      `galera cluster: needs MariaDB, found MySQL ${binary.version} at ${binary.path}; install mariadb-server and galera-4`,
    );
  }
  const providerPath = findGaleraProvider(options.providerPath);
  checkSstTools();
  const names = Array.from({ length: wanted.nodes }, (_, i) => nodeName(i));
  const folders = names.map((name) => join(dir, name));
  const reused = folders.filter(hasDataDir);
  if (reused.length > 0) {
    throw new TargetError(
      `galera cluster: ${dir} holds ${reused.map((f) => basename(f)).join(", ")} of an earlier cluster; remove it or use an empty folder`,
    );
  }
  const memory = topologyMemory(options.sizing, wanted.nodes + 1);
  const clusterName = `rb-${randomBytes(4).toString("hex")}`;
  const startMs = Date.now();

  const sandboxes: (Sandbox | undefined)[] = names.map(() => undefined);
  const killed = new Set<number>();
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    removeCleanup();
    // Joiners first, the bootstrap node last: each leaves the cluster in turn.
    await Promise.allSettled(sandboxes.slice(1).map((s) => s?.stop()));
    await sandboxes[0]?.stop();
  };
  const removeCleanup = addCleanup(stopAll);
  const logAs = (name: string) => (line: string) => options.log(`${name}: ${line}`);
  const taken = new Set<number>();
  let secrets: string[] = [];

  /** Starts one node, on new Galera ports when one of its ports was taken meanwhile. */
  const startNode = async (
    index: number,
    peers: readonly number[],
    ports: GaleraPorts,
  ): Promise<GaleraNode> => {
    const name = names[index] as string;
    const folder = folders[index] as string;
    for (let attempt = 1; ; attempt++) {
      try {
        const sandbox = await Sandbox.start({
          dir: folder,
          sizing: options.sizing,
          log: logAs(name),
          optionsFile: galeraOptionsFile(memory.bufferPoolBytes),
          extraArgs: [
            ...galeraNodeArgs({
              name,
              clusterName,
              providerPath,
              ports,
              peerGmcastPorts: peers,
              bootstrap: index === 0,
              settings: wanted,
              logFileBytes: memory.logFileBytes,
            }),
            ...(options.nodeArgs?.(index) ?? []),
          ],
        });
        sandboxes[index] = sandbox;
        return {
          name,
          sandbox,
          target: sandbox.target,
          gmcastPort: ports.gmcast,
          istPort: ports.ist,
          sstPort: ports.sst,
        };
      } catch (error) {
        const inUse = /address already in use/i.test(
          `${(error as Error).message} ${errorLogTail(folder, [])}`,
        );
        if (!inUse || attempt >= PORT_ATTEMPTS) throw nodeError(name, folder, error, secrets);
        // Nodes started before keep the old gmcast port in their cluster address: harmless, a
        // rejoining node needs one peer of its list to answer, and the cluster name keeps others out.
        logAs(name)("a Galera port was taken; retrying with new ports");
        Object.assign(ports, await freeGaleraPorts(taken));
      }
    }
  };

  try {
    const ports: GaleraPorts[] = [];
    for (const _ of names) ports.push(await freeGaleraPorts(taken));
    const sharedPassword = await seedFromTemplate(dir, folders, {
      sizing: options.sizing,
      log: logAs("template"),
      providerPath,
      clusterName,
      settings: wanted,
      bufferPoolBytes: memory.bufferPoolBytes,
      logFileBytes: memory.logFileBytes,
      taken,
    });
    secrets = [sharedPassword];
    const nodes: GaleraNode[] = [];
    for (const [index, name] of names.entries()) {
      const peers = ports.filter((_, i) => i !== index).map((p) => p.gmcast);
      const node = await startNode(index, peers, ports[index] as GaleraPorts);
      if (node.target.password !== sharedPassword) {
        throw new TargetError(
          `galera cluster: ${name} did not take the shared password from credentials.json`,
        );
      }
      try {
        await waitSynced(node.target, name, JOIN_TIMEOUT_MS);
      } catch (error) {
        throw nodeError(name, folders[index] as string, error, secrets);
      }
      nodes.push(node);
    }
    await waitClusterSize(nodes, wanted.nodes, JOIN_TIMEOUT_MS);
    const perNode = await Promise.all(nodes.map(readNodeSettings));
    const problems = galeraProblems(perNode, { ...wanted, bufferPoolBytes: memory.bufferPoolBytes });
    if (problems.length > 0) throw new TargetError(`galera cluster: ${problems.join("; ")}`);
    const { clusterUuid, ...settings } = perNode[0] as GaleraSettings & { clusterUuid: string };

    const nodeAt = (index: number): GaleraNode => {
      const node = nodes[index];
      if (!node) throw new UsageError(`galera cluster: no node ${index}; nodes are 0 to ${nodes.length - 1}`);
      return node;
    };
    const cluster: GaleraCluster = {
      dir,
      nodes,
      clusterUuid,
      startupMs: Date.now() - startMs,
      settings,
      async kill(index) {
        const node = nodeAt(index);
        await node.sandbox.kill();
        killed.add(index);
      },
      async restart(index) {
        const node = nodeAt(index);
        if (!killed.has(index))
          throw new UsageError(`galera cluster: ${node.name} is running; kill it first`);
        const folder = folders[index] as string;
        try {
          // A node back before the others dropped it (evs.suspect_timeout, 5 s) comes with the
          // identity they still wait for (its gvwstate.dat), and took 13 s more to join than one
          // started after. Without quorum (2 nodes) the one left sees itself alone, non-Primary.
          const running = nodes.filter((_, i) => !killed.has(i));
          await waitClusterSize(running, running.length, EVICT_TIMEOUT_MS, false);
          const position = await recoverPosition(node.sandbox, folder, node.name);
          logAs(node.name)(`galera: rejoining from ${position ?? "an unknown position (SST)"}`);
          const { readyEpochMs } = await node.sandbox.restart([
            ...(position ? [`--wsrep-start-position=${position}`] : []),
            // node-1 started the cluster; now it joins the others like any node.
            ...(index === 0 ? ["--skip-wsrep-new-cluster"] : []),
          ]);
          await waitSynced(node.target, node.name, RESTART_SYNC_TIMEOUT_MS);
          const syncedEpochMs = epochNowMs();
          killed.delete(index);
          return { readyEpochMs, syncedEpochMs };
        } catch (error) {
          throw nodeError(node.name, folder, error, secrets);
        }
      },
      stop: stopAll,
    };
    options.log(
      `galera: ${wanted.nodes} node${wanted.nodes === 1 ? "" : "s"} Synced in cluster ${clusterUuid} in ${cluster.startupMs} ms (${settings.providerVersion})`,
    );
    return cluster;
  } catch (error) {
    await stopAll();
    // Fresh copies of the template, nothing of value; gone, the folder takes another start. The
    // error logs stay.
    for (const folder of folders) rmSync(join(folder, "data"), { recursive: true, force: true });
    if (error instanceof TargetError || error instanceof UsageError) throw error;
    throw new TargetError(
      `galera cluster: ${redactText((error as Error)?.message ?? String(error), secrets).replace(/\s*\n\s*/g, " | ")}`,
    );
  }
}

/**
 * Bootstraps a one-node cluster in `dir`/template, stops it and copies its data directory into
 * every node folder, with its benchmark password: a node's own account statements replicate to
 * the others, so all must hold the same one. Returns that password.
 */
async function seedFromTemplate(
  dir: string,
  folders: readonly string[],
  options: {
    sizing: SandboxSizing;
    log: (line: string) => void;
    providerPath: string;
    clusterName: string;
    settings: ResolvedGaleraOptions;
    bufferPoolBytes: number;
    logFileBytes: number;
    taken: Set<number>;
  },
): Promise<string> {
  const templateDir = join(dir, "template");
  rmSync(templateDir, { recursive: true, force: true });
  try {
    const ports = await freeGaleraPorts(options.taken);
    const start = () =>
      Sandbox.start({
        dir: templateDir,
        sizing: options.sizing,
        log: options.log,
        optionsFile: galeraOptionsFile(options.bufferPoolBytes),
        extraArgs: galeraNodeArgs({
          name: "template",
          clusterName: options.clusterName,
          providerPath: options.providerPath,
          ports,
          peerGmcastPorts: [],
          bootstrap: true,
          settings: { ...options.settings, gcacheBytes: TEMPLATE_GCACHE_BYTES },
          logFileBytes: options.logFileBytes,
        }),
      });
    let template: Sandbox;
    try {
      template = await start();
    } catch (error) {
      // Once more: another process's initialiser may have run at the same moment (see topology.ts).
      if (!/initialising the data directory failed/.test((error as Error).message)) throw error;
      options.log(`retrying after: ${(error as Error).message}`);
      rmSync(templateDir, { recursive: true, force: true });
      template = await start();
    }
    const password = template.target.password;
    await template.stop();
    copyTemplate(join(templateDir, "data"), folders);
    for (const folder of folders) {
      writeFileSync(join(folder, "credentials.json"), JSON.stringify({ user: BENCH_USER, password }), {
        mode: 0o600,
      });
    }
    return password;
  } catch (error) {
    for (const folder of folders) rmSync(join(folder, "data"), { recursive: true, force: true });
    throw nodeError("template", templateDir, error, []);
  } finally {
    rmSync(templateDir, { recursive: true, force: true });
  }
}

/**
 * The position a killed node's InnoDB holds, found by `mariadbd --wsrep-recover` (what the
 * distributions' service units run first, as galera_recovery). Its grastate.dat says seqno -1
 * after a crash, and a node started so asks for a whole snapshot (SST) though the others' gcache
 * holds what it missed; started with --wsrep-start-position it asks for those writes only (IST).
 */
async function recoverPosition(sandbox: Sandbox, folder: string, name: string): Promise<string | undefined> {
  const logPath = join(folder, "recover.log");
  rmSync(logPath, { force: true });
  const execa = await loadExeca();
  const result = await execa(
    sandbox.info.binary,
    [
      ...sandbox.commandLine,
      `--log-error=${logPath}`,
      `--pid-file=${join(folder, "recover.pid")}`,
      `--socket=${join(folder, "recover.sock")}`,
      // It stops before taking connections, but would open the node's port first.
      "--skip-networking",
      "--wsrep-recover",
    ],
    { reject: false, timeout: RECOVER_TIMEOUT_MS, stdio: "ignore", cleanup: true },
  );
  rmSync(join(folder, "recover.sock"), { force: true });
  rmSync(join(folder, "recover.pid"), { force: true });
  let text = "";
  try {
    text = readFileSync(logPath, "utf8");
  } catch {
    // No log: the exit code tells.
  }
  if (result.exitCode !== 0) {
    const tail = text
      .split("\n")
      .filter((line) => /\[ERROR\]/.test(line))
      .slice(-2)
      .join(" | ");
    throw new TargetError(
      `galera cluster: ${name}: --wsrep-recover failed (exit ${result.exitCode ?? result.signal ?? "?"}): ${tail || "no error logged"}`,
    );
  }
  return parseRecoveredPosition(text);
}
