import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { builtInScenarioDir, packageRoot } from "../util/paths.js";
import { ScenarioSchema, SuiteSchema } from "./schema.js";
import { scenarioValidatorsCode, VALIDATOR_OPTIONS, VALIDATORS_FILE } from "./validator-code.js";
import * as generated from "./validators.generated.js";

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** What the messages are made of: the schema objects themselves differ (a JSON copy in the generated code). */
function errorsOf(validate: Validator, data: unknown) {
  validate(data);
  return (validate.errors ?? []).map((error) => ({
    instancePath: error.instancePath,
    schemaPath: error.schemaPath,
    keyword: error.keyword,
    params: error.params,
    message: error.message,
    data: error.data,
    description: error.parentSchema?.description,
  }));
}

const aScenario = () =>
  parse(readFileSync(join(builtInScenarioDir(), "aurora-write.yaml"), "utf8")) as Record<string, unknown>;

describe("generated scenario validators", () => {
  it(`${VALIDATORS_FILE} matches schema.ts (run \`npm run schemas\` after changing it)`, () => {
    expect(readFileSync(join(packageRoot(), VALIDATORS_FILE), "utf8")).toBe(scenarioValidatorsCode());
  });

  it("find what ajv compiling the schemas at run time finds, error by error", () => {
    const ajv = new Ajv(VALIDATOR_OPTIONS);
    const compiledScenario = ajv.compile(ScenarioSchema);
    const compiledSuite = ajv.compile(SuiteSchema);
    const broken = [
      aScenario(),
      { ...aScenario(), id: "Not An Id", extra: true },
      { ...aScenario(), load: { clients: 0, connectionsPerClient: "4", duration: "ten" } },
      { ...aScenario(), kind: "sometimes", workload: { distribution: "zipf", steps: [] } },
      { ...aScenario(), crash: { at: "1s", window: "1s", caches: ["warm", "warm"] } },
      { ...aScenario(), title: "" },
      "not a mapping",
    ];
    for (const data of broken) {
      expect(errorsOf(generated.validateScenario, data)).toEqual(errorsOf(compiledScenario, data));
    }
    for (const data of [
      { suite: "s", title: "t", scenarios: ["aurora-write"] },
      { suite: "S", scenarios: [], other: 1 },
    ]) {
      expect(errorsOf(generated.validateSuite, data)).toEqual(errorsOf(compiledSuite, data));
    }
    // The cases above do fail, so the comparison compared errors and not two empty lists.
    expect(errorsOf(generated.validateScenario, broken[1]).length).toBeGreaterThan(1);
  });
});
