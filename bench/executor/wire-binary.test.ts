import { describe, expect, it } from "vitest";
import { type ReplyOutcome, ReplyScanner } from "./wire.js";
import { encodeExecute, encodePrepare, type PrepareOutcome, PrepareScanner } from "./wire-binary.js";

const hex = (text: string) => Buffer.from(text.replace(/[\s|]/g, ""), "hex");

function executePacket(...args: Parameters<typeof encodeExecute>): Buffer {
  const { buffer, length } = encodeExecute(...args);
  return Buffer.from(buffer.subarray(0, length));
}

function chunked<T>(bytes: Buffer, chunkSize: number, feed: (chunk: Buffer) => void, out: T[]): T[] {
  for (let at = 0; at < bytes.length; at += chunkSize) feed(bytes.subarray(at, at + chunkSize));
  return out;
}

function scanReplies(bytes: Buffer, chunkSize: number): ReplyOutcome[] {
  const out: ReplyOutcome[] = [];
  const scanner = new ReplyScanner((outcome) => out.push({ ...outcome }));
  return chunked(bytes, chunkSize, (chunk) => scanner.feed(chunk), out);
}

function scanPrepares(bytes: Buffer, chunkSize: number): PrepareOutcome[] {
  const out: PrepareOutcome[] = [];
  const scanner = new PrepareScanner((outcome) => out.push({ ...outcome }));
  return chunked(bytes, chunkSize, (chunk) => scanner.feed(chunk), out);
}

/**
 * Answers captured from MariaDB 10.11.19 (the sandbox server) over a connection mysql2 opened, to
 * statements on `CREATE TABLE t (id INT PRIMARY KEY, k INT NULL, c VARCHAR(8) NULL)` holding
 * (1, 10, 'ab'), (2, NULL, 'xyz'), (3, NULL, NULL).
 */
const MARIADB = {
  /**
   * COM_STMT_PREPARE "SELECT id, k, c FROM t WHERE id BETWEEN ? AND ?": PREPARE_OK (statement 1,
   * 3 columns, 2 parameters), 2 parameter definitions and an EOF, 3 column definitions and an EOF.
   */
  prepareSelect: hex(
    "0c0000010001000000030002000000001800000203646566000000013f00000c3f00000000000680000000001800000303646566000000013f00000c3f000000000006800000000005000004fe0000020023000005036465660673627465737401740174026964026964000c3f000b00000003035000000021000006036465660673627465737401740174016b016b000c3f000b0000000300000000002100000703646566067362746573740174017401630163000ce00020000000fd000000000005000008fe00000200",
  ),
  /** COM_STMT_PREPARE "UPDATE t SET c=? WHERE id=?": statement 2, no columns, 2 parameters. */
  prepareUpdate: hex(
    "0c0000010002000000000002000000001800000203646566000000013f00000c3f00000000000680000000001800000303646566000000013f00000c3f000000000006800000000005000004fe00000200",
  ),
  /** COM_STMT_PREPARE "SELECT nope FROM t WHERE id=?": ERR 1054. */
  prepareUnknownColumn: hex(
    "2a000001ff1e04233432533232556e6b6e6f776e20636f6c756d6e20276e6f70652720696e202753454c45435427",
  ),
  /**
   * COM_STMT_EXECUTE of statement 1 with 1 and 3: 3 column definitions and an EOF, then three binary
   * rows (packets 6, 7, 8) whose NULL bitmaps (offset 2) are 00 (none NULL), 08 (k NULL) and 18 (k
   * and c NULL), then the EOF.
   */
  executeSelect: hex(
    "010000010323000002036465660673627465737401740174026964026964000c3f000b00000003035000000021000003036465660673627465737401740174016b016b000c3f000b0000000300000000002100000403646566067362746573740174017401630163000ce00020000000fd000000000005000005fe000002000d0000060000010000000a0000000261620a0000070008020000000378797a0600000800180300000005000009fe00000200",
  ),
  /** COM_STMT_EXECUTE of statement 2 with 'foo' and 1: OK, 1 row affected, with its info text. */
  executeUpdate: hex(
    "300000010001000200000028526f7773206d6174636865643a203120204368616e6765643a203120205761726e696e67733a2030",
  ),
};

/** The payloads of the packets in `bytes`, in order. */
function payloads(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUIntLE(at, 3);
    out.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

describe("encodePrepare", () => {
  it("frames a COM_STMT_PREPARE: length, sequence 0, command 0x16, the SQL", () => {
    const sql = "SELECT c FROM sbtest1 WHERE id=?";
    const packet = encodePrepare(sql);
    expect([...packet.subarray(0, 5)]).toEqual([sql.length + 1, 0, 0, 0, 0x16]);
    expect(packet.toString("latin1", 5)).toBe(sql);
  });
});

describe("encodeExecute", () => {
  it("matches the protocol page's example, with MYSQL_TYPE_VAR_STRING for its VARCHAR", () => {
    // https://dev.mysql.com/doc/dev/mysql-server/8.0.19/page_protocol_com_stmt_execute.html:
    // 12 00 00 00 17 01 00 00 00 00 01 00 00 00 00 01 0f 00 03 66 6f 6f (statement 1, one
    // parameter 'foo' of type 0x0f). Strings go as 0xfd here, as mysql2 and sysbench send them.
    expect(executePacket(Buffer.alloc(4), 1, ["string"], ["foo"], true, false)).toEqual(
      hex("12000000 17 01000000 00 01000000 00 01 fd00 03666f6f"),
    );
  });

  it("sends integers as MYSQL_TYPE_LONGLONG, eight bytes little-endian (the docs' int64 = 1)", () => {
    // Binary Protocol Value: "01 00 00 00 00 00 00 00 -- int64 = 1".
    const packet = executePacket(Buffer.alloc(64), 9, ["int"], [1], true, false);
    expect(packet).toEqual(hex("16000000 17 09000000 00 01000000 00 01 0800 0100000000000000"));
  });

  it("is byte for byte what mysql2 3.24.6 sends for the same statement and values", () => {
    // mysql2's lib/packets/execute.js (its Execute packet's toPacket(), header filled in) for
    // statement 7 with LONGLONG(123456789012), "12345-67890", LONGLONG(-5).
    const values = [123_456_789_012, "12345-67890", -5];
    expect(executePacket(Buffer.alloc(8), 7, ["int", "string", "int"], values, true, false)).toEqual(
      hex(
        "2e000000 17 07000000 00 01000000 00 01 0800 fd00 0800 141a99be1c000000 0b31323334352d3637383930 fbffffffffffffff",
      ),
    );
    // With query attributes (MySQL 8.0.23+): PARAMETER_COUNT_AVAILABLE, the count, an empty name per type.
    expect(executePacket(Buffer.alloc(8), 7, ["int", "string", "int"], values, true, true)).toEqual(
      hex(
        "32000000 17 07000000 08 01000000 03 00 01 080000 fd0000 080000 141a99be1c000000 0b31323334352d3637383930 fbffffffffffffff",
      ),
    );
  });

  it("leaves the types out after a statement's first execution (new-params-bound-flag 0)", () => {
    expect(executePacket(Buffer.alloc(64), 2, ["string", "int"], ["foo", 1], false, false)).toEqual(
      hex("18000000 17 02000000 00 01000000 00 00 03666f6f 0100000000000000"),
    );
  });

  it("gives a NULL bitmap of (parameters + 7) / 8 bytes, all zeros", () => {
    const nine = Array.from({ length: 9 }, (_, i) => i);
    const packet = executePacket(Buffer.alloc(8), 3, Array(9).fill("int"), nine, false, false);
    // header 4, command 1, id 4, flags 1, iteration 4: the bitmap starts at 14.
    expect([...packet.subarray(14, 17)]).toEqual([0, 0, 0]);
    expect(packet.length).toBe(14 + 2 + 1 + 9 * 8);
    expect(packet.readBigInt64LE(17 + 8 * 8)).toBe(8n);
  });

  it("encodes a string of 251 bytes or more with a 0xfc length (MariaDB's 512 'a' example)", () => {
    // https://mariadb.com/docs/server/reference/clientserver-protocol/protocol-data-types:
    // a string of 512 "a" is fc 00 02 then the 512 bytes.
    const packet = executePacket(Buffer.alloc(8), 1, ["string"], ["a".repeat(512)], false, false);
    expect([...packet.subarray(16, 19)]).toEqual([0xfc, 0x00, 0x02]);
    expect(packet.length).toBe(19 + 512);
    expect(packet.readUIntLE(0, 3)).toBe(packet.length - 4);
  });

  it("writes a statement without parameters as the header alone", () => {
    expect(executePacket(Buffer.alloc(64), 4, [], [], true, false)).toEqual(
      hex("0a000000 17 04000000 00 01000000"),
    );
  });
});

describe("PrepareScanner", () => {
  it("reads MariaDB's answers to pipelined prepares, in order, whatever the chunking", () => {
    const bytes = Buffer.concat([MARIADB.prepareSelect, MARIADB.prepareUnknownColumn, MARIADB.prepareUpdate]);
    const expected: PrepareOutcome[] = [
      { errorCode: 0, message: "", statementId: 1, columns: 3, params: 2 },
      {
        errorCode: 1054,
        message: "Unknown column 'nope' in 'SELECT'",
        statementId: 0,
        columns: 0,
        params: 0,
      },
      { errorCode: 0, message: "", statementId: 2, columns: 0, params: 2 },
    ];
    for (const chunk of [1, 3, 7, 64, bytes.length])
      expect(scanPrepares(bytes, chunk), `chunk ${chunk}`).toEqual(expected);
  });

  it("answers a statement with neither parameters nor columns at its PREPARE_OK", () => {
    expect(scanPrepares(hex("0c000001 00 05000000 0000 0000 00 0000"), 100)).toEqual([
      { errorCode: 0, message: "", statementId: 5, columns: 0, params: 0 },
    ]);
  });
});

/** The NULL columns of a binary row (the docs' layout: header 0x00, then a bitmap with offset 2). */
function nullColumns(row: Buffer, columns: number): number[] {
  const nulls: number[] = [];
  for (let column = 0; column < columns; column++) {
    const bit = column + 2;
    if (((row[1 + (bit >> 3)] as number) >> (bit & 7)) & 1) nulls.push(column);
  }
  return nulls;
}

describe("ReplyScanner on binary result sets", () => {
  it("counts the docs' example result set: one VAR_STRING column, one row 'foobar'", () => {
    // https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
    const example = hex(`
      01000001 01
      1a000002 03646566000000 04636f6c31 00 0c 0800 06000000 fd 0000 1f 0000
      05000003 fe00000200
      09000004 00 00 06666f6f626172
      05000005 fe00000200`);
    for (const chunk of [1, 5, example.length])
      expect(scanReplies(example, chunk)).toEqual([{ errorCode: 0, rows: 1, message: "" }]);
  });

  it("counts rows whatever their NULL bitmaps say, skipping each by its packet length", () => {
    // The captured rows are what they are said to be: packets 6 to 8 of the reply.
    const rows = payloads(MARIADB.executeSelect).slice(5, 8);
    expect(rows.map((row) => nullColumns(row, 3))).toEqual([[], [1], [1, 2]]);
    const bytes = Buffer.concat([MARIADB.executeSelect, MARIADB.executeUpdate]);
    for (const chunk of [1, 2, 9, 33, bytes.length]) {
      expect(scanReplies(bytes, chunk), `chunk ${chunk}`).toEqual([
        { errorCode: 0, rows: 3, message: "" },
        { errorCode: 0, rows: 1, message: "" },
      ]);
    }
  });

  it("a binary row is never taken for the end of the result set, whatever its first bytes", () => {
    // A row of eight NULL columns out of eight: bitmap fc 03, no values. Short, like an EOF, but
    // its header is 0x00, not 0xfe.
    const allNull = hex(`
      01000001 08
      ${Array.from({ length: 8 }, (_, i) => `1a0000${(2 + i).toString(16).padStart(2, "0")} 03646566000000 04636f6c31 00 0c 0800 06000000 fd 0000 1f 0000`).join(" ")}
      0500000a fe00000200
      0300000b 00 fc03
      0500000c fe00000200`);
    expect(nullColumns(payloads(allNull)[10] as Buffer, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(scanReplies(allNull, 4)).toEqual([{ errorCode: 0, rows: 1, message: "" }]);
  });
});
