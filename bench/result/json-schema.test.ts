import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../util/paths.js";
import { resultJsonSchema } from "./json-schema.js";

describe("published result JSON Schema", () => {
  it("docs/result.schema.json matches the definitions (run `npm run schemas` after changing them)", () => {
    expect(readFileSync(join(packageRoot(), "docs", "result.schema.json"), "utf8")).toBe(resultJsonSchema());
  });
});
