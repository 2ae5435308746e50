import { type Static, Type } from "@sinclair/typebox";

/**
 * A scenario's workload: the statements of one transaction, grouped in steps, and how ids are drawn.
 * Part of the scenario file format (scenario/schema.ts embeds it as `workload`); it lives here, with
 * the code that compiles and runs it, so workload depends on nothing above it.
 */

const PositiveInt = (description: string) => Type.Integer({ minimum: 1, description });

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
      description:
        "Statements that share one draw of {id}, run in order; {table} is drawn once per transaction, as sysbench 0.5 oltp.lua does.",
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
    protocol: Type.Optional(
      Type.Union([Type.Literal("text"), Type.Literal("binary")], {
        description:
          "How statements are sent (default text, as AWS's runs did): text: SQL with the values in it (COM_QUERY); binary: prepared once per connection with ? for the values, then executed (COM_STMT_EXECUTE), as sysbench 1.0 does by default. BEGIN, COMMIT and ROLLBACK stay text. --protocol overrides it.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type Statement = Static<typeof StatementSchema>;
export type Workload = Static<typeof WorkloadSchema>;
