import { isIP } from "node:net";
import { checkServerIdentity, type TLSSocket } from "node:tls";
import type { ConnectionOptions } from "mysql2";
import mysql from "mysql2/promise";
import { TargetError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import type { TargetSpec } from "./url.js";

/**
 * mysql2 options shared by the admin connection and the load connections.
 * maxPreparedStatements is kept tiny: statements go over the text protocol as in sysbench 0.5's
 * oltp.lua, and mysql2 otherwise sizes a 16,000-entry cache per connection (~600 KB each).
 */
export function connectionOptions(spec: TargetSpec, withDatabase = true): ConnectionOptions {
  return {
    host: spec.host,
    port: spec.port,
    user: spec.user,
    password: spec.password,
    ...(withDatabase ? { database: spec.database } : {}),
    connectTimeout: 10_000,
    maxPreparedStatements: 1,
    supportBigNumbers: true,
    ...(spec.tls === "disabled"
      ? {}
      : {
          ssl: {
            rejectUnauthorized: spec.tls !== "required",
            // mysql2 checks the host name only when asked to, and only for names, not IP addresses
            // (verifyPeerIdentity covers those after the handshake).
            verifyIdentity: spec.tls === "verify-identity" && isIP(spec.host) === 0,
            ...(spec.caPem ? { ca: spec.caPem } : {}),
          },
        }),
  };
}

/**
 * The tool's own connections besides the load: control, counters, replication checks, probes. A
 * narrow face over mysql2's connection so that every one of them handles a server that closes it
 * (ERR 4031 on MySQL >= 8.0.24 after wait_timeout, a failover, a proxy's idle timeout): mysql2
 * emits 'error' on an idle connection it loses, and with no listener that ends the process.
 */
export interface AdminConnection {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  /** Closes it politely; a lost connection is just let go. Never rejects. */
  end(): Promise<void>;
  destroy(): void;
  /** The server's id of the current connection (for KILL), or undefined while none is open. */
  readonly threadId: number | undefined;
  /** Why the connection was last lost (server or network), or undefined. */
  readonly lostReason: string | undefined;
  /** How many times it was opened again after a loss. */
  readonly reopened: number;
}

/** Lost-connection errors: mysql2 marks them fatal; a closed socket may also say so by its code. */
export function isConnectionLoss(error: unknown): boolean {
  const e = error as { fatal?: boolean; code?: string };
  return e?.fatal === true || e?.code === "PROTOCOL_CONNECTION_LOST" || e?.code === "ECONNRESET";
}

/**
 * An admin connection that is opened again when it is next needed after the server or the network
 * closed it. The statement that met the loss still fails (its caller decides); the next one runs on
 * a new connection, after the session settings (`SET SESSION ...`) sent so far are sent again.
 */
class ReopeningConnection implements AdminConnection {
  private lost = false;
  private closed = false;
  private readonly sessionSettings: { sql: string; values: unknown[] | undefined }[] = [];
  lostReason: string | undefined;
  reopened = 0;

  constructor(
    private conn: mysql.Connection,
    private readonly spec: TargetSpec,
    private readonly withDatabase: boolean,
    private readonly afterReopen: ((conn: AdminConnection) => Promise<void>) | undefined,
  ) {
    this.watch(conn);
  }

  get threadId(): number | undefined {
    return this.lost || this.closed ? undefined : (this.conn.threadId ?? undefined);
  }

  private watch(conn: mysql.Connection): void {
    conn.on("error", (error: Error) => {
      if (conn !== this.conn) return;
      this.lost = true;
      this.lostReason = redactText(error.message || errorCode(error), [this.spec.password]);
    });
  }

  async query(sql: string, values?: unknown[]): Promise<[unknown, unknown]> {
    if (this.closed) throw new Error("admin connection used after end()");
    if (this.lost) await this.reopen();
    try {
      const result = (await this.conn.query(sql, values)) as unknown as [unknown, unknown];
      if (/^\s*SET\s+SESSION\b/i.test(sql)) this.sessionSettings.push({ sql, values });
      return result;
    } catch (error) {
      if (isConnectionLoss(error)) {
        this.lost = true;
        this.lostReason = redactText((error as Error).message || errorCode(error), [this.spec.password]);
      }
      throw error;
    }
  }

  private async reopen(): Promise<void> {
    const old = this.conn;
    old.destroy();
    const next = await connectAdmin(this.spec, this.withDatabase);
    // Closed while it was reopening: the new connection has no owner left to close it.
    if (this.closed) {
      next.destroy();
      throw new Error("the connection was closed while it was being reopened");
    }
    this.conn = next;
    this.watch(next);
    this.lost = false;
    this.reopened += 1;
    for (const setting of this.sessionSettings) await next.query(setting.sql, setting.values);
    if (this.afterReopen) {
      try {
        await this.afterReopen(this);
      } catch (error) {
        // Not fit for use (the wrong server, say): the next statement opens yet another one.
        this.lost = true;
        this.lostReason = redactText((error as Error).message ?? String(error), [this.spec.password]);
        throw error;
      }
    }
  }

  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.lost) {
      this.conn.destroy();
      return;
    }
    await this.conn.end().catch(() => this.conn.destroy());
  }

  destroy(): void {
    this.closed = true;
    this.conn.destroy();
  }
}

/** Error code of a mysql2 error: the server's numeric code when there is one, else the client's code. */
export function errorCode(error: unknown): string {
  const e = error as { errno?: number; code?: string; sqlState?: string };
  if (typeof e.errno === "number" && e.errno > 0 && e.sqlState) return String(e.errno);
  if (typeof e.code === "string") return e.code;
  if (typeof e.errno === "number") return String(e.errno);
  return "unknown";
}

/**
 * What the load workers connect with: the options, and a host list to fail over along when the
 * URL names several hosts.
 */
export function loadConnection(spec: TargetSpec): {
  connection: ConnectionOptions;
  failoverHosts?: { host: string; port: number }[];
} {
  const hosts = hostsOf(spec);
  return {
    connection: connectionOptions(spec),
    ...(hosts.length > 1 ? { failoverHosts: hosts } : {}),
  };
}

/** The host whose identity must be checked after the handshake: VERIFY_IDENTITY on an IP address. */
export function identityToVerify(spec: TargetSpec): string | undefined {
  return spec.tls === "verify-identity" && isIP(spec.host) !== 0 ? spec.host : undefined;
}

/** Checks the server certificate names `host` (an IP address: mysql2 skips that check for addresses). */
export function verifyPeerIdentity(stream: unknown, host: string): void {
  const socket = stream as Partial<TLSSocket>;
  const certificate = socket.getPeerCertificate?.();
  const error = certificate ? checkServerIdentity(host, certificate) : new Error("no peer certificate");
  if (error) {
    (socket as { destroy?: () => void }).destroy?.();
    throw new TargetError(`TLS: the server certificate does not name ${host}: ${error.message}`);
  }
}

/** Opens the control connection; failure is the target being unusable (exit 3), password redacted. */
/**
 * `afterReopen` runs on each connection opened again after a loss, before the statement that needed
 * it; when it throws, that statement fails with its error. A probe checks there that an endpoint
 * which may route elsewhere (DNS round robin, a proxy) put it back on the same server.
 */
export async function openAdminConnection(
  spec: TargetSpec,
  withDatabase = true,
  afterReopen?: (conn: AdminConnection) => Promise<void>,
): Promise<AdminConnection> {
  return new ReopeningConnection(await connectAdmin(spec, withDatabase), spec, withDatabase, afterReopen);
}

/**
 * Runs `fn` over an admin connection of its own and closes it whatever `fn` did: a connection the
 * server already dropped is destroyed instead, so closing never hides `fn`'s own error.
 */
export async function withAdmin<T>(
  spec: TargetSpec,
  fn: (conn: AdminConnection) => Promise<T>,
  withDatabase = false,
): Promise<T> {
  const conn = await openAdminConnection(spec, withDatabase);
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

/** Errors that say this host does not take connections now: the next of a host list is tried. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNRESET",
  "PROTOCOL_CONNECTION_LOST",
]);

export function isUnreachable(error: unknown): boolean {
  return UNREACHABLE.has(errorCode(error));
}

/** The hosts to try in order: the URL's host list, or its one host. */
export function hostsOf(spec: TargetSpec): { host: string; port: number }[] {
  return spec.hosts && spec.hosts.length > 0 ? spec.hosts : [{ host: spec.host, port: spec.port }];
}

async function connectAdmin(spec: TargetSpec, withDatabase: boolean): Promise<mysql.Connection> {
  const hosts = hostsOf(spec);
  for (const [i, { host, port }] of hosts.entries()) {
    try {
      return await connectOne({ ...spec, host, port }, withDatabase);
    } catch (error) {
      if (error instanceof TargetError) throw error;
      // A host list: an unreachable host passes the connection on to the next, as failover does.
      if (i < hosts.length - 1 && isUnreachable(error)) continue;
      const message = (error as Error).message || errorCode(error);
      const where = hosts.length > 1 ? ` (every host of ${hosts.length} tried)` : "";
      throw new TargetError(
        `cannot connect to ${spec.displayUrl}${where}: ${redactText(message, [spec.password])} (${errorCode(error)})`,
      );
    }
  }
  throw new TargetError(`cannot connect to ${spec.displayUrl}: no host`);
}

async function connectOne(spec: TargetSpec, withDatabase: boolean): Promise<mysql.Connection> {
  const conn = await mysql.createConnection(connectionOptions(spec, withDatabase));
  // Until the wrapper watches it: an error between the handshake and that must not end the process.
  conn.on("error", () => {});
  const host = identityToVerify(spec);
  if (host)
    verifyPeerIdentity((conn as unknown as { connection: { stream: unknown } }).connection.stream, host);
  return conn;
}
