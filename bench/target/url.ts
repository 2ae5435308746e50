import { readFileSync } from "node:fs";
import { UsageError } from "../util/errors.js";

export type TlsMode = "disabled" | "required" | "verify-ca" | "verify-identity";

/**
 * Where and how to connect. Plain data, so it can be sent to worker threads and, without the
 * password, stored in results.
 */
export interface TargetSpec {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  tls: TlsMode;
  /** PEM text of the CA bundle, for verify-ca / verify-identity (read from ssl-ca=FILE). */
  caPem?: string;
  /** The URL as given, password replaced by ***. Safe to print and store. */
  displayUrl: string;
  /**
   * Several hosts (mysql://u:p@host1:3306,host2:3306/db): connections go to the first that takes
   * them and move to the next when it fails, as a cluster endpoint fails over. host and port are
   * the first of them.
   */
  hosts?: HostPort[];
}

export interface HostPort {
  host: string;
  port: number;
}

/** A host list's authority: user info, then hosts separated by commas. */
const MULTI_HOST = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^@/?#]*@)?([^/?#]*,[^/?#]*)(.*)$/s;

/** Splits "h1:3306,[::1]:3307,h3" into hosts; the port defaults to 3306. */
function parseHostList(text: string, flag: string): HostPort[] {
  return text.split(",").map((part) => {
    let parsed: URL;
    try {
      parsed = new URL(`mysql://${part.trim()}`);
    } catch {
      throw new UsageError(`${flag}: host '${part.trim()}' in the host list is not a host or host:port`);
    }
    if (!parsed.hostname || parsed.pathname || parsed.username) {
      throw new UsageError(`${flag}: host '${part.trim()}' in the host list is not a host or host:port`);
    }
    return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: parsed.port ? Number(parsed.port) : 3306 };
  });
}

const TLS_MODES: Record<string, TlsMode> = {
  disabled: "disabled",
  preferred: "required",
  required: "required",
  verify_ca: "verify-ca",
  "verify-ca": "verify-ca",
  verify_identity: "verify-identity",
  "verify-identity": "verify-identity",
};

/**
 * Parses mysql://user:pass@host:port/db?ssl-mode=REQUIRED&ssl-ca=/path/ca.pem. mysqls:// means TLS
 * required. Errors name the flag and never repeat the password.
 */
export function parseTargetUrl(text: string, flag = "--target"): TargetSpec {
  // env:NAME takes the URL from an environment variable, so its password is never on a command line
  // (a pod's arguments, `ps`, the result's command).
  const fromEnv = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  if (fromEnv) {
    const name = fromEnv[1] as string;
    const value = process.env[name];
    if (!value) throw new UsageError(`${flag}: env:${name} names an environment variable that is not set`);
    return parseTargetUrl(value, `${flag} (env:${name})`);
  }
  const multi = MULTI_HOST.exec(text);
  if (multi) {
    const [, scheme = "", auth = "", hostList = "", rest = ""] = multi;
    const hosts = parseHostList(hostList, flag);
    const first = hosts[0] as HostPort;
    const firstHost = first.host.includes(":") ? `[${first.host}]` : first.host;
    const spec = parseTargetUrl(`${scheme}${auth}${firstHost}:${first.port}${rest}`, flag);
    const shown = hosts.map((h) => `${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`).join(",");
    const displayUrl = spec.displayUrl.replace(`${firstHost}:${first.port}`, shown);
    return { ...spec, hosts, displayUrl };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not parsed, so where a password would end is unknown: the text is not repeated at all.
    throw new UsageError(`${flag}: not a valid URL; expected mysql://user:password@host:port/database`);
  }
  const displayUrl = displayFromParsed(url);
  const scheme = url.protocol.replace(/:$/, "");
  if (!["mysql", "mariadb", "mysqls"].includes(scheme)) {
    throw new UsageError(`${flag}: scheme '${scheme}' is not supported; use mysql:// (or mysqls:// for TLS)`);
  }
  if (!url.hostname) throw new UsageError(`${flag}: '${displayUrl}' has no host`);
  const port = url.port ? Number(url.port) : 3306;
  let tls: TlsMode = scheme === "mysqls" ? "required" : "disabled";
  let caPem: string | undefined;
  let explicitlyDisabled = false;
  for (const [key, value] of url.searchParams) {
    const name = key.toLowerCase().replace(/_/g, "-");
    if (name === "ssl-mode" || name === "sslmode") {
      const mode = TLS_MODES[value.toLowerCase()];
      if (!mode) {
        throw new UsageError(
          `${flag}: ssl-mode '${value}' is not one of DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY`,
        );
      }
      tls = mode;
      explicitlyDisabled = mode === "disabled";
    } else if (name === "ssl") {
      tls = ["1", "true", "on", "yes"].includes(value.toLowerCase()) ? "required" : "disabled";
      explicitlyDisabled = tls === "disabled";
    } else if (name === "ssl-ca") {
      try {
        caPem = readFileSync(value, "utf8");
      } catch {
        throw new UsageError(`${flag}: ssl-ca file '${value}' cannot be read`);
      }
    } else {
      throw new UsageError(`${flag}: unknown parameter '${key}'; allowed: ssl-mode, ssl, ssl-ca`);
    }
  }
  // A CA given means it is to be checked, in whichever order the parameters come (as the mysql client
  // does for REQUIRED with --ssl-ca); only an explicit DISABLED turns TLS off.
  if (caPem !== undefined && tls === "required") tls = "verify-ca";
  if (caPem !== undefined && tls === "disabled" && !explicitlyDisabled) tls = "verify-ca";
  const decode = (part: string, what: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new UsageError(
        `${flag}: the ${what} has a '%' that is not followed by two hex digits; write it as %25`,
      );
    }
  };
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port,
    user: decode(url.username || "root", "user"),
    password: decode(url.password, "password"),
    database: decode(url.pathname.replace(/^\//, ""), "database") || "sbtest",
    tls,
    ...(caPem === undefined ? {} : { caPem }),
    displayUrl,
  };
}

/** The URL rebuilt from its parsed parts with the password left out, so nothing of it can leak. */
function displayFromParsed(url: URL): string {
  const user = url.username ? `${url.username}${url.password ? ":***" : ""}@` : "";
  return `${url.protocol}//${user}${url.host}${url.pathname}${url.search}`;
}

export function formatTargetUrl(spec: Omit<TargetSpec, "displayUrl">, showPassword = false): string {
  const auth = spec.password
    ? `${encodeURIComponent(spec.user)}:${showPassword ? encodeURIComponent(spec.password) : "***"}`
    : encodeURIComponent(spec.user);
  const list = spec.hosts && spec.hosts.length > 1 ? spec.hosts : [{ host: spec.host, port: spec.port }];
  const hosts = list.map((h) => `${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`).join(",");
  const query = spec.tls === "disabled" ? "" : `?ssl-mode=${spec.tls.toUpperCase().replace("-", "_")}`;
  return `mysql://${auth}@${hosts}/${spec.database}${query}`;
}
