import type { DatasetOutcome } from "../dataset/sbtest.js";
import type { LoadOutcome, PhaseOutcome } from "../executor/load.js";
import { histogramOf, type OpAggregate } from "../metrics/aggregate.js";
import { type PhaseGeneratorHealth, phaseHealth } from "../metrics/generator-health.js";
import { summarizeMs } from "../metrics/histogram.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import type { Counters } from "../target/facts.js";
import { nonStatementOps } from "../workload/program.js";
import { protocolOf } from "../workload/protocol.js";
import { clientCounterEquivalents, countOps, ratesOf } from "./counting.js";
import { connectionsOf, histogramsByName, intervalEntry } from "./interval-entry.js";
import type { Counts, ScenarioResult, Throughput } from "./schema.js";
import { decideVerdict } from "./verdict.js";

/** Client and server counts may differ by this much before the result is flagged. */
export const COUNTER_TOLERANCE_PCT = 2;

export interface ClientCost {
  cpuUserMs: number;
  cpuSystemMs: number;
  rssPeakBytes: number;
  /** The statement path the workers used. */
  hotPath: "lean" | "mysql2";
}

export interface ScenarioRunData {
  scenario: ResolvedScenario;
  status: ScenarioResult["status"];
  dataset: DatasetOutcome | null;
  loop: LoadOutcome | null;
  counterDelta: Counters | null;
  clientCost: ClientCost | null;
  measuredEnvironment: string;
  /** Things that went wrong around the measurement, shown as warnings. */
  notes?: string[];
  /** The server runs on the client's machine. */
  serverOnClientMachine?: boolean;
}

const EMPTY_COUNTS: Counts = { reads: 0, writes: 0, txns: 0, errors: 0, rollbacks: 0, rows: 0 };

function latencyByName(ops: readonly OpAggregate[], names: readonly string[]): ScenarioResult["latencyMs"] {
  const out: ScenarioResult["latencyMs"] = {};
  ops.forEach((op, i) => {
    const name = names[i];
    const histogram = histogramOf(op);
    if (name && histogram && histogram.totalCount > 0) out[name] = summarizeMs(histogram);
  });
  return out;
}

function phaseFigures(phase: PhaseOutcome, loop: LoadOutcome, transactional: boolean) {
  const totals = phase.aggregate.totals();
  const counts = countOps(totals.ops, loop.ops, transactional);
  const durationMs = Math.max(0, phase.endEpochMs - phase.startEpochMs);
  return { totals, counts, durationMs, throughput: ratesOf(counts, durationMs) };
}

/**
 * Statements the server may run of its own per second of the window, beside the relative
 * tolerance: RDS's rdsadmin updates mysql.rds_heartbeat2 every few seconds, monitoring agents
 * select, and none of that is the client's. Without it one background statement would fail a
 * counter the client expects at 0.
 */
export const COUNTER_SLACK_PER_SEC = 2;
/** The slack's floor, for short windows. */
export const COUNTER_SLACK_MIN = 10;

export { connectionsOf };

export function counterSlack(windowMs: number): number {
  return Math.max(COUNTER_SLACK_MIN, Math.ceil((COUNTER_SLACK_PER_SEC * Math.max(0, windowMs)) / 1000));
}

export function counterChecks(delta: Counters, clientEquivalents: Record<string, number>, windowMs = 0) {
  const slack = counterSlack(windowMs);
  const checks = Object.entries(delta)
    .filter(([name, server]) => server !== 0 || (clientEquivalents[name] ?? 0) !== 0)
    .map(([counter, server]) => {
      const client = clientEquivalents[counter] ?? 0;
      const diff = Math.abs(server - client);
      const diffPct = (diff / Math.max(1, client)) * 100;
      return {
        counter,
        client,
        server,
        diffPct,
        ok: diffPct <= COUNTER_TOLERANCE_PCT || diff <= slack,
      };
    });
  // Counters that moved although the client sent nothing of their kind: the server's own work.
  const movedWithoutClient = checks
    .filter((check) => check.client === 0 && check.server > 0)
    .map((check) => `${check.counter} +${check.server}`);
  return { checks, ok: checks.every((check) => check.ok), slack, movedWithoutClient };
}

function addCounts(a: Counts, b: Counts): Counts {
  return {
    reads: a.reads + b.reads,
    writes: a.writes + b.writes,
    txns: a.txns + b.txns,
    errors: a.errors + b.errors,
    rollbacks: a.rollbacks + b.rollbacks,
    rows: a.rows + b.rows,
  };
}

/** Builds one scenario's entry of result.json from what was measured. Pure: no I/O. */
export function buildScenarioResult(data: ScenarioRunData): ScenarioResult {
  const { scenario, loop } = data;
  const transactional = scenario.workload.transaction !== false;
  const measured = loop?.measured;
  const warnings: string[] = [...(data.notes ?? [])];
  let counts = EMPTY_COUNTS;
  let throughput: Throughput = { readsPerSec: 0, writesPerSec: 0, txnPerSec: 0 };
  let latencyMs: ScenarioResult["latencyMs"] = {};
  let errors: Record<string, number> = {};
  let histograms: Record<string, string> = {};
  let intervals: ScenarioResult["intervals"] = [];
  let measuredMs = 0;
  let serverCounters: ScenarioResult["serverCounters"] = null;
  let statementsSent = 0;
  let generator: PhaseGeneratorHealth | null = null;

  const scheduledSeconds = Math.floor(scenario.load.durationMs / 1000);
  if (loop && measured) {
    const figures = phaseFigures(measured, loop, transactional);
    counts = figures.counts;
    throughput = figures.throughput;
    measuredMs = figures.durationMs;
    latencyMs = latencyByName(figures.totals.ops, loop.ops.names);
    errors = figures.totals.errorsByCode;
    histograms = histogramsByName(figures.totals.ops, loop.ops.names);
    // Statements only: the txn, intended and lateness records describe transactions, not sends; a
    // prepare record is a reopened connection's preparation, not a statement of the load.
    const notStatements = nonStatementOps(loop.ops);
    figures.totals.ops.forEach((op, i) => {
      if (!notStatements.has(i)) statementsSent += op.count + op.errors;
    });
    intervals = measured.aggregate.ordered().map((interval) =>
      intervalEntry(interval, {
        ops: loop.ops,
        transactional,
        // A second is a second, except the last one, cut short by the end of the phase.
        spanMs: Math.min(
          1000,
          Math.max(1, measured.endEpochMs - (measured.startEpochMs + interval.index * 1000)),
        ),
        clientCpuMs: measured.aggregate.clientCpuMs.get(interval.index) ?? null,
        workers: interval.index < scheduledSeconds ? loop.workers : 0,
      }),
    );
    // The share of client-bound seconds is over the scheduled seconds, not the drain that follows them.
    generator = phaseHealth(
      intervals.filter((i) => i.t < scheduledSeconds).map((interval) => interval.generator),
    );
    if (data.counterDelta) {
      const { checks, ok, slack, movedWithoutClient } = counterChecks(
        data.counterDelta,
        clientCounterEquivalents(figures.totals.ops, loop.ops),
        figures.durationMs,
      );
      serverCounters = {
        delta: { ...data.counterDelta },
        tolerancePct: COUNTER_TOLERANCE_PCT,
        slack,
        ok,
        checks,
        ...(movedWithoutClient.length > 0 ? { movedWithoutClient } : {}),
      };
      if (movedWithoutClient.length > 0) {
        warnings.push(
          `server counters moved without the client: ${movedWithoutClient.join(", ")} (the server's own statements: a heartbeat such as RDS's rdsadmin, monitoring, other clients)`,
        );
      }
      if (!ok) {
        const off = checks.filter((check) => !check.ok);
        warnings.push(
          `server counters disagree with the client's counts by more than ${COUNTER_TOLERANCE_PCT}% and ${slack} statements (${off
            .map((check) => `${check.counter}: server ${check.server}, client ${check.client}`)
            .join(", ")})`,
        );
      }
    }
    const lost = loop.connections - measured.aliveConnections;
    if (lost > 0) warnings.push(`${lost} of ${loop.connections} connections were lost during the run`);
  }

  let warmup: ScenarioResult["warmup"] = null;
  if (loop?.warmup) {
    const figures = phaseFigures(loop.warmup, loop, transactional);
    // Warm-ups of workers replaced after them (LoadOutcome.earlierWarmups) sent statements too: the
    // counts hold every warm-up, so that with the measured phase's they add up to what the server ran.
    const earlier = (loop.earlierWarmups ?? []).map((phase) => phaseFigures(phase, loop, transactional));
    const counts = earlier.reduce((sum, e) => addCounts(sum, e.counts), figures.counts);
    const durationMs = earlier.reduce((sum, e) => sum + e.durationMs, figures.durationMs);
    warmup = { durationMs, counts, throughput: ratesOf(counts, durationMs) };
  }

  const claim = scenario.claim ?? null;
  const measuredValue = claim && measured ? throughput[claim.metric] : null;
  const cost = data.clientCost;
  return {
    id: scenario.id,
    kind: scenario.kind,
    title: scenario.title,
    status: data.status,
    claim,
    measured: claim && measuredValue !== null ? { metric: claim.metric, value: measuredValue } : null,
    verdict: decideVerdict({
      scenario,
      status: data.status,
      measuredValue,
      measuredEnvironment: data.measuredEnvironment,
      warnings,
      generator,
      serverOnClientMachine: data.serverOnClientMachine === true,
    }),
    config: scenario,
    dataset: data.dataset,
    measuredFrom: measured ? new Date(measured.startEpochMs).toISOString() : null,
    measuredTo: measured ? new Date(measured.endEpochMs).toISOString() : null,
    measuredMs,
    connections: { opened: loop?.connections ?? 0, aliveAtEnd: measured?.aliveConnections ?? 0 },
    counts,
    throughput,
    latencyMs,
    errors,
    serverCounters,
    warmup,
    intervals,
    histograms,
    client: cost
      ? {
          cpuUserMs: cost.cpuUserMs,
          cpuSystemMs: cost.cpuSystemMs,
          cpuUsPerQuery:
            statementsSent > 0 ? ((cost.cpuUserMs + cost.cpuSystemMs) * 1000) / statementsSent : null,
          rssPeakBytes: cost.rssPeakBytes,
          workers: loop?.workers ?? 0,
          hotPath: cost.hotPath,
          protocol: protocolOf(scenario.workload),
        }
      : null,
    generator,
  };
}

/** A scenario's entry before any of its runs measured: its config, dataset and status, no figures. */
export function unmeasuredScenarioResult(
  data: Pick<
    ScenarioRunData,
    "scenario" | "status" | "dataset" | "measuredEnvironment" | "notes" | "serverOnClientMachine"
  >,
): ScenarioResult {
  return buildScenarioResult({ ...data, loop: null, counterDelta: null, clientCost: null });
}
