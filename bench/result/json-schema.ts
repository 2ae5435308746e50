import { ResultSchema } from "./schema.js";

/** The published JSON Schema of result.json as text: docs/result.schema.json. */
export function resultJsonSchema(): string {
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...ResultSchema }, null, 2)}\n`;
}
