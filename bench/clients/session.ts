import type { Meeting as MeetingRecord, ShardResult } from "../result/schema.js";
import type { AdminConnection } from "../target/connection.js";
import { sleepUntil } from "../util/timer.js";
import { ensureCoordinationTables, markReached, meet, waitForSignal } from "./barrier.js";

export interface ClientSessionOptions {
  conn: AdminConnection;
  scenarioId: string;
  runId: string;
  count: number;
  index: number;
  host: string;
  timeoutMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * One client's part in a run of several, for one scenario: client 0 prepares the dataset and says
 * so; every client meets the others in the target before each phase and starts it at the agreed
 * instant; what each meeting took is kept for the result.
 */
export class ClientSession {
  readonly meetings: MeetingRecord[] = [];

  constructor(private readonly o: ClientSessionOptions) {}

  get count(): number {
    return this.o.count;
  }

  get index(): number {
    return this.o.index;
  }

  /** Client 0 runs `prepare` and signals it done; the others wait for that signal (null: not theirs). */
  async dataset<T>(prepare: () => Promise<T>): Promise<T | null> {
    const { conn, runId, count, index, scenarioId, log } = this.o;
    await ensureCoordinationTables(conn);
    log(`${scenarioId}: client ${index} of ${count}, run ${runId}`);
    if (index === 0) {
      const prepared = await prepare();
      await markReached(conn, runId, `${scenarioId}:dataset`, count);
      return prepared;
    }
    log(`${scenarioId}: waiting for client 0 to prepare the dataset`);
    await waitForSignal({
      conn,
      runId,
      meeting: `${scenarioId}:dataset`,
      clients: count,
      timeoutMs: this.o.timeoutMs,
      signal: this.o.signal,
      what: "client 0's dataset",
    });
    return null;
  }

  /** Meets every client; resolves once all have arrived (the agreed start is still ahead). */
  async meet(phase: "warmup" | "measured" | "done"): Promise<{ startEpochMs: number }> {
    const name = `${this.o.scenarioId}:${phase}`;
    const meeting = await meet({
      conn: this.o.conn,
      runId: this.o.runId,
      meeting: name,
      clients: this.o.count,
      index: this.o.index,
      host: this.o.host,
      timeoutMs: this.o.timeoutMs,
      signal: this.o.signal,
    });
    this.meetings.push({
      meeting: name,
      serverStartAt: meeting.serverStartAt,
      uncertaintyMs: meeting.uncertaintyMs,
      waitedMs: meeting.waitedMs,
      statements: meeting.statements,
    });
    return meeting;
  }

  /** Waits until `leadMs` before the agreed start, so a phase announced then begins on it. */
  async startTogether(meeting: { startEpochMs: number }, leadMs: number): Promise<void> {
    await sleepUntil(meeting.startEpochMs - leadMs, { signal: this.o.signal });
  }

  /** This client's part of the result; the counter check waits for the merge. */
  result(
    serverCounterDelta: Record<string, number> | null,
    clientCounters: Record<string, number>,
    serverWorkDelta: Record<string, number> | null = null,
  ): ShardResult {
    return {
      count: this.o.count,
      index: this.o.index,
      runId: this.o.runId,
      host: this.o.host,
      meetings: this.meetings,
      serverCounterDelta,
      clientCounters,
      ...(serverWorkDelta && Object.keys(serverWorkDelta).length > 0 ? { serverWorkDelta } : {}),
    };
  }
}
