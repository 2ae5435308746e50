import { ResultSchema } from "../result/schema.js";
import { ScenarioFileSchema } from "./schema.js";

/** The published JSON Schemas as text: scenarios/scenario.schema.json and docs/result.schema.json. */
export function scenarioJsonSchema(): string {
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...ScenarioFileSchema }, null, 2)}\n`;
}

export function resultJsonSchema(): string {
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...ResultSchema }, null, 2)}\n`;
}
