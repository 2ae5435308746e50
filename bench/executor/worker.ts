import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import mysql, { type Connection, type QueryError } from "mysql2";
import { errorCode, verifyPeerIdentity } from "../target/connection.js";
import { compileWorkload, planTransaction, type WorkloadProgram } from "../workload/program.js";
import { type RandomSource, seededRandom } from "../workload/random.js";
import { LeanChannel, Mysql2Channel, SharedReadSocket, type StatementChannel } from "./channel.js";
import { HealthSampler } from "./health-sampler.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { IntervalRecorder } from "./recorder.js";

/**
 * A load worker: owns a slice of the connections and runs each as a closed loop (the next
 * transaction starts when the last one ends), recording every statement's outcome.
 */

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error("worker.ts must run as a worker thread");

const post = (message: FromWorker) => port.postMessage(message);
const timeOrigin = performance.timeOrigin;
const nowEpochMs = () => timeOrigin + performance.now();

const program = compileWorkload(init.workload, init.dataset);

// The generator watches itself: a busy or late event loop means the client, not the database, set the pace.
const health = new HealthSampler();
let busy = 0;
const sampleHealth = () => health.sample(busy);

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

function becameIdle(): void {
  busy--;
  if (draining && busy === 0) finishDrain();
}

/** One sysbench "thread": a dedicated connection running transactions back to back. */
class LoopConnection {
  alive = true;
  readonly channel: StatementChannel;
  private readonly sql: string[] = [];
  private readonly ops: number[] = [];
  private count = 0;
  private next = 0;
  private op = 0;
  private sentAtMs = 0;
  private txnStartMs = 0;

  constructor(
    conn: Connection,
    private readonly program: WorkloadProgram,
    private readonly random: RandomSource,
    shared: SharedReadSocket | undefined,
  ) {
    const onReply = (code: string | null, rows: number, fatal: boolean) => this.reply(code, rows, fatal);
    this.channel =
      init.hotPath === "lean" ? new LeanChannel(conn, onReply, shared) : new Mysql2Channel(conn, onReply);
  }

  startTransaction(): void {
    if (!accepting || !this.alive) {
      becameIdle();
      return;
    }
    this.count = planTransaction(this.program, this.random, this.sql, this.ops);
    this.next = 0;
    this.txnStartMs = nowEpochMs();
    if (this.program.transaction) this.send("BEGIN", this.program.ops.begin);
    else this.sendNextStatement();
  }

  private send(sql: string, op: number): void {
    this.op = op;
    this.sentAtMs = nowEpochMs();
    this.channel.send(sql);
  }

  private sendNextStatement(): void {
    const index = this.next++;
    this.send(this.sql[index] as string, this.ops[index] as number);
  }

  private reply(code: string | null, rows: number, fatal: boolean): void {
    const now = nowEpochMs();
    const ops = this.program.ops;
    if (code !== null) {
      recorder.error(this.op, code, now);
      if (fatal) {
        this.alive = false;
        becameIdle();
        return;
      }
      if (this.program.transaction && this.op !== ops.rollback) {
        // As sysbench does: roll the failed transaction back and start a new one.
        this.send("ROLLBACK", ops.rollback);
        return;
      }
      this.startTransaction();
      return;
    }
    recorder.ok(this.op, Math.round((now - this.sentAtMs) * 1000), rows, now);
    if (this.op === ops.rollback) {
      this.startTransaction();
    } else if (this.next < this.count) {
      this.sendNextStatement();
    } else if (this.program.transaction && this.op !== ops.commit) {
      this.send("COMMIT", ops.commit);
    } else {
      recorder.ok(ops.txn, Math.round((now - this.txnStartMs) * 1000), 0, now);
      this.startTransaction();
    }
  }
}

const loops: LoopConnection[] = [];

/** One read buffer for all of this worker's sockets: replies are scanned as soon as they are read. */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

function openOne(index: number): Promise<LoopConnection> {
  return new Promise((resolve, reject) => {
    const options = init.connection;
    const shared =
      init.hotPath === "lean" && typeof options.host === "string" && !options.socketPath
        ? new SharedReadSocket(options.host, options.port ?? 3306, sharedReadBuffer)
        : undefined;
    const conn = mysql.createConnection(shared ? { ...options, stream: shared.socket } : options);
    conn.once("error", reject);
    conn.connect((error) => {
      if (error) {
        reject(error);
        return;
      }
      conn.removeListener("error", reject);
      if (init.verifyHost) {
        try {
          verifyPeerIdentity((conn as unknown as { stream: unknown }).stream, init.verifyHost);
        } catch (failure) {
          reject(failure);
          return;
        }
      }
      resolve(new LoopConnection(conn, program, seededRandom(init.seed * 1_000_003 + index), shared));
    });
  });
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

function startPhase(phase: "warmup" | "measured", startEpochMs: number): void {
  currentPhase = phase;
  accepting = true;
  draining = false;
  const begin = () => {
    recorder.startPhase(phase, startEpochMs);
    sampleHealth();
    idleTimer = setInterval(() => recorder.tick(nowEpochMs()), Math.max(50, init.intervalMs / 4));
    for (const loop of loops) {
      if (!loop.alive) continue;
      busy++;
      loop.startTransaction();
    }
    if (busy === 0) beginDrain();
  };
  const waitMs = startEpochMs - nowEpochMs();
  if (waitMs > 0) setTimeout(begin, waitMs);
  else begin();
}

function beginDrain(): void {
  accepting = false;
  draining = true;
  if (busy === 0) finishDrain();
}

function finishDrain(): void {
  draining = false;
  if (idleTimer) clearInterval(idleTimer);
  idleTimer = undefined;
  recorder.flush();
  post({
    type: "drained",
    workerIndex: init.workerIndex,
    phase: currentPhase,
    endEpochMs: nowEpochMs(),
    alive: loops.filter((loop) => loop.alive).length,
  });
}

function closeAll(): void {
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
      startPhase(message.phase, message.startEpochMs);
      break;
    case "drain":
      beginDrain();
      break;
    case "close":
      closeAll();
      break;
  }
});

health.start();
void openAll();
