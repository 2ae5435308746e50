import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { resultJsonSchema } from "../bench/result/json-schema.js";
import { scenarioJsonSchema } from "../bench/scenario/json-schema.js";
import { packageRoot } from "../bench/util/paths.js";

// Regenerates the published JSON Schemas from their TypeScript definitions.
const root = packageRoot();
writeFileSync(join(root, "scenarios", "scenario.schema.json"), scenarioJsonSchema());
writeFileSync(join(root, "docs", "result.schema.json"), resultJsonSchema());
process.stdout.write("wrote scenarios/scenario.schema.json and docs/result.schema.json\n");
