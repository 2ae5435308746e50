import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../util/paths.js";
import { scenarioJsonSchema } from "./json-schema.js";

describe("published scenario JSON Schema", () => {
  it("scenarios/scenario.schema.json matches the definitions (run `npm run schemas` after changing them)", () => {
    expect(readFileSync(join(packageRoot(), "scenarios", "scenario.schema.json"), "utf8")).toBe(
      scenarioJsonSchema(),
    );
  });
});
