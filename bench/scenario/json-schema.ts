import { ScenarioFileSchema } from "./schema.js";

/** The published JSON Schema of scenario and suite files as text: scenarios/scenario.schema.json. */
export function scenarioJsonSchema(): string {
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...ScenarioFileSchema }, null, 2)}\n`;
}
