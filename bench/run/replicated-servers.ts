import { join } from "node:path";
import {
  type CatchUpOutcome,
  channelWithoutGtid,
  type ReplicaKind,
  waitForReplicas,
} from "../probe/catch-up.js";
import type { ReplicationResult } from "../result/schema.js";
import { findServerBinary } from "../sandbox/find.js";
import { startGaleraSandbox } from "../sandbox/galera-sandbox.js";
import { defaultSandboxDir } from "../sandbox/server.js";
import { type ReplicaTopology, startReplicaTopology } from "../sandbox/topology.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { openAdminConnection, withAdmin } from "../target/connection.js";
import { readServerFacts, type ServerFacts } from "../target/facts.js";
import { inspectTarget, type TargetInspection } from "../target/inspect.js";
import { assertReplicating } from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { preparedStatementsOf } from "./prepare-check.js";
import type { RunContext } from "./runner.js";

/** How long replicas may take to apply what the primary committed before a step starts. */
const CATCH_UP_TIMEOUT_SEC = 300;

export interface ReplicatedServers {
  primary: TargetSpec;
  replicas: { name: string; target: TargetSpec }[];
  facts: ServerFacts;
  /** Null: one server, no replicas, no lag probe. */
  replication: ReplicationResult | null;
  /** How the replicas follow the primary, which decides how a catch-up is checked. */
  kind: ReplicaKind;
  /** False when a binlog replica follows by file and position: catch-up waits on the position. */
  replicasUseGtid: boolean;
  sandbox: boolean;
  stop: () => Promise<void>;
}

export async function openReplicatedServers(
  scenario: ResolvedScenario,
  ctx: RunContext,
): Promise<ReplicatedServers> {
  const replication = scenario.replication;
  if (!replication) {
    if (!ctx.server) throw new Error(`${scenario.id}: no server to run on`);
    const { target, facts } = ctx.server;
    const sandbox = !!ctx.server.sandbox || !!ctx.server.galera;
    return {
      primary: target,
      replicas: [],
      facts,
      sandbox,
      replication: null,
      kind: "binlog",
      replicasUseGtid: true,
      stop: async () => {},
    };
  }
  if (ctx.settings.target) {
    const primary = ctx.settings.target;
    const replicas = ctx.settings.replicas;
    const checks = await assertReplicating(primary, replicas);
    const { facts, inspection } = await describePrimary(primary);
    const named = replicas.map((target, i) => ({ name: `replica-${i + 1}`, target }));
    ctx.log(
      `replication: ${replicas.length} replica(s) of ${primary.displayUrl} running (${checks.map((c) => `${c.replica} by ${c.checkedBy.join("+") || "host"}`).join(", ")})`,
    );
    return {
      primary,
      replicas: named,
      facts,
      sandbox: false,
      kind: checks[0]?.kind ?? "binlog",
      replicasUseGtid: !checks.some((c) => c.channel && channelWithoutGtid(c.channel.gtid)),
      replication: {
        source: "given",
        primary: primary.displayUrl,
        replicas: named.map((r) => ({ name: r.name, url: r.target.displayUrl })),
        settings: checks.map((c) => ({
          replica: c.replica,
          kind: c.kind,
          checkedBy: c.checkedBy,
          channel: c.channel,
          ...(c.member ? { member: c.member } : {}),
        })),
        startupMs: null,
        inspection,
      },
      stop: async () => {},
    };
  }
  if (ctx.settings.engine === "galera") return openGaleraServers(scenario, ctx, replication.replicas);
  const binary = await findServerBinary();
  const dir = ctx.settings.sandboxDir
    ? join(ctx.settings.sandboxDir, `topology-${replication.replicas}`)
    : `${defaultSandboxDir(binary)}-topology-${replication.replicas}`;
  const topology: ReplicaTopology = await startReplicaTopology({
    dir,
    replicas: replication.replicas,
    sizing: {
      connections: scenario.load.connections + 16,
      tables: scenario.dataset.tables,
      tableSize: scenario.dataset.tableSize,
      preparedStatements: preparedStatementsOf(scenario),
    },
    log: (line) => ctx.log(`sandbox ${line}`),
    settings: {
      ...(replication.parallelApplyThreads !== undefined
        ? { parallelApplyThreads: replication.parallelApplyThreads }
        : {}),
      ...(replication.parallelMode !== undefined ? { parallelMode: replication.parallelMode } : {}),
      ...(replication.replicaBinlog !== undefined ? { replicaBinlog: replication.replicaBinlog } : {}),
      ...(replication.primary ? { primary: replication.primary } : {}),
      ...(replication.replicasDurability ? { replicas: replication.replicasDurability } : {}),
    },
  });
  try {
    const { facts, inspection } = await describePrimary(topology.primary, "mariadb");
    return {
      primary: topology.primary,
      replicas: topology.replicas,
      facts,
      sandbox: true,
      kind: "binlog",
      replicasUseGtid: true,
      replication: {
        source: "sandbox",
        primary: topology.primary.displayUrl,
        replicas: topology.replicas.map((r) => ({ name: r.name, url: r.target.displayUrl })),
        settings: topology.settings,
        startupMs: topology.startupMs,
        inspection,
      },
      stop: () => topology.stop(),
    };
  } catch (error) {
    await topology.stop();
    throw error;
  }
}

/**
 * A Galera sandbox: the load and the heartbeats go to node 1, lag is read on the others. Their
 * figure is visibility by sequence as for binlog replicas, read with wsrep_sync_wait off.
 */
async function openGaleraServers(
  scenario: ResolvedScenario,
  ctx: RunContext,
  replicas: number,
): Promise<ReplicatedServers> {
  const galera = await startGaleraSandbox({
    nodes: 1 + replicas,
    sizing: {
      connections: scenario.load.connections + 16,
      tables: scenario.dataset.tables,
      tableSize: scenario.dataset.tableSize,
      preparedStatements: preparedStatementsOf(scenario),
    },
    ...(ctx.settings.sandboxDir ? { parentDir: ctx.settings.sandboxDir } : {}),
    log: (line) => ctx.log(`sandbox ${line}`),
  });
  try {
    const [first, ...others] = galera.cluster.nodes;
    if (!first) throw new Error("a Galera cluster with no node");
    const named = others.map((node) => ({ name: node.name, target: node.target }));
    const { facts, inspection } = await describePrimary(first.target, "galera");
    return {
      primary: first.target,
      replicas: named,
      facts,
      sandbox: true,
      kind: "galera",
      replicasUseGtid: true,
      replication: {
        source: "sandbox",
        engine: "galera",
        primary: first.target.displayUrl,
        replicas: named.map((r) => ({ name: r.name, url: r.target.displayUrl })),
        settings: { ...galera.cluster.settings, clusterUuid: galera.cluster.clusterUuid },
        startupMs: galera.cluster.startupMs,
        inspection,
      },
      stop: () => galera.stop(),
    };
  } catch (error) {
    await galera.stop();
    throw error;
  }
}

/** The primary's facts and what doctor would say of it, over one connection. */
function describePrimary(
  target: TargetSpec,
  sandbox?: "mariadb" | "galera",
): Promise<{ facts: ServerFacts; inspection: TargetInspection }> {
  return withAdmin(target, async (conn) => {
    const facts = await readServerFacts(conn);
    const inspection = await inspectTarget(conn, {
      database: target.database,
      facts,
      ...(sandbox ? { sandbox } : {}),
    });
    return { facts, inspection };
  });
}

export async function catchUp(
  servers: ReplicatedServers,
  signal: AbortSignal,
): Promise<CatchUpOutcome | null> {
  if (servers.replicas.length === 0) return null;
  const primary = await openAdminConnection(servers.primary, false);
  const replicas = await Promise.all(
    servers.replicas.map(async (r) => ({ name: r.name, conn: await openAdminConnection(r.target, false) })),
  );
  try {
    return await waitForReplicas({
      primary,
      replicas,
      facts: servers.facts,
      kind: servers.kind,
      replicasUseGtid: servers.replicasUseGtid,
      database: servers.primary.database,
      timeoutSec: CATCH_UP_TIMEOUT_SEC,
      signal,
    });
  } finally {
    await Promise.all([primary, ...replicas.map((r) => r.conn)].map((c) => c.end()));
  }
}
