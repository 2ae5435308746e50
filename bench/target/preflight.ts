import { TargetError, UsageError } from "../util/errors.js";
import { openFilesSoftLimit } from "../util/limits.js";
import type { ServerFacts } from "./facts.js";

/** Connections the harness itself keeps besides the load: the counters', the server sampler's, and a margin. */
export const CONTROL_CONNECTIONS = 3;

/** Checks the server can take the run before any load starts; a clear error instead of a storm of 1040s. */
export function preflightServer(facts: ServerFacts, neededConnections: number, displayUrl: string): void {
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
