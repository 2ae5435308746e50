import type { Connection, PrepareStatementInfo, QueryError } from "mysql2";
import { errorCode } from "../target/connection.js";
import type { PreparedText } from "../workload/prepared.js";
import { type SharedReadSocket, takeOverSocket } from "./channel.js";
import { encodePrepare, type PrepareOutcome, PrepareScanner } from "./wire-binary.js";

/** A connection's preparation that goes unanswered this long fails, and the connection with it. */
export const PREPARE_TIMEOUT_MS = 30_000;

/** A statement the server would not prepare (or a connection lost while preparing): names the statement. */
export class PrepareError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Prepares that reached the server (it counts them in Com_stmt_prepare, failed ones too). */
    readonly sent: number,
  ) {
    super(message);
  }
}

function refused(statement: PreparedText, code: number | string, message: string, sent: number) {
  return new PrepareError(
    String(code),
    `the server cannot prepare statement ${statement.name} (${statement.sql}): ${message}`,
    sent,
  );
}

/** A ? of the statement's own (in its text) would take a value the workload never binds. */
function paramsMismatch(params: number, statement: PreparedText): string {
  return `it takes ${params} parameters, its template has ${statement.params.length} placeholders for values`;
}

/**
 * The lean path: every statement prepared over the connection's own socket, the COM_STMT_PREPAREs
 * sent at once (the server answers them in order; a reopened connection is back after one round
 * trip, not one per statement). Resolves with the statement ids in `statements` order. The socket
 * is left with the reads going nowhere: the lean channel takes it over next, in the same tick.
 */
export function prepareOnSocket(
  conn: Connection,
  shared: SharedReadSocket | undefined,
  statements: readonly PreparedText[],
): Promise<number[]> {
  return new Promise<number[]>((resolve, reject) => {
    const ids: number[] = [];
    let failure: PrepareError | undefined;
    let settled = false;
    const settle = (error: PrepareError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.removeListener("error", lost);
      if (error) reject(error);
      else resolve(ids);
    };
    const scanner = new PrepareScanner((outcome: PrepareOutcome) => {
      const index = ids.length;
      const statement = statements[index] as PreparedText;
      ids.push(outcome.statementId);
      if (outcome.errorCode !== 0) failure ??= refused(statement, outcome.errorCode, outcome.message, 0);
      else if (outcome.params !== statement.params.length) {
        failure ??= refused(statement, "PARAMS", paramsMismatch(outcome.params, statement), 0);
      }
      if (ids.length === statements.length) {
        settle(failure ? new PrepareError(failure.code, failure.message, statements.length) : undefined);
      }
    });
    const lost = () =>
      settle(new PrepareError("PROTOCOL_CONNECTION_LOST", "connection lost while preparing", ids.length));
    const socket = takeOverSocket(conn, shared, (chunk) => scanner.feed(chunk));
    socket.on("close", lost);
    socket.on("error", lost);
    // Under TLS mysql2 still reports the plain socket's close on the connection object.
    conn.on("error", lost);
    const timer = setTimeout(() => {
      settle(
        new PrepareError("TIMEOUT", `no answer to prepare in ${PREPARE_TIMEOUT_MS / 1000} s`, ids.length),
      );
      socket.destroy();
    }, PREPARE_TIMEOUT_MS);
    socket.write(Buffer.concat(statements.map((statement) => encodePrepare(statement.sql))));
  });
}

/**
 * The mysql2 path: every statement prepared through mysql2, which keeps them by SQL text, so the
 * channel's execute() finds them prepared and does not prepare again.
 */
export async function prepareThroughMysql2(
  conn: Connection,
  statements: readonly PreparedText[],
): Promise<void> {
  let sent = 0;
  // A connection lost meanwhile is reported on the connection too: unheard, it would end the worker.
  const lost = () => {};
  conn.on("error", lost);
  try {
    for (const statement of statements) await prepareOne(conn, statement, ++sent);
  } finally {
    conn.removeListener("error", lost);
  }
}

function prepareOne(conn: Connection, statement: PreparedText, sent: number): Promise<PrepareStatementInfo> {
  return new Promise<PrepareStatementInfo>((resolve, reject) => {
    conn.prepare(statement.sql, (error: QueryError | null, prepared: PrepareStatementInfo) => {
      if (error) reject(refused(statement, errorCode(error), error.message, sent));
      else {
        // Not in mysql2's typings: the parameter definitions the server answered with.
        const params = (prepared as unknown as { parameters: unknown[] }).parameters.length;
        if (params === statement.params.length) resolve(prepared);
        else reject(refused(statement, "PARAMS", paramsMismatch(params, statement), sent));
      }
    });
  });
}
