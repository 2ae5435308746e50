import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { resultJsonSchema } from "../bench/result/json-schema.js";
import { scenarioJsonSchema } from "../bench/scenario/json-schema.js";
import { scenarioValidatorsCode, VALIDATORS_FILE } from "../bench/scenario/validator-code.js";
import { packageRoot } from "../bench/util/paths.js";

// Regenerates the published JSON Schemas, and the scenario validators, from their TypeScript definitions.
const root = packageRoot();
writeFileSync(join(root, "scenarios", "scenario.schema.json"), scenarioJsonSchema());
writeFileSync(join(root, "docs", "result.schema.json"), resultJsonSchema());
writeFileSync(join(root, VALIDATORS_FILE), scenarioValidatorsCode());
process.stdout.write(
  `wrote scenarios/scenario.schema.json, docs/result.schema.json and ${VALIDATORS_FILE}\n`,
);
