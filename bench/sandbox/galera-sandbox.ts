import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TargetSpec } from "../target/url.js";
import { findServerBinary } from "./find.js";
import { type GaleraCluster, startGaleraCluster } from "./galera.js";
import { defaultSandboxDir } from "./server.js";
import type { SandboxSizing } from "./settings.js";

/** A Galera cluster started for a run, with the URL that names every node (the load fails over along it). */
export interface GaleraSandbox {
  cluster: GaleraCluster;
  /** Every node as one host list, the first node first. */
  target: TargetSpec;
  /** result.json's environment.target.sandbox. */
  describe(): GaleraSandboxDescription;
  /** Stops every node and removes the cluster's folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface GaleraSandboxDescription {
  binary: string;
  flavor: string;
  version: string;
  dir: string;
  port: number;
  settings: Record<string, string>;
  reusedDatadir: boolean;
  sharesMachineWithClient: boolean;
  engine: "galera";
  nodes: { name: string; port: number }[];
}

/** The cluster's nodes as one target: mysql://bench:***@127.0.0.1:P1,127.0.0.1:P2,.../sbtest. */
export function clusterTarget(cluster: Pick<GaleraCluster, "nodes">): TargetSpec {
  const first = cluster.nodes[0]?.target;
  if (!first) throw new Error("a Galera cluster with no node");
  const hosts = cluster.nodes.map((node) => ({ host: node.target.host, port: node.target.port }));
  const list = hosts.map((h) => `${h.host}:${h.port}`).join(",");
  return { ...first, hosts, displayUrl: `mysql://${first.user}:***@${list}/${first.database}` };
}

/**
 * Starts a cluster of `nodes` in a new folder (under --sandbox-dir, else beside the sandbox's cache
 * folder). Galera nodes do not reuse an earlier cluster's data, so every run loads its dataset.
 */
export async function startGaleraSandbox(options: {
  nodes: number;
  sizing: SandboxSizing;
  parentDir?: string;
  log: (line: string) => void;
}): Promise<GaleraSandbox> {
  const parent = options.parentDir ?? dirname(defaultSandboxDir(await findServerBinary()));
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `galera-${options.nodes}-`));
  let cluster: GaleraCluster;
  try {
    cluster = await startGaleraCluster({
      dir,
      nodes: options.nodes,
      sizing: options.sizing,
      log: (line) => options.log(`galera ${line}`),
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  const first = cluster.nodes[0];
  return {
    cluster,
    target: clusterTarget(cluster),
    describe: () => ({
      binary: first?.sandbox.info.binary ?? "",
      flavor: first?.sandbox.info.flavor ?? "mariadb",
      version: cluster.settings.version,
      dir,
      port: first?.target.port ?? 0,
      settings: {
        ...(first?.sandbox.info.settings ?? {}),
        "wsrep-provider-version": cluster.settings.providerVersion,
        "wsrep-sst-method": cluster.settings.sstMethod,
        "wsrep-slave-threads": String(cluster.settings.applierThreads),
        "gcache-size": String(cluster.settings.gcacheBytes),
      },
      reusedDatadir: false,
      sharesMachineWithClient: true,
      engine: "galera",
      nodes: cluster.nodes.map((node) => ({ name: node.name, port: node.target.port })),
    }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
