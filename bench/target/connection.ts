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

export type AdminConnection = mysql.Connection;

/** Error code of a mysql2 error: the server's numeric code when there is one, else the client's code. */
export function errorCode(error: unknown): string {
  const e = error as { errno?: number; code?: string; sqlState?: string };
  if (typeof e.errno === "number" && e.errno > 0 && e.sqlState) return String(e.errno);
  if (typeof e.code === "string") return e.code;
  if (typeof e.errno === "number") return String(e.errno);
  return "unknown";
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
export async function openAdminConnection(spec: TargetSpec, withDatabase = true): Promise<AdminConnection> {
  try {
    const conn = await mysql.createConnection(connectionOptions(spec, withDatabase));
    const host = identityToVerify(spec);
    if (host)
      verifyPeerIdentity((conn as unknown as { connection: { stream: unknown } }).connection.stream, host);
    return conn;
  } catch (error) {
    if (error instanceof TargetError) throw error;
    const message = (error as Error).message || errorCode(error);
    throw new TargetError(
      `cannot connect to ${spec.displayUrl}: ${redactText(message, [spec.password])} (${errorCode(error)})`,
    );
  }
}
