import type { IntervalRecord } from "./interval-record.js";

type Kind = "text" | "number" | "boolean" | "json";
type Column = readonly [name: string, kind: Kind, value: (record: IntervalRecord) => unknown];

/**
 * The interval stream's CSV columns, fixed for every run so one header serves every scenario, phase
 * and trial of it. A column is the JSONL line's key of the same name; objects of a fixed shape are
 * spread over dotted columns (generator.inFlight), and those keyed by names that vary between
 * workloads and servers (ops, error codes, status counters) are one column of JSON text each.
 */
const COLUMNS: readonly Column[] = [
  ["scenario", "text", (r) => r.scenario],
  ["label", "text", (r) => r.label],
  ["client", "number", (r) => r.client],
  ["phase", "text", (r) => r.phase],
  ["targetRatePerSec", "number", (r) => r.targetRatePerSec],
  ["startEpochMs", "number", (r) => r.startEpochMs],
  ["startTime", "text", (r) => r.startTime],
  ["spanMs", "number", (r) => r.spanMs],
  ["t", "number", (r) => r.t],
  ["readsPerSec", "number", (r) => r.readsPerSec],
  ["writesPerSec", "number", (r) => r.writesPerSec],
  ["txnPerSec", "number", (r) => r.txnPerSec],
  ["errors", "number", (r) => r.errors],
  ["generator.utilizationMax", "number", (r) => r.generator.utilizationMax],
  ["generator.delayP99MaxMs", "number", (r) => r.generator.delayP99MaxMs],
  ["generator.inFlight", "number", (r) => r.generator.inFlight],
  ["generator.backlog", "number", (r) => r.generator.backlog],
  ["generator.clientCpuMs", "number", (r) => r.generator.clientCpuMs],
  ["generator.clientBound", "boolean", (r) => r.generator.clientBound],
  ["connections.alive", "number", (r) => r.connections?.alive ?? null],
  ["connections.lost", "number", (r) => r.connections?.lost ?? null],
  ["connections.reconnected", "number", (r) => r.connections?.reconnected ?? null],
  ["backlog", "number", (r) => r.backlog],
  ["latencyMs", "json", (r) => r.latencyMs],
  ["errorsByCode", "json", (r) => r.errorsByCode],
  ["server", "json", (r) => r.server],
];

export const CSV_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

const NEEDS_QUOTES = /[",]/;

const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;

/**
 * One cell, RFC 4180 style. Null is an empty cell (as is a number that is not finite); JSON cells
 * are always quoted; a line break inside text becomes a space, so every record is one line and a
 * reader of a growing file can split on newlines.
 */
function cell(kind: Kind, value: unknown): string {
  if (value === null || value === undefined) return "";
  switch (kind) {
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? String(value) : "";
    case "boolean":
      return value ? "true" : "false";
    case "json":
      return quoted(JSON.stringify(value));
    case "text": {
      const text = String(value).replace(/\r\n|\r|\n/g, " ");
      return NEEDS_QUOTES.test(text) ? quoted(text) : text;
    }
  }
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(",")}\n`;
}

export function csvRow(record: IntervalRecord): string {
  return `${COLUMNS.map(([, kind, value]) => cell(kind, value(record))).join(",")}\n`;
}
