import { connect, type Socket } from "node:net";
import type { Connection, QueryError } from "mysql2";
import { errorCode } from "../target/connection.js";
import {
  CLIENT_QUERY_ATTRIBUTES,
  encodeQuery,
  QUIT_PACKET,
  type ReplyOutcome,
  ReplyScanner,
} from "./wire.js";

/**
 * How a reply reaches the closed loop: null code for success, else the error code (the server's
 * number, or the client's code such as PROTOCOL_CONNECTION_LOST); fatal when the connection is gone.
 */
export type ReplyHandler = (code: string | null, rows: number, fatal: boolean, message: string) => void;

/** One connection's statement path: send one statement, get one reply. */
export interface StatementChannel {
  send(sql: string): void;
  close(done: () => void): void;
  destroy(): void;
}

/**
 * A plain TCP socket whose reads land in one buffer shared by all of a worker's sockets (Node's
 * `onread`), instead of a new Buffer and a stream event per read. Until the lean channel takes over,
 * reads are copied and handed to mysql2 as ordinary 'data' events for its handshake.
 */
export class SharedReadSocket {
  readonly socket: Socket;
  private feed: ((chunk: Buffer) => void) | null = null;

  constructor(host: string, port: number, sharedBuffer: Buffer) {
    const socket = connect({
      host,
      port,
      onread: {
        buffer: sharedBuffer,
        callback: (bytes: number, buffer: Uint8Array) => {
          const chunk = (buffer as Buffer).subarray(0, bytes);
          // The scanner consumes the bytes before the next read reuses the buffer.
          if (this.feed) this.feed(chunk);
          else socket.emit("data", Buffer.from(chunk));
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    // mysql2 sets no keep-alive on a socket it is given; without it a silent peer hangs a connection.
    socket.setKeepAlive(true, 30_000);
    this.socket = socket;
  }

  /** From now on every read goes straight to `feed`. */
  takeOver(feed: (chunk: Buffer) => void): void {
    this.feed = feed;
  }
}

/** The parts of mysql2's connection the lean path needs; they are not in its typings. */
interface Mysql2Internals {
  stream: Socket;
  serverCapabilityFlags: number;
  config: { clientFlags: number };
}

const LOST = "PROTOCOL_CONNECTION_LOST";

/**
 * The lean path: after mysql2 has connected, authenticated and (if asked) set up TLS, its socket
 * is taken over. Statements are framed into one reused buffer (safe: the next statement is written
 * only after the reply to the last one, so the previous write has completed) and replies are
 * scanned for their outcome without building rows.
 */
export class LeanChannel implements StatementChannel {
  private buffer: Buffer = Buffer.allocUnsafe(1024);
  private readonly socket: Socket;
  private readonly queryAttributes: boolean;
  private readonly scanner: ReplyScanner;
  private awaiting = false;
  private closed = false;

  constructor(
    conn: Connection,
    private readonly onReply: ReplyHandler,
    shared?: SharedReadSocket,
  ) {
    const internals = conn as unknown as Mysql2Internals;
    this.socket = internals.stream;
    this.queryAttributes =
      (internals.config.clientFlags & internals.serverCapabilityFlags & CLIENT_QUERY_ATTRIBUTES) !== 0;
    this.scanner = new ReplyScanner((outcome: ReplyOutcome) => {
      // A packet nobody asked for (MySQL 8.0.24+ sends ERR 4031 before closing an idle connection)
      // is not the answer to a statement.
      if (!this.awaiting) return;
      this.awaiting = false;
      if (outcome.errorCode === 0) this.onReply(null, outcome.rows, false, "");
      else this.onReply(String(outcome.errorCode), 0, false, outcome.message);
    });
    // mysql2 is done with this connection: its listeners go, so nothing of it stays reachable
    // (about 30 KB a connection) and its parser never sees a reply.
    for (const event of ["data", "end", "close", "error", "timeout", "connect"])
      this.socket.removeAllListeners(event);
    // After TLS, mysql2's stream is a TLS socket over ours: read it as a stream then.
    if (shared && shared.socket === this.socket) shared.takeOver((chunk) => this.scanner.feed(chunk));
    else this.socket.on("data", (chunk: Buffer) => this.scanner.feed(chunk));
    const lost = () => {
      if (this.closed) return;
      this.closed = true;
      if (this.awaiting) {
        this.awaiting = false;
        this.scanner.reset();
        this.onReply(LOST, 0, true, "connection lost");
      }
    };
    this.socket.on("close", lost);
    this.socket.on("error", lost);
    // Under TLS mysql2 still listens on the plain socket below and reports its close on the
    // connection object; without a listener there that report would be thrown.
    conn.on("error", lost);
  }

  send(sql: string): void {
    if (this.closed) {
      queueMicrotask(() => this.onReply(LOST, 0, true, "connection lost"));
      return;
    }
    const { buffer, length } = encodeQuery(this.buffer, sql, this.queryAttributes);
    this.buffer = buffer;
    this.awaiting = true;
    this.socket.write(length === buffer.length ? buffer : buffer.subarray(0, length));
  }

  close(done: () => void): void {
    if (this.closed) {
      done();
      return;
    }
    this.closed = true;
    this.socket.once("close", done);
    this.socket.end(QUIT_PACKET);
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** mysql2's own query path (callback API, rows as arrays): kept to compare against and as a fallback. */
export class Mysql2Channel implements StatementChannel {
  private readonly callback: (error: QueryError | null, result: unknown) => void;

  constructor(
    private readonly conn: Connection,
    onReply: ReplyHandler,
  ) {
    this.callback = (error, result) => {
      if (error) {
        onReply(errorCode(error), 0, error.fatal === true, error.message);
        return;
      }
      const rows = Array.isArray(result)
        ? result.length
        : ((result as { affectedRows?: number })?.affectedRows ?? 0);
      onReply(null, rows, false, "");
    };
    conn.on("error", () => {});
  }

  send(sql: string): void {
    this.conn.query(sql, this.callback);
  }

  close(done: () => void): void {
    this.conn.end(() => done());
  }

  destroy(): void {
    this.conn.destroy();
  }
}
