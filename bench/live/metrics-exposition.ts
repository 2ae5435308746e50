import {
  cumulativeCounts,
  LAG_BOUNDS_US,
  LATENCY_BOUNDS_US,
  type LatencyBuckets,
  leLabel,
  secondsOfUs,
} from "./metrics-buckets.js";
import type { MetricsState, PhaseLabels, ReplicaLag } from "./metrics-state.js";

/** OpenMetrics 1.0 text, or the Prometheus text format 0.0.4 that older scrapers and curl read. */
export type ExpositionFormat = "openmetrics" | "prometheus";

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
};

export const METRIC_PREFIX = "reinvent_bench_";

/** The Accept header of Prometheus 2.x's scrapes (scrape/scrape.go). */
export const PROMETHEUS_2_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/**
 * The format an Accept header asks for: OpenMetrics when it is accepted at least as much as
 * text/plain, the 0.0.4 text otherwise (no header, a browser, curl). Prometheus 2.x sends
 * PROMETHEUS_2_ACCEPT (OpenMetrics 1.0.0 first, text/plain at q=0.5); with native histograms
 * enabled it asks for protobuf first, which is not served, and takes OpenMetrics next.
 */
export function formatForAccept(accept: string | undefined): ExpositionFormat {
  let openMetricsQ = 0;
  let textQ = 0;
  for (const range of (accept ?? "").split(",")) {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split("=").map((part) => part.trim());
      if (name === "q") q = Number(value);
    }
    if (!(q > 0)) continue;
    if (type === "application/openmetrics-text") openMetricsQ = Math.max(openMetricsQ, q);
    else if (type === "text/plain") textQ = Math.max(textQ, q);
  }
  return openMetricsQ > 0 && openMetricsQ >= textQ ? "openmetrics" : "prometheus";
}

type FamilyType = "counter" | "gauge" | "histogram" | "info";

/** One metric family: its name without the _total or _info its samples carry, and its sample lines. */
interface Family {
  name: string;
  type: FamilyType;
  help: string;
  unit?: string;
  lines: string[];
}

/** Escapes a label value: backslash, double quote and line feed, the same in both formats. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A sample value: Go's float syntax, which both formats parse. */
function value(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return Object.is(n, -0) ? "0" : String(n);
}

function labelText(pairs: readonly (readonly [string, string])[]): string {
  return `{${pairs.map(([name, v]) => `${name}="${escapeLabelValue(v)}"`).join(",")}}`;
}

const phasePairs = (l: PhaseLabels): [string, string][] => [
  ["scenario", l.scenario],
  ["label", l.label],
  ["phase", l.phase],
  ["client", String(l.client)],
];

function sample(name: string, pairs: readonly (readonly [string, string])[], n: number): string {
  return `${name}${pairs.length > 0 ? labelText(pairs) : ""} ${value(n)}`;
}

/** The families in the order the endpoint serves them, from the state as it is now. */
function families(state: MetricsState): Family[] {
  const p = METRIC_PREFIX;
  const counters = state.visibleCounters();
  const gauges = [...state.gauges.values()];
  const family = (name: string, type: FamilyType, help: string, lines: string[], unit?: string): Family => ({
    name: `${p}${name}`,
    type,
    help,
    lines,
    ...(unit ? { unit } : {}),
  });
  const perPhase = <T extends { labels: PhaseLabels }>(
    rows: readonly T[],
    sampleName: string,
    figure: (row: T) => number | null,
  ) =>
    rows.flatMap((row) => {
      const n = figure(row);
      return n === null ? [] : [sample(`${p}${sampleName}`, phasePairs(row.labels), n)];
    });
  const byName = <T extends { labels: PhaseLabels }>(
    rows: readonly T[],
    sampleName: string,
    label: string,
    entries: (row: T) => Iterable<[string, number]>,
  ) =>
    rows.flatMap((row) =>
      [...entries(row)].map(([name, n]) =>
        sample(`${p}${sampleName}`, [...phasePairs(row.labels), [label, name]], n),
      ),
    );

  return [
    family("up", "gauge", "1 while the run serves its figures.", [sample(`${p}up`, [], 1)]),
    family(
      "phase",
      "info",
      "The phase each trial is running (warmup or measured).",
      perPhase(gauges, "phase_info", () => 1),
    ),
    family(
      "statements",
      "counter",
      "Statements completed without error, by op and its kind (select, insert, update, delete; other for BEGIN, COMMIT, ROLLBACK).",
      counters.flatMap((c) =>
        [...c.statements].map(([op, s]) =>
          sample(`${p}statements_total`, [...phasePairs(c.labels), ["op", op], ["kind", s.kind]], s.count),
        ),
      ),
    ),
    family(
      "transactions",
      "counter",
      "Transactions completed (committed), as result.json counts txns.",
      perPhase(counters, "transactions_total", (c) => c.transactions),
    ),
    family(
      "errors",
      "counter",
      "Statements answered with an error, by code (the run's first 20 codes; later ones as other).",
      byName(counters, "errors_total", "code", (c) => c.errors),
    ),
    family(
      "connections_lost",
      "counter",
      "Connections lost (the server closed them or died).",
      perPhase(counters, "connections_lost_total", (c) => c.connectionsLost),
    ),
    family(
      "connections_reopened",
      "counter",
      "Lost connections opened again.",
      perPhase(counters, "connections_reopened_total", (c) => c.connectionsReopened),
    ),
    family(
      "latency_seconds",
      "histogram",
      "Latency of successful ops: statements, txn (service time), intended (from the intended start, open loop) and lateness (how late sent).",
      counters.flatMap((c) =>
        [...c.latency].flatMap(([op, b]) =>
          histogramLines("latency_seconds", LATENCY_BOUNDS_US, [...phasePairs(c.labels), ["op", op]], b),
        ),
      ),
      "seconds",
    ),
    family(
      "replica_lag_seconds",
      "histogram",
      "Replica lag per heartbeat, by replica: from the commit's acknowledgement to the replica showing it.",
      state
        .visibleLag()
        .flatMap((l) => histogramLines("replica_lag_seconds", LAG_BOUNDS_US, lagPairs(l), l.buckets)),
      "seconds",
    ),
    family(
      "replica_lag_last_seconds",
      "gauge",
      "The last heartbeat's lag, by replica.",
      state
        .visibleLag()
        .flatMap((l) =>
          l.lastMs === null ? [] : [sample(`${p}replica_lag_last_seconds`, lagPairs(l), l.lastMs / 1000)],
        ),
      "seconds",
    ),
    family(
      "replica_behind_source_seconds",
      "gauge",
      "What the replica says of itself at its last reading: Seconds_Behind_Master/Source (whole seconds).",
      state
        .visibleLag()
        .flatMap((l) =>
          l.secondsBehind === null
            ? []
            : [sample(`${p}replica_behind_source_seconds`, lagPairs(l), l.secondsBehind)],
        ),
      "seconds",
    ),
    family(
      "replica_aurora_lag_seconds",
      "gauge",
      "Aurora's own REPLICA_LAG_IN_MILLISECONDS for the reader at its last reading.",
      state
        .visibleLag()
        .flatMap((l) =>
          l.auroraLagMs === null
            ? []
            : [sample(`${p}replica_aurora_lag_seconds`, lagPairs(l), l.auroraLagMs / 1000)],
        ),
      "seconds",
    ),
    family(
      "connections_alive",
      "gauge",
      "Connections open at the last second's end.",
      perPhase(gauges, "connections_alive", (g) => g.connectionsAlive),
    ),
    family(
      "statements_in_flight",
      "gauge",
      "Statements sent and not yet answered at the last second's end.",
      perPhase(gauges, "statements_in_flight", (g) => g.statementsInFlight),
    ),
    family(
      "target_transactions_per_second",
      "gauge",
      "Open loop: the transaction rate the schedule asks for.",
      perPhase(gauges, "target_transactions_per_second", (g) => g.targetTransactionsPerSec),
    ),
    family(
      "achieved_transactions_per_second",
      "gauge",
      "Transactions completed per second over the last second.",
      perPhase(gauges, "achieved_transactions_per_second", (g) => g.achievedTransactionsPerSec),
    ),
    family(
      "backlog",
      "gauge",
      "Open loop: operations whose time had come, waiting for a free connection at the last second's end.",
      perPhase(gauges, "backlog", (g) => g.backlog),
    ),
    family(
      "generator_utilization_ratio",
      "gauge",
      "Busiest load worker's event-loop utilization over the last second, 0 to 1.",
      perPhase(gauges, "generator_utilization_ratio", (g) => g.generatorUtilization),
    ),
    family(
      "event_loop_delay_p99_seconds",
      "gauge",
      "Worst load worker's event-loop delay p99 over the last second.",
      perPhase(gauges, "event_loop_delay_p99_seconds", (g) => g.eventLoopDelayP99Ms / 1000),
      "seconds",
    ),
    family(
      "server_status",
      "gauge",
      "The server's status levels at the last second's end, by status name (Threads_running, ...).",
      byName(gauges, "server_status", "name", (g) => g.serverStatus),
    ),
    family(
      "server_status_per_second",
      "gauge",
      "The server's status counters' change over the last second, per second, by status name (Com_select, ...).",
      byName(gauges, "server_status_per_second", "name", (g) => g.serverStatusPerSec),
    ),
  ];
}

const lagPairs = (l: ReplicaLag): [string, string][] => [
  ["scenario", l.labels.scenario],
  ["label", l.labels.label],
  ["client", String(l.labels.client)],
  ["replica", l.labels.replica],
];

function histogramLines(
  family: string,
  bounds: readonly number[],
  pairs: readonly [string, string][],
  buckets: LatencyBuckets,
): string[] {
  const name = `${METRIC_PREFIX}${family}`;
  const cumulative = cumulativeCounts(buckets);
  const lines = bounds.map((boundUs, i) =>
    sample(`${name}_bucket`, [...pairs, ["le", leLabel(boundUs)]], cumulative[i] ?? 0),
  );
  lines.push(sample(`${name}_bucket`, [...pairs, ["le", "+Inf"]], buckets.count));
  lines.push(sample(`${name}_count`, pairs, buckets.count));
  lines.push(sample(`${name}_sum`, pairs, secondsOfUs(buckets.sumUs)));
  return lines;
}

/** HELP text: backslash and line feed escaped in both formats, double quotes too in OpenMetrics. */
function escapeHelp(help: string, format: ExpositionFormat): string {
  const escaped = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return format === "openmetrics" ? escaped.replace(/"/g, '\\"') : escaped;
}

/**
 * The state as exposition text. OpenMetrics names a counter's family without its _total and an info
 * family without its _info, has `# UNIT` and `# EOF`; the 0.0.4 text names families as their samples
 * and has no info type (a gauge of 1 stands for it). Families without samples are left out.
 */
export function renderMetrics(state: MetricsState, format: ExpositionFormat): string {
  const out: string[] = [];
  for (const f of families(state)) {
    if (f.lines.length === 0) continue;
    const metaName =
      format === "openmetrics"
        ? f.name
        : f.type === "counter"
          ? `${f.name}_total`
          : f.type === "info"
            ? `${f.name}_info`
            : f.name;
    const type = format === "prometheus" && f.type === "info" ? "gauge" : f.type;
    out.push(`# HELP ${metaName} ${escapeHelp(f.help, format)}`);
    out.push(`# TYPE ${metaName} ${type}`);
    if (format === "openmetrics" && f.unit) out.push(`# UNIT ${metaName} ${f.unit}`);
    out.push(...f.lines);
  }
  if (format === "openmetrics") out.push("# EOF");
  return `${out.join("\n")}\n`;
}
