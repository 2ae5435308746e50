import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import mysql, { type Connection, type QueryError } from "mysql2";
import { compileWorkload, planTransaction, type WorkloadProgram } from "../workload/program.js";
import { type RandomSource, seededRandom } from "../workload/random.js";
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
const recorder = new IntervalRecorder(program.ops.names.length, init.intervalMs, init.workerIndex, post);

let accepting = false;
let currentPhase: "warmup" | "measured" = "warmup";
let busy = 0;
let draining = false;

function errorCode(error: QueryError): string {
  if (typeof error.errno === "number" && error.errno > 0 && error.sqlState) return String(error.errno);
  return error.code || String(error.errno ?? "unknown");
}

function rowsOf(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const affected = (result as { affectedRows?: number } | undefined)?.affectedRows;
  return typeof affected === "number" ? affected : 0;
}

function becameIdle(): void {
  busy--;
  if (draining && busy === 0) finishDrain();
}

/** One sysbench "thread": a dedicated connection running transactions back to back. */
class LoopConnection {
  alive = true;
  private readonly sql: string[] = [];
  private readonly ops: number[] = [];
  private count = 0;
  private next = 0;
  private op = 0;
  private sentAtMs = 0;
  private txnStartMs = 0;
  private readonly onReply: (error: QueryError | null, result: unknown) => void;

  constructor(
    readonly conn: Connection,
    private readonly program: WorkloadProgram,
    private readonly random: RandomSource,
  ) {
    // One callback per connection, not one closure per query: the hot path allocates little.
    this.onReply = (error, result) => this.reply(error, result);
    conn.on("error", () => {
      this.alive = false;
    });
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
    this.conn.query(sql, this.onReply);
  }

  private sendNextStatement(): void {
    const index = this.next++;
    this.send(this.sql[index] as string, this.ops[index] as number);
  }

  private reply(error: QueryError | null, result: unknown): void {
    const now = nowEpochMs();
    const ops = this.program.ops;
    if (error) {
      recorder.error(this.op, errorCode(error), now);
      if (error.fatal) {
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
    recorder.ok(this.op, Math.round((now - this.sentAtMs) * 1000), rowsOf(result), now);
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

function openOne(index: number): Promise<LoopConnection> {
  return new Promise((resolve, reject) => {
    const conn = mysql.createConnection({ ...init.connection, rowsAsArray: true });
    conn.once("error", reject);
    conn.connect((error) => {
      if (error) {
        reject(error);
        return;
      }
      conn.removeListener("error", reject);
      resolve(new LoopConnection(conn, program, seededRandom(init.seed * 1_000_003 + index)));
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
  recorder.startPhase(phase, startEpochMs);
  accepting = true;
  draining = false;
  idleTimer = setInterval(() => recorder.tick(nowEpochMs()), Math.max(50, init.intervalMs / 4));
  const begin = () => {
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
  let pending = loops.length;
  const done = () => {
    if (--pending <= 0) {
      post({ type: "closed", workerIndex: init.workerIndex });
      port?.close();
    }
  };
  if (pending === 0) {
    pending = 1;
    done();
    return;
  }
  for (const loop of loops) {
    if (!loop.alive) {
      loop.conn.destroy();
      done();
      continue;
    }
    loop.conn.end(() => done());
  }
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

void openAll();
