import type { ParamType } from "../workload/prepared.js";

/**
 * The MySQL binary protocol (prepared statements), reduced to what a load generator needs:
 * COM_STMT_PREPARE and its answer (the statement id and how many parameters it takes), and
 * COM_STMT_EXECUTE with integers as MYSQL_TYPE_LONGLONG and strings as MYSQL_TYPE_VAR_STRING.
 * An execution's reply is an OK, an ERR or a binary result set, which ReplyScanner (wire.ts) reads
 * as it reads a text one: a binary row is a packet of its own starting with 0x00, so rows are
 * counted and skipped by their packet length, their NULL bitmap and values never read.
 * Layouts: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_prepare.html
 * and page_protocol_com_stmt_execute.html. CLIENT_DEPRECATE_EOF is never asked for by mysql2, so
 * the column definitions end with an EOF packet, as wire.ts assumes too.
 */

const HEADER_BYTES = 4;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;
const OK = 0x00;
const ERR = 0xff;
const MAX_PACKET_PAYLOAD = 0xffffff;

export const MYSQL_TYPE_LONGLONG = 0x08;
export const MYSQL_TYPE_VAR_STRING = 0xfd;
/** COM_STMT_EXECUTE flags: no cursor; parameter_count follows (with query attributes). */
const CURSOR_TYPE_NO_CURSOR = 0x00;
const PARAMETER_COUNT_AVAILABLE = 0x08;
const TWO_32 = 4_294_967_296;

function writeHeader(out: Buffer, payload: number): void {
  out[0] = payload & 0xff;
  out[1] = (payload >> 8) & 0xff;
  out[2] = (payload >> 16) & 0xff;
  out[3] = 0; // sequence id: a command starts a new sequence
}

/** A COM_STMT_PREPARE packet for `sql` (ASCII/latin1 text, as the benchmark's statements are). */
export function encodePrepare(sql: string): Buffer {
  const payload = 1 + sql.length;
  if (payload > MAX_PACKET_PAYLOAD) throw new Error("statement longer than one packet");
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload);
  writeHeader(out, payload);
  out[HEADER_BYTES] = COM_STMT_PREPARE;
  out.write(sql, HEADER_BYTES + 1, "latin1");
  return out;
}

function lengthEncodedBytes(value: number): number {
  if (value < 0xfb) return 1;
  if (value < 0x10000) return 3;
  if (value < 0x1000000) return 4;
  return 9;
}

function writeLengthEncoded(out: Buffer, at: number, value: number): number {
  if (value < 0xfb) {
    out[at] = value;
    return at + 1;
  }
  if (value < 0x10000) {
    out[at] = 0xfc;
    out.writeUInt16LE(value, at + 1);
    return at + 3;
  }
  if (value < 0x1000000) {
    out[at] = 0xfd;
    out.writeUIntLE(value, at + 1, 3);
    return at + 4;
  }
  out[at] = 0xfe;
  out.writeUInt32LE(value % TWO_32, at + 1);
  out.writeUInt32LE(Math.floor(value / TWO_32), at + 5);
  return at + 9;
}

/** A signed 64-bit little-endian integer; whole numbers up to 2^53 are exact. */
function writeLongLong(out: Buffer, at: number, value: number): void {
  if (value >= 0) {
    const low = value % TWO_32;
    out.writeUInt32LE(low, at);
    out.writeUInt32LE((value - low) / TWO_32, at + 4);
  } else {
    out.writeBigInt64LE(BigInt(value), at);
  }
}

/**
 * Writes a COM_STMT_EXECUTE of statement `statementId` with `values` (one per parameter, numbers for
 * "int", latin1 strings for "string") into `buffer`, growing it if needed; returns the buffer and the
 * packet's length. No value is NULL, so the NULL bitmap is all zeros. The parameter types go with
 * `sendTypes` (new-params-bound-flag 1): the protocol needs them on a statement's first execution
 * only, and the server keeps them for the next ones, as libmysqlclient (sysbench's driver) sends
 * them. With query attributes negotiated (MySQL 8.0.23+), parameter_count comes first and each type
 * is followed by an empty name, as the page's layout has it.
 */
export function encodeExecute(
  buffer: Buffer,
  statementId: number,
  types: readonly ParamType[],
  values: readonly (number | string)[],
  sendTypes: boolean,
  queryAttributes: boolean,
): { buffer: Buffer; length: number } {
  const count = types.length;
  let payload = 1 + 4 + 1 + 4;
  if (queryAttributes) payload += lengthEncodedBytes(count);
  if (count > 0) {
    payload += ((count + 7) >> 3) + 1;
    if (sendTypes) payload += count * (queryAttributes ? 3 : 2);
    for (let i = 0; i < count; i++) {
      if (types[i] === "int") payload += 8;
      else {
        const length = (values[i] as string).length;
        payload += lengthEncodedBytes(length) + length;
      }
    }
  }
  if (payload > MAX_PACKET_PAYLOAD) throw new Error("statement values longer than one packet");
  const length = HEADER_BYTES + payload;
  let out = buffer;
  if (out.length < length) out = Buffer.allocUnsafe(Math.max(length, out.length * 2));
  writeHeader(out, payload);
  out[4] = COM_STMT_EXECUTE;
  out.writeUInt32LE(statementId, 5);
  out[9] = queryAttributes ? CURSOR_TYPE_NO_CURSOR | PARAMETER_COUNT_AVAILABLE : CURSOR_TYPE_NO_CURSOR;
  out.writeUInt32LE(1, 10); // iteration_count: always 1
  let at = 14;
  if (queryAttributes) at = writeLengthEncoded(out, at, count);
  if (count === 0) return { buffer: out, length };
  const bitmapEnd = at + ((count + 7) >> 3);
  while (at < bitmapEnd) out[at++] = 0;
  out[at++] = sendTypes ? 1 : 0;
  if (sendTypes) {
    for (let i = 0; i < count; i++) {
      out[at++] = types[i] === "int" ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_VAR_STRING;
      out[at++] = 0; // signed
      if (queryAttributes) out[at++] = 0; // parameter_name: empty
    }
  }
  for (let i = 0; i < count; i++) {
    const value = values[i] as number | string;
    if (types[i] === "int") {
      writeLongLong(out, at, value as number);
      at += 8;
    } else {
      const text = value as string;
      at = writeLengthEncoded(out, at, text.length);
      at += out.write(text, at, "latin1");
    }
  }
  return { buffer: out, length };
}

/** The answer to one COM_STMT_PREPARE. */
export interface PrepareOutcome {
  /** 0 for success, else the server's error code. */
  errorCode: number;
  message: string;
  statementId: number;
  params: number;
  columns: number;
}

/**
 * Reads the answers to COM_STMT_PREPAREs, in any chunking, and calls `onReply` once per answer: a
 * COM_STMT_PREPARE_OK (status 0x00, statement id, columns, parameters, then a definition packet per
 * parameter and per column, each list ended by an EOF), or an ERR. Prepares may be pipelined: the
 * answers come in the order they were sent.
 */
export class PrepareScanner {
  /** Definition and EOF packets still to skip before the current answer is complete. */
  private skip = 0;
  private carry: Buffer | null = null;
  private readonly outcome: PrepareOutcome = {
    errorCode: 0,
    message: "",
    statementId: 0,
    params: 0,
    columns: 0,
  };

  constructor(private readonly onReply: (outcome: PrepareOutcome) => void) {}

  feed(chunk: Buffer): void {
    let data = chunk;
    if (this.carry) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let at = 0;
    while (data.length - at >= HEADER_BYTES) {
      const length = data.readUIntLE(at, 3);
      if (data.length - at - HEADER_BYTES < length) break;
      this.packet(data, at + HEADER_BYTES, length);
      at += HEADER_BYTES + length;
    }
    if (at < data.length) this.carry = Buffer.from(data.subarray(at));
  }

  private packet(data: Buffer, at: number, length: number): void {
    if (this.skip > 0) {
      if (--this.skip === 0) this.onReply(this.outcome);
      return;
    }
    const outcome = this.outcome;
    if (data[at] === ERR) {
      outcome.errorCode = data.readUInt16LE(at + 1);
      // "#" and a 5-character SQL state precede the message.
      const messageStart = data[at + 3] === 0x23 ? at + 9 : at + 3;
      outcome.message = data.toString("utf8", messageStart, at + length);
      outcome.statementId = 0;
      outcome.params = 0;
      outcome.columns = 0;
      this.onReply(outcome);
      return;
    }
    if (data[at] !== OK || length < 12) {
      outcome.errorCode = 2027; // CR_MALFORMED_PACKET
      outcome.message = "malformed answer to COM_STMT_PREPARE";
      this.onReply(outcome);
      return;
    }
    outcome.errorCode = 0;
    outcome.message = "";
    outcome.statementId = data.readUInt32LE(at + 1);
    outcome.columns = data.readUInt16LE(at + 5);
    outcome.params = data.readUInt16LE(at + 7);
    this.skip =
      (outcome.params > 0 ? outcome.params + 1 : 0) + (outcome.columns > 0 ? outcome.columns + 1 : 0);
    if (this.skip === 0) this.onReply(outcome);
  }
}
