import { type Static, Type } from "@sinclair/typebox";

/**
 * The scenario file format. It is data only (statements, distributions, concurrency, phases, claim),
 * so a resolved scenario is serialised whole into result.json and a run is self-describing.
 * The JSON Schema published in scenarios/scenario.schema.json is generated from these definitions.
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

export const StatementSchema = Type.Object(
  {
    name: Type.String({
      pattern: "^[a-z][a-z0-9_]*$",
      description: "Name of the statement; latency is reported under it.",
    }),
    sql: Type.String({
      minLength: 1,
      description:
        "SQL text with placeholders {table} {id} {k} {c} {pad}. The first word decides how it is counted: SELECT is a read; INSERT, UPDATE, DELETE are writes.",
    }),
  },
  { additionalProperties: false },
);

export const StepSchema = Type.Object(
  {
    repeat: Type.Optional(PositiveInt("How many times the step runs per transaction (default 1).")),
    statements: Type.Array(StatementSchema, {
      minItems: 1,
      description: "Statements that share one draw of {table} and {id}, run in order.",
    }),
  },
  { additionalProperties: false },
);

export const WorkloadSchema = Type.Object(
  {
    transaction: Type.Optional(
      Type.Boolean({ description: "Wrap each transaction in BEGIN/COMMIT (default true)." }),
    ),
    distribution: Type.Union([Type.Literal("uniform"), Type.Literal("special")], {
      description: "How ids are drawn, as sysbench's --rand-type.",
    }),
    special: Type.Optional(
      Type.Object(
        {
          pct: Type.Number({
            exclusiveMinimum: 0,
            maximum: 100,
            description: "--rand-spec-pct (default 1).",
          }),
          res: Type.Number({
            minimum: 0,
            exclusiveMaximum: 100,
            description: "--rand-spec-res (default 75).",
          }),
          iterations: PositiveInt("--rand-spec-iter (default 12)."),
        },
        { additionalProperties: false },
      ),
    ),
    steps: Type.Array(StepSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
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
  },
  { additionalProperties: false },
);

export const QuickSchema = Type.Object(
  {
    tables: Type.Optional(PositiveInt("Tables under --quick.")),
    tableSize: Type.Optional(PositiveInt("Rows per table under --quick.")),
    clients: Type.Optional(PositiveInt("Clients under --quick.")),
    connectionsPerClient: Type.Optional(PositiveInt("Connections per client under --quick.")),
    warmup: Type.Optional(Duration),
    duration: Type.Optional(Duration),
  },
  { additionalProperties: false, description: "The scaled-down shape --quick runs." },
);

export const ScenarioSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: Id,
    title: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    claim: Type.Optional(ClaimSchema),
    dataset: DatasetSchema,
    workload: WorkloadSchema,
    load: LoadSchema,
    quick: Type.Optional(QuickSchema),
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
export type Statement = Static<typeof StatementSchema>;
export type Workload = Static<typeof WorkloadSchema>;
export type ScenarioFile = Static<typeof ScenarioSchema>;
export type SuiteFile = Static<typeof SuiteSchema>;
