import { type Static, Type } from "@sinclair/typebox";
import { WorkloadSchema } from "../workload/schema.js";
import { SCENARIO_KINDS } from "./kind.js";

/**
 * The scenario file format. It is data only (statements, distributions, concurrency, phases, claim),
 * so a resolved scenario is serialised whole into result.json and a run is self-describing.
 * The JSON Schema published in scenarios/scenario.schema.json is generated from these definitions.
 * The workload (statements, steps, id distribution) is defined in workload/schema.ts.
 */

const Id = Type.String({
  pattern: "^[a-z0-9][a-z0-9-]*$",
  description: "Lower-case id: letters, digits, dashes.",
});
const Duration = Type.String({
  pattern: "^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)?\\s*$",
  description: 'A duration such as "600s", "10m" or "1500ms"; a bare number means seconds.',
});
const PositiveInt = (description: string) => Type.Integer({ minimum: 1, description });

export const ClaimSchema = Type.Object(
  {
    id: Type.String({ description: "Short id of the claim, as in the claims table (write, read, ...)." }),
    metric: Type.Union(
      [Type.Literal("writesPerSec"), Type.Literal("readsPerSec"), Type.Literal("txnPerSec")],
      {
        description: "The measured throughput this claim is compared with.",
      },
    ),
    value: Type.Number({ exclusiveMinimum: 0, description: "The claimed figure, in the metric's unit." }),
    unit: Type.String({ description: 'Unit as quoted, for example "writes/s".' }),
    quote: Type.String({ description: "The claim as quoted by its source." }),
    source: Type.String({ description: "Where the claim and its method come from." }),
    hardware: Type.Object(
      {
        server: Type.String({ description: "The database server the claim was measured on." }),
        clients: Type.String({ description: "The client machines that drove the load." }),
      },
      { additionalProperties: false },
    ),
    method: Type.Object(
      {
        clients: PositiveInt("Client machines used for the claim."),
        connectionsPerClient: PositiveInt("Threads (connections) per client machine."),
        tables: PositiveInt("Tables in the dataset."),
        tableSize: PositiveInt("Rows per table."),
        duration: Duration,
      },
      {
        additionalProperties: false,
        description: "How the claim was measured; a run that differs is scaled.",
      },
    ),
  },
  { additionalProperties: false },
);

export const LagClaimSchema = Type.Object(
  {
    id: Type.String({ description: "Short id of the claim, as in the claims table (lag-aurora, ...)." }),
    metric: Type.Literal("lagMs", {
      description: "Replica lag: time for a committed update to be visible on a replica.",
    }),
    statistic: Type.Union([Type.Literal("p50"), Type.Literal("p99"), Type.Literal("max")], {
      description: "Which statistic of the measured lag the figure is compared with.",
    }),
    value: Type.Number({ exclusiveMinimum: 0, description: "The claimed lag, in milliseconds." }),
    unit: Type.Literal("ms"),
    ratePerSec: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          "Updates per second on the primary when the lag was seen; absent: 'little load' (the lowest step).",
      }),
    ),
    replicas: PositiveInt("Replicas the claim was measured with."),
    system: Type.Union([Type.Literal("aurora"), Type.Literal("mysql")], {
      description:
        "Whose lag the figure is: Aurora's own, or the MySQL AWS compared it with. An Aurora figure is a bound the target meets or not; a MySQL figure is a baseline, set beside the target's lag (how many times lower or higher), never met or missed.",
    }),
    versus: Type.Optional(
      Type.String({
        description:
          "On an Aurora claim: the id of the MySQL claim its source set it against (the keynote's 7.2 ms at 13.8K/s against ~2 s at 2K/s; the paper's Table 4 row by row). A comparison with a baseline then checks the same contrast: the baseline's lag over the target's at least the claimed factor.",
      }),
    ),
    quote: Type.String({ description: "The claim as quoted by its source." }),
    source: Type.String({ description: "Where the claim and its method come from." }),
    hardware: Type.String({ description: "The servers the figure was measured on." }),
  },
  { additionalProperties: false },
);

const DurabilitySchema = Type.Object(
  {
    syncBinlog: Type.Optional(Type.Integer({ minimum: 0, description: "sync_binlog." })),
    flushLogAtTrxCommit: Type.Optional(
      Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
        description: "innodb_flush_log_at_trx_commit.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReplicationSchema = Type.Object(
  {
    replicas: Type.Integer({
      minimum: 1,
      maximum: 31,
      description:
        "Replicas of the sandbox topology (--replicas); given replicas (--replica URL) replace them.",
    }),
    parallelApplyThreads: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1024,
        description: "Threads applying events on each sandbox replica; 0 = one SQL thread (default 4).",
      }),
    ),
    parallelMode: Type.Optional(
      Type.Union(
        [
          Type.Literal("optimistic"),
          Type.Literal("conservative"),
          Type.Literal("aggressive"),
          Type.Literal("minimal"),
          Type.Literal("none"),
        ],
        { description: "MariaDB slave_parallel_mode (default optimistic); MySQL ignores it." },
      ),
    ),
    replicaBinlog: Type.Optional(
      Type.Boolean({ description: "Replicas keep a binary log of what they apply (default false)." }),
    ),
    primaryDurability: Type.Optional(DurabilitySchema),
    replicaDurability: Type.Optional(DurabilitySchema),
  },
  {
    additionalProperties: false,
    description:
      "A primary with replicas: the lag probe runs on every replica while the load runs on the primary.",
  },
);

export const CrashClaimSchema = Type.Object(
  {
    id: Type.String({ description: "Short id of the claim, as in the claims table (crash, warm)." }),
    metric: Type.Union([Type.Literal("downtimeMs"), Type.Literal("recoveryMs")], {
      description:
        "downtimeMs: last commit before the crash to the first after it; recoveryMs: crash to the first second at 90% of the throughput before it.",
    }),
    value: Type.Number({ exclusiveMinimum: 0, description: "The claimed bound, in milliseconds." }),
    unit: Type.Literal("ms"),
    cache: Type.Union([Type.Literal("warm"), Type.Literal("cold"), Type.Literal("any")], {
      description: "Which crashes the claim is about: with the cache kept (warm), dropped (cold), or any.",
    }),
    quote: Type.String({ description: "The claim as quoted by its source." }),
    source: Type.String({ description: "Where the claim and its figure come from." }),
    hardware: Type.String({ description: "What the figure was measured on." }),
  },
  { additionalProperties: false },
);

export const CrashSchema = Type.Object(
  {
    at: Duration,
    window: Duration,
    caches: Type.Array(Type.Union([Type.Literal("warm"), Type.Literal("cold")]), {
      minItems: 1,
      uniqueItems: true,
      description:
        "One crash per entry, each in its own run: warm keeps the cache over the restart (sandbox: buffer pool dumped before the kill and loaded at start; Aurora: CRASH INSTANCE), cold drops it (sandbox: no buffer pool load; Aurora: CRASH NODE).",
    }),
    claims: Type.Optional(Type.Array(CrashClaimSchema, { minItems: 1 })),
  },
  {
    additionalProperties: false,
    description:
      "A crash of the target at `at` into the measured phase, under the load; throughput and p99 compared over `window` before the crash and after the first commit after it.",
  },
);

export const FaultSchema = Type.Object(
  {
    kind: Type.Union(
      [Type.Literal("disk-congestion"), Type.Literal("disk-failure"), Type.Literal("replica-failure")],
      {
        description:
          "Aurora ALTER SYSTEM SIMULATE ... DISK CONGESTION, DISK FAILURE or READ REPLICA FAILURE.",
      },
    ),
    at: Duration,
    for: Duration,
    percent: Type.Number({
      exclusiveMinimum: 0,
      maximum: 100,
      description: "Share of requests affected.",
    }),
    minMs: Type.Optional(
      Type.Integer({ minimum: 0, description: "disk-congestion: least added delay, ms." }),
    ),
    maxMs: Type.Optional(Type.Integer({ minimum: 0, description: "disk-congestion: most added delay, ms." })),
    disk: Type.Optional(Type.Integer({ minimum: 0, description: "Disk index (IN DISK n); absent: all." })),
    node: Type.Optional(
      Type.Integer({ minimum: 0, description: "Storage node index (NODE n); not with disk." }),
    ),
    replica: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9_.-]+$",
        description: 'replica-failure: the replica\'s instance name (TO "name"); absent: TO ALL.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "A fault injected into an Aurora target at `at` into the measured phase, lasting `for`.",
  },
);

export const DatasetSchema = Type.Object(
  {
    tables: PositiveInt("Number of sbtestN tables."),
    tableSize: PositiveInt("Rows per table."),
  },
  { additionalProperties: false },
);

export const LoadSchema = Type.Object(
  {
    clients: PositiveInt("Client machines the load is meant for; one process runs them all unless sharded."),
    connectionsPerClient: PositiveInt("Connections (sysbench threads) per client."),
    warmup: Duration,
    duration: Duration,
    rates: Type.Optional(
      Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 10_000_000 }), {
        minItems: 1,
        description:
          "Open loop: transactions per second, one step per rate (each with its warm-up and duration), started on an absolute schedule whether or not the target keeps up. Absent: closed loop.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const PublishedRowSchema = Type.Object(
  {
    value: Type.Integer({
      minimum: 1,
      description:
        "The row's value of the swept parameter, in the parameter's unit (connections per client, rows per table): one of sweep.values.",
    }),
    label: Type.String({
      minLength: 1,
      description: 'The row as the source prints it, for example "1 GB" or "5,000".',
    }),
    aurora: Type.Number({
      exclusiveMinimum: 0,
      description: "Aurora's figure in this row, in the metric's unit.",
    }),
    mysql: Type.Number({
      exclusiveMinimum: 0,
      description: "The figure of the MySQL AWS compared Aurora with, in this row.",
    }),
  },
  { additionalProperties: false },
);

export const PublishedSchema = Type.Object(
  {
    source: Type.String({
      minLength: 1,
      description: "Where the rows are published: paper, section, table and page.",
    }),
    metric: Type.Union(
      [Type.Literal("writesPerSec"), Type.Literal("readsPerSec"), Type.Literal("txnPerSec")],
      { description: "The measured throughput each row is set beside." },
    ),
    unit: Type.String({ minLength: 1, description: 'Unit as published, for example "writes/s".' }),
    label: Type.String({
      minLength: 1,
      description: 'The source\'s heading of the swept parameter, for example "DB size" or "connections".',
    }),
    note: Type.Optional(
      Type.String({
        description:
          "How the source's values became the parameter's, when they are not in its unit (sizes in GB as rows per table): say it is an approximation.",
      }),
    ),
    rows: Type.Array(PublishedRowSchema, {
      minItems: 1,
      description:
        "One row per published value. Each point of the sweep at a row's value is compared with its Aurora figure (the point's own claim) and set beside its MySQL figure; under --quick, the n-th quick value stands for the n-th value (matched by position, and said so).",
    }),
  },
  {
    additionalProperties: false,
    description:
      "Figures a paper or vendor published along the sweep (the Aurora paper's tables), measured and printed beside them.",
  },
);

export const SweepSchema = Type.Object(
  {
    parameter: Type.Union([Type.Literal("connections"), Type.Literal("tableSize")], {
      description:
        "What the sweep varies: connections (per client, as load.connectionsPerClient and --connections) or tableSize (rows per table, as dataset.tableSize and --table-size).",
    }),
    values: Type.Array(Type.Integer({ minimum: 1 }), {
      minItems: 2,
      description:
        "One point per value, in this order: each a full trial (warm-up, measured phase, counters, verdict).",
    }),
    published: Type.Optional(PublishedSchema),
  },
  {
    additionalProperties: false,
    description:
      "A throughput scenario run over a list of values, one point each (the paper's tables: writes/s as connections or data size grow). The scenario's own value of the parameter is not used.",
  },
);

export const QuickSchema = Type.Object(
  {
    tables: Type.Optional(PositiveInt("Tables under --quick.")),
    tableSize: Type.Optional(PositiveInt("Rows per table under --quick.")),
    clients: Type.Optional(PositiveInt("Clients under --quick.")),
    connectionsPerClient: Type.Optional(PositiveInt("Connections per client under --quick.")),
    warmup: Type.Optional(Duration),
    duration: Type.Optional(Duration),
    rates: Type.Optional(
      Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 10_000_000 }), { minItems: 1 }),
    ),
    replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 })),
    crashAt: Type.Optional(Duration),
    crashWindow: Type.Optional(Duration),
    sweep: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1 }), {
        minItems: 2,
        description:
          "The sweep's values under --quick, as many as sweep.values: the n-th stands for the n-th (and for a published row at that value).",
      }),
    ),
  },
  { additionalProperties: false, description: "The scaled-down shape --quick runs." },
);

export const ScenarioSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: Id,
    title: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    kind: Type.Optional(
      Type.Union(
        SCENARIO_KINDS.map((kind) => Type.Literal(kind)),
        {
          description:
            "What the scenario runs: throughput (a closed loop for load.duration), rate-steps (one fixed-rate step per load.rates entry, with lag on replicas when replication is given) or crash (the target crashed under the load, once per crash.caches). Left out: taken from the fields (load.rates: rate-steps, crash: crash, else throughput), with a note.",
        },
      ),
    ),
    claim: Type.Optional(ClaimSchema),
    claims: Type.Optional(
      Type.Array(LagClaimSchema, {
        minItems: 1,
        description: "Replica-lag claims, each checked at its rate.",
      }),
    ),
    replication: Type.Optional(ReplicationSchema),
    crash: Type.Optional(CrashSchema),
    faults: Type.Optional(
      Type.Array(FaultSchema, {
        minItems: 1,
        description: "Faults injected during the measured phase (Aurora only), marked on the timeline.",
      }),
    ),
    dataset: DatasetSchema,
    workload: WorkloadSchema,
    load: LoadSchema,
    sweep: Type.Optional(SweepSchema),
    quick: Type.Optional(QuickSchema),
    thresholds: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Pass/fail checks for `reinvent-bench gate`, each "<metric> <op> <value>" with op one of < <= > >=: "p99 < 20ms" (transaction latency; also p50 p90 p95 p999 max), "update_index.p99 < 20ms" (a statement, begin, commit, rollback or txn), "writesPerSec > 5000" (also readsPerSec, txnPerSec), "errors < 0.1%" (of statements sent) or "errors < 10", and at fixed rates "lag.p99 < 100ms" (worst replica, every step; p50 p90 p99 max) and "achievedRatePerSec >= 95%" (of each step\'s target) or ">= 1000". Latency in ms, s or us; a bare number is ms.',
      }),
    ),
  },
  {
    additionalProperties: false,
    title: "reinvent-bench scenario",
    description: "A benchmark scenario: dataset, statements, concurrency, phases and the claim it checks.",
  },
);

export const SuiteSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    suite: Id,
    title: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    scenarios: Type.Array(Id, { minItems: 1, description: "Scenario ids, run in this order." }),
  },
  { additionalProperties: false, title: "reinvent-bench suite" },
);

export const ScenarioFileSchema = Type.Union([ScenarioSchema, SuiteSchema], {
  title: "reinvent-bench scenario or suite",
});

export type Claim = Static<typeof ClaimSchema>;
export type LagClaim = Static<typeof LagClaimSchema>;
export type Replication = Static<typeof ReplicationSchema>;
export type CrashClaim = Static<typeof CrashClaimSchema>;
export type Crash = Static<typeof CrashSchema>;
export type Fault = Static<typeof FaultSchema>;
export type ScenarioFile = Static<typeof ScenarioSchema>;
export type Sweep = Static<typeof SweepSchema>;
export type Published = Static<typeof PublishedSchema>;
export type SuiteFile = Static<typeof SuiteSchema>;
