import { type Static, type TSchema, Type } from "@sinclair/typebox";

/**
 * result.json: the one source of truth of a run. Reports, comparisons and gates are derived from it.
 * Fields here are a stable contract; docs/result.schema.json is generated from these definitions.
 * Units are in the field names (Ms, PerSec, Bytes) or stated in the description.
 */

export const RESULT_SCHEMA_VERSION = 1;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Iso = Type.String({ description: "ISO 8601 time (UTC)." });

export const LatencySummarySchema = Type.Object(
  {
    p50: Type.Number(),
    p90: Type.Number(),
    p95: Type.Number(),
    p99: Type.Number(),
    p999: Type.Number(),
    max: Type.Number(),
    count: Type.Integer({ description: "Successful samples." }),
  },
  { description: "Latency percentiles in milliseconds, from an HDR histogram (3 significant digits)." },
);

const CountsSchema = Type.Object({
  reads: Type.Integer({ description: "Completed SELECTs." }),
  writes: Type.Integer({ description: "Completed INSERT + UPDATE + DELETE (BEGIN/COMMIT excluded)." }),
  txns: Type.Integer({ description: "Completed COMMITs (or transactions, when the workload has none)." }),
  errors: Type.Integer({ description: "Statements that returned an error, all codes." }),
  rollbacks: Type.Integer({ description: "Transactions rolled back after an error." }),
  rows: Type.Integer({ description: "Rows returned by SELECTs plus rows affected by writes." }),
});

const ThroughputSchema = Type.Object({
  readsPerSec: Type.Number(),
  writesPerSec: Type.Number(),
  txnPerSec: Type.Number(),
});

const ClaimSchema = Type.Object({
  id: Type.String(),
  metric: Type.String({ description: "writesPerSec, readsPerSec or txnPerSec." }),
  value: Type.Number(),
  unit: Type.String(),
  quote: Type.String(),
  source: Type.String(),
  hardware: Type.Object({ server: Type.String(), clients: Type.String() }),
  method: Type.Object({
    clients: Type.Integer(),
    connectionsPerClient: Type.Integer(),
    tables: Type.Integer(),
    tableSize: Type.Integer(),
    duration: Type.String(),
  }),
});

export const VerdictSchema = Type.Object({
  outcome: Type.Union(
    [
      Type.Literal("met"),
      Type.Literal("not-met"),
      Type.Literal("scaled"),
      Type.Literal("client-bound"),
      Type.Literal("no-claim"),
      Type.Literal("incomplete"),
    ],
    {
      description:
        "met / not-met: a run of the claim's own shape; scaled: a smaller or shorter run, never a reproduction; client-bound: the load generator was the bottleneck, so the figure is about the client; incomplete: interrupted or failed.",
    },
  ),
  ratioToClaim: Nullable(Type.Number({ description: "measured / claimed." })),
  text: Type.String({ description: "The verdict in one or two sentences, both environments named." }),
  scaled: Type.Array(Type.String(), { description: "Each way the run differs from the claim's method." }),
  warnings: Type.Array(Type.String(), {
    description: "Reasons to distrust the figure (counter mismatch, lost connections...).",
  }),
  claimEnvironment: Type.String(),
  measuredEnvironment: Type.String(),
});

const CounterCheckItemSchema = Type.Object({
  counter: Type.String(),
  client: Type.Integer({ description: "Statements of this kind the client sent and got an answer to." }),
  server: Type.Integer({ description: "Increase of the server's counter over the measured phase." }),
  diffPct: Type.Number(),
  ok: Type.Boolean(),
});

const ServerCountersSchema = Type.Object({
  delta: Type.Record(Type.String(), Type.Integer(), {
    description: "Com_* increase over the measured phase.",
  }),
  tolerancePct: Type.Number(),
  ok: Type.Boolean({ description: "Every counter within tolerance of the client's count." }),
  checks: Type.Array(CounterCheckItemSchema),
});

const IntervalHealthSchema = Type.Object(
  {
    utilizationMax: Type.Number({
      description: "Busiest worker's event-loop utilization in the interval, 0..1.",
    }),
    delayP99MaxMs: Type.Number({ description: "Worst worker's event-loop delay p99, milliseconds." }),
    inFlight: Type.Integer({ description: "Statements outstanding at the interval's end." }),
    clientCpuMs: Nullable(
      Type.Number({ description: "CPU time of the whole client process in the interval (all threads), ms." }),
    ),
    clientBound: Type.Boolean({
      description: "utilization > 0.9 or delay p99 > 5 ms: the client set the pace.",
    }),
  },
  { description: "The load generator's own health in this interval." },
);

const IntervalSchema = Type.Object({
  t: Type.Integer({ description: "Seconds since the phase began (interval index)." }),
  readsPerSec: Type.Number(),
  writesPerSec: Type.Number(),
  txnPerSec: Type.Number(),
  errors: Type.Integer(),
  latencyMs: Type.Record(
    Type.String(),
    Type.Object({ p50: Type.Number(), p99: Type.Number(), max: Type.Number() }),
  ),
  histograms: Type.Record(Type.String(), Type.String(), {
    description: "Encoded HDR histograms (compressed base64, microseconds) per operation for this interval.",
  }),
  generator: IntervalHealthSchema,
});

const GeneratorSchema = Type.Object(
  {
    intervals: Type.Integer(),
    clientBoundIntervals: Type.Integer(),
    utilizationMean: Type.Number(),
    utilizationMax: Type.Number(),
    delayP99MaxMs: Type.Number(),
    clientCpuCores: Nullable(
      Type.Number({
        description: "Mean CPU cores the whole client process kept busy over the measured seconds.",
      }),
    ),
    clientBound: Type.Boolean({
      description: "More than 10% of the measured seconds were client-bound: the verdict is client-bound.",
    }),
  },
  { description: "The load generator's health over the measured phase." },
);

const ClientCostSchema = Type.Object({
  cpuUserMs: Type.Number({ description: "Client process user CPU over the measured phase (all threads)." }),
  cpuSystemMs: Type.Number(),
  cpuUsPerQuery: Nullable(Type.Number({ description: "Client CPU microseconds per statement sent." })),
  rssPeakBytes: Type.Integer({
    description: "Highest resident memory of the client process seen during the phase.",
  }),
  workers: Type.Integer(),
  hotPath: Type.Union([Type.Literal("lean"), Type.Literal("mysql2")], {
    description: "lean: statements framed and replies scanned over mysql2's socket; mysql2: its query path.",
  }),
});

const DatasetSchema = Type.Object({
  tables: Type.Integer(),
  tableSize: Type.Integer(),
  reusedTables: Type.Integer(),
  loadedTables: Type.Integer(),
  loadMs: Type.Number(),
  rowsLoaded: Type.Integer(),
});

export const ScenarioResultSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  status: Type.Union([Type.Literal("complete"), Type.Literal("interrupted"), Type.Literal("failed")]),
  claim: Nullable(ClaimSchema),
  measured: Nullable(Type.Object({ metric: Type.String(), value: Type.Number() })),
  verdict: VerdictSchema,
  config: Type.Unknown({
    description: "The resolved scenario, whole: statements, distributions, load, phases.",
  }),
  dataset: Nullable(DatasetSchema),
  measuredFrom: Nullable(Iso),
  measuredTo: Nullable(Iso),
  measuredMs: Type.Number({ description: "measuredTo - measuredFrom: the time rates are divided by." }),
  connections: Type.Object({ opened: Type.Integer(), aliveAtEnd: Type.Integer() }),
  counts: CountsSchema,
  throughput: ThroughputSchema,
  latencyMs: Type.Record(Type.String(), LatencySummarySchema, {
    description: "Per statement name, plus begin, commit, rollback and txn (a whole committed transaction).",
  }),
  errors: Type.Record(Type.String(), Type.Integer(), {
    description: "MySQL error code (or client error code) -> count.",
  }),
  serverCounters: Nullable(ServerCountersSchema),
  warmup: Nullable(
    Type.Object(
      { durationMs: Type.Number(), counts: CountsSchema, throughput: ThroughputSchema },
      { description: "Reported, excluded from every other figure." },
    ),
  ),
  intervals: Type.Array(IntervalSchema, { description: "Measured phase, one per second." }),
  histograms: Type.Record(Type.String(), Type.String(), {
    description:
      "Encoded HDR histograms (compressed base64, microseconds) per operation over the measured phase.",
  }),
  client: Nullable(ClientCostSchema),
  generator: Nullable(GeneratorSchema),
});

export const ResultSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    schemaVersion: Type.Literal(RESULT_SCHEMA_VERSION),
    tool: Type.Object({ name: Type.String(), version: Type.String() }),
    status: Type.Union([Type.Literal("complete"), Type.Literal("interrupted"), Type.Literal("failed")], {
      description:
        "complete: every scenario ran; interrupted: SIGINT/SIGTERM or still running; failed: see failure.",
    }),
    failure: Type.Optional(Type.Object({ message: Type.String(), exitCode: Type.Integer() })),
    startedAt: Iso,
    finishedAt: Nullable(Iso),
    command: Type.Array(Type.String(), { description: "The command line, passwords redacted." }),
    environment: Type.Object({
      client: Type.Object({
        hostname: Type.String(),
        cpus: Type.Integer(),
        cpuModel: Type.String(),
        memoryBytes: Type.Integer(),
        os: Type.String(),
        node: Type.String(),
        driver: Type.Object({ name: Type.String(), version: Type.String() }),
      }),
      target: Type.Object({
        url: Type.String({ description: "Connection URL, password replaced by ***." }),
        version: Type.String(),
        flavor: Type.String(),
        variables: Type.Record(Type.String(), Type.String()),
        sandbox: Nullable(
          Type.Object({
            binary: Type.String(),
            flavor: Type.String(),
            version: Type.String(),
            dir: Type.String(),
            port: Type.Integer(),
            settings: Type.Record(Type.String(), Type.String()),
            reusedDatadir: Type.Boolean(),
            sharesMachineWithClient: Type.Boolean(),
          }),
        ),
      }),
    }),
    scenarios: Type.Array(ScenarioResultSchema),
  },
  { title: "reinvent-bench result" },
);

export type Result = Static<typeof ResultSchema>;
export type ScenarioResult = Static<typeof ScenarioResultSchema>;
export type Verdict = Static<typeof VerdictSchema>;
export type LatencySummary = Static<typeof LatencySummarySchema>;
export type Counts = Static<typeof CountsSchema>;
export type Throughput = Static<typeof ThroughputSchema>;
