import Table from "cli-table3";
import type { Result, ScenarioResult } from "../result/schema.js";
import { publishedMatching } from "../result/sweep.js";
import { formatCount, formatMs, formatRate } from "../util/format.js";
import { claimRows, type OutcomeLabels } from "./claim-rows.js";
import { lagMethodNotes, lagMethodOf } from "./lag-methods.js";
import { publishedCells, publishedHeads, uslWords } from "./sweep-charts.js";

const OUTCOME_LABEL: OutcomeLabels = {
  met: "MET",
  "not-met": "NOT MET",
  scaled: "SCALED (not a reproduction)",
  "client-bound": "CLIENT-BOUND (about the client)",
  "no-claim": "-",
  incomplete: "INCOMPLETE",
  "not-measured": "NOT MEASURED (no step at its rate)",
  baseline: "BASELINE",
};

/**
 * The final table: claim against measured, one row per scenario (per claim for replica-lag). A
 * baseline claim's verdict is not MET or NOT MET but how far the target is from it:
 * "BASELINE: this target 1,400x lower".
 */
export function claimsTable(result: Result): string {
  const table = new Table({
    head: ["scenario", "claim", "measured", "of claim", "verdict"],
    style: { head: [], border: [] },
  });
  for (const row of claimRows(result, OUTCOME_LABEL, false)) table.push(row);
  return table.toString();
}

const msOrDash = (value: number | null | undefined) =>
  value === null || value === undefined ? "-" : formatMs(value);

/** Per step: the schedule, the three latency views, and each replica's lag beside the claims at that rate. */
export function stepsDetail(scenario: ScenarioResult): string {
  const lines: string[] = [];
  const rates = new Table({
    head: [
      "step",
      "achieved",
      "dropped",
      "latency p50",
      "latency p99",
      "service p99",
      "send late p99",
      "max backlog",
    ],
    style: { head: [], border: [] },
  });
  for (const step of scenario.steps ?? []) {
    const latency = Object.values(step.latencyMs)[0];
    const service = step.serviceTimeMs.txn;
    rates.push([
      `${formatRate(step.targetRatePerSec)}/s`,
      `${formatRate(step.achievedRatePerSec)}/s${step.sustained ? "" : " (NOT SUSTAINED)"}`,
      formatCount(step.dropped + step.discarded),
      msOrDash(latency?.p50),
      msOrDash(latency?.p99),
      msOrDash(service?.p99),
      msOrDash(step.sendLatenessMs?.p99),
      formatCount(step.maxBacklog),
    ]);
  }
  lines.push(rates.toString());
  const lag = new Table({
    head: [
      "step",
      "replica",
      "lag p50",
      "p90",
      "p99",
      "max",
      "samples",
      "method",
      "resolution",
      "claims at this rate",
    ],
    style: { head: [], border: [] },
  });
  for (const step of scenario.steps ?? []) {
    const claims = (scenario.claims ?? [])
      .filter((c) => c.measured?.stepRatePerSec === step.targetRatePerSec)
      .map((c) => `${c.id} ${formatMs(c.value)}`)
      .join(", ");
    for (const replica of step.lag?.replicas ?? []) {
      const l = replica.lagMs;
      lag.push([
        `${formatRate(step.targetRatePerSec)}/s`,
        replica.name,
        msOrDash(l.p50),
        msOrDash(l.p90),
        msOrDash(l.p99),
        msOrDash(l.max),
        formatCount(l.samples),
        lagMethodOf(replica),
        msOrDash(replica.resolutionMs),
        claims || "-",
      ]);
    }
  }
  lines.push(lag.toString());
  const notes = lagMethodNotes(scenario);
  const asked = scenario.replication?.lagMethod;
  if (asked !== undefined || notes.length > 0) {
    lines.push(`lag timed by --lag-method ${asked ?? "auto"}${notes.length > 0 ? ":" : ""}`);
    for (const n of notes) lines.push(`  ${n.replica} (${n.method}): ${n.reason}`);
  }
  return lines.join("\n");
}

/**
 * The server's I/O per transaction beside the paper's Table 1, on one line: "server work: 0.350 I/Os
 * per transaction (paper, Table 1: Aurora 0.95, mirrored MySQL 7.4), 1,146 redo bytes, 0 data
 * writes per transaction"; undefined when the result has no server work.
 * Figures the server did not give (no InnoDB counter, nothing committed) are left out.
 */
export function serverWorkLine(scenario: ScenarioResult): string | undefined {
  const work = scenario.serverWork;
  if (!work) return undefined;
  // A rate-steps scenario's own figures are its last step's run: say so.
  const step = scenario.steps?.at(-1);
  const of = step ? ` (last step, ${formatRate(step.targetRatePerSec)}/s)` : "";
  const paper = `paper, Table 1: Aurora ${work.paper.auroraIosPerTxn}, mirrored MySQL ${work.paper.mirroredMysqlIosPerTxn}`;
  const ios =
    work.iosPerTxn === null
      ? `I/Os per transaction not figured (${paper})`
      : `${formatRate(work.iosPerTxn)} I/Os per transaction (${paper})`;
  const others = [
    work.logBytesPerTxn === null ? null : `${formatCount(work.logBytesPerTxn)} redo bytes`,
    work.dataWritesPerTxn === null ? null : `${formatRate(work.dataWritesPerTxn)} data writes`,
  ].filter((figure) => figure !== null);
  return `server work${of}: ${ios}${others.length > 0 ? `, ${others.join(", ")} per transaction` : ""}`;
}

/** One scenario's measured figures, for the terminal. */
/** A sweep's points as a table, with the peak and the scalability fit under it. */
function sweepDetail(scenario: ScenarioResult): string {
  const sweep = scenario.sweep;
  if (!sweep) return "";
  const metric = sweep.metric as keyof ScenarioResult["throughput"];
  const table = new Table({
    head: [
      sweep.parameter === "connections" ? "connections/client" : "rows/table",
      metric,
      "p99",
      ...publishedHeads(sweep),
      "",
      "",
    ],
    style: { head: [], border: [] },
  });
  for (const p of scenario.points ?? []) {
    const op = p.latencyMs.txn ? "txn" : Object.keys(p.latencyMs)[0];
    const latency = op ? p.latencyMs[op] : undefined;
    table.push([
      formatCount(p.value),
      formatRate(p.throughput[metric]),
      latency ? formatMs(latency.p99) : "-",
      ...publishedCells(sweep, p.value),
      p.value === sweep.peak?.value ? "peak" : sweep.pastPeak.includes(p.value) ? "fell past the peak" : "",
      p.generator?.clientBound ? "client-bound" : "",
    ]);
  }
  const fit = sweep.usl;
  const fitLine = fit ? uslWords(fit) : "USL fit: none (over connections only, at least 3 levels measured)";
  const published = sweep.published
    ? `\npublished: ${sweep.published.source}; ${publishedMatching(sweep)}`
    : "";
  return `${scenario.id}: a sweep of ${(scenario.points ?? []).length} point(s)\n${table.toString()}\n${fitLine}${published}`;
}

export function scenarioDetail(scenario: ScenarioResult): string {
  const lines: string[] = [];
  if (scenario.steps) {
    lines.push(
      `${scenario.id}: ${scenario.steps.length} step(s); latency is from each update's intended start, service time from its send`,
    );
    lines.push(stepsDetail(scenario));
    for (const claim of scenario.claims ?? [])
      lines.push(`${claim.id}: ${OUTCOME_LABEL[claim.verdict.outcome]}. ${claim.verdict.text}`);
    const work = serverWorkLine(scenario);
    if (work) lines.push(work);
    return lines.join("\n");
  }
  if (scenario.sweep) lines.push(sweepDetail(scenario));
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
  const work = serverWorkLine(scenario);
  if (work) lines.push(work);
  const g = scenario.generator;
  if (g) {
    lines.push(
      `load generator: event loop busy ${(g.utilizationMean * 100).toFixed(0)}% on average (max ${(g.utilizationMax * 100).toFixed(0)}%), timers late up to ${g.delayP99MaxMs.toFixed(1)} ms (p99), ${g.clientCpuCores === null ? "" : `${g.clientCpuCores.toFixed(2)} CPU cores used, `}client-bound in ${g.clientBoundIntervals} of ${g.intervals} s`,
    );
  }
  lines.push(`verdict: ${scenario.verdict.text}`);
  return lines.join("\n");
}
