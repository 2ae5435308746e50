import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, hostname, release, totalmem, type } from "node:os";
import type { Result } from "../result/schema.js";
import { formatBytes } from "../util/format.js";
import { packageRoot } from "../util/paths.js";

const require = createRequire(import.meta.url);

export function toolVersion(): string {
  return (JSON.parse(readFileSync(`${packageRoot()}/package.json`, "utf8")) as { version: string }).version;
}

function driverVersion(): string {
  try {
    return (require("mysql2/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function clientEnvironment(): Result["environment"]["client"] {
  return {
    hostname: hostname(),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    driver: { name: "mysql2", version: driverVersion() },
  };
}

/** "This run" in words, for verdicts: both machines are always named. */
export function describeMeasuredEnvironment(
  client: Result["environment"]["client"],
  target: { flavor: string; version: string; sandbox: boolean; sameMachine: boolean },
  connections: number,
  workers: number,
): string {
  const machine = `${client.hostname} (${client.cpus} CPUs, ${formatBytes(client.memoryBytes)})`;
  const server = target.sandbox
    ? `server ${target.flavor} ${target.version} sandbox on the same machine as the client, sharing its CPUs`
    : target.sameMachine
      ? `server ${target.flavor} ${target.version} on the same machine as the client, sharing its CPUs`
      : `server ${target.flavor} ${target.version}`;
  return `${server}; client ${machine}, one process with ${workers} worker threads, ${connections.toLocaleString("en-US")} connections`;
}
