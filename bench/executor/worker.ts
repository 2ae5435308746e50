import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import mysql, { type Connection, type ConnectionOptions, type QueryError } from "mysql2";
import { CommitTimeline } from "../metrics/commit-timeline.js";
import { errorCode, isUnreachable, verifyPeerIdentity } from "../target/connection.js";
import { compileWorkload, planTransaction, type WorkloadProgram } from "../workload/program.js";
import { type RandomSource, seededRandom } from "../workload/random.js";
import { LeanChannel, Mysql2Channel, SharedReadSocket, type StatementChannel } from "./channel.js";
import { HealthSampler } from "./health-sampler.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { IntervalRecorder } from "./recorder.js";
import { OpenLoopScheduler } from "./schedule.js";

/**
 * A load worker: owns a slice of the connections and runs each as a closed loop (the next
 * transaction starts when the last one ends) or, with `openLoop`, starts transactions on a fixed
 * schedule on whichever connection is free, recording every statement's outcome.
 */

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error("worker.ts must run as a worker thread");

const post = (message: FromWorker) => port.postMessage(message);
const timeOrigin = performance.timeOrigin;
const nowEpochMs = () => timeOrigin + performance.now();

const open = init.openLoop;
const program = compileWorkload(init.workload, init.dataset, open !== undefined);

// The generator watches itself: a busy or late event loop means the client, not the database, set the pace.
const health = new HealthSampler();
let busy = 0;
/** Connections lost and opened again since the last health sample: the timeline's reconnect marks. */
let lostSinceSample = 0;
let reconnectedSinceSample = 0;
const sampleHealth = () => {
  const sample = health.sample(busy, scheduler?.backlogLength ?? 0, aliveCount());
  sample.lost = lostSinceSample;
  sample.reconnected = reconnectedSinceSample;
  lostSinceSample = 0;
  reconnectedSinceSample = 0;
  return sample;
};

/** Crash measurements: when transactions committed, finely enough to time an outage. */
const timeline = init.commitTimeline
  ? new CommitTimeline(init.commitTimeline.gapMs, init.commitTimeline.tickMs)
  : undefined;

const recorder = new IntervalRecorder(
  program.ops.names.length,
  init.intervalMs,
  init.workerIndex,
  post,
  sampleHealth,
);

let accepting = false;
let currentPhase: "warmup" | "measured" = "warmup";
let draining = false;

// Open loop: the phase's schedule, the connections waiting for an op, and the end of the window.
let scheduler: OpenLoopScheduler | undefined;
const free: LoopConnection[] = [];
let untilEpochMs = Number.POSITIVE_INFINITY;
let pumpTimer: NodeJS.Timeout | undefined;
/** Draining, and the window's backlog is still being sent. */
let sendingBacklog = false;
/**
 * How long the end of a measured window may go on sending its backlog. A target that keeps up
 * leaves a few ops, sent in milliseconds; one that fell behind could leave seconds of schedule,
 * and the step is already reported as not sustained. What is still waiting then is discarded.
 */
const BACKLOG_DRAIN_MS = 2000;
let backlogTimer: NodeJS.Timeout | undefined;

function becameIdle(): void {
  busy--;
  if (draining && busy === 0) finishDrain();
}

/** One sysbench "thread": a dedicated connection running transactions back to back. */
class LoopConnection {
  alive = true;
  channel!: StatementChannel;
  /** Failed reconnection attempts in a row: the next waits longer. */
  private attempts = 0;
  private readonly sql: string[] = [];
  private readonly ops: number[] = [];
  private count = 0;
  private next = 0;
  private op = 0;
  private sentAtMs = 0;
  private txnStartMs = 0;
  /** Open loop: when the schedule meant the current transaction to start. */
  private intendedMs = 0;
  /** A statement was sent and its answer has not come: what the statement watchdog looks at. */
  private waiting = false;

  /** Failover: the host (index into init.failoverHosts) this connection is open to. */
  private hostIndex = 0;

  constructor(
    opened: Opened,
    private readonly program: WorkloadProgram,
    private readonly random: RandomSource,
  ) {
    this.attach(opened);
  }

  private attach({ conn, shared, hostIndex }: Opened): void {
    this.hostIndex = hostIndex;
    const onReply = (code: string | null, rows: number, fatal: boolean) => this.reply(code, rows, fatal);
    this.channel =
      init.hotPath === "lean" ? new LeanChannel(conn, onReply, shared) : new Mysql2Channel(conn, onReply);
  }

  /**
   * A lost connection is opened again with backoff (0.1 s doubling to 5 s, jittered) while the
   * others go on; the error that lost it is already counted. Once back, it rejoins the load.
   */
  private reconnectLater(): void {
    if (closing) return;
    const delayMs =
      Math.min(init.reconnectMaxMs ?? RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** this.attempts) *
      (0.5 + Math.random() / 2);
    const timer = setTimeout(() => {
      reconnectTimers.delete(timer);
      connectRaw().then(
        (opened) => {
          if (closing) {
            opened.conn.destroy();
            return;
          }
          this.channel.destroy();
          this.attach(opened);
          this.attempts = 0;
          this.alive = true;
          reconnectedSinceSample++;
          rejoin(this);
        },
        () => {
          this.attempts++;
          this.reconnectLater();
        },
      );
    }, delayMs);
    reconnectTimers.add(timer);
  }

  startTransaction(): void {
    if (!accepting || !this.alive) {
      becameIdle();
      return;
    }
    this.begin();
  }

  /** Open loop: runs the op the scheduler handed out, timed from its intended start. */
  startScheduled(intendedMs: number, lateMs: number, nowMs: number): void {
    this.intendedMs = intendedMs;
    recorder.ok(this.program.ops.lateness, Math.round(lateMs * 1000), 0, nowMs);
    this.begin();
  }

  private begin(): void {
    this.count = planTransaction(this.program, this.random, this.sql, this.ops);
    this.next = 0;
    this.txnStartMs = nowEpochMs();
    if (this.program.transaction) this.send("BEGIN", this.program.ops.begin);
    else this.sendNextStatement();
  }

  /** The transaction ended (committed when `ok`); the connection takes the next one. */
  private ended(ok: boolean, nowMs: number): void {
    if (!open) {
      this.startTransaction();
      return;
    }
    if (ok) recorder.ok(this.program.ops.intended, Math.round((nowMs - this.intendedMs) * 1000), 0, nowMs);
    connectionFreed(this, nowMs);
  }

  private send(sql: string, op: number): void {
    this.op = op;
    this.sentAtMs = nowEpochMs();
    this.waiting = true;
    this.channel.send(sql);
  }

  /**
   * A statement unanswered for longer than `timeoutMs` (a frozen server, a dropped network path
   * that never resets): an error of its own code, TIMEOUT; the connection is closed and reopened.
   */
  expireIfStuck(nowMs: number, timeoutMs: number): void {
    if (!this.alive || !this.waiting || nowMs - this.sentAtMs <= timeoutMs) return;
    this.waiting = false;
    recorder.error(this.op, "TIMEOUT", nowMs);
    this.channel.destroy();
    this.lose();
  }

  /** The connection is gone (lost, timed out, or on a host that takes no writes): it is reopened. */
  private lose(): void {
    this.alive = false;
    lostSinceSample++;
    becameIdle();
    this.reconnectLater();
  }

  private sendNextStatement(): void {
    const index = this.next++;
    this.send(this.sql[index] as string, this.ops[index] as number);
  }

  private reply(code: string | null, rows: number, fatal: boolean): void {
    // An answer to a statement the watchdog already gave up on (its channel is closed): ignored.
    if (!this.waiting) return;
    this.waiting = false;
    const now = nowEpochMs();
    const ops = this.program.ops;
    if (code !== null) {
      recorder.error(this.op, code, now);
      // A host that answers but cannot take writes (a Galera node out of the primary component,
      // a writer turned reader after failover): with a host list, the connection moves on.
      const notWritable = init.failoverHosts !== undefined && NOT_WRITABLE.has(code);
      if (notWritable) moveOnFrom(this.hostIndex);
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
    if (serviceMs > slowestAnswerMs) slowestAnswerMs = serviceMs;
    recorder.ok(this.op, Math.round(serviceMs * 1000), rows, now);
    if (this.op === ops.rollback) {
      this.ended(false, now);
    } else if (this.next < this.count) {
      this.sendNextStatement();
    } else if (this.program.transaction && this.op !== ops.commit) {
      this.send("COMMIT", ops.commit);
    } else {
      recorder.ok(ops.txn, Math.round((now - this.txnStartMs) * 1000), 0, now);
      timeline?.committed(now);
      this.ended(true, now);
    }
  }
}

/** Open loop: the oldest op whose time has come and that belongs to the phase, if any. */
function takeDue(nowMs: number): boolean {
  const s = scheduler as OpenLoopScheduler;
  if (s.backlogLength === 0 && s.nextDueMs() >= untilEpochMs) return false;
  return s.take(nowMs);
}

/** Open loop: a connection finished its op; it takes the next due one or waits for one. */
function connectionFreed(conn: LoopConnection, nowMs: number): void {
  if ((accepting || sendingBacklog) && conn.alive && takeDue(nowMs)) {
    const s = scheduler as OpenLoopScheduler;
    conn.startScheduled(s.lastIntendedMs, s.lastLateMs, nowMs);
    return;
  }
  if (accepting && conn.alive) free.push(conn);
  becameIdle();
}

/**
 * Open loop: hands due ops to free connections; with none free, due ops join the backlog (or are
 * dropped past its bound). Then sleeps until the next op is due. Timers fire on whole
 * milliseconds, so a send can be up to about 1 ms late; that lateness is recorded, not hidden.
 */
function pump(): void {
  pumpTimer = undefined;
  const s = scheduler;
  if (!accepting || !s) return;
  const nowMs = nowEpochMs();
  startDueOnFree(s, nowMs);
  if (free.length === 0) s.admitDue(Math.min(nowMs, lastInWindowMs()));
  const nextMs = s.nextDueMs();
  if (nextMs >= untilEpochMs) return;
  pumpTimer = setTimeout(pump, Math.max(0, nextMs - nowEpochMs()));
}

/** Open loop: each free connection takes a due op, while both last. */
function startDueOnFree(s: OpenLoopScheduler, nowMs: number): void {
  while (free.length > 0 && takeDue(nowMs)) {
    const conn = free.pop() as LoopConnection;
    busy++;
    conn.startScheduled(s.lastIntendedMs, s.lastLateMs, nowMs);
  }
}

/**
 * The latest intended time that still belongs to the phase's window [start, until). At epoch
 * magnitudes (~1.8e12 ms) a double's step is ~0.24 us, so "until - 1e-6" would equal until; one
 * relative epsilon below is the next representable time or just under it.
 */
function lastInWindowMs(): number {
  return untilEpochMs - Math.abs(untilEpochMs) * Number.EPSILON;
}

const loops: LoopConnection[] = [];

function aliveCount(): number {
  let alive = 0;
  for (const loop of loops) if (loop.alive) alive++;
  return alive;
}

/** One read buffer for all of this worker's sockets: replies are scanned as soon as they are read. */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** Codes of a server that is up but will not take writes: read-only (1290, 1836), Galera not ready (1047). */
const NOT_WRITABLE = new Set(["1047", "1290", "1836"]);

/** Failover: the host new connections go to, as an index into init.failoverHosts. */
let currentHost = 0;

/** The host at `index` failed: new connections go to the next one (once per failure of that host). */
function moveOnFrom(index: number): void {
  const hosts = init.failoverHosts;
  if (!hosts || hosts.length < 2 || index !== currentHost) return;
  currentHost = (currentHost + 1) % hosts.length;
}

function optionsFor(index: number): ConnectionOptions {
  const host = init.failoverHosts?.[index];
  return host ? { ...init.connection, host: host.host, port: host.port } : init.connection;
}

interface Opened {
  conn: Connection;
  shared: SharedReadSocket | undefined;
  hostIndex: number;
}

/** Opens one connection through mysql2 (handshake, authentication, TLS), not yet taken over. */
function connectRaw(): Promise<Opened> {
  const hostIndex = currentHost;
  return new Promise<Opened>((resolve, reject) => {
    const options = optionsFor(hostIndex);
    const shared =
      init.hotPath === "lean" && typeof options.host === "string" && !options.socketPath
        ? new SharedReadSocket(options.host, options.port ?? 3306, sharedReadBuffer)
        : undefined;
    const conn = mysql.createConnection(shared ? { ...options, stream: shared.socket } : options);
    conn.once("error", reject);
    conn.connect((error) => {
      if (error) {
        conn.destroy();
        reject(error);
        return;
      }
      conn.removeListener("error", reject);
      if (init.verifyHost) {
        try {
          verifyPeerIdentity((conn as unknown as { stream: unknown }).stream, init.verifyHost);
        } catch (failure) {
          conn.destroy();
          reject(failure);
          return;
        }
      }
      resolve({ conn, shared, hostIndex });
    });
  }).catch((error: unknown) => {
    if (isUnreachable(error)) moveOnFrom(hostIndex);
    throw error;
  });
}

async function openOne(index: number): Promise<LoopConnection> {
  const random = seededRandom(init.seed * 1_000_003 + index);
  // A host list: an unreachable host at the start hands the connection on to the next.
  const tries = Math.max(1, init.failoverHosts?.length ?? 1);
  for (let attempt = 1; ; attempt++) {
    try {
      return new LoopConnection(await connectRaw(), program, random);
    } catch (error) {
      if (attempt >= tries || !isUnreachable(error)) throw error;
    }
  }
}

/** Checks for unanswered statements this often at most (and at least 4 times per timeout). */
const WATCHDOG_MAX_PERIOD_MS = 1000;

/** The slowest answer this worker has had: a workload of slow statements gets a longer bound. */
let slowestAnswerMs = 0;
/** An unanswered statement is given this many times the slowest answer seen, when that is longer. */
const SLOWEST_ANSWER_FACTOR = 10;

/**
 * Expires every statement unanswered for longer than init.statementTimeoutMs or, when that is the
 * default (statementTimeoutScales), SLOWEST_ANSWER_FACTOR x the slowest answer seen if that is longer.
 */
function watchStatements(): void {
  const baseMs = init.statementTimeoutMs;
  if (baseMs === undefined || baseMs <= 0) return;
  const timer = setInterval(
    () => {
      const nowMs = nowEpochMs();
      const timeoutMs = init.statementTimeoutScales
        ? Math.max(baseMs, SLOWEST_ANSWER_FACTOR * slowestAnswerMs)
        : baseMs;
      for (const loop of loops) loop.expireIfStuck(nowMs, timeoutMs);
    },
    Math.max(10, Math.min(WATCHDOG_MAX_PERIOD_MS, baseMs / 4)),
  );
  timer.unref();
}

const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5000;
const reconnectTimers = new Set<NodeJS.Timeout>();
let closing = false;

/** A connection that came back takes load again at once, if a phase is running. */
function rejoin(conn: LoopConnection): void {
  if (!accepting) return;
  if (open) {
    free.push(conn);
    if (!pumpTimer) pump();
    return;
  }
  busy++;
  conn.startTransaction();
}

async function openAll(): Promise<void> {
  let nextIndex = 0;
  let failure: QueryError | undefined;
  const lane = async () => {
    while (nextIndex < init.connections && !failure) {
      const index = nextIndex++;
      try {
        loops.push(await openOne(init.workerIndex * 1_000_000 + index));
      } catch (error) {
        failure = error as QueryError;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(init.connectConcurrency, init.connections) }, lane));
  if (failure) {
    post({
      type: "connect-failed",
      workerIndex: init.workerIndex,
      opened: loops.length,
      code: errorCode(failure),
      message: failure.message,
    });
  } else {
    post({ type: "ready", workerIndex: init.workerIndex, opened: loops.length });
  }
}

let idleTimer: NodeJS.Timeout | undefined;

function startPhase(phase: "warmup" | "measured", startEpochMs: number, durationMs: number): void {
  currentPhase = phase;
  accepting = true;
  draining = false;
  if (open) {
    scheduler = new OpenLoopScheduler({
      ratePerSec: open.ratePerSec,
      startMs: startEpochMs,
      worker: init.workerIndex,
      workers: open.workers,
      backlogMs: open.backlogMs,
      now: nowEpochMs,
    });
    untilEpochMs = startEpochMs + durationMs;
  }
  const begin = () => {
    recorder.startPhase(phase, startEpochMs);
    timeline?.startPhase(startEpochMs);
    sampleHealth();
    idleTimer = setInterval(() => recorder.tick(nowEpochMs()), Math.max(50, init.intervalMs / 4));
    // With no connection open (the target is down), the phase still runs its course: connections
    // that come back rejoin it, and the open-loop schedule goes on into the backlog.
    if (open) {
      free.length = 0;
      for (const loop of loops) if (loop.alive) free.push(loop);
      pump();
      return;
    }
    for (const loop of loops) {
      if (!loop.alive) continue;
      busy++;
      loop.startTransaction();
    }
  };
  const waitMs = startEpochMs - nowEpochMs();
  if (waitMs > 0) setTimeout(begin, waitMs);
  else begin();
}

function beginDrain(abandonBacklog = true): void {
  accepting = false;
  draining = true;
  if (pumpTimer) clearTimeout(pumpTimer);
  pumpTimer = undefined;
  if (scheduler) {
    // Every op intended inside the window is accounted for: it waits in the backlog (dropped only
    // past its bound) and is sent as connections free up, timed from its intended start. After an
    // interrupt the backlog is counted as discarded instead, so the run stops at once.
    scheduler.admitDue(Math.min(nowEpochMs(), lastInWindowMs()));
    sendingBacklog = !abandonBacklog;
    if (abandonBacklog) scheduler.discardBacklog();
    else {
      const s = scheduler;
      backlogTimer = setTimeout(() => {
        sendingBacklog = false;
        s.discardBacklog();
      }, BACKLOG_DRAIN_MS);
    }
    if (sendingBacklog) startDueOnFree(scheduler, nowEpochMs());
  }
  free.length = 0;
  if (busy === 0) finishDrain();
}

function finishDrain(): void {
  draining = false;
  sendingBacklog = false;
  if (backlogTimer) clearTimeout(backlogTimer);
  backlogTimer = undefined;
  if (idleTimer) clearInterval(idleTimer);
  idleTimer = undefined;
  recorder.flush();
  const endEpochMs = nowEpochMs();
  post({
    type: "drained",
    workerIndex: init.workerIndex,
    phase: currentPhase,
    endEpochMs,
    alive: loops.filter((loop) => loop.alive).length,
    ...(timeline ? { commits: timeline.report(endEpochMs) } : {}),
    ...(scheduler
      ? {
          schedule: {
            scheduled: scheduler.scheduled,
            started: scheduler.started,
            dropped: scheduler.dropped,
            discarded: scheduler.discarded,
            maxBacklog: scheduler.maxBacklog,
          },
        }
      : {}),
  });
}

function closeAll(): void {
  closing = true;
  for (const timer of reconnectTimers) clearTimeout(timer);
  reconnectTimers.clear();
  health.stop();
  let pending = loops.length + 1;
  const done = () => {
    if (--pending === 0) {
      post({ type: "closed", workerIndex: init.workerIndex });
      port?.close();
    }
  };
  for (const loop of loops) {
    if (loop.alive) loop.channel.close(done);
    else {
      loop.channel.destroy();
      done();
    }
  }
  done();
}

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "start":
      startPhase(message.phase, message.startEpochMs, message.durationMs);
      break;
    case "drain":
      beginDrain(message.abandonBacklog);
      break;
    case "close":
      closeAll();
      break;
  }
});

health.start();
watchStatements();
void openAll();
