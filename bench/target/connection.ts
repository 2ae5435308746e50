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
            ...(spec.caPem ? { ca: spec.caPem } : {}),
            ...(spec.tls === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
          },
        }),
  };
}

export type AdminConnection = mysql.Connection;

/** Error code of a mysql2 error: the server's numeric code when there is one, else the client's code. */
export function errorCode(error: unknown): string {
  const e = error as { errno?: number; code?: string; sqlState?: string };
  if (typeof e.errno === "number" && e.errno > 0 && e.sqlState) return String(e.errno);
  if (typeof e.code === "string") return e.code;
  if (typeof e.errno === "number") return String(e.errno);
  return "unknown";
}

/** Opens the control connection; failure is the target being unusable (exit 3), password redacted. */
export async function openAdminConnection(spec: TargetSpec, withDatabase = true): Promise<AdminConnection> {
  try {
    return await mysql.createConnection(connectionOptions(spec, withDatabase));
  } catch (error) {
    const message = (error as Error).message || errorCode(error);
    throw new TargetError(
      `cannot connect to ${spec.displayUrl}: ${redactText(message, [spec.password])} (${errorCode(error)})`,
    );
  }
}
