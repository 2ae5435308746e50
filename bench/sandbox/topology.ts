import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join, resolve } from "node:path";
import { type AdminConnection, withAdmin } from "../target/connection.js";
import { isOn } from "../target/facts.js";
import { checkReplication, type ReplicaStatus } from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { atLeastVersion } from "../target/version.js";
import { addCleanup } from "../util/cleanup.js";
import { TargetError, UsageError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import { sleep } from "../util/timer.js";
import { findServerBinary, type ServerFlavor } from "./find.js";
import { Sandbox } from "./server.js";
import { BYTES_PER_ROW, type SandboxSizing, sandboxSettings } from "./settings.js";

/** The claim under test is Aurora's 15 read replicas; a few more leave room to look past it. */
export const MAX_REPLICAS = 31;
/**
 * Servers started at once. They start from data directories copied from one template (see
 * seedDataDirs), so no initialiser runs here, only servers opening small data directories.
 */
const START_CONCURRENCY = 4;
/** Replicas configured, waited for and read at once (SQL only, no new processes). */
const SETUP_CONCURRENCY = 8;
const RUNNING_TIMEOUT_MS = 60_000;
const CONNECT_ERROR_GRACE_MS = 5_000;
const CATCH_UP_TIMEOUT_S = 60;
const POLL_MS = 50;
const MIB = 1024 * 1024;
const REPL_USER = "repl";
const BENCH_USER = "bench";

export type FlushLogAtTrxCommit = 0 | 1 | 2;
export type ParallelMode = "optimistic" | "conservative" | "aggressive" | "minimal" | "none";

/** Per role: what decides how much a commit costs, and so how far replicas fall behind. */
export interface Durability {
  syncBinlog: number;
  flushLogAtTrxCommit: FlushLogAtTrxCommit;
}

export interface ReplicationSettings {
  /** Threads applying events on each replica; 0 = one SQL thread. MariaDB slave_parallel_threads, MySQL replica_parallel_workers. */
  parallelApplyThreads: number;
  /** MariaDB slave_parallel_mode; MySQL has no such setting and ignores it. */
  parallelMode: ParallelMode;
  /** Replicas write their own binary log of what they apply (log_slave_updates), as MySQL 8 does by default. */
  replicaBinlog: boolean;
  primary: Durability;
  replicas: Durability;
}

export type ReplicationOptions = Partial<Omit<ReplicationSettings, "primary" | "replicas">> & {
  primary?: Partial<Durability>;
  replicas?: Partial<Durability>;
};

/**
 * Durable commits on the primary (as Aurora promises), replicas as the servers ship them (MySQL
 * 8.0.27+ applies with 4 workers by default; MariaDB's optimistic mode is its default mode).
 */
export const DEFAULT_REPLICATION_SETTINGS: ReplicationSettings = {
  parallelApplyThreads: 4,
  parallelMode: "optimistic",
  replicaBinlog: false,
  primary: { syncBinlog: 1, flushLogAtTrxCommit: 1 },
  replicas: { syncBinlog: 0, flushLogAtTrxCommit: 1 },
};

const PARALLEL_MODES: readonly ParallelMode[] = [
  "optimistic",
  "conservative",
  "aggressive",
  "minimal",
  "none",
];

export function resolveReplicationSettings(options: ReplicationOptions = {}): ReplicationSettings {
  const d = DEFAULT_REPLICATION_SETTINGS;
  const settings: ReplicationSettings = {
    parallelApplyThreads: options.parallelApplyThreads ?? d.parallelApplyThreads,
    parallelMode: options.parallelMode ?? d.parallelMode,
    replicaBinlog: options.replicaBinlog ?? d.replicaBinlog,
    primary: { ...d.primary, ...options.primary },
    replicas: { ...d.replicas, ...options.replicas },
  };
  const t = settings.parallelApplyThreads;
  if (!Number.isInteger(t) || t < 0 || t > 1024) {
    throw new UsageError(`replication: parallel apply threads must be an integer from 0 to 1024, not ${t}`);
  }
  if (!PARALLEL_MODES.includes(settings.parallelMode)) {
    throw new UsageError(`replication: parallel mode must be one of ${PARALLEL_MODES.join(", ")}`);
  }
  for (const [role, durability] of [
    ["primary", settings.primary],
    ["replicas", settings.replicas],
  ] as const) {
    if (!Number.isInteger(durability.syncBinlog) || durability.syncBinlog < 0) {
      throw new UsageError(`replication: ${role} sync_binlog must be a whole number >= 0`);
    }
    if (![0, 1, 2].includes(durability.flushLogAtTrxCommit)) {
      throw new UsageError(`replication: ${role} innodb_flush_log_at_trx_commit must be 0, 1 or 2`);
    }
  }
  return settings;
}

export interface TopologyMemory {
  bufferPoolBytes: number;
  logFileBytes: number;
}

/**
 * Buffer pool and redo log of each server when `servers` of them share this machine. The pool
 * holds the dataset with a margin as in a lone sandbox, but without its 256 MiB floor and within
 * an equal share of 40% of memory, so 16 servers of a small dataset take hundreds of MiB, not 4
 * GiB. The redo log (preallocated in full by MariaDB 10.11) is twice the dataset, from 48 MiB up
 * to the lone sandbox's 1 GiB, so 16 servers do not take 16 GiB of disk.
 */
export function topologyMemory(
  sizing: SandboxSizing,
  servers: number,
  memoryBytes: number = totalmem(),
): TopologyMemory {
  const datasetBytes = sizing.tables * sizing.tableSize * BYTES_PER_ROW;
  const lone = sandboxSettings(sizing);
  const loneLogBytes = Number(lone["innodb-log-file-size"]);
  const share = Math.floor((memoryBytes * 0.4) / servers / (16 * MIB)) * 16 * MIB;
  const wanted = Math.ceil((datasetBytes * 1.5) / (16 * MIB)) * 16 * MIB;
  const bufferPoolBytes = Math.max(32 * MIB, Math.min(share, wanted));
  const logFileBytes = Math.min(
    loneLogBytes,
    Math.max(48 * MIB, Math.ceil((datasetBytes * 2) / (16 * MIB)) * 16 * MIB),
  );
  return { bufferPoolBytes, logFileBytes };
}

/** The statements and options that differ between MariaDB, MySQL 8.0.23+ and older MySQL. */
export interface ReplicationDialect {
  flavor: ServerFlavor;
  gtid: "mariadb-slave_pos" | "mysql-auto-position";
  primaryArgs: string[];
  replicaArgs: (settings: ReplicationSettings) => string[];
  /** CHANGE MASTER / CHANGE REPLICATION SOURCE with the password as the one `?`. */
  changeSource: (host: string, port: number) => string;
  start: string;
  stop: string;
  /**
   * Starts a new relay log. LOCAL: MySQL writes FLUSH RELAY LOGS to the binary log unless told
   * not to, and a replica that keeps one would get a transaction of its own: an errant GTID that
   * breaks a later failover to it.
   */
  rotateRelayLogs: string;
  /** Reads the primary's GTID position as `pos`. */
  primaryPosition: string;
  /** Waits (pos, seconds) on a replica; returns `w`, 0 when caught up. */
  waitForPosition: string;
  /** Makes a replica refuse writes from the benchmark user too. */
  lockReplica: string[];
  /** Variables that record the applied settings, first existing name wins. */
  variables: {
    parallelThreads: string[];
    parallelMode: string[];
    replicaUpdates: string[];
  };
}

export function replicationDialect(flavor: ServerFlavor, version: string): ReplicationDialect {
  if (flavor === "mariadb") {
    if (!atLeastVersion(version, 10, 0, 2)) {
      throw new TargetError(`replication topology: MariaDB ${version} has no GTID; use 10.0.2 or later`);
    }
    return {
      flavor,
      gtid: "mariadb-slave_pos",
      primaryArgs: [],
      replicaArgs: (s) => [
        "--skip-slave-start",
        `--slave-parallel-threads=${s.parallelApplyThreads}`,
        `--slave-parallel-mode=${s.parallelMode}`,
        ...(s.replicaBinlog ? ["--log-slave-updates=ON"] : []),
      ],
      changeSource: (host, port) =>
        `CHANGE MASTER TO MASTER_HOST='${host}', MASTER_PORT=${port}, MASTER_USER='${REPL_USER}', MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
      start: "START SLAVE",
      stop: "STOP SLAVE",
      rotateRelayLogs: "FLUSH LOCAL RELAY LOGS",
      primaryPosition: "SELECT @@GLOBAL.gtid_binlog_pos AS pos",
      waitForPosition: "SELECT MASTER_GTID_WAIT(?, ?) AS w",
      // Since 10.11 read_only stops everyone without READ ONLY ADMIN, which ALL PRIVILEGES includes.
      lockReplica: [`REVOKE READ_ONLY ADMIN ON *.* FROM '${BENCH_USER}'@'127.0.0.1'`],
      variables: {
        parallelThreads: ["slave_parallel_threads"],
        parallelMode: ["slave_parallel_mode"],
        replicaUpdates: ["log_slave_updates"],
      },
    };
  }
  if (!atLeastVersion(version, 5, 7, 6)) {
    throw new TargetError(
      `replication topology: MySQL ${version} cannot turn GTIDs on without binlogging replicas; use 5.7.6 or later`,
    );
  }
  const newWords = atLeastVersion(version, 8, 0, 26);
  const newSyntax = atLeastVersion(version, 8, 0, 23);
  const gtid = ["--gtid-mode=ON", "--enforce-gtid-consistency=ON"];
  // caching_sha2_password (8.0's default) over plain TCP needs the source's RSA key.
  const publicKey = atLeastVersion(version, 8, 0, 0) ? ", GET_MASTER_PUBLIC_KEY=1" : "";
  return {
    flavor,
    gtid: "mysql-auto-position",
    primaryArgs: gtid,
    replicaArgs: (s) => [
      ...gtid,
      newWords ? "--skip-replica-start" : "--skip-slave-start",
      `--${newWords ? "replica" : "slave"}-parallel-workers=${s.parallelApplyThreads}`,
      // Before 8.0.27 the default type is DATABASE: workers apply one schema at a time, so one
      // sbtest schema gets no parallel apply at all.
      ...(s.parallelApplyThreads > 0 && !atLeastVersion(version, 8, 0, 27)
        ? [`--${newWords ? "replica" : "slave"}-parallel-type=LOGICAL_CLOCK`]
        : []),
      ...(s.replicaBinlog ? [`--log-${newWords ? "replica" : "slave"}-updates=ON`] : []),
    ],
    changeSource: (host, port) =>
      newSyntax
        ? `CHANGE REPLICATION SOURCE TO SOURCE_HOST='${host}', SOURCE_PORT=${port}, SOURCE_USER='${REPL_USER}', SOURCE_PASSWORD=?, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, GET_SOURCE_PUBLIC_KEY=1`
        : `CHANGE MASTER TO MASTER_HOST='${host}', MASTER_PORT=${port}, MASTER_USER='${REPL_USER}', MASTER_PASSWORD=?, MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=1${publicKey}`,
    start: atLeastVersion(version, 8, 0, 22) ? "START REPLICA" : "START SLAVE",
    rotateRelayLogs: "FLUSH LOCAL RELAY LOGS",
    stop: atLeastVersion(version, 8, 0, 22) ? "STOP REPLICA" : "STOP SLAVE",
    primaryPosition: "SELECT @@GLOBAL.gtid_executed AS pos",
    waitForPosition: "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w",
    // read_only alone lets SUPER users write, and the benchmark user has ALL PRIVILEGES.
    lockReplica: ["SET GLOBAL super_read_only = ON"],
    variables: {
      parallelThreads: ["replica_parallel_workers", "slave_parallel_workers"],
      parallelMode: ["replica_parallel_type", "slave_parallel_type"],
      replicaUpdates: ["log_replica_updates", "log_slave_updates"],
    },
  };
}

/** What the servers report after the topology came up: read back, not assumed. */
export interface AppliedTopologySettings {
  flavor: ServerFlavor;
  version: string;
  gtid: ReplicationDialect["gtid"];
  binlogFormat: string;
  parallelApplyThreads: number;
  /** MariaDB slave_parallel_mode; MySQL replica_parallel_type (gone in 8.3), null where the server has none. */
  parallelMode: string | null;
  bufferPoolBytes: number;
  logFileBytes: number;
  primary: { serverId: number; logBin: boolean } & Durability;
  replicas: {
    serverIds: number[];
    logBin: boolean;
    logReplicaUpdates: boolean;
    readOnly: boolean;
    /** MySQL only. */
    superReadOnly: boolean | null;
  } & Durability;
}

export interface TopologyReplica {
  name: string;
  target: TargetSpec;
}

export interface ReplicaTopology {
  dir: string;
  primary: TargetSpec;
  replicas: TopologyReplica[];
  settings: AppliedTopologySettings;
  /** From the first server's start to every replica caught up and locked. */
  startupMs: number;
  /** Stops every server, replicas first. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Runs `fn` on every item, at most `limit` at once. On a failure it starts nothing more, waits for
 * the ones under way (so their servers can be stopped) and throws the first error.
 */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

async function variables(conn: AdminConnection, names: string[]): Promise<Record<string, string>> {
  const list = names.map((n) => `'${n}'`).join(",");
  const [rows] = await conn.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${list})`);
  const out: Record<string, string> = {};
  for (const row of rows as { Variable_name: string; Value: string }[]) out[row.Variable_name] = row.Value;
  return out;
}

/** A sandbox folder whose data directory is initialised (what Sandbox.start checks too). */
const hasDataDir = (folder: string) => existsSync(join(folder, "data", "mysql"));

/**
 * Gives every server folder the same initialised data directory: one sandbox initialises and
 * stops, its data directory is copied. Initialising each folder instead costs a second or more
 * of CPU per server (4 s each with 10 servers running on 2 cores), and cannot be done in
 * parallel: on MariaDB 10.11 two mariadb-install-db sharing /tmp fail about one time in six
 * ("Unknown table 'mysql.tmp_user_sys'"), and the sandbox gives its initialiser no --tmpdir.
 */
async function seedDataDirs(
  dir: string,
  folders: string[],
  sizing: SandboxSizing,
  extraArgs: string[],
  flavor: ServerFlavor,
  log: (line: string) => void,
): Promise<void> {
  const templateDir = join(dir, "template");
  rmSync(templateDir, { recursive: true, force: true });
  const copied: string[] = [];
  try {
    let template: Sandbox;
    try {
      template = await Sandbox.start({ dir: templateDir, sizing, log, extraArgs });
    } catch (error) {
      // Once more: another process's initialiser may have run at the same moment (see above).
      if (!/initialising the data directory failed/.test((error as Error).message)) throw error;
      log(`retrying after: ${(error as Error).message}`);
      rmSync(templateDir, { recursive: true, force: true });
      template = await Sandbox.start({ dir: templateDir, sizing, log, extraArgs });
    }
    await template.stop();
    for (const folder of folders) {
      const datadir = join(folder, "data");
      copied.push(datadir);
      cpSync(join(templateDir, "data"), datadir, { recursive: true });
      // MySQL's server_uuid, made at first start; replication refuses a source with the replica's own.
      if (flavor === "mysql") rmSync(join(datadir, "auto.cnf"), { force: true });
    }
  } catch (error) {
    for (const datadir of copied) rmSync(datadir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(templateDir, { recursive: true, force: true });
  }
}

/**
 * Starts a primary and `replicas` replicas as sandboxes in subfolders of `dir`, all on 127.0.0.1,
 * with asynchronous GTID replication, and returns when every replica runs both threads, has
 * caught up with the primary and refuses writes. On failure or interruption every server started
 * is stopped.
 */
export async function startReplicaTopology(options: {
  dir: string;
  replicas: number;
  sizing: SandboxSizing;
  log: (line: string) => void;
  settings?: ReplicationOptions;
}): Promise<ReplicaTopology> {
  const count = options.replicas;
  if (!Number.isInteger(count) || count < 1 || count > MAX_REPLICAS) {
    throw new UsageError(`replication topology: replicas must be from 1 to ${MAX_REPLICAS}, not ${count}`);
  }
  const settings = resolveReplicationSettings(options.settings);
  const dir = resolve(options.dir);
  const binary = await findServerBinary();
  const dialect = replicationDialect(binary.flavor, binary.version);
  const memory = topologyMemory(options.sizing, count + 1);
  const common = [
    `--innodb-buffer-pool-size=${memory.bufferPoolBytes}`,
    `--innodb-log-file-size=${memory.logFileBytes}`,
  ];
  const names = Array.from({ length: count }, (_, i) => `replica-${i + 1}`);
  const folders = ["primary", ...names].map((name) => join(dir, name));
  // Reused servers resume from their GTID positions. A new replica next to a reused primary would
  // miss what the primary's purged binary logs held; reused replicas of a new primary hold data it lacks.
  const fresh = folders.filter((folder) => !hasDataDir(folder));
  if (fresh.length > 0 && fresh.length < folders.length) {
    throw new TargetError(
      `replication topology: ${dir} holds servers of an earlier run but not ${fresh.map((f) => f.slice(dir.length + 1)).join(", ")}; use an empty folder`,
    );
  }
  const startMs = Date.now();

  let primary: Sandbox | undefined;
  const replicas = new Map<string, Sandbox>();
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    removeCleanup();
    // Replicas first: a replica whose primary went away fills its log with reconnect attempts.
    await Promise.allSettled([...replicas.values()].map((r) => r.stop()));
    await primary?.stop();
  };
  const removeCleanup = addCleanup(stopAll);
  const logAs = (name: string) => (line: string) => options.log(`${name}: ${line}`);

  try {
    if (fresh.length > 0)
      await seedDataDirs(dir, folders, options.sizing, common, binary.flavor, logAs("template"));
    const primaryDir = join(dir, "primary");
    primary = await Sandbox.start({
      dir: primaryDir,
      sizing: options.sizing,
      log: logAs("primary"),
      extraArgs: [
        ...common,
        "--server-id=1",
        // After the sandbox's --skip-log-bin, so it turns the binary log back on.
        `--log-bin=${join(primaryDir, "binlog")}`,
        "--binlog-format=ROW",
        `--sync-binlog=${settings.primary.syncBinlog}`,
        `--innodb-flush-log-at-trx-commit=${settings.primary.flushLogAtTrxCommit}`,
        ...dialect.primaryArgs,
      ],
    });
    const sharedPassword = primary.target.password;
    const started = primary;

    await eachLimited(names, START_CONCURRENCY, async (name) => {
      const replicaDir = join(dir, name);
      // One benchmark password on every server: the primary's own account statements reach the
      // replicas through its binary log, and would otherwise overwrite their passwords. A sandbox
      // keeps its password in credentials.json and takes the one it finds there.
      mkdirSync(replicaDir, { recursive: true });
      writeFileSync(
        join(replicaDir, "credentials.json"),
        JSON.stringify({ user: BENCH_USER, password: sharedPassword }),
        { mode: 0o600 },
      );
      const serverId = names.indexOf(name) + 2;
      const sandbox = await Sandbox.start({
        dir: replicaDir,
        sizing: options.sizing,
        log: logAs(name),
        extraArgs: [
          ...common,
          `--server-id=${serverId}`,
          "--read-only=ON",
          `--relay-log=${join(replicaDir, "relay")}`,
          `--sync-binlog=${settings.replicas.syncBinlog}`,
          `--innodb-flush-log-at-trx-commit=${settings.replicas.flushLogAtTrxCommit}`,
          ...(settings.replicaBinlog
            ? [`--log-bin=${join(replicaDir, "binlog")}`, "--binlog-format=ROW"]
            : []),
          ...dialect.replicaArgs(settings),
        ],
      });
      replicas.set(name, sandbox);
      if (sandbox.target.password !== sharedPassword) {
        throw new TargetError(
          `replication topology: ${name} did not take the shared password from credentials.json`,
        );
      }
    });

    const replPassword = randomBytes(18).toString("base64url");
    const secrets = [replPassword, sharedPassword];
    await withAdmin(started.target, async (primaryConn) => {
      // The replication account exists on the primary only: replicas never serve replicas here.
      await primaryConn.query("SET SESSION sql_log_bin = 0");
      await primaryConn.query(`CREATE USER IF NOT EXISTS '${REPL_USER}'@'127.0.0.1' IDENTIFIED BY ?`, [
        replPassword,
      ]);
      await primaryConn.query(`ALTER USER '${REPL_USER}'@'127.0.0.1' IDENTIFIED BY ?`, [replPassword]);
      await primaryConn.query(`GRANT REPLICATION SLAVE ON *.* TO '${REPL_USER}'@'127.0.0.1'`);
      await primaryConn.query("SET SESSION sql_log_bin = 1");

      await eachLimited([...replicas.entries()], SETUP_CONCURRENCY, ([name, replica]) =>
        withAdmin(replica.target, async (conn) => {
          try {
            await conn.query(dialect.changeSource("127.0.0.1", started.target.port), [replPassword]);
            await conn.query(dialect.start);
            await waitRunning(conn, name, secrets);
          } catch (error) {
            throw asTargetError(error, `replication topology: ${name}`, secrets);
          }
        }),
      );

      const [rows] = await primaryConn.query(dialect.primaryPosition);
      const position = String((rows as { pos: string }[])[0]?.pos ?? "");
      await eachLimited([...replicas.entries()], SETUP_CONCURRENCY, ([name, replica]) =>
        withAdmin(replica.target, async (conn) => {
          try {
            const [waited] = await conn.query(dialect.waitForPosition, [position, CATCH_UP_TIMEOUT_S]);
            if (Number((waited as { w: unknown }[])[0]?.w) !== 0) {
              throw new TargetError(
                `replication topology: ${name} did not catch up with the primary within ${CATCH_UP_TIMEOUT_S} s`,
              );
            }
            // Only now: the primary's sandbox ran GRANT ALL at its start, and applying that from the
            // binary log would give back what the lock takes away.
            await conn.query(dialect.rotateRelayLogs);
            await conn.query("SET SESSION sql_log_bin = 0");
            for (const sql of dialect.lockReplica) await conn.query(sql);
          } catch (error) {
            throw asTargetError(error, `replication topology: ${name}`, secrets);
          }
        }),
      );
      await purgeOldBinlogs(primaryConn, logAs("primary"));
    });

    const applied = await readApplied(started, [...replicas.values()], dialect, binary.version, memory);
    checkApplied(applied, settings, count);
    const topology: ReplicaTopology = {
      dir,
      primary: started.target,
      replicas: names.map((name) => ({ name, target: (replicas.get(name) as Sandbox).target })),
      settings: applied,
      startupMs: Date.now() - startMs,
      stop: stopAll,
    };
    options.log(
      `topology: primary and ${count} replica${count === 1 ? "" : "s"} replicating in ${topology.startupMs} ms (${applied.gtid}, ${applied.parallelApplyThreads} apply threads)`,
    );
    return topology;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function asTargetError(error: unknown, prefix: string, secrets: string[]): Error {
  if (error instanceof TargetError) return error;
  return new TargetError(`${prefix}: ${redactText((error as Error).message ?? String(error), secrets)}`);
}

/** Polls until both threads say Yes; fails at once when one stopped, with the replica's own error. */
async function waitRunning(conn: AdminConnection, name: string, secrets: string[]): Promise<ReplicaStatus> {
  const startMs = Date.now();
  let last: ReplicaStatus | undefined;
  while (Date.now() - startMs < RUNNING_TIMEOUT_MS) {
    [last] = await checkReplication(conn);
    if (last?.ioRunning && last.sqlRunning) return last;
    if (last && (last.ioThread === "No" || last.sqlThread === "No")) break;
    // The IO thread retries a refused connection every second for days: a few retries tell.
    if (last?.lastIoError && Date.now() - startMs > CONNECT_ERROR_GRACE_MS) break;
    await sleep(POLL_MS);
  }
  const error = last?.lastIoError || last?.lastSqlError || "no error reported";
  throw new TargetError(
    `replication topology: ${name} is not replicating (IO thread ${last?.ioThread ?? "?"}, SQL thread ${last?.sqlThread ?? "?"}): ${redactText(error, secrets)}`,
  );
}

/**
 * Drops the binary logs every replica has applied. The sandbox creates its user after the server
 * starts, so with the binary log on, MariaDB logs that statement with the password in clear text;
 * the replicas' relay logs, rotated above, are purged by the server once applied.
 */
async function purgeOldBinlogs(conn: AdminConnection, log: (line: string) => void): Promise<void> {
  await conn.query("FLUSH BINARY LOGS");
  for (let attempt = 0; attempt < 20; attempt++) {
    const [rows] = await conn.query("SHOW BINARY LOGS");
    const logs = rows as { Log_name: string }[];
    const newest = logs.at(-1)?.Log_name;
    if (!newest || logs.length === 1) return;
    // A file a replica still reads is kept (with a warning); the next attempt gets it.
    await conn.query("PURGE BINARY LOGS TO ?", [newest]);
    await sleep(POLL_MS);
  }
  log("topology: older binary logs are still in use by a replica and were kept");
}

async function readApplied(
  primary: Sandbox,
  replicas: Sandbox[],
  dialect: ReplicationDialect,
  version: string,
  memory: TopologyMemory,
): Promise<AppliedTopologySettings> {
  const names = [
    "server_id",
    "log_bin",
    "binlog_format",
    "sync_binlog",
    "innodb_flush_log_at_trx_commit",
    "read_only",
    "super_read_only",
    "innodb_buffer_pool_size",
    "innodb_log_file_size",
    ...dialect.variables.parallelThreads,
    ...dialect.variables.parallelMode,
    ...dialect.variables.replicaUpdates,
  ];
  const read = (sandbox: Sandbox) => withAdmin(sandbox.target, (conn) => variables(conn, names));
  const p = await read(primary);
  const rs = await Promise.all(replicas.map(read));
  const r = rs[0] ?? {};
  const first = (vars: Record<string, string>, candidates: string[]) =>
    candidates.map((n) => vars[n]).find((v) => v !== undefined);
  const differing = (name: string) => new Set(rs.map((v) => v[name])).size > 1;
  for (const name of names.filter((n) => n !== "server_id")) {
    if (differing(name)) throw new TargetError(`replication topology: replicas disagree on ${name}`);
  }
  return {
    flavor: dialect.flavor,
    version,
    gtid: dialect.gtid,
    binlogFormat: p.binlog_format ?? "",
    parallelApplyThreads: Number(first(r, dialect.variables.parallelThreads) ?? 0),
    parallelMode: first(r, dialect.variables.parallelMode) ?? null,
    bufferPoolBytes: Number(p.innodb_buffer_pool_size ?? memory.bufferPoolBytes),
    logFileBytes: Number(p.innodb_log_file_size ?? memory.logFileBytes),
    primary: {
      serverId: Number(p.server_id),
      logBin: isOn(p.log_bin),
      syncBinlog: Number(p.sync_binlog),
      flushLogAtTrxCommit: Number(p.innodb_flush_log_at_trx_commit) as FlushLogAtTrxCommit,
    },
    replicas: {
      serverIds: rs.map((v) => Number(v.server_id)),
      logBin: isOn(r.log_bin),
      logReplicaUpdates: isOn(first(r, dialect.variables.replicaUpdates)),
      readOnly: isOn(r.read_only),
      superReadOnly: r.super_read_only === undefined ? null : isOn(r.super_read_only),
      syncBinlog: Number(r.sync_binlog),
      flushLogAtTrxCommit: Number(r.innodb_flush_log_at_trx_commit) as FlushLogAtTrxCommit,
    },
  };
}

/** A setting the server did not take (an option spelt for another version, say) fails the start. */
function checkApplied(applied: AppliedTopologySettings, wanted: ReplicationSettings, count: number): void {
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) problems.push(`${what} is ${actual}, not ${expected}`);
  };
  expect("primary log_bin", applied.primary.logBin, true);
  expect("binlog_format", applied.binlogFormat, "ROW");
  expect("primary sync_binlog", applied.primary.syncBinlog, wanted.primary.syncBinlog);
  expect(
    "primary innodb_flush_log_at_trx_commit",
    applied.primary.flushLogAtTrxCommit,
    wanted.primary.flushLogAtTrxCommit,
  );
  expect("replica sync_binlog", applied.replicas.syncBinlog, wanted.replicas.syncBinlog);
  expect(
    "replica innodb_flush_log_at_trx_commit",
    applied.replicas.flushLogAtTrxCommit,
    wanted.replicas.flushLogAtTrxCommit,
  );
  expect("replica log_bin", applied.replicas.logBin, wanted.replicaBinlog);
  if (wanted.replicaBinlog) expect("replica log_slave_updates", applied.replicas.logReplicaUpdates, true);
  expect("replica read_only", applied.replicas.readOnly, true);
  if (applied.flavor === "mysql") expect("replica super_read_only", applied.replicas.superReadOnly, true);
  expect("parallel apply threads", applied.parallelApplyThreads, wanted.parallelApplyThreads);
  if (applied.flavor === "mariadb") expect("slave_parallel_mode", applied.parallelMode, wanted.parallelMode);
  if (applied.flavor === "mysql" && wanted.parallelApplyThreads > 0 && applied.parallelMode !== null)
    expect("replica_parallel_type", applied.parallelMode, "LOGICAL_CLOCK");
  const ids = new Set([applied.primary.serverId, ...applied.replicas.serverIds]);
  expect("distinct server ids", ids.size, count + 1);
  if (problems.length > 0) throw new TargetError(`replication topology: ${problems.join("; ")}`);
}
