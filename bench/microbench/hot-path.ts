import { Bench } from "tinybench";
import { IntervalRecorder } from "../executor/recorder.js";
import { encodeQuery, ReplyScanner } from "../executor/wire.js";
import { encodeExecute } from "../executor/wire-binary.js";
import { newLatencyHistogram } from "../metrics/histogram.js";
import { loadCatalog } from "../scenario/load.js";
import { compileWorkload, newBoundPlan, planTransaction } from "../workload/program.js";
import { seededRandom } from "../workload/random.js";

/**
 * Micro-benchmarks of the pieces every statement goes through: parameter generation, framing,
 * reply scanning and recording. `npm run bench` prints them, so a change that slows one shows up.
 * Figures vary with the machine and its load; compare runs made side by side.
 */

function packet(sequence: number, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, sequence]),
    payload,
  ]);
}

/** A point select's reply: one column, one 119-character row, as the server sends it. */
const selectReply = Buffer.concat([
  packet(1, Buffer.from([1])),
  packet(
    2,
    Buffer.from(
      "\x03def\x06sbtest\x07sbtest1\x07sbtest1\x01c\x01c\x0c\x08\x00\x78\x00\x00\x00\xfe\x00\x00\x00\x00\x00",
      "latin1",
    ),
  ),
  packet(3, Buffer.from([0xfe, 0, 0, 2, 0])),
  packet(4, Buffer.from(`\x77${"12345678901-".repeat(10).slice(0, 119)}`, "latin1")),
  packet(5, Buffer.from([0xfe, 0, 0, 2, 0])),
]);
const okReply = packet(1, Buffer.from([0, 1, 0, 2, 0, 0, 0]));

export async function runHotPathBench(timeMs = 500): Promise<Bench> {
  const catalog = loadCatalog();
  const write = catalog.scenarios.get("aurora-write")?.scenario;
  const read = catalog.scenarios.get("aurora-read")?.scenario;
  if (!write || !read) throw new Error("built-in scenarios missing");
  const writeProgram = compileWorkload(write.workload, write.dataset);
  const readProgram = compileWorkload(read.workload, read.dataset);
  const binaryWrite = compileWorkload({ ...write.workload, protocol: "binary" }, write.dataset);
  const bound = newBoundPlan();
  const insertValues: (number | string)[] = [
    12345,
    67890,
    "12345678901-".repeat(10).slice(0, 119),
    "1".repeat(59),
  ];
  const random = seededRandom(1);
  const sql: string[] = [];
  const ops: number[] = [];
  let buffer: Buffer = Buffer.allocUnsafe(1024);
  let replies = 0;
  const scanner = new ReplyScanner(() => {
    replies++;
  });
  const recorder = new IntervalRecorder(writeProgram.ops.names.length, 1000, 0, () => {});
  recorder.startPhase("measured", 0);
  const histogram = newLatencyHistogram();
  let clock = 0;

  const bench = new Bench({ name: "hot path", time: timeMs });
  bench
    .add("plan write transaction (4 statements)", () => {
      planTransaction(writeProgram, random, sql, ops);
    })
    .add("plan read transaction (10 point selects)", () => {
      planTransaction(readProgram, random, sql, ops);
    })
    .add("plan write transaction, binary protocol (values kept apart)", () => {
      planTransaction(binaryWrite, random, sql, ops, bound);
    })
    .add("frame a statement (COM_QUERY)", () => {
      buffer = encodeQuery(buffer, "SELECT c FROM sbtest17 WHERE id=12345", false).buffer;
    })
    .add("frame a point select's execution (COM_STMT_EXECUTE)", () => {
      buffer = encodeExecute(buffer, 17, ["int"], [12345], false, false).buffer;
    })
    .add("frame an insert's execution (COM_STMT_EXECUTE, 2 ints, 2 strings)", () => {
      buffer = encodeExecute(
        buffer,
        18,
        ["int", "int", "string", "string"],
        insertValues,
        false,
        false,
      ).buffer;
    })
    .add("scan a point select's reply", () => {
      scanner.feed(selectReply);
    })
    .add("scan an OK reply", () => {
      scanner.feed(okReply);
    })
    .add("record a latency (histogram only)", () => {
      histogram.recordValue(250 + (clock++ & 1023));
    })
    .add("record a statement (recorder, 1 s intervals)", () => {
      clock += 0.01;
      recorder.ok(0, 250, 1, clock);
    });
  await bench.run();
  if (replies === 0) throw new Error("the scanner produced no reply");
  return bench;
}
