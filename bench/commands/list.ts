import Table from "cli-table3";
import { loadCatalog } from "../scenario/load.js";
import { formatRate } from "../util/format.js";

/** `list`: suites, scenarios and the claim each one checks. */
export function listCommand(): string {
  const catalog = loadCatalog();
  const lines: string[] = [];
  const suites = new Table({ head: ["suite", "scenarios", "title"], style: { head: [], border: [] } });
  for (const { suite } of catalog.suites.values())
    suites.push([suite.suite, suite.scenarios.join(", "), suite.title]);
  lines.push(suites.toString());
  const scenarios = new Table({
    head: ["scenario", "claim", "load", "dataset"],
    style: { head: [], border: [] },
    colWidths: [16, 44, 22, 22],
    wordWrap: true,
  });
  for (const { scenario } of catalog.scenarios.values()) {
    const claim = scenario.claim;
    scenarios.push([
      scenario.id,
      claim ? `${formatRate(claim.value)} ${claim.unit}: "${claim.quote}"` : "-",
      `${scenario.load.clients} x ${scenario.load.connectionsPerClient.toLocaleString("en-US")} connections`,
      `${scenario.dataset.tables} x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows`,
    ]);
  }
  lines.push(scenarios.toString());
  return lines.join("\n");
}
