import Table from "cli-table3";
import type { Result, ScenarioResult } from "../result/schema.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";

const OUTCOME_LABEL: Record<ScenarioResult["verdict"]["outcome"], string> = {
  met: "MET",
  "not-met": "NOT MET",
  scaled: "SCALED (not a reproduction)",
  "client-bound": "CLIENT-BOUND (about the client)",
  "no-claim": "-",
  incomplete: "INCOMPLETE",
};

/** The final table: claim against measured, one row per scenario. */
export function claimsTable(result: Result): string {
  const table = new Table({
    head: ["scenario", "claim", "measured", "of claim", "verdict"],
    style: { head: [], border: [] },
  });
  for (const scenario of result.scenarios) {
    const claim = scenario.claim;
    table.push([
      scenario.id,
      claim ? `${formatRate(claim.value)} ${claim.unit}` : "-",
      scenario.measured && claim ? `${formatRate(scenario.measured.value)} ${claim.unit}` : "-",
      scenario.verdict.ratioToClaim === null
        ? "-"
        : `${(scenario.verdict.ratioToClaim * 100).toPrecision(3)}%`,
      OUTCOME_LABEL[scenario.verdict.outcome],
    ]);
  }
  return table.toString();
}

/** One scenario's measured figures, for the terminal. */
export function scenarioDetail(scenario: ScenarioResult): string {
  const lines: string[] = [];
  const t = scenario.throughput;
  lines.push(
    `${scenario.id}: ${formatRate(t.txnPerSec)} txn/s, ${formatRate(t.writesPerSec)} writes/s, ${formatRate(t.readsPerSec)} reads/s over ${(scenario.measuredMs / 1000).toFixed(1)} s (${formatCount(scenario.connections.opened)} connections)`,
  );
  const table = new Table({
    head: ["latency", "count", "p50", "p90", "p99", "p99.9", "max"],
    style: { head: [], border: [] },
  });
  for (const [name, s] of Object.entries(scenario.latencyMs)) {
    table.push([
      name,
      formatCount(s.count),
      formatMs(s.p50),
      formatMs(s.p90),
      formatMs(s.p99),
      formatMs(s.p999),
      formatMs(s.max),
    ]);
  }
  lines.push(table.toString());
  const errorCodes = Object.entries(scenario.errors);
  lines.push(
    errorCodes.length === 0
      ? "errors: none"
      : `errors: ${errorCodes.map(([code, count]) => `${code} x ${formatCount(count)}`).join(", ")}`,
  );
  const counters = scenario.serverCounters;
  if (counters) {
    lines.push(
      `server counters ${counters.ok ? "agree" : "DISAGREE"} with the client (tolerance ${counters.tolerancePct}%): ` +
        counters.checks
          .map((c) => `${c.counter} ${formatCount(c.server)}/${formatCount(c.client)}`)
          .join(", "),
    );
  }
  if (scenario.client) {
    const c = scenario.client;
    lines.push(
      `client cost: ${c.cpuUsPerQuery === null ? "-" : `${c.cpuUsPerQuery.toFixed(1)} us CPU per statement`}, peak RSS ${formatCount(c.rssPeakBytes / 1048576)} MiB, ${c.workers} worker threads`,
    );
  }
  const g = scenario.generator;
  if (g) {
    lines.push(
      `load generator: event loop busy ${(g.utilizationMean * 100).toFixed(0)}% on average (max ${(g.utilizationMax * 100).toFixed(0)}%), timers late up to ${g.delayP99MaxMs.toFixed(1)} ms (p99), ${g.clientCpuCores === null ? "" : `${g.clientCpuCores.toFixed(2)} CPU cores used, `}client-bound in ${g.clientBoundIntervals} of ${g.intervals} s`,
    );
  }
  lines.push(`verdict: ${scenario.verdict.text}`);
  return lines.join("\n");
}
