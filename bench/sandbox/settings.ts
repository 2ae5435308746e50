import { totalmem } from "node:os";
import { PREPARED_STATEMENTS_MARGIN } from "../target/preflight.js";
import { TargetError } from "../util/errors.js";

/** Rough on-disk and in-memory size of one sbtest row with its two indexes, in bytes. */
export const BYTES_PER_ROW = 320;
const MIB = 1024 * 1024;

export interface SandboxSizing {
  /** Connections the scenarios open at once (all clients of the largest scenario). */
  connections: number;
  tables: number;
  tableSize: number;
  /** Binary protocol: statements the load's connections hold prepared at once (each connection its own). */
  preparedStatements?: number;
}

/**
 * How the server serves connections: a thread pool (MariaDB's pool-of-threads), or a thread for each
 * connection, what MySQL Community, RDS and most servers people own do.
 */
export type ThreadHandling = "pool-of-threads" | "one-thread-per-connection";

/**
 * Server settings for a sandbox sized to the run: room for every connection plus a margin,
 * a buffer pool that holds the dataset (as AWS's 4.5 GB fit the r3.8xlarge's memory), and a
 * redo log large enough not to throttle writes (hackmysql: 128 MB vs 1 GB moved writes/s 4x).
 */
export function sandboxSettings(
  sizing: SandboxSizing,
  flavor: "mariadb" | "mysql" = "mariadb",
  /** Unset: the flavor's usual choice (below). */
  choices: { threadHandling?: ThreadHandling } = {},
): Record<string, string> {
  const datasetBytes = sizing.tables * sizing.tableSize * BYTES_PER_ROW;
  const poolCeiling = Math.floor((totalmem() * 0.4) / MIB) * MIB;
  const poolBytes = Math.max(
    256 * MIB,
    Math.min(poolCeiling, Math.ceil((datasetBytes * 1.5) / (128 * MIB)) * 128 * MIB),
  );
  const maxConnections = sizing.connections + 64;
  return {
    "max-connections": String(maxConnections),
    // The server's default, room for 8 a connection, or the binary protocol's statements and a margin.
    "max-prepared-stmt-count": String(
      Math.max(16_382, maxConnections * 8, (sizing.preparedStatements ?? 0) + PREPARED_STATEMENTS_MARGIN),
    ),
    "innodb-buffer-pool-size": String(poolBytes),
    "innodb-log-file-size": String(1024 * MIB),
    "innodb-flush-log-at-trx-commit": "1",
    "table-open-cache": String(Math.max(2000, sizing.tables * 4)),
    "open-files-limit": String(Math.max(8192, maxConnections * 2 + sizing.tables * 4)),
    "back-log": String(Math.min(4096, Math.max(128, sizing.connections))),
    "thread-cache-size": String(Math.min(16_384, maxConnections)),
    "max-allowed-packet": String(64 * MIB),
    "performance-schema": "OFF",
    "skip-name-resolve": "ON",
    "skip-log-bin": "ON",
    ...threadHandlingSetting(flavor, choices.threadHandling),
  };
}

/**
 * The thread-handling option, set once. Unset, MariaDB gets its thread pool: thousands of
 * connections on a few cores otherwise mean thousands of runnable server threads, which starve
 * everything else on the machine, the load generator included (measured on 2 cores at 1,000
 * connections: 32K -> 46K reads/s, client event loop 100% -> 39% busy); MySQL keeps its default,
 * one thread per connection. MySQL Community has no thread pool to ask for.
 */
function threadHandlingSetting(
  flavor: "mariadb" | "mysql",
  asked: ThreadHandling | undefined,
): Record<string, string> {
  if (asked === undefined) return flavor === "mariadb" ? { "thread-handling": "pool-of-threads" } : {};
  if (asked === "pool-of-threads" && flavor !== "mariadb") {
    throw new TargetError("sandbox: MySQL Community has no thread pool (thread_handling=pool-of-threads)");
  }
  return { "thread-handling": asked };
}
