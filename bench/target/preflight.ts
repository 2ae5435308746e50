import { TargetError, UsageError } from "../util/errors.js";
import { openFilesSoftLimit } from "../util/limits.js";
import type { ServerFacts } from "./facts.js";

/** Connections the harness itself keeps besides the load: the counters', the server sampler's, and a margin. */
export const CONTROL_CONNECTIONS = 3;

/**
 * Prepared statements the harness leaves room for besides the load's: the check of a binary run's
 * statements is closed before the load, but other clients of the server may hold some.
 */
export const PREPARED_STATEMENTS_MARGIN = 64;

/**
 * Checks the server can take the run before any load starts; a clear error instead of a storm of
 * 1040s (too many connections) or 1461s (too many prepared statements: with the binary protocol
 * every connection holds its own, `preparedStatements` in all).
 */
export function preflightServer(
  facts: ServerFacts,
  neededConnections: number,
  displayUrl: string,
  preparedStatements = 0,
): void {
  const n = (value: number) => value.toLocaleString("en-US");
  const maxConnections = Number(facts.variables.max_connections ?? Number.NaN);
  const need = neededConnections + CONTROL_CONNECTIONS;
  if (Number.isFinite(maxConnections) && maxConnections < need) {
    throw new TargetError(
      `${displayUrl}: max_connections is ${n(maxConnections)} but this run needs ${n(need)} (${n(neededConnections)} load + ${CONTROL_CONNECTIONS} control); raise max_connections on the server or lower --connections`,
    );
  }
  const maxUser = Number(facts.variables.max_user_connections ?? 0);
  if (maxUser > 0 && maxUser < need) {
    throw new TargetError(
      `${displayUrl}: max_user_connections is ${n(maxUser)} but this run needs ${n(need)}; raise it or lower --connections`,
    );
  }
  const maxPrepared = Number(facts.variables.max_prepared_stmt_count ?? Number.NaN);
  const needPrepared = preparedStatements + PREPARED_STATEMENTS_MARGIN;
  if (preparedStatements > 0 && Number.isFinite(maxPrepared) && maxPrepared < needPrepared) {
    throw new TargetError(
      `${displayUrl}: max_prepared_stmt_count is ${n(maxPrepared)} but this run's binary protocol prepares ${n(preparedStatements)} statements (each connection its own, one per table for a statement naming {table}) and leaves room for ${PREPARED_STATEMENTS_MARGIN}; raise max_prepared_stmt_count on the server, lower --connections or --tables, or give --protocol text`,
    );
  }
}

/** Each connection is a socket: the client must be allowed that many open files. */
export function preflightClient(neededConnections: number): void {
  const limit = openFilesSoftLimit();
  const need = neededConnections + 256;
  if (limit !== undefined && limit < need) {
    throw new UsageError(
      `client: the open-file limit is ${limit} but ${neededConnections} connections need about ${need}; raise it (ulimit -n ${Math.max(need, 65_536)}) or lower --connections`,
    );
  }
}
