import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseRunFlags } from "../../bench/commands/run-flags.js";
import { loadCatalog, selectScenarios } from "../../bench/scenario/load.js";
import { packageRoot } from "../../bench/util/paths.js";

interface Step {
  run?: string;
  uses?: string;
}

/** The example workflow must keep working with the CLI it calls: its commands are checked here. */
describe("the GitHub Actions example", () => {
  const workflow = parse(
    readFileSync(join(packageRoot(), "scripts", "ci", "github-actions-gate.yml"), "utf8"),
  ) as {
    jobs: { gate: { steps: Step[]; services: { mysql: { image: string } }; env: { TARGET: string } } };
  };
  const runs = workflow.jobs.gate.steps.map((s) => s.run).filter((r): r is string => !!r);

  it("runs scenarios that exist, with flags run accepts, against the service container", () => {
    const run = runs.find((r) => r.startsWith("npx reinvent-bench run ")) ?? "";
    const words = run
      .replace(/"\$TARGET"/, workflow.jobs.gate.env.TARGET.replace(/\$\{\{[^}]*\}\}/, "x"))
      .split(/\s+/);
    const names = words.slice(3).filter((w, i, all) => !w.startsWith("--") && !all[i - 1]?.startsWith("--"));
    expect(selectScenarios(names, loadCatalog()).scenarios.map((s) => s.scenario.id)).toEqual([
      "aurora-write",
      "aurora-read",
    ]);
    const flag = (name: string) => words[words.indexOf(name) + 1];
    const options = parseRunFlags({
      target: flag("--target"),
      out: flag("--out"),
      quick: words.includes("--quick"),
    });
    expect(options.target?.host).toBe("127.0.0.1");
    expect(workflow.jobs.gate.services.mysql.image).toMatch(/^mysql:/);
  });

  it("gates on a baseline with a regression limit and JUnit output, and never holds a password in plain text", () => {
    const gate = runs.find((r) => r.startsWith("npx reinvent-bench gate ")) ?? "";
    expect(gate).toMatch(/--baseline results\/baselines\/\S+\/result\.json/);
    expect(gate).toMatch(/--max-regression 10%/);
    expect(gate).toMatch(/--junit \S+\.xml/);
    const text = readFileSync(join(packageRoot(), "scripts", "ci", "github-actions-gate.yml"), "utf8");
    // A password may only come from the secret (or be shown redacted as ***).
    expect(text).not.toMatch(/mysql:\/\/[^:\s]+:(?!\$\{\{|\*\*\*@)[^@\s]+@/);
  });
});
