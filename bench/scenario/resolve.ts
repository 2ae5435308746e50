import { relative } from "node:path";
import { formatDurationMs, parseDurationMs, tooLongToTime } from "../util/duration.js";
import { UsageError } from "../util/errors.js";
import { prepareTemplate } from "../workload/prepared.js";
import { protocolOf, type StatementProtocol } from "../workload/protocol.js";
import { SYSBENCH_SPECIAL } from "../workload/random.js";
import type { Workload } from "../workload/schema.js";
import { compileTemplate, TemplateError } from "../workload/template.js";
import { kindFromFields, type ScenarioKind } from "./kind.js";
import type { Claim, CrashClaim, Fault, LagClaim, Published, Replication, ScenarioFile } from "./schema.js";

type PublishedRow = Published["rows"][number];

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
  /** --client-index: this process runs one client's share of `clients`. */
  clientIndex?: number;
  /** --connections or --table-size given a list: throughput scenarios run once per value. */
  sweep?: ResolvedSweep & { flag: string };
  /** --protocol: text or binary statements, in place of the workload's own. */
  protocol?: StatementProtocol;
}

/** A throughput scenario over a list of values of one parameter, a point per value. */
export interface ResolvedSweep {
  parameter: "connections" | "tableSize";
  values: number[];
  /** Figures published along the sweep (a paper's table), each row matched to the point that stands for it. */
  published?: ResolvedPublished;
}

/** A published row and the point of this run that stands for it. */
export interface ResolvedPublishedRow extends PublishedRow {
  /** The point measured for this row: its own value, or under --quick the quick value in its position; null: no point. */
  pointValue: number | null;
}

/** The published figures of a sweep, with how this run's points were matched to their rows. */
export interface ResolvedPublished extends Omit<Published, "rows"> {
  /**
   * value: each row by the point of its own value (the file's values, or a list given to the flag);
   * position: --quick's n-th value stands for the n-th value of the file's sweep, and so for its row.
   */
  matchedBy: "value" | "position";
  rows: ResolvedPublishedRow[];
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

/** A crash under load: when, how long the before and after windows are, and which caches. */
export interface ResolvedCrash {
  /** Into the measured phase. */
  atMs: number;
  windowMs: number;
  caches: ("warm" | "cold")[];
  claims: CrashClaim[];
}

/** A fault injected during the measured phase (Aurora). */
export interface ResolvedFault {
  kind: Fault["kind"];
  atMs: number;
  forMs: number;
  percent: number;
  minMs?: number;
  maxMs?: number;
  disk?: number;
  node?: number;
  replica?: string;
}

/** A scenario with every default filled in and every override applied; stored whole in result.json. */
export interface ResolvedScenario {
  id: string;
  /** What runs it: the file's `kind`, or the one its fields imply. */
  kind: ScenarioKind;
  title: string;
  description?: string;
  file: string;
  claim?: Claim;
  /** Replica-lag claims, each checked at its rate. */
  claims?: LagClaim[];
  /** Present: a primary with replicas, the lag probe watching each. */
  replication?: ResolvedReplication;
  /** Present: the target is crashed under the load, once per cache. */
  crash?: ResolvedCrash;
  /** Faults injected during the measured phase. */
  faults?: ResolvedFault[];
  /** One client of a split run: this process runs client `index` of `count`. The key stays `shard`: it is stored in result.json as the scenario's config. */
  shard?: { count: number; index: number };
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
  /**
   * A point per value (sweepPoint gives each point's scenario). The scenario's own connections or
   * table size are then the sweep's largest, so servers and checks are sized for every point.
   */
  sweep?: ResolvedSweep;
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
  const sweep = resolveSweep(scenario, overrides, quick.sweep, shown);
  const largest = (parameter: ResolvedSweep["parameter"]) =>
    sweep?.parameter === parameter ? Math.max(...sweep.values) : undefined;
  const dataset = {
    tables: overrides.tables ?? quick.tables ?? scenario.dataset.tables,
    tableSize: largest("tableSize") ?? overrides.tableSize ?? quick.tableSize ?? scenario.dataset.tableSize,
  };
  const clients = overrides.clients ?? quick.clients ?? scenario.load.clients;
  const connectionsPerClient =
    largest("connections") ??
    overrides.connectionsPerClient ??
    quick.connectionsPerClient ??
    scenario.load.connectionsPerClient;
  const warmupMs = overrides.warmupMs ?? ms(quick.warmup ?? scenario.load.warmup, "load.warmup", shown);
  const durationMs =
    overrides.durationMs ?? ms(quick.duration ?? scenario.load.duration, "load.duration", shown);
  if (durationMs <= 0) throw new UsageError(`--duration: must be more than 0`);
  // A scenario file's own lengths are held to what a timer can hold, as the flags are.
  const tooLong = tooLongToTime(
    overrides.durationMs !== undefined ? "--duration" : `${shown}: load.duration + load.warmup`,
    formatDurationMs(warmupMs + durationMs),
    warmupMs + durationMs,
  );
  if (tooLong) throw new UsageError(tooLong);
  if (overrides.clientIndex !== undefined && overrides.clientIndex >= clients) {
    throw new UsageError(
      `--client-index: ${overrides.clientIndex} is not a client of ${scenario.id}'s ${clients} (0 to ${clients - 1}; --clients changes the count)`,
    );
  }
  // --rates changes fixed-rate scenarios only; a closed-loop scenario stays one.
  const rates = scenario.load.rates
    ? (overrides.ratesPerSec ?? quick.rates ?? scenario.load.rates)
    : undefined;
  const replication = scenario.replication;
  const crash = scenario.crash
    ? {
        atMs: ms(quick.crashAt ?? scenario.crash.at, "crash.at", shown),
        windowMs: ms(quick.crashWindow ?? scenario.crash.window, "crash.window", shown),
        caches: [...scenario.crash.caches],
        claims: scenario.crash.claims ?? [],
      }
    : undefined;
  const crashScaled: string[] = [];
  if (crash) {
    // A --duration too short for the file's crash time moves the crash, rather than refusing a
    // whole suite; the result names the change. The file's own values must fit as written.
    const overridden = overrides.durationMs !== undefined;
    if (overridden && crash.atMs + crash.windowMs >= durationMs) {
      const fitted = fitCrash(durationMs, shown);
      crashScaled.push(
        `crash at ${formatDurationMs(fitted.atMs)} with ${formatDurationMs(fitted.windowMs)} windows (the scenario's ${formatDurationMs(crash.atMs)} and ${formatDurationMs(crash.windowMs)} do not fit --duration ${formatDurationMs(durationMs)})`,
      );
      crash.atMs = fitted.atMs;
      crash.windowMs = fitted.windowMs;
    }
    checkCrashFits(crash, durationMs, shown);
  }
  const faults = scenario.faults?.map((fault, i) => resolveFault(fault, i, durationMs, shown));
  const protocol = overrides.protocol ?? scenario.workload.protocol;
  const workload: Workload = {
    ...scenario.workload,
    transaction: scenario.workload.transaction ?? true,
    ...(scenario.workload.distribution === "special"
      ? { special: scenario.workload.special ?? SYSBENCH_SPECIAL }
      : {}),
    ...(protocol ? { protocol } : {}),
  };
  if (protocolOf(workload) === "binary") checkPreparable(workload, overrides.protocol ? "--protocol" : shown);
  const resolved: ResolvedScenario = {
    id: scenario.id,
    kind: scenario.kind ?? kindFromFields(scenario),
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
    ...(crash ? { crash } : {}),
    ...(faults ? { faults } : {}),
    ...(overrides.clientIndex !== undefined
      ? { shard: { count: clients, index: overrides.clientIndex } }
      : {}),
    dataset,
    workload,
    load: {
      clients,
      connectionsPerClient,
      // A shard opens one client's connections; the run as a whole, clients x connectionsPerClient.
      connections:
        overrides.clientIndex !== undefined ? connectionsPerClient : clients * connectionsPerClient,
      warmupMs,
      durationMs,
      ...(rates ? { ratesPerSec: [...rates] } : {}),
    },
    quick: overrides.quick === true,
    scaled: [],
    ...(scenario.thresholds ? { thresholds: [...scenario.thresholds] } : {}),
    ...(sweep ? { sweep } : {}),
  };
  resolved.scaled = [...scalingNotes(resolved), ...crashScaled];
  return resolved;
}

/**
 * The sweep a scenario runs: a list given to --connections or --table-size, else the file's
 * `sweep` (its `quick.sweep` values under --quick); a single value given to the swept parameter's
 * flag runs that one point instead. Lists are for throughput scenarios only. Published rows are
 * matched to the points: by value, or under --quick by position (the n-th quick value for the n-th).
 */
function resolveSweep(
  scenario: ScenarioFile,
  overrides: Overrides,
  quickValues: number[] | undefined,
  file: string,
): ResolvedSweep | undefined {
  const kind = scenario.kind ?? kindFromFields(scenario);
  const own = scenario.sweep;
  if (own?.published) checkPublished(own.values, own.published, quickValues, file);
  if (overrides.sweep) {
    if (kind !== "throughput") {
      throw new UsageError(
        `${overrides.sweep.flag}: a list of values sweeps throughput scenarios; ${scenario.id} is ${kind}, give it one value (run it on its own)`,
      );
    }
    if (overrides.clientIndex !== undefined) {
      throw new UsageError(
        `${overrides.sweep.flag}: a client of a split run measures one point; give one value`,
      );
    }
    const { parameter, values } = overrides.sweep;
    // A list of the flag's own: a row is matched only by a point at its very value.
    const published =
      own?.published && own.parameter === parameter
        ? matchPublished(own.published, "value", (row) => (values.includes(row.value) ? row.value : null))
        : undefined;
    return { parameter, values: [...values], ...(published ? { published } : {}) };
  }
  if (!own) return undefined;
  const single = own.parameter === "connections" ? overrides.connectionsPerClient : overrides.tableSize;
  if (single !== undefined) return undefined;
  const values = [...(quickValues ?? own.values)];
  const published = own.published
    ? quickValues
      ? matchPublished(own.published, "position", (row) => quickValues[own.values.indexOf(row.value)] ?? null)
      : matchPublished(own.published, "value", (row) => row.value)
    : undefined;
  return { parameter: own.parameter, values, ...(published ? { published } : {}) };
}

function matchPublished(
  published: Published,
  matchedBy: ResolvedPublished["matchedBy"],
  pointOf: (row: PublishedRow) => number | null,
): ResolvedPublished {
  return {
    ...published,
    matchedBy,
    rows: published.rows.map((row) => ({ ...row, pointValue: pointOf(row) })),
  };
}

/**
 * Published rows stand at values the sweep runs, once each; --quick's values, when the file has
 * them, are as many as the sweep's, so the n-th can stand for the n-th.
 */
function checkPublished(
  values: readonly number[],
  published: Published,
  quickValues: readonly number[] | undefined,
  file: string,
): void {
  const seen = new Set<number>();
  for (const [i, row] of published.rows.entries()) {
    if (!values.includes(row.value)) {
      throw new UsageError(
        `${file}: sweep.published.rows[${i}]: value ${row.value} (${row.label}) is not one of sweep.values (${values.join(", ")}); a row stands at a value the sweep runs`,
      );
    }
    if (seen.has(row.value)) {
      throw new UsageError(`${file}: sweep.published.rows[${i}]: a second row at value ${row.value}`);
    }
    seen.add(row.value);
  }
  if (quickValues && quickValues.length !== values.length) {
    throw new UsageError(
      `${file}: quick.sweep has ${quickValues.length} values and sweep.values ${values.length}; with published rows the n-th quick value stands for the n-th value, so give as many`,
    );
  }
}

const PARAMETER_WORDS: Record<ResolvedSweep["parameter"], string> = {
  connections: "connections per client",
  tableSize: "rows per table",
};

const ordinal = (n: number) => {
  const tens = n % 100;
  const suffix =
    tens >= 11 && tens <= 13 ? "th" : n % 10 === 1 ? "st" : n % 10 === 2 ? "nd" : n % 10 === 3 ? "rd" : "th";
  return `${n}${suffix}`;
};

/**
 * The scenario of one point of its sweep: the parameter at `value`, scaled notes of its own. A point
 * that stands for a published row has that row's Aurora figure as its claim, at the row's value of
 * the parameter; standing for it at another value (--quick) is the first of its scaled notes, with
 * how it was matched.
 */
export function sweepPoint(scenario: ResolvedScenario, value: number): ResolvedScenario {
  const { sweep, ...rest } = scenario;
  if (!sweep) return scenario;
  const point: ResolvedScenario =
    sweep.parameter === "connections"
      ? {
          ...rest,
          load: {
            ...rest.load,
            connectionsPerClient: value,
            connections: rest.shard ? value : rest.load.clients * value,
          },
        }
      : { ...rest, dataset: { ...rest.dataset, tableSize: value } };
  const published = sweep.published;
  const row = published?.rows.find((r) => r.pointValue === value);
  if (!published || !row || !rest.claim) return { ...point, scaled: scalingNotes(point) };
  const key = sweep.parameter === "connections" ? "connectionsPerClient" : "tableSize";
  const n = (v: number) => v.toLocaleString("en-US");
  const claim: Claim = {
    ...rest.claim,
    metric: published.metric,
    value: row.aurora,
    unit: published.unit,
    quote: `${published.label} ${row.label}: Aurora ${n(row.aurora)} ${published.unit}, MySQL ${n(row.mysql)} ${published.unit}`,
    source: published.source,
    method: { ...rest.claim.method, [key]: value },
  };
  // The parameter is named here, once, with the row it stands for (only a --quick value stands for
  // a row at another value); the other differences as ever.
  const others = scalingNotes({ ...point, claim });
  const position = sweep.values.indexOf(value) + 1;
  const words = PARAMETER_WORDS[sweep.parameter];
  const rowValue = row.label === n(row.value) ? "" : ` (${n(row.value)} ${words})`;
  const stands =
    value === row.value
      ? []
      : [
          `${words} ${n(value)} for the published ${published.label} ${row.label}${rowValue}: --quick's ${ordinal(position)} value of ${sweep.values.length} stands for the sweep's ${ordinal(position)}, matched by position`,
        ];
  return {
    ...point,
    claim: { ...claim, method: { ...claim.method, [key]: row.value } },
    scaled: [...stands, ...others],
  };
}

/** A crash that fits a short measured phase: a third of it before, at least a third after. */
function fitCrash(durationMs: number, file: string): { atMs: number; windowMs: number } {
  const windowMs = Math.floor(durationMs / 3000) * 1000;
  if (windowMs < 1000) {
    throw new UsageError(`--duration: ${file} crashes the target mid-phase and needs at least 3s measured`);
  }
  return { atMs: windowMs, windowMs };
}

/**
 * The crash leaves a whole window before it and room for one after it in the measured phase, so
 * the two can be compared; a shorter --duration that breaks this is refused, not run lopsided.
 */
function checkCrashFits(crash: ResolvedCrash, durationMs: number, file: string): void {
  if (crash.windowMs < 1000 || crash.windowMs % 1000 !== 0) {
    throw new UsageError(`${file}: crash.window: must be whole seconds, at least 1s`);
  }
  if (crash.atMs < crash.windowMs) {
    throw new UsageError(
      `${file}: crash.at (${formatDurationMs(crash.atMs)}) must leave crash.window (${formatDurationMs(crash.windowMs)}) of load before the crash`,
    );
  }
  if (crash.atMs + crash.windowMs >= durationMs) {
    throw new UsageError(
      `${file}: crash.at + crash.window (${formatDurationMs(crash.atMs + crash.windowMs)}) must be less than the measured duration (${formatDurationMs(durationMs)}; --duration)`,
    );
  }
}

function resolveFault(fault: Fault, index: number, durationMs: number, file: string): ResolvedFault {
  const where = `${file}: faults[${index}]`;
  const atMs = ms(fault.at, `faults[${index}].at`, file);
  const forMs = ms(fault.for, `faults[${index}].for`, file);
  if (forMs < 1000 || forMs % 1000 !== 0)
    throw new UsageError(`${where}.for: must be whole seconds, at least 1s`);
  if (atMs >= durationMs) {
    throw new UsageError(
      `${where}.at: ${formatDurationMs(atMs)} is past the measured duration (${formatDurationMs(durationMs)})`,
    );
  }
  if (fault.kind === "disk-congestion") {
    if (fault.minMs === undefined || fault.maxMs === undefined)
      throw new UsageError(`${where}: disk-congestion needs minMs and maxMs`);
    if (fault.minMs > fault.maxMs)
      throw new UsageError(`${where}: minMs (${fault.minMs}) is more than maxMs (${fault.maxMs})`);
  } else if (fault.minMs !== undefined || fault.maxMs !== undefined) {
    throw new UsageError(`${where}: minMs and maxMs are for disk-congestion only`);
  }
  if (fault.kind === "replica-failure" && (fault.disk !== undefined || fault.node !== undefined)) {
    throw new UsageError(`${where}: replica-failure takes replica, not disk or node`);
  }
  if (fault.kind !== "replica-failure" && fault.replica !== undefined) {
    throw new UsageError(`${where}: replica is for replica-failure only`);
  }
  if (fault.disk !== undefined && fault.node !== undefined)
    throw new UsageError(`${where}: give disk or node, not both`);
  const { at: _at, for: _for, ...rest } = fault;
  return { ...rest, atMs, forMs };
}

/** Compares the run's shape with the claim's method; every difference is named. */
/** Every statement can be sent as a prepared statement; else a one-line error naming it. */
function checkPreparable(workload: Workload, by: string): void {
  for (const [s, step] of workload.steps.entries()) {
    for (const [i, statement] of step.statements.entries()) {
      try {
        prepareTemplate(compileTemplate(statement.sql));
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        throw new UsageError(
          `${by}: binary protocol: workload.steps[${s}].statements[${i}] (${statement.name}): ${error.message}`,
        );
      }
    }
  }
}

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
  // The claims were measured with SQL text (sysbench 0.5's oltp.lua): prepared statements are another method.
  if (protocolOf(scenario.workload) === "binary")
    notes.push("prepared statements, binary protocol (claim: text protocol)");
  return notes;
}
