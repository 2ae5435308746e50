import type { PhaseName } from "../metrics/interval.js";
import type { IntervalEntry } from "../result/interval-entry.js";
import type { LiveSecond } from "./second.js";

/** The server's figures beside a second, by the server's own names. */
export interface ServerFigures {
  readEpochMs: number;
  ratesPerSec: Record<string, number>;
  gauges: Record<string, number>;
}

/**
 * One second as the interval stream writes it: where it belongs and when, then result.json's
 * intervals[] figures under the same names (less the encoded histograms, which the .hlog holds),
 * the open loop's backlog and the server's figures. Every key is present on every line, null when
 * there is no value, so a reader needs no schema per line.
 */
export interface IntervalRecord {
  scenario: string;
  label: string;
  client: number;
  phase: PhaseName;
  targetRatePerSec: number | null;
  startEpochMs: number;
  /** startEpochMs as an ISO 8601 UTC time, for people and tools that read dates. */
  startTime: string;
  spanMs: number;
  t: number;
  readsPerSec: number;
  writesPerSec: number;
  txnPerSec: number;
  errors: number;
  latencyMs: IntervalEntry["latencyMs"];
  generator: IntervalEntry["generator"];
  connections: NonNullable<IntervalEntry["connections"]> | null;
  /** Empty when the second had no error (result.json then omits the key). */
  errorsByCode: Record<string, number>;
  backlog: number;
  server: ServerFigures | null;
}

export function intervalRecord(second: LiveSecond): IntervalRecord {
  const { entry, server } = second;
  return {
    scenario: second.scenario,
    label: second.label,
    client: second.client,
    phase: second.phase,
    targetRatePerSec: second.targetRatePerSec,
    startEpochMs: second.startEpochMs,
    startTime: new Date(second.startEpochMs).toISOString(),
    spanMs: second.spanMs,
    t: entry.t,
    readsPerSec: entry.readsPerSec,
    writesPerSec: entry.writesPerSec,
    txnPerSec: entry.txnPerSec,
    errors: entry.errors,
    latencyMs: entry.latencyMs,
    generator: entry.generator,
    connections: entry.connections ?? null,
    errorsByCode: entry.errorsByCode ?? {},
    backlog: second.backlog,
    server: server
      ? { readEpochMs: server.readEpochMs, ratesPerSec: server.ratesPerSec, gauges: server.gauges }
      : null,
  };
}
