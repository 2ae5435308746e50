import { connect, type Socket } from "node:net";
import mysql, { type Connection, type QueryError } from "mysql2";
import { errorCode } from "../target/connection.js";
import type { BoundSlot, ParamType, PreparedText } from "../workload/prepared.js";
import type { BoundPlan } from "../workload/program.js";
import {
  CLIENT_QUERY_ATTRIBUTES,
  encodeQuery,
  QUIT_PACKET,
  type ReplyOutcome,
  ReplyScanner,
} from "./wire.js";
import { encodeExecute } from "./wire-binary.js";

/**
 * How a reply reaches the closed loop: null code for success, else the error code (the server's
 * number, or the client's code such as PROTOCOL_CONNECTION_LOST); fatal when the connection is gone.
 */
export type ReplyHandler = (code: string | null, rows: number, fatal: boolean, message: string) => void;

/** One connection's statement path: send one statement, get one reply. */
export interface StatementChannel {
  /** SQL text (COM_QUERY). */
  send(sql: string): void;
  /**
   * Binary protocol: executes prepared statement `statement` (an index into WorkloadProgram.prepared)
   * with the values `plan` drew for the transaction's statement `at`.
   */
  execute(statement: number, plan: BoundPlan, at: number): void;
  close(done: () => void): void;
  destroy(): void;
}

/** Binary protocol: what a connection prepared, in WorkloadProgram.prepared order. */
export interface PreparedStatements {
  statements: readonly PreparedText[];
  /** The server's statement id of each; null on the mysql2 path, which keeps its own by SQL text. */
  ids: readonly number[] | null;
}

/** The value a parameter takes from the plan's statement `at`. */
function boundValue(slot: BoundSlot, plan: BoundPlan, at: number): number | string {
  switch (slot) {
    case "id":
      return plan.ids[at] as number;
    case "k":
      return plan.ks[at] as number;
    case "c":
      return plan.cs[at] as string;
    case "pad":
      return plan.pads[at] as string;
  }
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

/** Events mysql2 listens to on its socket. */
const MYSQL2_SOCKET_EVENTS = ["data", "end", "close", "error", "timeout", "connect"] as const;

/**
 * Takes a connection's socket from mysql2 once it has connected, authenticated and (if asked) set up
 * TLS: every read goes to `feed` from now on. Called again by the next owner (preparing the binary
 * protocol's statements, then the lean channel), each taking the socket from the one before.
 */
export function takeOverSocket(
  conn: Connection,
  shared: SharedReadSocket | undefined,
  feed: (chunk: Buffer) => void,
): Socket {
  const socket = (conn as unknown as Mysql2Internals).stream;
  // mysql2 is done with this connection: its listeners go, so nothing of it stays reachable
  // (about 30 KB a connection) and its parser never sees a reply.
  for (const event of MYSQL2_SOCKET_EVENTS) socket.removeAllListeners(event);
  // After TLS, mysql2's stream is a TLS socket over ours: read it as a stream then.
  if (shared && shared.socket === socket) shared.takeOver(feed);
  else socket.on("data", feed);
  return socket;
}

/** Whether the connection negotiated query attributes (MySQL 8.0.23+): commands then carry an attribute count. */
export function negotiatedQueryAttributes(conn: Connection): boolean {
  const internals = conn as unknown as Mysql2Internals;
  return (internals.config.clientFlags & internals.serverCapabilityFlags & CLIENT_QUERY_ATTRIBUTES) !== 0;
}

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
  // Binary protocol, by prepared statement: server id, parameter slots and types, and whether its
  // parameter types went with an execution already (the server keeps them after the first).
  private readonly statementIds: readonly number[];
  private readonly slots: BoundSlot[][];
  private readonly types: ParamType[][];
  private readonly typesSent: Uint8Array;
  /** One execution's values, reused. */
  private readonly values: (number | string)[] = [];

  constructor(
    conn: Connection,
    private readonly onReply: ReplyHandler,
    shared?: SharedReadSocket,
    prepared?: PreparedStatements,
  ) {
    this.queryAttributes = negotiatedQueryAttributes(conn);
    const statements = prepared?.statements ?? [];
    this.statementIds = prepared?.ids ?? [];
    this.slots = statements.map((s) => s.params.map((p) => p.slot));
    this.types = statements.map((s) => s.params.map((p) => p.type));
    this.typesSent = new Uint8Array(statements.length);
    this.scanner = new ReplyScanner((outcome: ReplyOutcome) => {
      // A packet nobody asked for (MySQL 8.0.24+ sends ERR 4031 before closing an idle connection)
      // is not the answer to a statement.
      if (!this.awaiting) return;
      this.awaiting = false;
      if (outcome.errorCode === 0) this.onReply(null, outcome.rows, false, "");
      else this.onReply(String(outcome.errorCode), 0, false, outcome.message);
    });
    this.socket = takeOverSocket(conn, shared, (chunk) => this.scanner.feed(chunk));
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
    this.write(buffer, length);
  }

  execute(statement: number, plan: BoundPlan, at: number): void {
    if (this.closed) {
      queueMicrotask(() => this.onReply(LOST, 0, true, "connection lost"));
      return;
    }
    const slots = this.slots[statement] as BoundSlot[];
    const values = this.values;
    for (let i = 0; i < slots.length; i++) values[i] = boundValue(slots[i] as BoundSlot, plan, at);
    const sendTypes = this.typesSent[statement] === 0;
    this.typesSent[statement] = 1;
    const { buffer, length } = encodeExecute(
      this.buffer,
      this.statementIds[statement] as number,
      this.types[statement] as ParamType[],
      values,
      sendTypes,
      this.queryAttributes,
    );
    this.write(buffer, length);
  }

  /** The previous write has completed (its reply came), so the one buffer is reused. */
  private write(buffer: Buffer, length: number): void {
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

/**
 * mysql2's own query path (callback API, rows as arrays): kept to compare against and as a fallback.
 * Binary protocol: execute(), on statements prepared when the connection opened (mysql2 keeps them
 * by their SQL text), integers typed as MYSQL_TYPE_LONGLONG as on the lean path.
 */
export class Mysql2Channel implements StatementChannel {
  private readonly callback: (error: QueryError | null, result: unknown) => void;

  constructor(
    private readonly conn: Connection,
    onReply: ReplyHandler,
    private readonly statements: readonly PreparedText[] = [],
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

  execute(statement: number, plan: BoundPlan, at: number): void {
    const { sql, params } = this.statements[statement] as PreparedText;
    const values = params.map((param) => {
      const value = boundValue(param.slot, plan, at);
      return param.type === "int" ? mysql.TypedParameter.LONGLONG(value) : value;
    });
    this.conn.execute(sql, values, this.callback);
  }

  close(done: () => void): void {
    this.conn.end(() => done());
  }

  destroy(): void {
    this.conn.destroy();
  }
}
