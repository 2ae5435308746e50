import { addErrors } from "../metrics/aggregate.js";
import { phaseHealth } from "../metrics/generator-health.js";
import { decodeHistogram, encodeHistogram, mergeEncoded, summarizeMs } from "../metrics/histogram.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { UsageError } from "../util/errors.js";
import { ratesOf } from "./counting.js";
import { COUNTER_TOLERANCE_PCT } from "./scenario-result.js";
import type { Counts, Result, ScenarioResult, ShardDetail } from "./schema.js";
import { serverWorkOf } from "./server-work.js";
import { decideVerdict } from "./verdict.js";

/**
 * Several clients' results of one run, joined into one result as if one client had run it all:
 * counts summed, histograms merged (never percentiles averaged), per-second figures added on the
 * intervals' shared clock (every client started each phase at one agreed instant), each client's
 * own figures kept in `shards[]`. Pure: no I/O.
 */

export interface ShardInput {
  /** Where it came from, for error messages. */
  source: string;
  result: Result;
}

function mergeHistogramMaps(maps: Record<string, string>[]): Record<string, string> {
  const names = [...new Set(maps.flatMap((m) => Object.keys(m)))];
  const out: Record<string, string> = {};
  for (const name of names) {
    const merged = mergeEncoded(maps.map((m) => m[name]).filter((e): e is string => e !== undefined));
    if (merged.totalCount > 0) out[name] = encodeHistogram(merged);
  }
  return out;
}

function latencyOf(histograms: Record<string, string>): ScenarioResult["latencyMs"] {
  const out: ScenarioResult["latencyMs"] = {};
  for (const [name, encoded] of Object.entries(histograms)) out[name] = summarizeMs(decodeHistogram(encoded));
  return out;
}

function sumCounts(list: Counts[]): Counts {
  const out: Counts = { reads: 0, writes: 0, txns: 0, errors: 0, rollbacks: 0, rows: 0 };
  for (const c of list) for (const key of Object.keys(out) as (keyof Counts)[]) out[key] += c[key];
  return out;
}

function sumRecords(list: (Record<string, number> | null | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of list) if (r) addErrors(out, r);
  return out;
}

/**
 * Client 0's counter window against what every client sent: the server may also have counted up to
 * `coordination` statements of the clients' meetings, so a counter is right when it lies between the
 * clients' count and that plus the meetings' (each side with the usual tolerance).
 */
export function mergedCounterChecks(
  delta: Record<string, number>,
  clients: Record<string, number>,
  coordination: Record<string, number>,
): { checks: NonNullable<ScenarioResult["serverCounters"]>["checks"]; ok: boolean } {
  const checks = Object.entries(delta)
    .filter(([name, server]) => server !== 0 || (clients[name] ?? 0) !== 0)
    .map(([counter, server]) => {
      const client = clients[counter] ?? 0;
      const extra = coordination[counter] ?? 0;
      const tolerance = COUNTER_TOLERANCE_PCT / 100;
      const excess = server > client ? Math.max(0, server - client - extra) : client - server;
      const diffPct = (excess / Math.max(1, client)) * 100;
      const ok =
        server >= client * (1 - tolerance) &&
        server <= (client + extra) * (1 + tolerance) + (client === 0 ? extra : 0);
      return { counter, client, server, diffPct, ok };
    });
  return { checks, ok: checks.every((c) => c.ok) };
}

/** Checks the results are the clients of one run, all present once; refuses anything else by name. */
export function checkShards(inputs: ShardInput[]): { count: number; runId: string; ordered: ShardInput[] } {
  if (inputs.length === 0)
    throw new UsageError("merge: give the clients' result.json files (or a log holding them)");
  const first = inputs[0] as ShardInput;
  const clientsOf = (input: ShardInput) => {
    const clients = input.result.clients;
    if (!clients || clients.index === null) {
      throw new UsageError(
        `${input.source}: not one client's result of a run of several (run with --clients N --client-index I --run-id ID)`,
      );
    }
    return { ...clients, index: clients.index };
  };
  const head = clientsOf(first);
  const ids = (r: Result) => r.scenarios.map((s) => s.id).join(",");
  const seen = new Map<number, string>();
  for (const input of inputs) {
    const c = clientsOf(input);
    if (c.runId !== head.runId) {
      throw new UsageError(
        `${input.source}: run ${c.runId}, but ${first.source} is run ${head.runId}; merge one run's clients only`,
      );
    }
    if (c.count !== head.count) {
      throw new UsageError(
        `${input.source}: one of ${c.count} clients, but ${first.source} one of ${head.count}`,
      );
    }
    if (ids(input.result) !== ids(first.result)) {
      throw new UsageError(
        `${input.source}: scenarios ${ids(input.result) || "(none)"}, but ${first.source} has ${ids(first.result) || "(none)"}; merge results of the same scenarios`,
      );
    }
    const again = seen.get(c.index);
    if (again !== undefined)
      throw new UsageError(`${input.source}: client ${c.index} again (also in ${again})`);
    seen.set(c.index, input.source);
  }
  const missing = Array.from({ length: head.count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new UsageError(
      `merge: run ${head.runId} had ${head.count} clients; missing client${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`,
    );
  }
  const ordered = [...inputs].sort((a, b) => (clientsOf(a).index ?? 0) - (clientsOf(b).index ?? 0));
  return { count: head.count, runId: head.runId, ordered };
}

/** An interval's server sample, as a spread: none when the interval has none. */
function serverSecondOf(interval: ScenarioResult["intervals"][number] | undefined) {
  return interval?.server ? { server: interval.server } : {};
}

function mergeIntervals(parts: ScenarioResult[]): ScenarioResult["intervals"] {
  const length = Math.max(0, ...parts.map((p) => p.intervals.length));
  const out: ScenarioResult["intervals"] = [];
  for (let t = 0; t < length; t++) {
    const here = parts.map((p) => p.intervals[t]).filter((i): i is NonNullable<typeof i> => i !== undefined);
    const histograms = mergeHistogramMaps(here.map((i) => i.histograms));
    const latencyMs: ScenarioResult["intervals"][number]["latencyMs"] = {};
    for (const [name, s] of Object.entries(latencyOf(histograms)))
      latencyMs[name] = { p50: s.p50, p99: s.p99, max: s.max };
    const cpu = here.map((i) => i.generator.clientCpuMs);
    const errorsByCode = sumRecords(here.map((i) => i.errorsByCode));
    out.push({
      t,
      readsPerSec: here.reduce((sum, i) => sum + i.readsPerSec, 0),
      writesPerSec: here.reduce((sum, i) => sum + i.writesPerSec, 0),
      txnPerSec: here.reduce((sum, i) => sum + i.txnPerSec, 0),
      errors: here.reduce((sum, i) => sum + i.errors, 0),
      latencyMs,
      histograms,
      generator: {
        utilizationMax: Math.max(0, ...here.map((i) => i.generator.utilizationMax)),
        delayP99MaxMs: Math.max(0, ...here.map((i) => i.generator.delayP99MaxMs)),
        inFlight: here.reduce((sum, i) => sum + i.generator.inFlight, 0),
        backlog: here.reduce((sum, i) => sum + i.generator.backlog, 0),
        clientCpuMs: cpu.every((c) => c === null) ? null : cpu.reduce<number>((sum, c) => sum + (c ?? 0), 0),
        clientBound: here.some((i) => i.generator.clientBound),
      },
      // The server's own second, as client 0 sampled it: one server, whichever client read it.
      ...serverSecondOf(parts[0]?.intervals[t]),
      connections: {
        alive: here.reduce((sum, i) => sum + (i.connections?.alive ?? 0), 0),
        lost: here.reduce((sum, i) => sum + (i.connections?.lost ?? 0), 0),
        reconnected: here.reduce((sum, i) => sum + (i.connections?.reconnected ?? 0), 0),
      },
      ...(Object.keys(errorsByCode).length > 0 ? { errorsByCode } : {}),
    });
  }
  return out;
}

function mergeScenario(
  parts: ScenarioResult[],
  count: number,
  measuredEnvironment: string,
  hosts: string[],
): ScenarioResult {
  const head = parts[0] as ScenarioResult;
  const config = head.config as ResolvedScenario;
  const { shard: _shard, ...rest } = config;
  const merged: ResolvedScenario = {
    ...rest,
    load: { ...config.load, connections: config.load.connectionsPerClient * count },
  };
  const counts = sumCounts(parts.map((p) => p.counts));
  const froms = parts.map((p) => p.measuredFrom).filter((x): x is string => x !== null);
  const tos = parts.map((p) => p.measuredTo).filter((x): x is string => x !== null);
  const measuredFrom = froms.length ? new Date(Math.min(...froms.map(Date.parse))).toISOString() : null;
  const measuredTo = tos.length ? new Date(Math.max(...tos.map(Date.parse))).toISOString() : null;
  const measuredMs = measuredFrom && measuredTo ? Date.parse(measuredTo) - Date.parse(measuredFrom) : 0;
  const histograms = mergeHistogramMaps(parts.map((p) => p.histograms));
  const intervals = mergeIntervals(parts);
  const scheduled = Math.floor(config.load.durationMs / 1000);
  const generator = phaseHealth(intervals.filter((i) => i.t < scheduled).map((i) => i.generator));
  const status: ScenarioResult["status"] = parts.some((p) => p.status === "failed")
    ? "failed"
    : parts.some((p) => p.status === "interrupted")
      ? "interrupted"
      : "complete";
  const warnings: string[] = [];
  // Every client read the server's counters over its own window, which held every client's
  // statements; client 0's window is compared with the sum of what all clients sent.
  let serverCounters: ScenarioResult["serverCounters"] = null;
  const delta = head.shard?.serverCounterDelta ?? null;
  if (delta) {
    const { checks, ok } = mergedCounterChecks(
      delta,
      sumRecords(parts.map((p) => p.shard?.clientCounters)),
      // The meetings at the window's two ends send a few statements of their own inside it.
      sumRecords(
        parts.flatMap((p) =>
          (p.shard?.meetings ?? []).filter((m) => !m.meeting.endsWith(":warmup")).map((m) => m.statements),
        ),
      ),
    );
    serverCounters = { delta: { ...delta }, tolerancePct: COUNTER_TOLERANCE_PCT, ok, checks };
    if (!ok) {
      warnings.push(
        `server counters over client 0's window disagree with the clients' sum by more than ${COUNTER_TOLERANCE_PCT}% (${checks
          .filter((c) => !c.ok)
          .map((c) => `${c.counter}: server ${c.server}, clients ${c.client}`)
          .join(", ")})`,
      );
    }
  }
  const uncertainty = Math.max(
    0,
    ...parts.flatMap((p) => p.shard?.meetings.map((m) => m.uncertaintyMs) ?? []),
  );
  const starts = parts
    .map((p) => (p.measuredFrom ? Date.parse(p.measuredFrom) : Number.NaN))
    .filter(Number.isFinite);
  const skewMs = starts.length > 1 ? Math.max(...starts) - Math.min(...starts) : 0;
  warnings.push(
    `${count} clients started the measured phase within ${skewMs} ms of each other by their own clocks (each placed the agreed start to within ${uncertainty.toFixed(1)} ms)`,
  );
  for (const p of parts) {
    for (const w of p.verdict.warnings)
      if (!w.startsWith("client ") && !warnings.includes(w)) warnings.push(w);
  }
  const throughput = ratesOf(counts, measuredMs);
  const claim = head.claim;
  const measuredValue =
    claim && status === "complete" ? throughput[claim.metric as keyof typeof throughput] : null;
  const cpuUser = parts.reduce((sum, p) => sum + (p.client?.cpuUserMs ?? 0), 0);
  const cpuSystem = parts.reduce((sum, p) => sum + (p.client?.cpuSystemMs ?? 0), 0);
  const latencyMs = latencyOf(histograms);
  // Statements only: txn, intended and lateness time transactions, not sends; prepare, reopened
  // connections' preparations.
  const statements = Object.entries(latencyMs)
    .filter(([name]) => !["txn", "intended", "lateness", "prepare"].includes(name))
    .reduce((sum, [, summary]) => sum + summary.count, 0);
  const shards: ShardDetail[] = parts.map((p, i) => ({
    index: i,
    host: p.shard?.host ?? hosts[i] ?? "unknown",
    measuredFrom: p.measuredFrom,
    measuredTo: p.measuredTo,
    connections: p.connections,
    counts: p.counts,
    throughput: p.throughput,
    generator: p.generator,
    client: p.client,
    meetings: p.shard?.meetings ?? [],
  }));
  return {
    ...head,
    status,
    config: merged,
    measured: claim && measuredValue !== null ? { metric: claim.metric, value: measuredValue } : null,
    verdict: decideVerdict({
      scenario: merged,
      status,
      measuredValue,
      measuredEnvironment,
      warnings,
      generator,
      serverOnClientMachine: false,
    }),
    dataset: parts.find((p) => p.dataset)?.dataset ?? null,
    measuredFrom,
    measuredTo,
    measuredMs,
    connections: {
      opened: parts.reduce((sum, p) => sum + p.connections.opened, 0),
      aliveAtEnd: parts.reduce((sum, p) => sum + p.connections.aliveAtEnd, 0),
    },
    counts,
    throughput,
    latencyMs,
    errors: sumRecords(parts.map((p) => p.errors)),
    serverCounters,
    // Client 0's window held every client's work: per transaction, over every client's transactions.
    ...(head.shard?.serverWorkDelta
      ? { serverWork: serverWorkOf(head.shard.serverWorkDelta, counts.txns) }
      : {}),
    warmup: parts.every((p) => p.warmup)
      ? {
          durationMs: Math.max(...parts.map((p) => p.warmup?.durationMs ?? 0)),
          counts: sumCounts(parts.map((p) => p.warmup?.counts as Counts)),
          throughput: {
            readsPerSec: parts.reduce((s, p) => s + (p.warmup?.throughput.readsPerSec ?? 0), 0),
            writesPerSec: parts.reduce((s, p) => s + (p.warmup?.throughput.writesPerSec ?? 0), 0),
            txnPerSec: parts.reduce((s, p) => s + (p.warmup?.throughput.txnPerSec ?? 0), 0),
          },
        }
      : null,
    intervals,
    histograms,
    client: parts.every((p) => p.client)
      ? {
          cpuUserMs: cpuUser,
          cpuSystemMs: cpuSystem,
          cpuUsPerQuery: statements > 0 ? ((cpuUser + cpuSystem) * 1000) / statements : null,
          rssPeakBytes: Math.max(...parts.map((p) => p.client?.rssPeakBytes ?? 0)),
          workers: parts.reduce((sum, p) => sum + (p.client?.workers ?? 0), 0),
          hotPath: head.client?.hotPath ?? "lean",
          ...(head.client?.protocol ? { protocol: head.client.protocol } : {}),
        }
      : null,
    generator,
    shard: undefined,
    shards,
  };
}

/** One result from all the clients' results of a run. */
export function mergeResults(inputs: ShardInput[]): Result {
  const { count, runId, ordered } = checkShards(inputs);
  const results = ordered.map((i) => i.result);
  const head = results[0] as Result;
  const hosts = results.map((r) => r.environment.client.hostname);
  const measuredEnvironment = `${count} clients (${[...new Set(hosts)].join(", ")}), ${head.environment.client.cpus} CPUs each as reported by client 0; server ${head.environment.target.flavor} ${head.environment.target.version}`;
  const scenarios = head.scenarios.map((_, i) => {
    const { shard: _s, ...scenario } = mergeScenario(
      results.map((r) => r.scenarios[i] as ScenarioResult),
      count,
      measuredEnvironment,
      hosts,
    );
    return scenario;
  });
  const failed = results.find((r) => r.status === "failed");
  const status: Result["status"] = failed
    ? "failed"
    : results.some((r) => r.status === "interrupted")
      ? "interrupted"
      : "complete";
  const finished = results.map((r) => r.finishedAt).filter((x): x is string => x !== null);
  return {
    ...head,
    status,
    ...(failed?.failure ? { failure: failed.failure } : {}),
    startedAt: new Date(Math.min(...results.map((r) => Date.parse(r.startedAt)))).toISOString(),
    finishedAt:
      finished.length === results.length
        ? new Date(Math.max(...finished.map(Date.parse))).toISOString()
        : null,
    command: ["merge", ...inputs.map((i) => i.source)],
    clients: { count, index: null, runId, hosts },
    scenarios,
  };
}
