/**
 * The MySQL client/server protocol's text-query round trip, reduced to what a load generator needs:
 * frame a COM_QUERY, then scan the reply's packets for its outcome (OK with affected rows, a result
 * set with its row count, or an ERR with its code) without building row objects. Connecting,
 * authentication and TLS stay with mysql2; this only runs once the connection is established.
 */

const COM_QUERY = 0x03;
const COM_QUIT = 0x01;
const HEADER_BYTES = 4;
const OK = 0x00;
const ERR = 0xff;
const EOF = 0xfe;
const LOCAL_INFILE = 0xfb;
const MAX_PACKET_PAYLOAD = 0xffffff;
/** Status flag: another result set follows (multi-results). */
const SERVER_MORE_RESULTS_EXISTS = 0x0008;

export const CLIENT_QUERY_ATTRIBUTES = 0x08000000;

/**
 * Writes a COM_QUERY packet for `sql` (ASCII/latin1 text, as the benchmark's statements are) into
 * `buffer`, growing it if needed, and returns the buffer and the packet's length. With query attributes
 * negotiated (MySQL 8.0.23+), the packet carries an empty attribute set first.
 */
export function encodeQuery(
  buffer: Buffer,
  sql: string,
  queryAttributes: boolean,
): { buffer: Buffer; length: number } {
  const prefix = queryAttributes ? 3 : 1;
  const payload = prefix + sql.length;
  const length = HEADER_BYTES + payload;
  let out = buffer;
  if (out.length < length) out = Buffer.allocUnsafe(Math.max(length, out.length * 2));
  out[0] = payload & 0xff;
  out[1] = (payload >> 8) & 0xff;
  out[2] = (payload >> 16) & 0xff;
  out[3] = 0; // sequence id: a command starts a new sequence
  out[4] = COM_QUERY;
  if (queryAttributes) {
    out[5] = 0; // parameter_count
    out[6] = 1; // parameter_set_count
  }
  out.write(sql, HEADER_BYTES + prefix, "latin1");
  return { buffer: out, length };
}

export const QUIT_PACKET = Buffer.from([1, 0, 0, 0, COM_QUIT]);

export interface ReplyOutcome {
  /** 0 for success, else the server's error code. */
  errorCode: number;
  /** Rows in the result set, or affected rows of an OK. */
  rows: number;
  /** The server's error text, only when errorCode is not 0. */
  message: string;
}

enum State {
  First = 0,
  Columns = 1,
  ColumnsEof = 2,
  Rows = 3,
}

/** Reads a length-encoded integer at `at` (values up to 2^53 are exact). */
function lengthEncoded(buffer: Buffer, at: number): number {
  const first = buffer[at] as number;
  if (first < 0xfb) return first;
  if (first === 0xfc) return (buffer[at + 1] as number) | ((buffer[at + 2] as number) << 8);
  if (first === 0xfd) {
    return (
      (buffer[at + 1] as number) | ((buffer[at + 2] as number) << 8) | ((buffer[at + 3] as number) << 16)
    );
  }
  if (first === 0xfe) return buffer.readUInt32LE(at + 1) + buffer.readUInt32LE(at + 5) * 2 ** 32;
  return 0;
}

function lengthEncodedSize(first: number): number {
  if (first < 0xfb) return 1;
  if (first === 0xfc) return 3;
  if (first === 0xfd) return 4;
  if (first === 0xfe) return 9;
  return 1;
}

/**
 * Scans reply bytes as they arrive (in any chunking) and calls `onReply` once per complete reply.
 * Only one query is in flight per connection, so replies never interleave.
 */
export class ReplyScanner {
  private state = State.First;
  private columnsLeft = 0;
  private rows = 0;
  /** Bytes of an incomplete packet carried over to the next chunk. */
  private carry: Buffer | null = null;
  private readonly outcome: ReplyOutcome = { errorCode: 0, rows: 0, message: "" };

  constructor(private readonly onReply: (outcome: ReplyOutcome) => void) {}

  /** Forgets any partial reply (after the connection is lost). */
  reset(): void {
    this.state = State.First;
    this.carry = null;
    this.rows = 0;
  }

  feed(chunk: Buffer): void {
    let data = chunk;
    if (this.carry) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let at = 0;
    const end = data.length;
    while (end - at >= HEADER_BYTES) {
      const length =
        (data[at] as number) | ((data[at + 1] as number) << 8) | ((data[at + 2] as number) << 16);
      if (end - at - HEADER_BYTES < length) break;
      this.packet(data, at + HEADER_BYTES, length);
      at += HEADER_BYTES + length;
    }
    if (at < end) this.carry = Buffer.from(data.subarray(at, end));
  }

  private packet(data: Buffer, at: number, length: number): void {
    const first = length > 0 ? (data[at] as number) : -1;
    switch (this.state) {
      case State.First:
        if (first === OK && length >= 7) {
          const affected = lengthEncoded(data, at + 1);
          const afterAffected = at + 1 + lengthEncodedSize(data[at + 1] as number);
          const afterInsertId = afterAffected + lengthEncodedSize(data[afterAffected] as number);
          const status = (data[afterInsertId] as number) | ((data[afterInsertId + 1] as number) << 8);
          this.rows += affected;
          if (status & SERVER_MORE_RESULTS_EXISTS) return;
          this.finish(0, "");
        } else if (first === ERR) {
          this.error(data, at, length);
        } else if (first === LOCAL_INFILE) {
          // Never requested by the benchmark's statements; refuse rather than hang.
          this.finish(2027, "LOCAL INFILE request is not supported by the load path");
        } else {
          this.columnsLeft = lengthEncoded(data, at);
          this.state = this.columnsLeft > 0 ? State.Columns : State.ColumnsEof;
        }
        return;
      case State.Columns:
        if (--this.columnsLeft === 0) this.state = State.ColumnsEof;
        return;
      case State.ColumnsEof:
        // The EOF that ends the column definitions.
        if (first === ERR) this.error(data, at, length);
        else this.state = State.Rows;
        return;
      case State.Rows:
        if (first === EOF && length < 9) {
          const status = (data[at + 3] as number) | ((data[at + 4] as number) << 8);
          if (status & SERVER_MORE_RESULTS_EXISTS) {
            this.state = State.First;
            return;
          }
          this.finish(0, "");
        } else if (first === ERR) {
          this.error(data, at, length);
        } else if (length !== MAX_PACKET_PAYLOAD) {
          // A row; a packet of the maximal size continues in the next one and is the same row.
          this.rows++;
        }
        return;
    }
  }

  private error(data: Buffer, at: number, length: number): void {
    const code = (data[at + 1] as number) | ((data[at + 2] as number) << 8);
    // "#" and a 5-character SQL state precede the message.
    const messageStart = data[at + 3] === 0x23 ? at + 9 : at + 3;
    this.rows = 0;
    this.finish(code, data.toString("utf8", messageStart, at + length));
  }

  private finish(errorCode: number, message: string): void {
    this.outcome.errorCode = errorCode;
    this.outcome.rows = this.rows;
    this.outcome.message = message;
    this.state = State.First;
    this.rows = 0;
    this.onReply(this.outcome);
  }
}
