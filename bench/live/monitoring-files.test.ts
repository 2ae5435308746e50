import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GAUGES, RATE_COUNTERS } from "../target/server-sampler.js";
import { syntheticSecond } from "../testing/metrics-seconds.js";
import { tempDir } from "../testing/servers.js";
import { METRICS_PATH } from "./metrics-endpoint.js";
import { type ExpositionFormat, METRIC_PREFIX, renderMetrics } from "./metrics-exposition.js";
import { MetricsState } from "./metrics-state.js";
import type { LiveContext, ServerSecond } from "./second.js";

/**
 * monitoring/prometheus.yml and monitoring/grafana-dashboard.json against what the endpoint serves:
 * every metric and label the dashboard's queries name is read from the exposition of synthetic
 * seconds, so a renamed metric or label fails here rather than as an empty panel.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PROMETHEUS_YML = join(ROOT, "monitoring", "prometheus.yml");
const DASHBOARD_JSON = join(ROOT, "monitoring", "grafana-dashboard.json");
/** Debian's prometheus package (CI installs it); the test fails without it rather than skip. */
const PROMTOOL = "/usr/bin/promtool";
/** The address the shipped config scrapes: `run ... --metrics-port 9464`. */
const SCRAPED = "127.0.0.1:9464";
/** Families the dashboard leaves out on purpose: `up` (Prometheus has its own) and statements in flight. */
const NOT_ON_DASHBOARD = new Set([`${METRIC_PREFIX}up`, `${METRIC_PREFIX}statements_in_flight`]);

// --- what the endpoint exposes ---------------------------------------------------------------------

interface Exposed {
  /** Sample names as Prometheus stores them (histograms' _bucket, _sum, _count; counters' _total). */
  samples: Map<string, { family: string; type: string; labels: Set<string> }>;
}

const CONTEXT: LiveContext = { scenario: "s1", label: "s1 @ 8", targetRatePerSec: 100, client: 0 };
const SERVER: Pick<ServerSecond, "gauges" | "ratesPerSec"> = {
  gauges: { Threads_running: 3 },
  ratesPerSec: { Innodb_row_lock_waits: 2, Innodb_data_writes: 40, Com_commit: 100 },
};

/** A state with every family populated: an open-loop second with an error, a lost connection, a replica. */
function syntheticState(server: boolean): MetricsState {
  const state = new MetricsState();
  state.addSecond(
    syntheticSecond({
      context: CONTEXT,
      phase: "measured",
      t: 0,
      ops: {
        point_select: { latenciesUs: [[800, 10]], errors: 1 },
        begin: { latenciesUs: [[40, 10]] },
        commit: { latenciesUs: [[900, 10]] },
        txn: { latenciesUs: [[2000, 10]] },
      },
      errorsByCode: { "1213": 1 },
      health: { alive: 8, lost: 1, reconnected: 1, backlog: 2, inFlight: 3 },
      server: server ? SERVER : null,
    }),
  );
  state.addLag({ ...CONTEXT, replica: "replica-1", lagMs: 3 });
  state.addReplicaReport({ ...CONTEXT, replica: "replica-1", secondsBehind: 0, auroraLagMs: 12 });
  return state;
}

/** Reads `name="value"` pairs from a sample line from `at` (just past the `{`); returns the names. */
function labelNames(line: string, at: number): Set<string> {
  const names = new Set<string>();
  let i = at;
  while (i < line.length && line[i] !== "}") {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
    if (!name || line[i + name.length] !== "=" || line[i + name.length + 1] !== '"')
      throw new Error(`bad label at ${i}: ${line}`);
    names.add(name);
    i += name.length + 2;
    while (i < line.length && line[i] !== '"') i += line[i] === "\\" ? 2 : 1;
    i++;
    if (line[i] === ",") i++;
  }
  return names;
}

function exposed(state: MetricsState, format: ExpositionFormat): Exposed {
  const text = renderMetrics(state, format);
  const types = new Map<string, string>();
  const samples: Exposed["samples"] = new Map();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line === "" || line.startsWith("#")) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) throw new Error(`not a sample line: ${line}`);
    const labels = line[name.length] === "{" ? labelNames(line, name.length + 1) : new Set<string>();
    // The family a sample belongs to, in either format's naming.
    const family = [
      name,
      ...["_total", "_info", "_bucket", "_sum", "_count"].map((s) => name.replace(new RegExp(`${s}$`), "")),
    ].find((f) => types.has(f));
    if (!family) throw new Error(`${name}: no # TYPE line for its family`);
    const known = samples.get(name);
    if (known) for (const l of labels) known.labels.add(l);
    else samples.set(name, { family, type: types.get(family) as string, labels });
  }
  return { samples };
}

/** Whether a sample only grows, so a dashboard must take its rate. */
const isCounterLike = (s: { type: string }) => s.type === "counter" || s.type === "histogram";

// --- the dashboard's queries -------------------------------------------------------------------------

/** PromQL's functions and aggregations (Prometheus 2.x and 3.x). */
const FUNCTIONS = new Set(
  (
    "abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max " +
    "clamp_min cos cosh count_over_time days_in_month day_of_month day_of_week day_of_year deg delta deriv exp " +
    "floor histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev histogram_stdvar " +
    "histogram_sum holt_winters double_exponential_smoothing hour idelta increase irate label_join label_replace " +
    "last_over_time ln log10 log2 mad_over_time max_over_time min_over_time minute month pi predict_linear " +
    "present_over_time quantile_over_time rad rate resets round scalar sgn sin sinh sort sort_by_label " +
    "sort_by_label_desc sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time timestamp vector year " +
    "sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio"
  ).split(" "),
);
const AGGREGATIONS = new Set(
  "sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio".split(
    " ",
  ),
);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "atan2"]);
const RATE_FUNCTIONS = new Set(["rate", "irate", "increase"]);

interface Selector {
  metric: string;
  /** Its label matchers, as written. */
  matchers: { name: string; value: string }[];
  /** The innermost function it is an argument of, if any. */
  within: string | null;
}

interface Parsed {
  selectors: Selector[];
  /** Label names of by/without/on/ignoring/group_left/group_right clauses. */
  grouping: Set<string>;
  functions: Set<string>;
  /** The ranges in square brackets, as written. */
  ranges: string[];
}

type Token = { kind: "ident" | "string" | "number" | "range" | "punct"; text: string };

function tokens(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const rest = expr.slice(i);
    const c = expr[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === "\\" && c !== "`" ? 2 : 1;
      if (j >= expr.length) throw new Error(`unterminated string in ${expr}`);
      out.push({ kind: "string", text: expr.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "[") {
      const j = expr.indexOf("]", i);
      if (j < 0) throw new Error(`unterminated range in ${expr}`);
      out.push({ kind: "range", text: expr.slice(i + 1, j) });
      i = j + 1;
    } else if (/^[a-zA-Z_:]/.test(c)) {
      const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest)?.[0] as string;
      out.push({ kind: "ident", text: ident });
      i += ident.length;
    } else if (/^[0-9.]/.test(c)) {
      const n = /^[0-9.]+(e[+-]?[0-9]+)?/i.exec(rest)?.[0] as string;
      out.push({ kind: "number", text: n });
      i += n.length;
    } else if (c === "$") {
      throw new Error(`a Grafana variable outside a string or range: ${rest.slice(0, 30)} in ${expr}`);
    } else {
      const op = /^(=~|!~|!=|==|>=|<=|[-+*/%^(){},=<>])/.exec(rest)?.[0];
      if (!op) throw new Error(`unexpected ${c} in ${expr}`);
      out.push({ kind: "punct", text: op });
      i += op.length;
    }
  }
  return out;
}

/** Reads a PromQL expression's selectors, groupings and functions; throws on what it cannot place. */
function parsePromQL(expr: string): Parsed {
  const ts = tokens(expr);
  const parsed: Parsed = { selectors: [], grouping: new Set(), functions: new Set(), ranges: [] };
  /** Open parentheses: the function each belongs to, or null for grouping parentheses. */
  const calls: (string | null)[] = [];
  let pendingCall: string | null = null;
  const within = () => [...calls].reverse().find((c) => c !== null) ?? null;
  const labelList = (from: number): number => {
    let i = from;
    if (ts[i]?.text !== "(") throw new Error(`${ts[from - 1]?.text} without a label list in ${expr}`);
    for (i++; ts[i] && ts[i]?.text !== ")"; i++) {
      const t = ts[i] as Token;
      if (t.kind === "ident") parsed.grouping.add(t.text);
      else if (t.text !== ",") throw new Error(`unexpected ${t.text} in a label list of ${expr}`);
    }
    return i;
  };
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as Token;
    const next = ts[i + 1];
    if (t.kind === "range") {
      parsed.ranges.push(t.text);
    } else if (t.kind === "ident" && GROUPING.has(t.text)) {
      // group_left and group_right may stand without a list.
      if (next?.text === "(") i = labelList(i + 1);
    } else if (t.kind === "ident" && KEYWORDS.has(t.text)) {
      // an operator
    } else if (t.kind === "ident" && next?.text === "(") {
      if (!FUNCTIONS.has(t.text)) throw new Error(`unknown function ${t.text} in ${expr}`);
      parsed.functions.add(t.text);
      calls.push(t.text);
      i++;
    } else if (t.kind === "ident" && AGGREGATIONS.has(t.text) && next && GROUPING.has(next.text)) {
      // sum by (a, b) (expr)
      parsed.functions.add(t.text);
      i = labelList(i + 2);
      pendingCall = t.text;
    } else if (t.kind === "ident") {
      const selector: Selector = { metric: t.text, matchers: [], within: within() };
      if (next?.text === "{") {
        let j = i + 2;
        for (; ts[j] && ts[j]?.text !== "}"; j++) {
          const name = ts[j] as Token;
          const op = ts[j + 1];
          const value = ts[j + 2];
          if (
            name.kind !== "ident" ||
            !op ||
            !["=", "!=", "=~", "!~"].includes(op.text) ||
            value?.kind !== "string"
          )
            throw new Error(`a matcher that is not label op "value" in ${expr}`);
          selector.matchers.push({ name: name.text, value: value.text });
          j += 2;
          if (ts[j + 1]?.text === ",") j++;
        }
        i = j;
      }
      parsed.selectors.push(selector);
    } else if (t.text === "(") {
      calls.push(pendingCall);
      pendingCall = null;
    } else if (t.text === ")") {
      if (calls.length === 0) throw new Error(`unbalanced ) in ${expr}`);
      calls.pop();
    } else if (t.text === "{") {
      throw new Error(`a selector without a metric name in ${expr}`);
    }
  }
  if (calls.length > 0) throw new Error(`unbalanced ( in ${expr}`);
  return parsed;
}

interface Query {
  /** Where it is in the dashboard, for the failure message. */
  where: string;
  expr: string;
  legend?: string;
}

interface Dashboard {
  __inputs?: { name: string; type: string; pluginId: string }[];
  schemaVersion: number;
  uid: string;
  templating: { list: { name: string; type: string; query?: unknown; datasource?: unknown }[] };
  panels: Panel[];
}

interface Panel {
  id: number;
  title: string;
  type: string;
  datasource?: unknown;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string; legendFormat?: string; datasource?: unknown }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_JSON, "utf8")) as Dashboard;
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** `label_values(selector, label)`: Grafana's variable query, not PromQL; its selector is. */
const LABEL_VALUES = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/s;

function panelQueries(): Query[] {
  return allPanels(dashboard.panels).flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      where: `panel "${p.title}" ${t.refId}`,
      expr: t.expr,
      ...(t.legendFormat !== undefined ? { legend: t.legendFormat } : {}),
    })),
  );
}

function variableQueries(): { where: string; selector: string; label: string }[] {
  return dashboard.templating.list
    .filter((v) => v.type === "query")
    .map((v) => {
      const query =
        typeof v.query === "string" ? v.query : (v.query as { query?: string } | undefined)?.query;
      const m = LABEL_VALUES.exec(query ?? "");
      if (!m) throw new Error(`variable ${v.name}: not a label_values(selector, label) query: ${query}`);
      return { where: `variable ${v.name}`, selector: m[1] as string, label: m[2] as string };
    });
}

/** The expression with Grafana's variables as Prometheus would get them. */
const asSent = (expr: string) => expr.replaceAll("$__rate_interval", "4s").replace(/\$\{?\w+\}?/g, ".*");

/** Label names a legend such as `{{op}} {{label}}` reads. */
const legendLabels = (legend: string) =>
  [...legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map((m) => m[1] as string);

// --- the tests ----------------------------------------------------------------------------------------

describe("monitoring/prometheus.yml", () => {
  const config = parse(readFileSync(PROMETHEUS_YML, "utf8")) as {
    global?: { scrape_interval?: string; scrape_timeout?: string };
    scrape_configs?: {
      job_name: string;
      scrape_interval?: string;
      scrape_timeout?: string;
      metrics_path?: string;
      static_configs?: { targets?: string[] }[];
    }[];
  };

  it(`scrapes ${METRICS_PATH} at ${SCRAPED} every second`, () => {
    const jobs = (config.scrape_configs ?? []).filter((job) =>
      (job.static_configs ?? []).some((s) => (s.targets ?? []).includes(SCRAPED)),
    );
    expect(jobs.map((j) => j.job_name)).toEqual(["reinvent-bench"]);
    const job = jobs[0] as NonNullable<typeof config.scrape_configs>[number];
    expect(job.scrape_interval ?? config.global?.scrape_interval).toBe("1s");
    expect(job.metrics_path ?? "/metrics").toBe(METRICS_PATH);
    const timeout = job.scrape_timeout ?? config.global?.scrape_timeout ?? "10s";
    expect(["1s", "900ms", "500ms"]).toContain(timeout);
  });

  it("is a config promtool accepts", () => {
    if (!existsSync(PROMTOOL))
      throw new Error(
        `${PROMTOOL} is missing: install the prometheus package (apt-get install prometheus), which CI installs`,
      );
    const check = spawnSync(PROMTOOL, ["check", "config", PROMETHEUS_YML], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(check.status, `promtool check config:\n${check.stdout}${check.stderr}`).toBe(0);
  });
});

describe("monitoring/grafana-dashboard.json", () => {
  const withServer = exposed(syntheticState(true), "prometheus");
  const withoutServer = exposed(syntheticState(false), "prometheus");
  const samples = withServer.samples;
  const queries = panelQueries();
  let dir = "";
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads the same sample names and labels from either exposition format", () => {
    const openMetrics = exposed(syntheticState(true), "openmetrics").samples;
    expect([...openMetrics.keys()].sort()).toEqual([...samples.keys()].sort());
    for (const [name, s] of samples)
      expect([...(openMetrics.get(name)?.labels ?? [])].sort()).toEqual([...s.labels].sort());
  });

  it("has its data source as the DS_PROMETHEUS input and variable, on every panel, query and variable", () => {
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }),
    );
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", query: "prometheus" }),
    );
    const ds = { type: "prometheus", uid: `\${DS_PROMETHEUS}` };
    for (const panel of allPanels(dashboard.panels)) {
      expect(panel.datasource, panel.title).toEqual(ds);
      for (const t of panel.targets ?? []) expect(t.datasource, `${panel.title} ${t.refId}`).toEqual(ds);
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === "query"))
      expect(v.datasource).toEqual(ds);
  });

  it("is templated on scenario and label, and its queries use them", () => {
    const names = dashboard.templating.list.map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(["scenario", "label"]));
    for (const q of queries) {
      const selectors = parsePromQL(q.expr).selectors;
      for (const s of selectors) {
        expect(s.matchers, `${q.where}: ${s.metric}`).toContainEqual({
          name: "scenario",
          value: "$scenario",
        });
        expect(s.matchers, `${q.where}: ${s.metric}`).toContainEqual({ name: "label", value: "$label" });
      }
    }
    for (const v of variableQueries())
      expect(samples.get(v.selector.split("{")[0] as string)?.labels, v.where).toContain(v.label);
  });

  it("names only metrics and labels the endpoint exposes", () => {
    const problems: string[] = [];
    const check = (where: string, expr: string, legend?: string, listsOnly = false) => {
      const parsed = parsePromQL(expr);
      const labels = new Set<string>();
      for (const s of parsed.selectors) {
        const exposedAs = samples.get(s.metric);
        if (!exposedAs) {
          problems.push(`${where}: ${s.metric} is not exposed`);
          continue;
        }
        for (const l of exposedAs.labels) labels.add(l);
        for (const m of s.matchers)
          if (m.name !== "__name__" && !exposedAs.labels.has(m.name))
            problems.push(`${where}: ${s.metric} has no label ${m.name}`);
        if (listsOnly) continue;
        // A counter or histogram only grows: it is read through a rate; a gauge is not.
        const rated = s.within !== null && RATE_FUNCTIONS.has(s.within);
        if (isCounterLike(exposedAs) !== rated)
          problems.push(`${where}: ${s.metric} (${exposedAs.type}) ${rated ? "is" : "is not"} inside rate()`);
        if (
          s.metric.endsWith("_bucket") &&
          !(parsed.functions.has("histogram_quantile") && parsed.grouping.has("le"))
        )
          problems.push(`${where}: ${s.metric} outside histogram_quantile(..., sum by (le, ...) (...))`);
      }
      for (const l of parsed.grouping)
        if (!labels.has(l)) problems.push(`${where}: grouping by ${l}, not a label of its metrics`);
      for (const l of legendLabels(legend ?? "")) {
        if (!labels.has(l)) problems.push(`${where}: legend {{${l}}} is not a label of its metrics`);
        else if (parsed.grouping.size > 0 && !parsed.grouping.has(l))
          problems.push(`${where}: legend {{${l}}} is aggregated away`);
      }
      for (const r of parsed.ranges)
        if (r !== "$__rate_interval") problems.push(`${where}: range [${r}], not [$__rate_interval]`);
    };
    for (const q of queries) check(q.where, q.expr, q.legend);
    // A variable only lists label values: any series of the metric will do.
    for (const v of variableQueries()) check(v.where, v.selector, undefined, true);
    expect(problems).toEqual([]);
  });

  it("shows every family the endpoint serves (up and statements in flight aside)", () => {
    const used = new Set(
      queries.flatMap((q) => parsePromQL(q.expr).selectors.map((s) => samples.get(s.metric)?.family)),
    );
    const families = new Set([...samples.values()].map((s) => s.family));
    expect([...families].filter((f) => !used.has(f) && !NOT_ON_DASHBOARD.has(f))).toEqual([]);
  });

  it("reads the server's figures from the families a second with server figures adds, under names the sampler reads", () => {
    const serverFamilies = new Set(
      [...samples.entries()].filter(([name]) => !withoutServer.samples.has(name)).map(([, s]) => s.family),
    );
    expect(serverFamilies.size).toBeGreaterThan(0);
    const serverSelectors = queries.flatMap((q) =>
      parsePromQL(q.expr)
        .selectors.filter((s) => serverFamilies.has(samples.get(s.metric)?.family ?? ""))
        .map((s) => ({ ...s, where: q.where })),
    );
    expect(new Set(serverSelectors.map((s) => samples.get(s.metric)?.family))).toEqual(serverFamilies);
    // Levels are read as levels, counters as their rate: a name under the other family has no series.
    const sampled: Record<string, readonly string[]> = {
      [`${METRIC_PREFIX}server_status`]: GAUGES,
      [`${METRIC_PREFIX}server_status_per_second`]: RATE_COUNTERS,
    };
    for (const s of serverSelectors) {
      const names = s.matchers.filter((m) => m.name === "name").map((m) => m.value);
      expect(names, `${s.where}: ${s.metric} picks one status name`).toHaveLength(1);
      expect(sampled[s.metric], `${s.where}: ${s.metric}`).toContain(names[0]);
    }
  });

  it("lays its panels out on the 24-column grid without overlaps", () => {
    const panels = allPanels(dashboard.panels);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const { title, gridPos: g } of panels) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
  });

  it("has queries promtool parses", () => {
    if (!existsSync(PROMTOOL))
      throw new Error(
        `${PROMTOOL} is missing: install the prometheus package (apt-get install prometheus), which CI installs`,
      );
    dir = tempDir("rb-monitoring-");
    const rules = join(dir, "dashboard-rules.yml");
    const exprs = [...queries, ...variableQueries().map((v) => ({ where: v.where, expr: v.selector }))];
    const group = {
      name: "dashboard",
      rules: exprs.map((q, i) => ({ record: `dashboard:query_${i}`, expr: asSent(q.expr) })),
    };
    const index = exprs.map((q, i) => `dashboard:query_${i} is ${q.where}`).join("\n");
    writeFileSync(rules, JSON.stringify({ groups: [group] }, null, 2));
    const check = spawnSync(PROMTOOL, ["check", "rules", rules], { encoding: "utf8", timeout: 30_000 });
    expect(check.status, `promtool check rules:\n${check.stdout}${check.stderr}\n${index}`).toBe(0);
  });
});
