import { relative } from "node:path";
import { formatDurationMs, parseDurationMs } from "../util/duration.js";
import { UsageError } from "../util/errors.js";
import { SYSBENCH_SPECIAL } from "../workload/random.js";
import type { Claim, LagClaim, Replication, ScenarioFile, Workload } from "./schema.js";

/** What `run` flags can change. Undefined means "as the scenario says". */
export interface Overrides {
  durationMs?: number;
  warmupMs?: number;
  connectionsPerClient?: number;
  clients?: number;
  tables?: number;
  tableSize?: number;
  quick?: boolean;
  /** Open-loop steps, transactions per second (--rates). */
  ratesPerSec?: number[];
  /** Replicas of the sandbox topology (--replicas). */
  replicas?: number;
}

/** The replication a lag scenario runs with, as the topology takes it. */
export interface ResolvedReplication {
  replicas: number;
  parallelApplyThreads?: number;
  parallelMode?: NonNullable<Replication["parallelMode"]>;
  replicaBinlog?: boolean;
  primary?: Replication["primaryDurability"];
  replicasDurability?: Replication["replicaDurability"];
}

/** A scenario with every default filled in and every override applied; stored whole in result.json. */
export interface ResolvedScenario {
  id: string;
  title: string;
  description?: string;
  file: string;
  claim?: Claim;
  /** Replica-lag claims, each checked at its rate. */
  claims?: LagClaim[];
  /** Present: a primary with replicas, the lag probe watching each. */
  replication?: ResolvedReplication;
  dataset: { tables: number; tableSize: number };
  workload: Workload;
  load: {
    clients: number;
    connectionsPerClient: number;
    /** clients x connectionsPerClient: what this process opens. */
    connections: number;
    warmupMs: number;
    /** Per step, for an open-loop scenario. */
    durationMs: number;
    /** Open loop: one step per rate, transactions per second. Absent: closed loop. */
    ratesPerSec?: number[];
  };
  quick: boolean;
  /** Each way this run differs from the method behind the claim, in words. Empty: same shape as the claim. */
  scaled: string[];
  /** Checks for `gate`, as written in the scenario file. */
  thresholds?: string[];
}

function ms(text: string, field: string, file: string): number {
  const value = parseDurationMs(text);
  if (value === undefined) throw new UsageError(`${file}: ${field}: '${text}' is not a duration`);
  return value;
}

export function resolveScenario(
  file: string,
  scenario: ScenarioFile,
  overrides: Overrides = {},
): ResolvedScenario {
  const shown = relative(process.cwd(), file) || file;
  const quick = overrides.quick === true ? (scenario.quick ?? {}) : {};
  const dataset = {
    tables: overrides.tables ?? quick.tables ?? scenario.dataset.tables,
    tableSize: overrides.tableSize ?? quick.tableSize ?? scenario.dataset.tableSize,
  };
  const clients = overrides.clients ?? quick.clients ?? scenario.load.clients;
  const connectionsPerClient =
    overrides.connectionsPerClient ?? quick.connectionsPerClient ?? scenario.load.connectionsPerClient;
  const warmupMs = overrides.warmupMs ?? ms(quick.warmup ?? scenario.load.warmup, "load.warmup", shown);
  const durationMs =
    overrides.durationMs ?? ms(quick.duration ?? scenario.load.duration, "load.duration", shown);
  if (durationMs <= 0) throw new UsageError(`--duration: must be more than 0`);
  // --rates changes fixed-rate scenarios only; a closed-loop scenario stays one.
  const rates = scenario.load.rates
    ? (overrides.ratesPerSec ?? quick.rates ?? scenario.load.rates)
    : undefined;
  const replication = scenario.replication;
  const workload: Workload = {
    ...scenario.workload,
    transaction: scenario.workload.transaction ?? true,
    ...(scenario.workload.distribution === "special"
      ? { special: scenario.workload.special ?? SYSBENCH_SPECIAL }
      : {}),
  };
  const resolved: ResolvedScenario = {
    id: scenario.id,
    title: scenario.title,
    ...(scenario.description ? { description: scenario.description } : {}),
    file: shown,
    ...(scenario.claim ? { claim: scenario.claim } : {}),
    ...(scenario.claims ? { claims: scenario.claims } : {}),
    ...(replication
      ? {
          replication: {
            replicas: overrides.replicas ?? quick.replicas ?? replication.replicas,
            ...(replication.parallelApplyThreads !== undefined
              ? { parallelApplyThreads: replication.parallelApplyThreads }
              : {}),
            ...(replication.parallelMode !== undefined ? { parallelMode: replication.parallelMode } : {}),
            ...(replication.replicaBinlog !== undefined ? { replicaBinlog: replication.replicaBinlog } : {}),
            ...(replication.primaryDurability ? { primary: replication.primaryDurability } : {}),
            ...(replication.replicaDurability ? { replicasDurability: replication.replicaDurability } : {}),
          },
        }
      : {}),
    dataset,
    workload,
    load: {
      clients,
      connectionsPerClient,
      connections: clients * connectionsPerClient,
      warmupMs,
      durationMs,
      ...(rates ? { ratesPerSec: [...rates] } : {}),
    },
    quick: overrides.quick === true,
    scaled: [],
    ...(scenario.thresholds ? { thresholds: [...scenario.thresholds] } : {}),
  };
  resolved.scaled = scalingNotes(resolved);
  return resolved;
}

/** Compares the run's shape with the claim's method; every difference is named. */
export function scalingNotes(scenario: ResolvedScenario): string[] {
  const method = scenario.claim?.method;
  if (!method) return [];
  const notes: string[] = [];
  const n = (value: number) => value.toLocaleString("en-US");
  if (scenario.load.clients !== method.clients)
    notes.push(`clients ${n(scenario.load.clients)} (claim: ${n(method.clients)})`);
  if (scenario.load.connectionsPerClient !== method.connectionsPerClient) {
    notes.push(
      `connections per client ${n(scenario.load.connectionsPerClient)} (claim: ${n(method.connectionsPerClient)})`,
    );
  }
  if (scenario.dataset.tables !== method.tables)
    notes.push(`tables ${n(scenario.dataset.tables)} (claim: ${n(method.tables)})`);
  if (scenario.dataset.tableSize !== method.tableSize) {
    notes.push(`rows per table ${n(scenario.dataset.tableSize)} (claim: ${n(method.tableSize)})`);
  }
  const claimMs = parseDurationMs(method.duration) ?? 0;
  if (scenario.load.durationMs !== claimMs) {
    notes.push(
      `measured for ${formatDurationMs(scenario.load.durationMs)} (claim: ${formatDurationMs(claimMs)})`,
    );
  }
  return notes;
}
