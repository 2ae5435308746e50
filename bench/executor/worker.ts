import { parentPort, workerData } from "node:worker_threads";
import type { QueryError } from "mysql2";
import { CommitTimeline } from "../metrics/commit-timeline.js";
import type { PhaseName, WorkerHealth } from "../metrics/interval.js";
import { errorCode } from "../target/connection.js";
import { compileWorkload } from "../workload/program.js";
import { seededRandom } from "../workload/random.js";
import { nowEpochMs } from "./clock.js";
import { FailoverConnector } from "./failover-connector.js";
import { HealthSampler } from "./health-sampler.js";
import { LoopConnection, type LoopParts } from "./loop-connection.js";
import { OpenLoopPump } from "./open-loop-pump.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { Reconnector } from "./reconnect.js";
import { IntervalRecorder } from "./recorder.js";
import { watchStatements } from "./statement-watchdog.js";
import { WorkerPhase } from "./worker-phase.js";

/**
 * A load worker: owns a slice of the connections and runs each as a closed loop (the next
 * transaction starts when the last one ends) or, with `openLoop`, starts transactions on a fixed
 * schedule on whichever connection is free, recording every statement's outcome. This file wires
 * the parts together and answers the coordinator's messages (protocol.ts):
 * - LoopConnection: one connection's transactions and statements, the closed loop itself;
 * - OpenLoopPump: the open loop's schedule, free connections, and backlog at a window's end;
 * - WorkerPhase: which phase runs, whether load is accepted, and the drain that ends a phase;
 * - FailoverConnector and Reconnector: opening connections (along a host list) and reopening lost ones;
 * - watchStatements: the watchdog that gives up on unanswered statements.
 */

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error("worker.ts must run as a worker thread");

const post = (message: FromWorker) => port.postMessage(message);

const program = compileWorkload(init.workload, init.dataset, init.openLoop !== undefined);

/** This worker's connections, in the order they opened; a lost one stays and is reopened in place. */
const loops: LoopConnection[] = [];

// The generator watches itself: a busy or late event loop means the client, not the database, set the pace.
const health = new HealthSampler();

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

const phase = new WorkerPhase(
  () => recorder.tick(nowEpochMs()),
  Math.max(50, init.intervalMs / 4),
  reportDrained,
);

const pump = init.openLoop
  ? new OpenLoopPump<LoopConnection>(init.openLoop, init.workerIndex, phase, nowEpochMs)
  : undefined;

const connector = new FailoverConnector(init, program.prepared);
const reconnector = new Reconnector(connector, init.reconnectMaxMs);

const parts: LoopParts = {
  program,
  hotPath: init.hotPath,
  recorder,
  timeline,
  phase,
  pump,
  connector,
  reconnector,
};

function sampleHealth(): WorkerHealth {
  const sample = health.sample(phase.inFlight, pump?.backlogLength ?? 0, aliveCount());
  reconnector.takeCounts(sample);
  return sample;
}

function aliveCount(): number {
  let alive = 0;
  for (const loop of loops) if (loop.alive) alive++;
  return alive;
}

async function openOne(index: number): Promise<LoopConnection> {
  const random = seededRandom(init.seed * 1_000_003 + index);
  return new LoopConnection(await connector.openAtStart(), random, parts);
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

function startPhase(name: PhaseName, startEpochMs: number, durationMs: number): void {
  phase.start(name);
  pump?.startPhase(startEpochMs, durationMs);
  const begin = () => {
    recorder.startPhase(name, startEpochMs);
    timeline?.startPhase(startEpochMs);
    sampleHealth();
    phase.startTicking();
    // With no connection open (the target is down), the phase still runs its course: connections
    // that come back rejoin it, and the open-loop schedule goes on into the backlog.
    if (pump) {
      pump.begin(loops);
      return;
    }
    for (const loop of loops) if (loop.alive) loop.join();
  };
  const waitMs = startEpochMs - nowEpochMs();
  if (waitMs > 0) setTimeout(begin, waitMs);
  else begin();
}

function drain(abandonBacklog: boolean): void {
  phase.beginDrain();
  pump?.drain(abandonBacklog);
  phase.endIfIdle();
}

/** The phase is over (WorkerPhase calls this once no connection is busy): its last figures go out. */
function reportDrained(): void {
  pump?.stopBacklog();
  recorder.flush();
  const endEpochMs = nowEpochMs();
  const schedule = pump?.report();
  post({
    type: "drained",
    workerIndex: init.workerIndex,
    phase: phase.current,
    endEpochMs,
    alive: aliveCount(),
    ...(timeline ? { commits: timeline.report(endEpochMs) } : {}),
    ...(schedule ? { schedule } : {}),
  });
}

function closeAll(): void {
  reconnector.close();
  health.stop();
  let pending = loops.length + 1;
  const done = () => {
    if (--pending === 0) {
      post({ type: "closed", workerIndex: init.workerIndex });
      port?.close();
    }
  };
  for (const loop of loops) loop.close(done);
  done();
}

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "start":
      startPhase(message.phase, message.startEpochMs, message.durationMs);
      break;
    case "drain":
      drain(message.abandonBacklog);
      break;
    case "close":
      closeAll();
      break;
  }
});

health.start();
watchStatements(loops, init.statementTimeoutMs, init.statementTimeoutScales, nowEpochMs);
void openAll();
