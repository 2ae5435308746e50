import { describe, expect, it } from "vitest";
import { encodeQuery, type ReplyOutcome, ReplyScanner } from "./wire.js";

/** A packet: 3-byte little-endian length, sequence id, payload. */
function packet(sequence: number, payload: number[] | Buffer): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([
    Buffer.from([body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16, sequence]),
    body,
  ]);
}

const ok = (affected: number, status = 0x0002) =>
  packet(1, [0x00, affected, 0x00, status & 0xff, status >> 8, 0, 0]);
const eof = (status = 0x0002) => packet(0, [0xfe, 0, 0, status & 0xff, status >> 8]);
const err = (code: number, message: string) =>
  packet(1, Buffer.concat([Buffer.from([0xff, code & 0xff, code >> 8]), Buffer.from(`#40001${message}`)]));

function resultSet(columns: number, rows: number, status = 0x0002): Buffer {
  const parts = [packet(1, [columns])];
  for (let c = 0; c < columns; c++)
    parts.push(packet(2 + c, Buffer.from(`\x03def\x00\x00\x00\x01c\x00\x0c`)));
  parts.push(eof());
  for (let r = 0; r < rows; r++) parts.push(packet(10 + r, Buffer.from(`\x0b${"1".repeat(11)}`)));
  parts.push(eof(status));
  return Buffer.concat(parts);
}

function scan(bytes: Buffer, chunkSize: number): ReplyOutcome[] {
  const outcomes: ReplyOutcome[] = [];
  const scanner = new ReplyScanner((outcome) => outcomes.push({ ...outcome }));
  for (let at = 0; at < bytes.length; at += chunkSize) scanner.feed(bytes.subarray(at, at + chunkSize));
  return outcomes;
}

describe("encodeQuery", () => {
  it("frames a COM_QUERY: length, sequence 0, command 3, the SQL", () => {
    const { buffer, length } = encodeQuery(Buffer.alloc(8), "SELECT 1", false);
    expect(length).toBe(4 + 1 + 8);
    expect([...buffer.subarray(0, 5)]).toEqual([9, 0, 0, 0, 3]);
    expect(buffer.toString("latin1", 5, length)).toBe("SELECT 1");
  });

  it("carries an empty attribute set when query attributes were negotiated", () => {
    const { buffer, length } = encodeQuery(Buffer.alloc(64), "COMMIT", true);
    expect([...buffer.subarray(0, 7)]).toEqual([9, 0, 0, 0, 3, 0, 1]);
    expect(buffer.toString("latin1", 7, length)).toBe("COMMIT");
  });

  it("encodes lengths above 255 in three bytes", () => {
    const sql = `SELECT '${"x".repeat(70_000)}'`;
    const { buffer } = encodeQuery(Buffer.alloc(16), sql, false);
    expect(buffer.readUIntLE(0, 3)).toBe(sql.length + 1);
  });
});

describe("ReplyScanner", () => {
  it("reads an OK packet's affected rows", () => {
    expect(scan(ok(1), 1000)).toEqual([{ errorCode: 0, rows: 1, message: "" }]);
  });

  it("reads an ERR packet's code and message", () => {
    expect(scan(err(1213, "Deadlock found"), 1000)).toEqual([
      { errorCode: 1213, rows: 0, message: "Deadlock found" },
    ]);
  });

  it("counts the rows of a result set, whatever the chunking", () => {
    const bytes = Buffer.concat([resultSet(1, 3), ok(0), resultSet(2, 0), err(1205, "Lock wait timeout")]);
    const expected = [
      { errorCode: 0, rows: 3, message: "" },
      { errorCode: 0, rows: 0, message: "" },
      { errorCode: 0, rows: 0, message: "" },
      { errorCode: 1205, rows: 0, message: "Lock wait timeout" },
    ];
    for (const chunk of [1, 2, 3, 5, 7, 64, bytes.length])
      expect(scan(bytes, chunk), `chunk ${chunk}`).toEqual(expected);
  });

  it("waits for the last result of a multi-result reply", () => {
    const bytes = Buffer.concat([resultSet(1, 2, 0x000a), ok(0)]);
    expect(scan(bytes, 4)).toEqual([{ errorCode: 0, rows: 2, message: "" }]);
  });

  it("an error in the middle of rows ends the reply with that error", () => {
    const head = resultSet(1, 2).subarray(0, -9); // drop the closing EOF
    expect(scan(Buffer.concat([head, err(1317, "Query execution was interrupted")]), 3)).toEqual([
      { errorCode: 1317, rows: 0, message: "Query execution was interrupted" },
    ]);
  });
});
