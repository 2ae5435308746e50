import type { ErrorObject } from "ajv";
import { UsageError } from "../util/errors.js";
import { statementKind } from "../workload/kinds.js";
import { prepareTemplate } from "../workload/prepared.js";
import { compileTemplate, TemplateError } from "../workload/template.js";
import { kindProblems } from "./kind.js";
import { parseThreshold } from "./thresholds.js";
import * as generated from "./validators.generated.js";

/** An ajv validator: true when the data fits; the problems of the last call in `errors`. */
interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

// Generated from schema.ts at build time (validator-code.ts, `npm run schemas`), not compiled here:
// compiling them cost every run its largest share of start-up CPU.
const validateScenario: Validator = generated.validateScenario;
const validateSuite: Validator = generated.validateSuite;

/** "/load/clients" -> "load.clients", "/workload/steps/0/statements/1/sql" -> "workload.steps[0].statements[1].sql" */
export function jsonPointerToPath(pointer: string): string {
  if (pointer === "") return "(top level)";
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

function describe(error: ErrorObject): string {
  const path = jsonPointerToPath(error.instancePath);
  switch (error.keyword) {
    case "additionalProperties":
      return `${path}: unknown field '${String(error.params.additionalProperty)}'`;
    case "required":
      return `${path === "(top level)" ? "" : `${path}.`}${String(error.params.missingProperty)}: is required`;
    case "pattern": {
      const hint = error.parentSchema?.description;
      return `${path}: ${JSON.stringify(error.data)} must match ${String(error.params.pattern)}${hint ? ` (${hint})` : ""}`;
    }
    case "anyOf":
      return "";
    case "const": {
      return `${path}: must be ${JSON.stringify(error.params.allowedValue)}`;
    }
    default:
      return `${path}: ${error.message ?? "is invalid"}`;
  }
}

/** Folds "must be equal to constant" errors of a literal union into one "must be one of" line. */
function describeAll(errors: ErrorObject[]): string[] {
  const byPath = new Map<string, { allowed: unknown[] }>();
  const lines: string[] = [];
  for (const error of errors) {
    if (error.keyword === "const") {
      const path = jsonPointerToPath(error.instancePath);
      const entry = byPath.get(path) ?? { allowed: [] };
      entry.allowed.push(error.params.allowedValue);
      byPath.set(path, entry);
      continue;
    }
    const line = describe(error);
    if (line) lines.push(line);
  }
  for (const [path, { allowed }] of byPath) {
    lines.push(`${path}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`);
  }
  return [...new Set(lines)];
}

/** Checks a parsed scenario file; returns every problem found, each as "path: message". */
export function scenarioProblems(data: unknown): string[] {
  const problems = validateScenario(data) ? [] : describeAll(validateScenario.errors ?? []);
  // Statement checks run even when the schema failed elsewhere, so one pass reports everything.
  return [
    ...new Set([
      ...problems,
      ...kindProblems(data as Parameters<typeof kindProblems>[0]),
      ...semanticProblems(data),
      ...thresholdProblems(data),
      ...versusProblems(data),
    ]),
  ];
}

export function suiteProblems(data: unknown): string[] {
  if (!validateSuite(data)) return describeAll(validateSuite.errors ?? []);
  return [];
}

/** What the schema cannot say: statement names unique, SQL kinds known, placeholders valid. */
function semanticProblems(data: unknown): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const workload = (data as { workload?: { steps?: unknown; protocol?: unknown } } | null)?.workload;
  const steps = workload?.steps;
  if (!Array.isArray(steps)) return problems;
  steps.forEach((step: { statements?: unknown } | null, stepIndex) => {
    if (!Array.isArray(step?.statements)) return;
    step.statements.forEach((statement: { name?: unknown; sql?: unknown } | null, statementIndex) => {
      if (typeof statement?.name !== "string" || typeof statement.sql !== "string") return;
      const path = `workload.steps[${stepIndex}].statements[${statementIndex}]`;
      if (seen.has(statement.name)) problems.push(`${path}.name: '${statement.name}' is used twice`);
      seen.add(statement.name);
      if (["begin", "commit", "rollback", "txn"].includes(statement.name)) {
        problems.push(`${path}.name: '${statement.name}' is reserved for the transaction's own timings`);
      }
      if (statement.name === "prepare") {
        problems.push(`${path}.name: 'prepare' is reserved for the binary protocol's own timings`);
      }
      if (statementKind(statement.sql) === undefined) {
        problems.push(`${path}.sql: must start with SELECT, INSERT, UPDATE or DELETE`);
      }
      try {
        const template = compileTemplate(statement.sql);
        // A file that asks for prepared statements; --protocol binary is checked when resolved.
        if (workload?.protocol === "binary") prepareTemplate(template);
      } catch (error) {
        if (error instanceof TemplateError) problems.push(`${path}.sql: ${error.message}`);
        else throw error;
      }
    });
  });
  return problems;
}

interface ClaimFields {
  id?: unknown;
  system?: unknown;
  statistic?: unknown;
  versus?: unknown;
}

/** A claim's `versus` names another claim of the file, about MySQL, of the same statistic, from an Aurora claim. */
function versusProblems(data: unknown): string[] {
  const claims = (data as { claims?: unknown } | null)?.claims;
  if (!Array.isArray(claims)) return [];
  const problems: string[] = [];
  claims.forEach((claim: ClaimFields | null, index) => {
    if (typeof claim?.versus !== "string") return;
    const path = `claims[${index}].versus`;
    if (claim.system !== "aurora") {
      problems.push(`${path}: only an Aurora claim (system: aurora) is set against a MySQL one`);
      return;
    }
    const other = claims.find((c: ClaimFields | null) => c?.id === claim.versus) as ClaimFields | undefined;
    if (!other) {
      const ids = claims.flatMap((c: ClaimFields | null) => (typeof c?.id === "string" ? [c.id] : []));
      problems.push(`${path}: no claim '${claim.versus}' in this file; claims: ${ids.join(", ")}`);
    } else if (other.system !== "mysql") {
      problems.push(`${path}: '${claim.versus}' must be a MySQL claim (system: mysql)`);
    } else if (other.statistic !== claim.statistic) {
      problems.push(
        `${path}: '${claim.versus}' compares the ${String(other.statistic)}, this claim the ${String(claim.statistic)}: use one statistic`,
      );
    }
  });
  return problems;
}

/** Each threshold parses, names an operation the scenario times, and asks for lag or steps only where there are some. */
function thresholdProblems(data: unknown): string[] {
  const scenario = data as {
    thresholds?: unknown;
    load?: { rates?: unknown };
    replication?: unknown;
    workload?: { transaction?: unknown; steps?: { statements?: { name?: unknown }[] }[] };
  } | null;
  const thresholds = scenario?.thresholds;
  if (!Array.isArray(thresholds)) return [];
  const ops = new Set<string>(
    scenario?.workload?.transaction === false ? ["txn"] : ["begin", "commit", "rollback", "txn"],
  );
  const steps = scenario?.workload?.steps;
  for (const step of Array.isArray(steps) ? steps : []) {
    for (const statement of Array.isArray(step?.statements) ? step.statements : []) {
      if (typeof statement?.name === "string") ops.add(statement.name);
    }
  }
  const fixedRate = scenario?.load?.rates !== undefined;
  const problems: string[] = [];
  thresholds.forEach((text: unknown, index) => {
    const where = `thresholds[${index}]`;
    if (typeof text !== "string") return;
    try {
      const threshold = parseThreshold(text, where);
      if (threshold.kind === "latency" && !ops.has(threshold.op)) {
        problems.push(`${where}: '${text}': no operation '${threshold.op}'; known: ${[...ops].join(", ")}`);
      }
      if (threshold.kind === "lag" && scenario?.replication === undefined) {
        problems.push(`${where}: '${text}': only for scenarios with replicas (replication)`);
      }
      if (threshold.kind === "achievedRate" && !fixedRate) {
        problems.push(`${where}: '${text}': only for fixed-rate scenarios (load.rates)`);
      }
    } catch (error) {
      if (error instanceof UsageError) problems.push(error.message);
      else throw error;
    }
  });
  return problems;
}
