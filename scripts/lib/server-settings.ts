import type { ThreadHandling } from "../../bench/sandbox/settings.js";
import type { AdminConnection } from "../../bench/target/connection.js";
import { formatBytes } from "../../bench/util/format.js";
import { UsageProblem } from "./options.js";

/**
 * The server settings a side-by-side script can start a sandbox with: MariaDB's thread pool, or one
 * thread per connection (MySQL Community, RDS, most servers people own). Figures differ between them.
 */
export const SERVER_CHOICES = ["pool", "one-thread"] as const;
export type ServerChoice = (typeof SERVER_CHOICES)[number];

/** The sandbox option each choice starts the server with. */
export const THREAD_HANDLING: Record<ServerChoice, ThreadHandling> = {
  pool: "pool-of-threads",
  "one-thread": "one-thread-per-connection",
};

/** Comma-separated server choices (--servers), each once, in the order given. */
export function serverChoices(flag: string, text: string): ServerChoice[] {
  const names = [
    ...new Set(
      text
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== ""),
    ),
  ];
  if (names.length === 0)
    throw new UsageProblem(`${flag}: give at least one of ${SERVER_CHOICES.join(", ")}`);
  for (const name of names) {
    if (!(SERVER_CHOICES as readonly string[]).includes(name)) {
      throw new UsageProblem(`${flag}: '${name}' is not one of ${SERVER_CHOICES.join(", ")}`);
    }
  }
  return names as ServerChoice[];
}

/** The settings a table is titled with, as the server reports them once started. */
export interface ServerSettings {
  threadHandling: string;
  /** null when the server has no such variable (MySQL Community, which has no thread pool). */
  threadPoolSize: number | null;
  innodbBufferPoolBytes: number;
  version: string;
  maxConnections: number;
}

/** One row of `SELECT @@thread_handling AS thread_handling, ...` (numbers may come as text). */
export type SettingsRow = Readonly<Record<string, unknown>>;

function numberIn(row: SettingsRow, name: string): number {
  const value = Number(row[name]);
  if (row[name] === null || row[name] === undefined || !Number.isFinite(value)) {
    throw new Error(`the server reported @@${name} as '${String(row[name])}', not a number`);
  }
  return value;
}

function textIn(row: SettingsRow, name: string): string {
  const value = row[name];
  if (value === null || value === undefined) throw new Error(`the server reported no @@${name}`);
  return String(value);
}

/** The settings of a row the server answered; `poolRow` is absent where it has no thread_pool_size. */
export function serverSettingsFromRow(row: SettingsRow, poolRow?: SettingsRow): ServerSettings {
  return {
    threadHandling: textIn(row, "thread_handling"),
    threadPoolSize: poolRow ? numberIn(poolRow, "thread_pool_size") : null,
    innodbBufferPoolBytes: numberIn(row, "innodb_buffer_pool_size"),
    version: textIn(row, "version"),
    maxConnections: numberIn(row, "max_connections"),
  };
}

/** The server's answer to "no such variable" (@@thread_pool_size on a server without a pool). */
const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;

/** Reads the settings from the server itself: what it runs with, not what it was asked to. */
export async function readServerSettings(conn: AdminConnection): Promise<ServerSettings> {
  const [rows] = await conn.query(
    "SELECT @@thread_handling AS thread_handling, @@innodb_buffer_pool_size AS innodb_buffer_pool_size, " +
      "@@version AS version, @@max_connections AS max_connections",
  );
  const row = (rows as SettingsRow[])[0];
  if (!row) throw new Error("the server answered no row for its settings");
  let poolRow: SettingsRow | undefined;
  try {
    [poolRow] = (await conn.query("SELECT @@thread_pool_size AS thread_pool_size"))[0] as SettingsRow[];
  } catch (error) {
    if ((error as { errno?: number }).errno !== ER_UNKNOWN_SYSTEM_VARIABLE) throw error;
  }
  return serverSettingsFromRow(row, poolRow);
}

/**
 * A table's title: the thread handling first, as it tells the tables apart, then the rest. The pool
 * size is named only with a pool: MariaDB reports one under one-thread-per-connection too, unused.
 */
export function serverTitle(settings: ServerSettings, where: string): string {
  const pooled = settings.threadPoolSize !== null && settings.threadHandling !== "one-thread-per-connection";
  return [
    `thread_handling=${settings.threadHandling}${pooled ? `, thread_pool_size=${settings.threadPoolSize}` : ""}`,
    `version ${settings.version}`,
    `innodb_buffer_pool_size=${formatBytes(settings.innodbBufferPoolBytes)}`,
    `max_connections=${settings.maxConnections.toLocaleString("en-US")}`,
    where,
  ].join("; ");
}
