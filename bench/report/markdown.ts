import { backToFullAfterReturnMs } from "../result/crash-verdict.js";
import type { CrashResult, Result, ScenarioResult } from "../result/schema.js";
import { publishedMatching } from "../result/sweep.js";
import { formatBytes, formatCount, formatMs, formatRate } from "../util/format.js";
import { protocolOf, protocolWords, type StatementProtocol } from "../workload/protocol.js";
import { claimRows, type OutcomeLabels } from "./claim-rows.js";
import { lagMethodNotes, lagMethodOf } from "./lag-methods.js";
import { markdownTable } from "./markdown-table.js";
import { POOR_FIT_R_SQUARED, publishedCells, publishedHeads } from "./sweep-charts.js";

/** A chart file beside the report, for the Markdown to embed. */
export interface ChartRef {
  /** Path relative to the report, such as charts/throughput-aurora-write.svg. */
  path: string;
  title: string;
  /** The scenario it belongs to; undefined for a chart of the whole run. */
  scenarioId?: string;
}

const OUTCOME: OutcomeLabels = {
  met: "met",
  "not-met": "**not met**",
  scaled: "scaled (not a reproduction)",
  "client-bound": "client-bound (about the client)",
  "no-claim": "-",
  incomplete: "incomplete",
  "not-measured": "not measured (no step at its rate)",
  baseline: "baseline",
};

const msOrDash = (value: number | null | undefined) =>
  value === null || value === undefined ? "-" : formatMs(value);

/**
 * The claims against what was measured, one row per claim; a baseline claim (AWS's MySQL 5.6) says
 * how far the target is from it ("baseline: this target 1,400x lower"), never "met".
 */
export function claimsSection(result: Result): string {
  return markdownTable(
    ["scenario", "claim", "measured", "of claim", "verdict"],
    claimRows(result, OUTCOME, true),
  );
}

function environmentSection(result: Result): string {
  const c = result.environment.client;
  const t = result.environment.target;
  const lines = [
    `- **Client**: ${c.hostname}, ${c.cpus} CPUs (${c.cpuModel}), ${formatCount(c.memoryBytes / 1048576)} MiB, ${c.os}, Node.js ${c.node}, ${c.driver.name} ${c.driver.version}`,
    `- **Target**: ${t.url} — ${t.flavor} ${t.version}${t.sandbox ? `, a sandbox started by the tool on the client's machine (${t.sandbox.binary})` : ""}`,
  ];
  const variables = Object.entries(t.variables).filter(
    ([name]) => name !== "version" && name !== "version_comment",
  );
  if (variables.length > 0) {
    lines.push(
      "",
      markdownTable(
        ["server setting", "value"],
        variables.map(([name, value]) => [name, value]),
      ),
    );
  }
  return lines.join("\n");
}

function latencyTable(latencyMs: ScenarioResult["latencyMs"]): string {
  return markdownTable(
    ["operation", "count", "p50", "p90", "p99", "p99.9", "max"],
    Object.entries(latencyMs).map(([name, s]) => [
      name,
      formatCount(s.count),
      formatMs(s.p50),
      formatMs(s.p90),
      formatMs(s.p99),
      formatMs(s.p999),
      formatMs(s.max),
    ]),
  );
}

function methodLines(scenario: ScenarioResult): string[] {
  const config = scenario.config as {
    dataset?: { tables: number; tableSize: number };
    load?: {
      clients: number;
      connectionsPerClient: number;
      warmupMs: number;
      durationMs: number;
      ratesPerSec?: number[];
    };
    scaled?: string[];
    quick?: boolean;
    workload?: { protocol?: StatementProtocol };
  };
  const lines: string[] = [];
  if (config.load && config.dataset) {
    const l = config.load;
    const rates = l.ratesPerSec
      ? `, fixed rates ${l.ratesPerSec.map((r) => formatRate(r)).join(", ")}/s`
      : "";
    // Results from before the protocol was recorded were all text.
    const protocol = scenario.client?.protocol ?? protocolOf(config.workload ?? {});
    lines.push(
      `- **Method**: ${l.clients} x ${formatCount(l.connectionsPerClient)} connections${rates}, ${config.dataset.tables} tables x ${formatCount(config.dataset.tableSize)} rows, warm-up ${l.warmupMs / 1000} s, measured ${l.durationMs / 1000} s${l.ratesPerSec ? " per step" : ""}${config.quick ? " (--quick)" : ""}, ${protocolWords(protocol)}`,
    );
  }
  if (scenario.verdict.scaled.length > 0)
    lines.push(`- **Differs from the claim's method**: ${scenario.verdict.scaled.join("; ")}`);
  if (scenario.verdict.warnings.length > 0)
    lines.push(`- **Warnings**: ${scenario.verdict.warnings.join("; ")}`);
  const errors = Object.entries(scenario.errors);
  lines.push(
    `- **Errors**: ${errors.length === 0 ? "none" : errors.map(([code, n]) => `${code} x ${formatCount(n)}`).join(", ")}`,
  );
  if (scenario.serverCounters) {
    lines.push(
      `- **Server counters** ${scenario.serverCounters.ok ? "agree" : "DISAGREE"} with the client's counts (tolerance ${scenario.serverCounters.tolerancePct}%)`,
    );
  }
  if (scenario.client) {
    const c = scenario.client;
    lines.push(
      `- **Client cost**: ${c.cpuUsPerQuery === null ? "-" : `${c.cpuUsPerQuery.toFixed(1)} us CPU per statement`}, peak RSS ${formatCount(c.rssPeakBytes / 1048576)} MiB, ${c.workers} worker thread(s)`,
    );
  }
  if (scenario.generator) {
    const g = scenario.generator;
    lines.push(
      `- **Load generator**: event loop busy ${(g.utilizationMean * 100).toFixed(0)}% on average, timers late up to ${g.delayP99MaxMs.toFixed(1)} ms (p99), client-bound in ${g.clientBoundIntervals} of ${g.intervals} s`,
    );
  }
  return lines;
}

function stepsSection(scenario: ScenarioResult): string[] {
  const steps = scenario.steps ?? [];
  const out: string[] = [];
  out.push(
    markdownTable(
      ["step", "achieved", "dropped + unsent", "latency p50", "latency p99", "service p99", "send late p99"],
      steps.map((step) => {
        const latency = Object.values(step.latencyMs)[0];
        return [
          `${formatRate(step.targetRatePerSec)}/s`,
          `${formatRate(step.achievedRatePerSec)}/s${step.sustained ? "" : " (not sustained)"}`,
          formatCount(step.dropped + step.discarded),
          msOrDash(latency?.p50),
          msOrDash(latency?.p99),
          msOrDash(step.serviceTimeMs.txn?.p99),
          msOrDash(step.sendLatenessMs?.p99),
        ];
      }),
    ),
  );
  const lagRows: string[][] = [];
  for (const step of steps) {
    for (const replica of step.lag?.replicas ?? []) {
      lagRows.push([
        `${formatRate(step.targetRatePerSec)}/s`,
        replica.name,
        msOrDash(replica.lagMs.p50),
        msOrDash(replica.lagMs.p90),
        msOrDash(replica.lagMs.p99),
        msOrDash(replica.lagMs.max),
        formatCount(replica.lagMs.samples),
        lagMethodOf(replica),
        msOrDash(replica.resolutionMs),
      ]);
    }
  }
  if (lagRows.length > 0) {
    out.push(
      "",
      markdownTable(
        ["step", "replica", "lag p50", "p90", "p99", "max", "samples", "method", "resolution"],
        lagRows,
      ),
      ...lagMethodLines(scenario),
    );
  }
  return out;
}

/** The method asked for (--lag-method), and why a replica was timed otherwise or, under auto, polled. */
function lagMethodLines(scenario: ScenarioResult): string[] {
  const asked = scenario.replication?.lagMethod;
  const notes = lagMethodNotes(scenario);
  if (asked === undefined && notes.length === 0) return [];
  return [
    "",
    `Lag timed by --lag-method ${asked ?? "auto"}${notes.length > 0 ? ":" : "."}`,
    ...notes.map((n) => `- ${n.replica} (${n.method}): ${n.reason}`),
  ];
}

/** One row per point of a sweep, the peak and the law fitted to them. */
function sweepSection(scenario: ScenarioResult): string[] {
  const sweep = scenario.sweep;
  if (!sweep) return [];
  const metric = sweep.metric as keyof ScenarioResult["throughput"];
  const head = [
    sweep.parameter === "connections" ? "connections per client" : "rows per table",
    "connections",
    metric,
  ];
  const rows = (scenario.points ?? []).map((p) => {
    const op = p.latencyMs.txn ? "txn" : Object.keys(p.latencyMs)[0];
    const latency = op ? p.latencyMs[op] : undefined;
    const marks = [
      p.value === sweep.peak?.value ? "peak" : "",
      sweep.pastPeak.includes(p.value) ? "past the peak: fell" : "",
      p.generator?.clientBound ? "client-bound" : "",
      p.status !== "complete" ? p.status : "",
    ].filter((m) => m !== "");
    return [
      formatCount(p.value),
      formatCount(p.connections),
      formatRate(p.throughput[metric]),
      msOrDash(latency?.p50),
      msOrDash(latency?.p99),
      formatCount(Object.values(p.errors).reduce((a, b) => a + b, 0)),
      ...publishedCells(sweep, p.value),
      marks.join(", ") || "-",
    ];
  });
  const lines = [markdownTable([...head, "p50", "p99", "errors", ...publishedHeads(sweep), ""], rows)];
  const published = sweep.published;
  if (published) {
    const unmeasured = published.rows.filter((r) => r.measured === null).map((r) => r.label);
    lines.push(
      "",
      `Published (${published.metric}, ${published.unit}): ${published.source}. Aurora's figure is each point's claim; MySQL's is the baseline AWS compared it with. ${publishedMatching(sweep)}.${published.note ? ` ${published.note}` : ""}${unmeasured.length > 0 ? ` Not measured here: ${unmeasured.join(", ")}.` : ""}`,
    );
  }
  const fit = sweep.usl;
  if (fit) {
    lines.push(
      "",
      `Universal Scalability Law, fitted to ${fit.levels} levels of connections (lambda from ${fit.lambdaFrom === "n=1" ? "one connection" : "the lowest level"}): sigma ${fit.sigma.toFixed(4)} (contention), kappa ${fit.kappa.toExponential(2)} (coherency), R² ${fit.rSquared.toFixed(3)}; ${fit.peakConcurrency === null ? "no peak within the law" : `peak ${formatRate(fit.peakThroughputPerSec ?? 0)} ${metric} at ${formatCount(Math.round(fit.peakConcurrency))} connections`}.${fit.rSquared < POOR_FIT_R_SQUARED ? ` A poor fit (R² below ${POOR_FIT_R_SQUARED}): the law does not describe these points; read the points, not the curve.` : ""}${fit.constrained.length > 0 ? ` (${fit.constrained.join(" and ")} held at 0: the unconstrained fit made ${fit.constrained.length === 1 ? "it" : "them"} negative.)` : ""}`,
    );
  } else if (sweep.parameter === "connections") {
    lines.push("", "No scalability fit: it needs at least 3 measured levels of connections.");
  }
  return lines;
}

const windowCell = (w: CrashResult["before"]) =>
  w ? `${formatRate(w.writesPerSec)} writes/s, p99 ${msOrDash(w.p99Ms)}` : "-";

/** One row per crash: how long it was down, how long until it was back, before and after. */
function crashSection(scenario: ScenarioResult): string[] {
  const crashes = scenario.crashes ?? [];
  const lines = [
    markdownTable(
      [
        "crash",
        "downtime",
        "back to 90%",
        "90% after first commit",
        "server restart",
        "before",
        "after",
        "errors",
        "connections lost / reopened",
      ],
      crashes.map((c) => [
        `${c.cache} (${c.method}) at ${(c.atMs / 1000).toFixed(1)} s`,
        c.downtimeMs === null ? "never back" : formatMs(c.downtimeMs),
        c.recoveryMs === null ? "never" : formatMs(c.recoveryMs),
        msOrDash(backToFullAfterReturnMs(c)),
        msOrDash(c.restartMs),
        windowCell(c.before),
        windowCell(c.after),
        Object.entries(c.errors)
          .map(([code, n]) => `${code} x ${formatCount(n)}`)
          .join(", ") || "none",
        `${formatCount(c.connectionsLost)} / ${formatCount(c.reconnected)}`,
      ]),
    ),
    "",
    `Downtime: the last commit before the crash to the first after it, over all connections (timed to ${crashes[0]?.tickMs ?? 100} ms or better; lost connections retried at least every 200 ms). Back to 90%: the crash to the first second whose commits reach 90% of the rate in the window before; after the first commit: the same, counted from the server's return, which is what a kept cache shortens. Before and after: equal windows just before the crash and from the first whole second after the first commit.`,
    "",
  ];
  for (const c of crashes) {
    lines.push(`- **${c.cache} crash**: ${c.description}.`);
    for (const claim of c.claims)
      lines.push(`  - **${claim.id}** (${OUTCOME[claim.verdict.outcome]}): ${claim.verdict.text}`);
    if (c.integrity) {
      lines.push(
        `  - Rows: ${formatCount(c.integrity.rowsBefore)} before, ${formatCount(c.integrity.rowsAfter)} after in ${c.integrity.tables} tables${c.integrity.ok === null ? "" : c.integrity.ok ? " (unchanged: every transaction was all or nothing through the crash)" : " (**CHANGED**: a transaction was not atomic through the crash)"}`,
      );
    }
    if (c.failure) lines.push(`  - **Failed**: ${c.failure}`);
    for (const note of c.notes) lines.push(`  - ${note}`);
    for (const step of c.steps) {
      lines.push(
        `  - step ${step.name}: \`${step.action}\` ${step.ok ? "ok" : "FAILED"} in ${formatMs(step.durationMs)}${step.exitCode !== null ? ` (exit ${step.exitCode})` : ""}${step.output ? `: ${step.output.split("\n").slice(-3).join(" / ")}` : ""}`,
      );
    }
  }
  lines.push("", `**Verdict** (${OUTCOME[scenario.verdict.outcome]}): ${scenario.verdict.text}`);
  return lines;
}

/** Faults sent during the measured phase, each with when it went out and what the target said. */
function faultsSection(scenario: ScenarioResult): string[] {
  return [
    markdownTable(
      ["fault", "planned at", "sent at", "for", "statement", "outcome"],
      (scenario.faults ?? []).map((f) => [
        f.kind,
        `${(f.atMs / 1000).toFixed(1)} s`,
        f.sentAtMs === null ? "-" : `${(f.sentAtMs / 1000).toFixed(2)} s`,
        `${f.forMs / 1000} s`,
        f.sql,
        f.ok ? "accepted" : (f.error ?? "failed"),
      ]),
    ),
  ];
}

/** A merged run: each client's own share, and when it started the measured phase. */
function clientsSection(scenario: ScenarioResult): string[] {
  const shards = scenario.shards ?? [];
  const starts = shards.map((s) => (s.measuredFrom ? Date.parse(s.measuredFrom) : Number.NaN));
  const first = Math.min(...starts.filter(Number.isFinite));
  return [
    markdownTable(
      [
        "client",
        "host",
        "started (after the first)",
        "connections",
        "txn/s",
        "writes/s",
        "reads/s",
        "client-bound",
      ],
      shards.map((s, i) => [
        String(s.index),
        s.host,
        Number.isFinite(starts[i] as number) ? `${((starts[i] as number) - first).toFixed(0)} ms` : "-",
        formatCount(s.connections.opened),
        formatRate(s.throughput.txnPerSec),
        formatRate(s.throughput.writesPerSec),
        formatRate(s.throughput.readsPerSec),
        s.generator ? `${s.generator.clientBoundIntervals} of ${s.generator.intervals} s` : "-",
      ]),
    ),
  ];
}

function scenarioSection(scenario: ScenarioResult, charts: readonly ChartRef[]): string {
  const lines: string[] = [`## ${scenario.id}: ${scenario.title}`, ""];
  if (scenario.crashes) {
    lines.push(...crashSection(scenario));
  } else if (scenario.steps) {
    lines.push(...stepsSection(scenario), "");
    for (const claim of scenario.claims ?? []) {
      lines.push(`- **${claim.id}** (${OUTCOME[claim.verdict.outcome]}): ${claim.verdict.text}`);
    }
  } else {
    if (scenario.sweep) lines.push(...sweepSection(scenario), "");
    const t = scenario.throughput;
    lines.push(
      `${formatRate(t.txnPerSec)} txn/s, ${formatRate(t.writesPerSec)} writes/s, ${formatRate(t.readsPerSec)} reads/s over ${(scenario.measuredMs / 1000).toFixed(1)} s, ${formatCount(scenario.connections.opened)} connections (status ${scenario.status}).`,
      "",
      latencyTable(scenario.latencyMs),
      "",
      `**Verdict** (${OUTCOME[scenario.verdict.outcome]}): ${scenario.verdict.text}`,
    );
    if (scenario.faults) lines.push("", ...faultsSection(scenario));
    if (scenario.shards) lines.push("", ...clientsSection(scenario));
  }
  lines.push("", ...methodLines(scenario));
  lines.push(...serverWorkLines(scenario));
  for (const chart of charts.filter((c) => c.scenarioId === scenario.id)) {
    lines.push("", `![${chart.title}](${chart.path})`);
  }
  return lines.join("\n");
}

/** The server's I/O per transaction over the measured window, beside the Aurora paper's Table 1. */
export function serverWorkLines(scenario: ScenarioResult): string[] {
  const work = scenario.serverWork;
  if (!work) return [];
  const figure = (value: number | null, text: (v: number) => string) => (value === null ? null : text(value));
  const figures = [
    figure(work.iosPerTxn, (v) => `${formatRate(v)} I/Os (${work.iosSummed.join(" + ")})`),
    figure(work.logBytesPerTxn, (v) => `${formatBytes(v)} of redo`),
    figure(work.dataWritesPerTxn, (v) => `${formatRate(v)} data-file writes`),
    figure(work.fsyncsPerTxn, (v) => `${formatRate(v)} fsyncs`),
  ].filter((f) => f !== null);
  const measured =
    figures.length > 0 ? figures.join(", ") : "not figured (no transaction committed, or no InnoDB counters)";
  return [
    `- **Server work per transaction** (InnoDB's counters over the measured window, ${formatCount(work.txns)} transactions): ${measured}. The Aurora paper's Table 1: ${work.paper.mirroredMysqlIosPerTxn} I/Os per transaction for mirrored MySQL, ${work.paper.auroraIosPerTxn} for Aurora (SysBench write-only, 100 GB, 30 min).`,
  ];
}

/**
 * report.md: the claims against what was measured, both environments, the method, errors and the
 * charts. A pure function of result.json: nothing is measured again.
 */
export function renderMarkdown(result: Result, charts: readonly ChartRef[] = []): string {
  const sections = [
    "# reinvent-bench report",
    "",
    `Run ${result.startedAt}${result.finishedAt ? ` to ${result.finishedAt}` : ""}, status **${result.status}**${result.failure ? ` (${result.failure.message})` : ""}, reinvent-bench ${result.tool.version}.`,
    "",
    `Command: \`${result.command.join(" ")}\``,
    "",
    "## Claims",
    "",
    claimsSection(result),
    "",
    "## Environment",
    "",
    environmentSection(result),
  ];
  for (const chart of charts.filter((c) => c.scenarioId === undefined))
    sections.push("", `![${chart.title}](${chart.path})`);
  for (const scenario of result.scenarios) sections.push("", scenarioSection(scenario, charts));
  return `${sections.join("\n")}\n`;
}
