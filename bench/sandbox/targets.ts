import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TargetSpec } from "../target/url.js";
import { UsageError } from "../util/errors.js";
import { startGaleraCluster } from "./galera.js";
import { Sandbox } from "./server.js";
import { MAX_REPLICAS, startReplicaTopology } from "./topology.js";

/** The sandbox's engine: one MariaDB server (and binlog replicas), or a Galera cluster. */
export type Engine = "mariadb" | "galera";

/** Nodes a Galera sandbox has besides the first when --replicas is not given: 3 nodes keep quorum when one dies. */
export const DEFAULT_GALERA_REPLICAS = 2;

/** Servers started for a look (doctor): a primary, its replicas or cluster nodes, and how to stop them. */
export interface SandboxTargets {
  primary: TargetSpec;
  replicas: TargetSpec[];
  stop(): Promise<void>;
}

const TINY = { connections: 16, tables: 1, tableSize: 100 };

/** --replicas N for a sandbox: 0..MAX_REPLICAS; Galera defaults to 2 (3 nodes keep quorum when one dies). */
export function sandboxReplicaCount(engine: Engine, value: string | undefined): number {
  if (value === undefined) return engine === "galera" ? DEFAULT_GALERA_REPLICAS : 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > MAX_REPLICAS || (engine === "galera" && n < 1)) {
    throw new UsageError(
      `--replicas: '${value}' is not a replica count; give ${engine === "galera" ? 1 : 0} to ${MAX_REPLICAS}`,
    );
  }
  return n;
}

/**
 * Small servers for a look at what the tool sees: one sandbox, a primary with replicas, or a
 * Galera cluster, in a folder of their own (removed afterwards unless given), stopped by stop().
 */
export async function startSandboxTargets(options: {
  engine: Engine;
  replicas: string | undefined;
  dir?: string;
  log: (line: string) => void;
}): Promise<SandboxTargets> {
  const count = sandboxReplicaCount(options.engine, options.replicas);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "rb-doctor-"));
  const removeDir = () => {
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (options.engine === "galera") {
      const cluster = await startGaleraCluster({ dir, nodes: count + 1, sizing: TINY, log: options.log });
      const [first, ...others] = cluster.nodes;
      if (!first) throw new Error("a Galera cluster with no node");
      return {
        primary: first.target,
        replicas: others.map((node) => node.target),
        stop: async () => {
          await cluster.stop();
          removeDir();
        },
      };
    }
    if (count > 0) {
      const topology = await startReplicaTopology({ dir, replicas: count, sizing: TINY, log: options.log });
      return {
        primary: topology.primary,
        replicas: topology.replicas.map((r) => r.target),
        stop: async () => {
          await topology.stop();
          removeDir();
        },
      };
    }
    const sandbox = await Sandbox.start({ dir, sizing: TINY, log: options.log });
    return {
      primary: sandbox.target,
      replicas: [],
      stop: async () => {
        await sandbox.stop();
        removeDir();
      },
    };
  } catch (error) {
    removeDir();
    throw error;
  }
}
