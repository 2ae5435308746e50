import type { CommitTimeline } from "../metrics/commit-timeline.js";
import { type BoundPlan, newBoundPlan, planTransaction, type WorkloadProgram } from "../workload/program.js";
import type { RandomSource } from "../workload/random.js";
import { LeanChannel, Mysql2Channel, type StatementChannel } from "./channel.js";
import { nowEpochMs } from "./clock.js";
import type { FailoverConnector, Opened } from "./failover-connector.js";
import type { OpenLoopPump, ScheduledConnection } from "./open-loop-pump.js";
import { PrepareError } from "./prepare.js";
import type { HotPath } from "./protocol.js";
import type { Reconnectable, Reconnector } from "./reconnect.js";
import type { IntervalRecorder } from "./recorder.js";
import type { WatchedConnection } from "./statement-watchdog.js";
import type { WorkerPhase } from "./worker-phase.js";

/** The parts of its worker a connection works with; one object for all of a worker's connections. */
export interface LoopParts {
  program: WorkloadProgram;
  hotPath: HotPath;
  recorder: IntervalRecorder;
  /** Crash measurements: when transactions committed. */
  timeline: CommitTimeline | undefined;
  phase: WorkerPhase;
  /** Open loop: hands out the scheduled ops. Absent: the connection runs transactions back to back. */
  pump: OpenLoopPump<LoopConnection> | undefined;
  connector: FailoverConnector;
  reconnector: Reconnector;
}

/**
 * One sysbench "thread": a dedicated connection running transactions back to back (closed loop)
 * or, in the open loop, the ops the pump hands it; it records every statement's outcome. A lost
 * connection is reopened in place and rejoins the load.
 */
export class LoopConnection implements ScheduledConnection, Reconnectable, WatchedConnection {
  alive = true;
  /** The slowest answer this connection has had: the statement watchdog's bound grows with it. */
  slowestAnswerMs = 0;
  private channel!: StatementChannel;
  private readonly sql: string[] = [];
  private readonly ops: number[] = [];
  /** Binary protocol: the transaction's prepared statements and values, in place of `sql`. */
  private readonly bound: BoundPlan | undefined;
  private count = 0;
  private next = 0;
  private op = 0;
  private sentAtMs = 0;
  private txnStartMs = 0;
  /** Open loop: when the schedule meant the current transaction to start. */
  private intendedMs = 0;
  /** A statement was sent and its answer has not come: what the statement watchdog looks at. */
  private waiting = false;
  /** Failover: the host (index into failoverHosts) this connection is open to. */
  private hostIndex = 0;

  // The parts, each in a field of its own: the statement path reads them straight from `this`.
  private readonly program: WorkloadProgram;
  private readonly lean: boolean;
  private readonly recorder: IntervalRecorder;
  private readonly timeline: CommitTimeline | undefined;
  private readonly phase: WorkerPhase;
  private readonly pump: OpenLoopPump<LoopConnection> | undefined;
  private readonly connector: FailoverConnector;
  private readonly reconnector: Reconnector;

  constructor(
    opened: Opened,
    private readonly random: RandomSource,
    parts: LoopParts,
  ) {
    this.program = parts.program;
    this.lean = parts.hotPath === "lean";
    this.recorder = parts.recorder;
    this.timeline = parts.timeline;
    this.phase = parts.phase;
    this.pump = parts.pump;
    this.connector = parts.connector;
    this.reconnector = parts.reconnector;
    this.bound = this.program.protocol === "binary" ? newBoundPlan() : undefined;
    this.attach(opened);
  }

  /** Closed loop: the connection becomes busy and starts its first transaction. */
  join(): void {
    this.phase.markBusy();
    this.startTransaction();
  }

  /** Open loop: runs the op the scheduler handed out, timed from its intended start. */
  startScheduled(intendedMs: number, lateMs: number, nowMs: number): void {
    this.intendedMs = intendedMs;
    this.recorder.ok(this.program.ops.lateness, Math.round(lateMs * 1000), 0, nowMs);
    this.begin();
  }

  /**
   * A statement unanswered for longer than `timeoutMs` (a frozen server, a dropped network path
   * that never resets): an error of its own code, TIMEOUT; the connection is closed and reopened.
   */
  expireIfStuck(nowMs: number, timeoutMs: number): void {
    if (!this.alive || !this.waiting || nowMs - this.sentAtMs <= timeoutMs) return;
    this.waiting = false;
    this.recorder.error(this.op, "TIMEOUT", nowMs);
    this.channel.destroy();
    this.lose();
  }

  reattach(opened: Opened): void {
    this.channel.destroy();
    this.attach(opened);
    this.alive = true;
    // The statements prepared again: the server counts each in Com_stmt_prepare.
    const prepared = opened.prepared;
    if (prepared) {
      const now = nowEpochMs();
      this.recorder.ok(
        this.program.ops.prepare,
        Math.round(prepared.ms * 1000),
        prepared.statements.length,
        now,
      );
    }
  }

  /** A reopened connection that could not prepare its statements: an error of the prepare op. */
  openFailed(error: unknown): void {
    if (error instanceof PrepareError)
      this.recorder.error(this.program.ops.prepare, error.code, nowEpochMs());
  }

  /** A connection that came back takes load again at once, if a phase is running. */
  rejoin(): void {
    if (!this.phase.accepting) return;
    if (this.pump) {
      this.pump.rejoin(this);
      return;
    }
    this.join();
  }

  /** The worker closes: an open connection says goodbye (COM_QUIT), a lost one is torn down. */
  close(done: () => void): void {
    if (this.alive) this.channel.close(done);
    else {
      this.channel.destroy();
      done();
    }
  }

  private attach({ conn, shared, hostIndex, prepared }: Opened): void {
    this.hostIndex = hostIndex;
    const onReply = (code: string | null, rows: number, fatal: boolean) => this.reply(code, rows, fatal);
    this.channel = this.lean
      ? new LeanChannel(conn, onReply, shared, prepared)
      : new Mysql2Channel(conn, onReply, prepared?.statements);
  }

  private startTransaction(): void {
    if (!this.phase.accepting || !this.alive) {
      this.phase.markIdle();
      return;
    }
    this.begin();
  }

  private begin(): void {
    this.count = planTransaction(this.program, this.random, this.sql, this.ops, this.bound);
    this.next = 0;
    this.txnStartMs = nowEpochMs();
    if (this.program.transaction) this.send("BEGIN", this.program.ops.begin);
    else this.sendNextStatement();
  }

  /** The transaction ended (committed when `ok`); the connection takes the next one. */
  private ended(ok: boolean, nowMs: number): void {
    const pump = this.pump;
    if (pump === undefined) {
      this.startTransaction();
      return;
    }
    if (ok) {
      this.recorder.ok(this.program.ops.intended, Math.round((nowMs - this.intendedMs) * 1000), 0, nowMs);
    }
    pump.freed(this, nowMs);
  }

  private send(sql: string, op: number): void {
    this.op = op;
    this.sentAtMs = nowEpochMs();
    this.waiting = true;
    this.channel.send(sql);
  }

  /** The connection is gone (lost, timed out, or on a host that takes no writes): it is reopened. */
  private lose(): void {
    this.alive = false;
    this.reconnector.countLost();
    this.phase.markIdle();
    this.reconnector.reopen(this);
  }

  private sendNextStatement(): void {
    const index = this.next++;
    const bound = this.bound;
    if (bound === undefined) {
      this.send(this.sql[index] as string, this.ops[index] as number);
      return;
    }
    this.op = this.ops[index] as number;
    this.sentAtMs = nowEpochMs();
    this.waiting = true;
    this.channel.execute(bound.prepared[index] as number, bound, index);
  }

  private reply(code: string | null, rows: number, fatal: boolean): void {
    // An answer to a statement the watchdog already gave up on (its channel is closed): ignored.
    if (!this.waiting) return;
    this.waiting = false;
    const now = nowEpochMs();
    const ops = this.program.ops;
    if (code !== null) {
      this.recorder.error(this.op, code, now);
      // A host that answers but cannot take writes (a Galera node out of the primary component,
      // a writer turned reader after failover): with a host list, the connection moves on.
      const notWritable = this.connector.refusesWrites(code);
      if (notWritable) this.connector.moveOnFrom(this.hostIndex);
      if (fatal || notWritable) {
        this.lose();
        return;
      }
      if (this.program.transaction && this.op !== ops.rollback) {
        // As sysbench does: roll the failed transaction back and start a new one.
        this.send("ROLLBACK", ops.rollback);
        return;
      }
      this.ended(false, now);
      return;
    }
    const serviceMs = now - this.sentAtMs;
    if (serviceMs > this.slowestAnswerMs) this.slowestAnswerMs = serviceMs;
    this.recorder.ok(this.op, Math.round(serviceMs * 1000), rows, now);
    if (this.op === ops.rollback) {
      this.ended(false, now);
    } else if (this.next < this.count) {
      this.sendNextStatement();
    } else if (this.program.transaction && this.op !== ops.commit) {
      this.send("COMMIT", ops.commit);
    } else {
      this.recorder.ok(ops.txn, Math.round((now - this.txnStartMs) * 1000), 0, now);
      this.timeline?.committed(now);
      this.ended(true, now);
    }
  }
}
