import mysql, { type Connection, type ConnectionOptions } from "mysql2";
import { isUnreachable, verifyPeerIdentity } from "../target/connection.js";
import type { PreparedText } from "../workload/prepared.js";
import { type PreparedStatements, SharedReadSocket } from "./channel.js";
import { nowEpochMs } from "./clock.js";
import { prepareOnSocket, prepareThroughMysql2 } from "./prepare.js";
import type { WorkerInit } from "./protocol.js";

/** Codes of a server that is up but will not take writes: read-only (1290, 1836), Galera not ready (1047). */
const NOT_WRITABLE = new Set(["1047", "1290", "1836"]);

/** One connection, opened and authenticated by mysql2, not yet taken over by a statement channel. */
export interface Opened {
  conn: Connection;
  shared: SharedReadSocket | undefined;
  /** The host it was opened to, as an index into failoverHosts (0 without a host list). */
  hostIndex: number;
  /** Binary protocol: the statements it prepared, and how long that took. */
  prepared?: PreparedStatements & { ms: number };
}

export type ConnectorInit = Pick<WorkerInit, "connection" | "failoverHosts" | "hotPath" | "verifyHost">;

/**
 * Opens a worker's connections. With a host list (failoverHosts) new connections go to the current
 * host, and move on to the next when it is unreachable or answers that it cannot take writes: a
 * cluster endpoint's failover, done by the client.
 */
export class FailoverConnector {
  /** The host new connections go to, as an index into failoverHosts. */
  private currentHost = 0;
  /** One read buffer for all of this worker's sockets: replies are scanned as soon as they are read. */
  private readonly sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly init: ConnectorInit,
    /** Binary protocol: what every connection prepares once open, before it takes load. */
    private readonly statements: readonly PreparedText[] = [],
  ) {}

  /** The error `code` says the host takes no writes, and there is a host list to move along. */
  refusesWrites(code: string): boolean {
    return this.init.failoverHosts !== undefined && NOT_WRITABLE.has(code);
  }

  /** The host at `index` failed: new connections go to the next one (once per failure of that host). */
  moveOnFrom(index: number): void {
    const hosts = this.init.failoverHosts;
    if (!hosts || hosts.length < 2 || index !== this.currentHost) return;
    this.currentHost = (this.currentHost + 1) % hosts.length;
  }

  /**
   * Opens a connection at the start of the run: with a host list, an unreachable host hands it on
   * to the next, each host tried once.
   */
  async openAtStart(): Promise<Opened> {
    const tries = Math.max(1, this.init.failoverHosts?.length ?? 1);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.open();
      } catch (error) {
        if (attempt >= tries || !isUnreachable(error)) throw error;
      }
    }
  }

  /**
   * Opens one connection to the current host through mysql2 (handshake, authentication, TLS) and,
   * with the binary protocol, prepares the workload's statements on it: a reopened connection
   * prepares them again, as its statements went with the connection that was lost.
   */
  open(): Promise<Opened> {
    if (this.statements.length === 0) return this.connect();
    return this.connect().then(async (opened) => {
      const startMs = nowEpochMs();
      try {
        let ids: number[] | null = null;
        if (this.init.hotPath === "lean")
          ids = await prepareOnSocket(opened.conn, opened.shared, this.statements);
        else await prepareThroughMysql2(opened.conn, this.statements);
        return { ...opened, prepared: { statements: this.statements, ids, ms: nowEpochMs() - startMs } };
      } catch (error) {
        opened.conn.destroy();
        throw error;
      }
    });
  }

  private connect(): Promise<Opened> {
    const hostIndex = this.currentHost;
    return new Promise<Opened>((resolve, reject) => {
      const options = this.optionsFor(hostIndex);
      const shared =
        this.init.hotPath === "lean" && typeof options.host === "string" && !options.socketPath
          ? new SharedReadSocket(options.host, options.port ?? 3306, this.sharedReadBuffer)
          : undefined;
      const conn = mysql.createConnection(shared ? { ...options, stream: shared.socket } : options);
      conn.once("error", reject);
      conn.connect((error) => {
        if (error) {
          conn.destroy();
          reject(error);
          return;
        }
        conn.removeListener("error", reject);
        if (this.init.verifyHost) {
          try {
            verifyPeerIdentity((conn as unknown as { stream: unknown }).stream, this.init.verifyHost);
          } catch (failure) {
            conn.destroy();
            reject(failure);
            return;
          }
        }
        resolve({ conn, shared, hostIndex });
      });
    }).catch((error: unknown) => {
      if (isUnreachable(error)) this.moveOnFrom(hostIndex);
      throw error;
    });
  }

  private optionsFor(index: number): ConnectionOptions {
    const host = this.init.failoverHosts?.[index];
    const options = host
      ? { ...this.init.connection, host: host.host, port: host.port }
      : this.init.connection;
    // mysql2 keeps prepared statements in a cache of this size, closing the oldest past it: on its
    // path with the binary protocol, room for every statement, or each execute() prepares again.
    return this.init.hotPath === "mysql2" && this.statements.length > 0
      ? { ...options, maxPreparedStatements: this.statements.length }
      : options;
  }
}
