import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testSecond } from "../testing/live-seconds.js";
import { UsageError } from "../util/errors.js";
import { IntervalStream, intervalStreamFormat } from "./interval-stream.js";
import type { LiveSecond, ServerSecond } from "./second.js";

const BASE_EPOCH_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

const SERVER: ServerSecond = {
  t: 0,
  phase: "measured",
  readEpochMs: BASE_EPOCH_MS + 6003,
  ratesPerSec: { Com_select: 1234.5, Innodb_data_writes: 17 },
  gauges: { Threads_running: 9, Innodb_buffer_pool_pages_dirty: 4711 },
};

/** A warm-up second, a measured second with errors and the server's figures, a short last second. */
function threeSeconds(): LiveSecond[] {
  return [
    testSecond({
      t: 0,
      phase: "warmup",
      startEpochMs: BASE_EPOCH_MS,
      samplesUs: { point_select: [120, 250, 250, 900], begin: [15], commit: [300], txn: [1800] },
    }),
    testSecond({
      t: 0,
      startEpochMs: BASE_EPOCH_MS + 5000,
      samplesUs: {
        point_select: [110, 130, 140, 5000, 12_000],
        update_index: [700, 800, 250_000],
        begin: [12, 14],
        commit: [400, 900],
        txn: [2100, 260_000],
      },
      errorsByCode: { "1213": 2, "1205": 1 },
      clientCpuMs: 350.5,
      server: SERVER,
      context: { targetRatePerSec: 500 },
    }),
    testSecond({
      t: 1,
      startEpochMs: BASE_EPOCH_MS + 6000,
      spanMs: 400,
      samplesUs: { point_select: [95, 97], commit: [333], txn: [1000] },
      health: { alive: 14, lost: 2, reconnected: 1 },
    }),
  ];
}

/** What a line must say, from the second itself: its context, result.json's figures, backlog, server. */
function expectedRecord(second: LiveSecond) {
  const { histograms: _histograms, connections, errorsByCode, ...figures } = second.entry;
  return {
    scenario: second.scenario,
    label: second.label,
    client: second.client,
    phase: second.phase,
    targetRatePerSec: second.targetRatePerSec,
    startEpochMs: second.startEpochMs,
    startTime: new Date(second.startEpochMs).toISOString(),
    spanMs: second.spanMs,
    ...figures,
    connections: connections ?? null,
    errorsByCode: errorsByCode ?? {},
    backlog: second.backlog,
    server: second.server
      ? {
          readEpochMs: second.server.readEpochMs,
          ratesPerSec: second.server.ratesPerSec,
          gauges: second.server.gauges,
        }
      : null,
  };
}

const CSV_HEADER = [
  "scenario",
  "label",
  "client",
  "phase",
  "targetRatePerSec",
  "startEpochMs",
  "startTime",
  "spanMs",
  "t",
  "readsPerSec",
  "writesPerSec",
  "txnPerSec",
  "errors",
  "generator.utilizationMax",
  "generator.delayP99MaxMs",
  "generator.inFlight",
  "generator.backlog",
  "generator.clientCpuMs",
  "generator.clientBound",
  "connections.alive",
  "connections.lost",
  "connections.reconnected",
  "backlog",
  "latencyMs",
  "errorsByCode",
  "server",
];

/** RFC 4180 cells of one line: quoted cells may hold commas and doubled quotes, never line breaks. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new Error(`unterminated quote in ${line}`);
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      cells.push(value);
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      cells.push(line.slice(i, end));
      i = end;
    }
    if (i >= line.length) return cells;
    if (line[i] !== ",") throw new Error(`text after a quoted cell at ${i} in ${line}`);
    i++;
  }
}

/** A CSV row read back into the shape of a JSONL line. */
function recordOfRow(header: readonly string[], line: string) {
  const cells = csvCells(line);
  expect(cells).toHaveLength(header.length);
  const c = Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  const text = (name: string) => c[name] ?? "";
  const num = (name: string) => (text(name) === "" ? null : Number(text(name)));
  const json = (name: string) => (text(name) === "" ? null : JSON.parse(text(name)));
  return {
    scenario: text("scenario"),
    label: text("label"),
    client: num("client"),
    phase: text("phase"),
    targetRatePerSec: num("targetRatePerSec"),
    startEpochMs: num("startEpochMs"),
    startTime: text("startTime"),
    spanMs: num("spanMs"),
    t: num("t"),
    readsPerSec: num("readsPerSec"),
    writesPerSec: num("writesPerSec"),
    txnPerSec: num("txnPerSec"),
    errors: num("errors"),
    latencyMs: json("latencyMs"),
    generator: {
      utilizationMax: num("generator.utilizationMax"),
      delayP99MaxMs: num("generator.delayP99MaxMs"),
      inFlight: num("generator.inFlight"),
      backlog: num("generator.backlog"),
      clientCpuMs: num("generator.clientCpuMs"),
      clientBound: text("generator.clientBound") === "true",
    },
    connections:
      text("connections.alive") === ""
        ? null
        : {
            alive: num("connections.alive"),
            lost: num("connections.lost"),
            reconnected: num("connections.reconnected"),
          },
    errorsByCode: json("errorsByCode"),
    backlog: num("backlog"),
    server: json("server"),
  };
}

/** The complete lines of a file being written: a last line without its newline is not yet one. */
function completeLines(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .slice(0, -1);
}

describe("IntervalStream", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "interval-stream-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes one JSON object per second with result.json's figures, without the histograms", async () => {
    const path = join(dir, "run.jsonl");
    const seconds = threeSeconds();
    const stream = new IntervalStream(path);
    expect(stream.format).toBe("jsonl");
    for (const second of seconds) stream.second(second);
    await stream.close();

    const lines = completeLines(path);
    expect(lines).toHaveLength(3);
    const parsed = lines.map((line) => JSON.parse(line));
    parsed.forEach((record, i) => {
      const second = seconds[i] as LiveSecond;
      expect(record).toEqual(expectedRecord(second));
      expect(record).not.toHaveProperty("histograms");
    });
    // The figures themselves, not only their copy: the known samples' counts and extremes.
    expect(parsed[1].readsPerSec).toBe(5);
    expect(parsed[1].writesPerSec).toBe(3);
    expect(parsed[1].txnPerSec).toBe(2);
    expect(parsed[1].errors).toBe(3);
    expect(parsed[1].errorsByCode).toEqual({ "1213": 2, "1205": 1 });
    expect(parsed[1].latencyMs.update_index.max).toBeCloseTo(250, 0);
    expect(parsed[1].server.gauges.Threads_running).toBe(9);
    expect(parsed[2].readsPerSec).toBe(5); // 2 in 400 ms
    expect(parsed[2].connections).toEqual({ alive: 14, lost: 2, reconnected: 1 });
    expect(parsed[2].server).toBeNull();
    expect(parsed[0].startTime).toBe("2026-01-15T12:00:00.000Z");
  });

  it("writes a CSV with one fixed header whose rows read back to the same figures", async () => {
    const path = join(dir, "run.csv");
    const seconds = threeSeconds();
    const stream = new IntervalStream(path);
    expect(stream.format).toBe("csv");
    for (const second of seconds) stream.second(second);
    await stream.close();

    const [headerLine, ...rows] = completeLines(path);
    const header = csvCells(headerLine ?? "");
    expect(header).toEqual(CSV_HEADER);
    expect(rows).toHaveLength(3);
    rows.forEach((row, i) => {
      expect(recordOfRow(header, row)).toEqual(expectedRecord(seconds[i] as LiveSecond));
    });
    // The label holds a comma and quotes; null is an empty cell.
    const cells = csvCells(rows[0] ?? "");
    expect(cells[1]).toBe('aurora-read @ 16 connections, "hot"');
    expect(cells[header.indexOf("targetRatePerSec")]).toBe("");
    expect(cells[header.indexOf("server")]).toBe("");
  });

  it("keeps every CSV record on one line when a label holds a line break", async () => {
    const path = join(dir, "run.csv");
    const stream = new IntervalStream(path);
    stream.second(
      testSecond({ t: 0, startEpochMs: BASE_EPOCH_MS, samplesUs: {}, context: { label: "two\nlines" } }),
    );
    await stream.close();
    const [, row] = completeLines(path);
    expect(completeLines(path)).toHaveLength(2);
    expect(csvCells(row ?? "")[1]).toBe("two lines");
  });

  for (const name of ["run.jsonl", "run.csv"]) {
    it(`lets a reader parse every second written so far while the run goes on (${name})`, async () => {
      const path = join(dir, name);
      const seconds = threeSeconds();
      const stream = new IntervalStream(path);
      stream.second(seconds[0] as LiveSecond);
      stream.second(seconds[1] as LiveSecond);

      const text = readFileSync(path, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      const lines = completeLines(path);
      const records = name.endsWith(".csv")
        ? lines.slice(1).map((line) => recordOfRow(CSV_HEADER, line))
        : lines.map((line) => JSON.parse(line));
      expect(records).toEqual(seconds.slice(0, 2).map(expectedRecord));

      stream.second(seconds[2] as LiveSecond);
      await stream.close();
      expect(completeLines(path)).toHaveLength(name.endsWith(".csv") ? 4 : 3);
    });
  }

  it("ignores seconds after close and closes once", async () => {
    const path = join(dir, "run.jsonl");
    const stream = new IntervalStream(path);
    await stream.close();
    stream.second(threeSeconds()[0] as LiveSecond);
    await stream.close();
    expect(readFileSync(path, "utf8")).toBe("");
  });
});

describe("intervalStreamFormat", () => {
  it("takes .jsonl and .csv, whatever their case", () => {
    expect(intervalStreamFormat("out/run.jsonl")).toBe("jsonl");
    expect(intervalStreamFormat("out/run.CSV")).toBe("csv");
  });

  it("refuses any other extension with a usage error naming the path and the allowed ones", () => {
    const refused = (path: string) => {
      try {
        intervalStreamFormat(path);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error(`${path} was accepted`);
    };
    expect(refused("out/run.json")).toBe(
      'interval stream out/run.json: extension ".json"; name a file ending in .jsonl (one JSON object per second) or .csv (one row per second)',
    );
    expect(refused("out/run")).toContain("out/run: no extension;");
    expect(refused("out/run.csv.gz")).toContain('extension ".gz"');
  });

  it("refuses before creating the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "interval-stream-"));
    try {
      const path = join(dir, "run.txt");
      expect(() => new IntervalStream(path)).toThrow(UsageError);
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
