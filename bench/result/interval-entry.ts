import { encodedOf, histogramOf, type IntervalAggregate, type OpAggregate } from "../metrics/aggregate.js";
import { intervalHealth } from "../metrics/generator-health.js";
import { summarizeMs } from "../metrics/histogram.js";
import type { WorkerHealth } from "../metrics/interval.js";
import type { OpTable } from "../workload/program.js";
import { countOps, ratesOf } from "./counting.js";
import type { ScenarioResult } from "./schema.js";

export type IntervalEntry = ScenarioResult["intervals"][number];

export interface IntervalContext {
  ops: OpTable;
  transactional: boolean;
  /** How long the interval lasted: a second, or less for the last one of a phase. */
  spanMs: number;
  /** The client process's CPU time in the interval; null when not sampled. */
  clientCpuMs: number | null;
  /** Workers expected to report it (0 for the drain after the scheduled seconds). */
  workers: number;
}

export function histogramsByName(
  ops: readonly OpAggregate[],
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  ops.forEach((op, i) => {
    const encoded = encodedOf(op);
    const name = names[i];
    if (name && encoded) out[name] = encoded;
  });
  return out;
}

/** Connections open, lost and reopened in one interval, over the workers that reported it. */
export function connectionsOf(health: readonly WorkerHealth[]): {
  alive: number;
  lost: number;
  reconnected: number;
} {
  let alive = 0;
  let lost = 0;
  let reconnected = 0;
  for (const h of health) {
    alive += h.alive ?? 0;
    lost += h.lost ?? 0;
    reconnected += h.reconnected ?? 0;
  }
  return { alive, lost, reconnected };
}

/**
 * One second of a phase as result.json's intervals[] hold it. The run's live outputs (the interval
 * stream, the metrics endpoint) build theirs with this too, so their figures are result.json's.
 */
export function intervalEntry(interval: IntervalAggregate, context: IntervalContext): IntervalEntry {
  const c = countOps(interval.ops, context.ops, context.transactional);
  const latency: IntervalEntry["latencyMs"] = {};
  interval.ops.forEach((op, i) => {
    const name = context.ops.names[i];
    const histogram = histogramOf(op);
    if (!name || !histogram || histogram.totalCount === 0) return;
    const s = summarizeMs(histogram);
    latency[name] = { p50: s.p50, p99: s.p99, max: s.max };
  });
  return {
    t: interval.index,
    ...ratesOf(c, context.spanMs),
    errors: c.errors,
    latencyMs: latency,
    histograms: histogramsByName(interval.ops, context.ops.names),
    generator: intervalHealth(interval.health, context.clientCpuMs, context.workers),
    connections: connectionsOf(interval.health),
    ...(c.errors > 0 ? { errorsByCode: { ...interval.errorsByCode } } : {}),
  };
}
