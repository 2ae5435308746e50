import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ConnectionOptions } from "mysql2";
import { type IntervalAggregate, PhaseAggregate } from "../metrics/aggregate.js";
import { type CommitTimelineReport, mergeCommitTimelines } from "../metrics/commit-timeline.js";
import type { PhaseName } from "../metrics/interval.js";
import { idleShare, machineIdle } from "../metrics/machine-idle.js";
import {
  afterTrial,
  judgeWorkers,
  statementsPerSec,
  type WorkerJudgement,
} from "../metrics/worker-starvation.js";
import { TargetError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import { epochNowMs, sleepUntil } from "../util/timer.js";
import { buildOpTable, nonStatementOps, type OpTable } from "../workload/program.js";
import type { Workload } from "../workload/schema.js";
import type { FromWorker, HotPath, ScheduleReport, ToWorker, WorkerInit } from "./protocol.js";
import { assertRate, DEFAULT_BACKLOG_MS } from "./schedule.js";

export interface LoadOptions {
  workload: Workload;
  dataset: { tables: number; tableSize: number };
  connection: ConnectionOptions;
  /** Hosts to fail over along (a URL with several hosts); see WorkerInit. */
  failoverHosts?: { host: string; port: number }[];
  /** Total connections across all workers. */
  connections: number;
  workers: number;
  warmupMs: number;
  durationMs: number;
  seed: number;
  intervalMs?: number;
  /**
   * Called with each interval of a phase, merged over workers, once every worker has reported it (or
   * LATE_REPORT_MS after it ended); the intervals still open when the phase ends follow its drain.
   * Every interval the phase's aggregate holds is passed exactly once, in order.
   */
  onInterval?: (second: LoadSecond) => void;
  /** Called while no statement is in flight: before the warm-up, between phases, after the measured phase. */
  atBoundary?: (boundary: "before-warmup" | "before-measured" | "after-measured") => Promise<void>;
  /** Aborting stops the load at the next safe point and returns what was measured. */
  signal?: AbortSignal;
  /** Secrets to strip from any error text. */
  secrets?: string[];
  /** Statement path inside the workers (default: lean). */
  hotPath?: HotPath;
  /** VERIFY_IDENTITY on an IP address: checked by the workers after each handshake. */
  verifyHost?: string;
  /**
   * Open loop: transactions start at `ratePerSec` (all workers together) on an absolute schedule,
   * each on a free connection; `connections` is then the pool they are sent over.
   */
  openLoop?: { ratePerSec: number; backlogMs?: number };
  /**
   * A phase in which no connection has been open for this long ends, and the run fails with the
   * reason: the target went away and did not come back. Default 30 s, or `expectedOutageMs` when
   * that is longer.
   */
  unreachableAfterMs?: number;
  /**
   * An outage the caller causes and expects (a crash and the server's restart): without
   * unreachableAfterMs, a phase may go this long without a connection before it ends. Statements
   * keep their own bound.
   */
  expectedOutageMs?: number;
  /** Longest wait between attempts to reopen a lost connection (default 5 s); bounds how late a return is seen. */
  reconnectMaxMs?: number;
  /** Record commit gaps of at least gapMs and commits per tickMs, to time an outage (PhaseOutcome.commits). */
  commitTimeline?: { gapMs: number; tickMs: number };
  /**
   * Closed loop with workers the user did not fix: after the warm-up, workers judged starved of CPU
   * (metrics/worker-starvation.ts) are replaced by maxWorkers of them, warmed up again, for the
   * measured phase. The judgement is in LoadOutcome.workerJudgement either way.
   */
  adaptWorkers?: {
    maxWorkers: number;
    onJudged?: (judgement: WorkerJudgement) => void;
    /** The rule; judgeWorkers unless given (a test forces a raise with it). */
    judge?: typeof judgeWorkers;
  };
  /** Called once a phase's start instant is fixed, before it begins: faults are timed from it. */
  onPhaseStart?: (phase: PhaseName, startEpochMs: number) => void;
}

/** Default of LoadOptions.unreachableAfterMs. */
export const UNREACHABLE_AFTER_MS = 30_000;

/** How long a phase may go without an open connection before it ends: the user's bound, else the longer of the default and an expected outage. */
export function noConnectionBoundMs(
  options: Pick<LoadOptions, "unreachableAfterMs" | "expectedOutageMs">,
): number {
  return options.unreachableAfterMs ?? Math.max(UNREACHABLE_AFTER_MS, options.expectedOutageMs ?? 0);
}

/** One interval of a phase as onInterval receives it: what the live outputs need to show it. */
export interface LoadSecond {
  phase: PhaseName;
  interval: IntervalAggregate;
  ops: OpTable;
  /** The phase's start on this process's clock; the interval began intervalMs x index later. */
  phaseStartEpochMs: number;
  intervalMs: number;
  /** How long it lasted: intervalMs, or less for the last one, cut short by the end of the phase. */
  spanMs: number;
  /** The client process's CPU time in it; null when not sampled. */
  clientCpuMs: number | null;
  /** Workers expected to report it: all of them in the scheduled seconds, none in the drain after. */
  workers: number;
  /** Passed after the phase ended (its drain), not while it ran. */
  afterPhase: boolean;
}

/** How long after an interval's end onInterval waits for a worker that has not reported it. */
export const LATE_REPORT_MS = 2000;

export interface PhaseOutcome {
  name: PhaseName;
  startEpochMs: number;
  /** When the last in-flight transaction of the phase completed. */
  endEpochMs: number;
  aggregate: PhaseAggregate;
  /** Connections still open at the end of the phase. */
  aliveConnections: number;
  /** Open loop: how the schedule went, summed over workers (maxBacklog: the largest of any worker). */
  schedule?: ScheduleReport;
  /** With commitTimeline: when no worker committed, and commits per tick, over the phase. */
  commits?: CommitTimelineReport;
}

export interface LoadOutcome {
  ops: OpTable;
  workers: number;
  connections: number;
  warmup?: PhaseOutcome;
  measured?: PhaseOutcome;
  interrupted: boolean;
  /** Why the load stopped early (a load worker died); what was measured until then is kept. */
  failure?: string;
  /** Some transactions never finished after an interrupt; the phase ended without them. */
  abandoned?: boolean;
  /** With adaptWorkers: how the warm-up judged the workers, and what was done. */
  workerJudgement?: WorkerJudgement;
  /** Warm-ups run before `warmup` by workers that were then replaced (see adaptWorkers), in order. */
  earlierWarmups?: PhaseOutcome[];
}

/** After an interrupt, how long in-flight transactions may take before the phase ends without them. */
const DRAIN_GRACE_MS = 5000;

/**
 * Resolves `graceMs` after the signal aborts (never, without a signal). `cancel` takes its listener
 * off the signal: a run's one signal sees every phase, and listeners left behind would pile up.
 */
function afterAbort(
  signal: AbortSignal | undefined,
  graceMs: number,
): { elapsed: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const elapsed = new Promise<void>((resolve) => {
    if (!signal) return;
    let timer: NodeJS.Timeout | undefined;
    const start = () => {
      timer = setTimeout(resolve, graceMs).unref();
    };
    cancel = () => {
      signal.removeEventListener("abort", start);
      clearTimeout(timer);
    };
    if (signal.aborted) start();
    else signal.addEventListener("abort", start, { once: true });
  });
  return { elapsed, cancel };
}

/** How far ahead of "now" a phase start is announced, so every worker starts on the same instant. */
export const START_LEAD_MS = 50;

/**
 * The worker's entry: the compiled file, or (from TypeScript sources, in tests) a small bootstrap
 * that registers tsx in the worker thread first; Node 20 ignores `--import` in a worker's execArgv.
 */
function workerEntry(): { script: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return { script: new URL("./worker.js", here), eval: false };
  const source = JSON.stringify(new URL("./worker.ts", here).href);
  return {
    script: `import("tsx/esm/api").then(({ register }) => { register(); return import(${source}); });`,
    eval: true,
  };
}

export function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Runs a scenario as a closed loop: every connection runs transactions back to back. Connections
 * are spread over worker threads; the main thread only coordinates and merges. Phases are separated
 * by a drain (no transaction crosses a boundary), which is also when server counters are read, so
 * the client's counts and the server's can be compared exactly.
 */
export async function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  if (options.openLoop) assertRate(options.openLoop.ratePerSec);
  const ops = buildOpTable(options.workload, options.openLoop !== undefined);
  if (options.signal?.aborted) {
    return { ops, workers: 0, connections: options.connections, interrupted: true };
  }
  const intervalMs = options.intervalMs ?? 1000;
  let workerCount = Math.max(1, Math.min(options.workers, options.connections));
  const entry = workerEntry();
  let workers: Worker[] = [];
  let closing = false;
  const listeners = new Set<(message: FromWorker) => void>();
  let exited = new Set<number>();
  let workerFailure: Error | undefined;

  const broadcast = (message: ToWorker) => {
    for (const worker of workers) worker.postMessage(message);
  };

  /** Starts `count` workers over the connections; a pool started again replaces the last, closed one. */
  const startPool = (count: number) => {
    workerCount = count;
    workers = [];
    exited = new Set<number>();
    closing = false;
    // Each pool's workers report on their own: an old worker's late message is not a new one's.
    const pool = workers;
    const poolExited = exited;
    splitEvenly(options.connections, count).forEach((share, workerIndex) => {
      const init: WorkerInit = {
        workerIndex,
        connections: share,
        connection: options.connection,
        workload: options.workload,
        dataset: options.dataset,
        seed: options.seed + workerIndex,
        intervalMs,
        connectConcurrency: 16,
        hotPath: options.hotPath ?? "lean",
        ...(options.openLoop
          ? {
              openLoop: {
                ratePerSec: options.openLoop.ratePerSec,
                workers: workerCount,
                backlogMs: options.openLoop.backlogMs ?? DEFAULT_BACKLOG_MS,
              },
            }
          : {}),
        ...(options.verifyHost ? { verifyHost: options.verifyHost } : {}),
        ...(options.failoverHosts ? { failoverHosts: options.failoverHosts } : {}),
        ...(options.reconnectMaxMs !== undefined ? { reconnectMaxMs: options.reconnectMaxMs } : {}),
        // A statement unanswered as long as the target may be gone before the run gives up is itself
        // an error: a frozen server (SIGSTOP, a dead network path) answers nothing and resets nothing.
        statementTimeoutMs: options.unreachableAfterMs ?? UNREACHABLE_AFTER_MS,
        // Never shorter than the default unless the user set --unreachable-after; slower answers lengthen it.
        statementTimeoutScales: options.unreachableAfterMs === undefined,
        ...(options.commitTimeline ? { commitTimeline: options.commitTimeline } : {}),
      };
      // Workers inherit the process's own flags (--cpu-prof and the like).
      const worker = new Worker(entry.script, { workerData: init, eval: entry.eval });
      worker.on("message", (message: FromWorker) => {
        if (workers !== pool) return;
        for (const listener of listeners) listener(message);
      });
      const fail = (error: Error) => {
        if (workers !== pool) return;
        workerFailure ??= error;
        for (const listener of [...listeners]) listener({ type: "closed", workerIndex });
      };
      worker.on("error", fail);
      worker.on("exit", (code) => {
        poolExited.add(workerIndex);
        if (!closing) fail(new Error(`load worker ${workerIndex} exited unexpectedly (code ${code})`));
      });
      pool.push(worker);
    });
  };
  startPool(workerCount);

  /** Resolves with one message from each worker whose type is one of `types`; rejects if a worker dies. */
  const fromAll = (types: FromWorker["type"][]) =>
    new Promise<FromWorker[]>((resolve, reject) => {
      if (workerFailure) {
        reject(workerFailure);
        return;
      }
      const got = new Map<number, FromWorker>();
      const listener = (message: FromWorker) => {
        if (workerFailure) {
          listeners.delete(listener);
          reject(workerFailure);
          return;
        }
        if (!types.includes(message.type) || !("workerIndex" in message)) return;
        got.set(message.workerIndex, message);
        if (got.size === workers.length) {
          listeners.delete(listener);
          resolve([...got.values()]);
        }
      };
      listeners.add(listener);
    });

  const outcome: LoadOutcome = {
    ops,
    workers: workerCount,
    connections: options.connections,
    interrupted: false,
  };

  const closeWorkers = async () => {
    closing = true;
    const closed = fromAll(["closed"]);
    broadcast({ type: "close" });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
    await Promise.race([closed.catch(() => undefined), timeout]);
    await Promise.all(workers.map((worker, i) => (exited.has(i) ? undefined : worker.terminate())));
  };

  const aborted = () => options.signal?.aborted === true;
  /** A live output threw: said once, on stderr. */
  let liveFailed = false;
  const runPhase = async (name: PhaseName, durationMs: number): Promise<PhaseOutcome> => {
    const aggregate = new PhaseAggregate(ops.names.length);
    const startEpochMs = epochNowMs() + START_LEAD_MS;
    const live = (message: FromWorker) => {
      if (message.type === "interval" && message.phase === name) aggregate.add(message);
    };
    listeners.add(live);
    // The live line shows an interval shortly after it ends, once the workers have reported it.
    let shown = 0;
    let endPhase: () => void = () => {};
    const endedEarly = new Promise<void>((resolve) => {
      endPhase = resolve;
    });
    // Seconds in a row in which every worker reported no open connection.
    let secondsWithoutConnection = 0;
    const unreachableAfterMs = noConnectionBoundMs(options);
    const scheduledIntervals = Math.floor(durationMs / intervalMs);
    // Passed on live: an interval every worker has reported, or one whose reports are overdue.
    let passed = 0;
    // Indices passed on: a second no worker had reported when it fell due goes at the phase's end.
    const passedIndices = new Set<number>();
    const pass = (index: number, spanMs: number, afterPhase: boolean) => {
      const interval = aggregate.intervals.get(index);
      if (!interval || passedIndices.has(index)) return;
      passedIndices.add(index);
      // A live output's failure costs that output, not the run (this runs in a timer).
      try {
        options.onInterval?.({
          phase: name,
          interval,
          ops,
          phaseStartEpochMs: startEpochMs,
          intervalMs,
          spanMs,
          clientCpuMs: aggregate.clientCpuMs.get(index) ?? null,
          workers: index < scheduledIntervals ? workers.length : 0,
          afterPhase,
        });
      } catch (error) {
        if (!liveFailed) process.stderr.write(`live outputs: ${(error as Error).message}\n`);
        liveFailed = true;
      }
    };
    const passReported = (now: number) => {
      // The drain's intervals wait for the phase's end: the last is cut short by it.
      while (passed < Math.min(shown, scheduledIntervals)) {
        const interval = aggregate.intervals.get(passed);
        const overdue = now >= startEpochMs + (passed + 1) * intervalMs + LATE_REPORT_MS;
        // Not reported by every worker yet (or by none: no interval at all): wait, until overdue.
        if ((interval?.health.length ?? 0) < workers.length && !overdue) return;
        pass(passed, intervalMs, false);
        passed++;
      }
    };
    const ticker = setInterval(() => {
      const now = epochNowMs();
      const complete = Math.floor((now - startEpochMs - intervalMs / 5) / intervalMs);
      while (shown < complete) {
        const interval = aggregate.intervals.get(shown);
        const reported = interval?.health ?? [];
        const none = reported.length === workers.length && reported.every((h) => h.alive === 0);
        secondsWithoutConnection = none ? secondsWithoutConnection + 1 : 0;
        if (secondsWithoutConnection * intervalMs >= unreachableAfterMs && !outcome.failure) {
          outcome.failure = `no connection to the target for ${(secondsWithoutConnection * intervalMs) / 1000} s: it went away and did not come back`;
          endPhase();
        }
        shown++;
      }
      passReported(now);
      // Intervals every worker has reported long ago, and passed on, are kept encoded only.
      aggregate.compactBefore(Math.min(complete - 2, passed));
    }, intervalMs / 4);
    // The whole client process's CPU time per interval (Node 20 cannot tell one thread's CPU time).
    let cpuIndex = 0;
    let cpuLast = process.cpuUsage();
    let idleLast = machineIdle();
    let cpuTimer: NodeJS.Timeout | undefined;
    const sampleCpu = () => {
      const used = process.cpuUsage(cpuLast);
      cpuLast = process.cpuUsage();
      const idle = machineIdle();
      const share = idleShare(idleLast, idle);
      idleLast = idle;
      if (share !== null) aggregate.machineIdleShare.set(cpuIndex, share);
      aggregate.clientCpuMs.set(cpuIndex++, (used.user + used.system) / 1000);
    };
    const scheduleCpu = () => {
      cpuTimer = setTimeout(
        () => {
          sampleCpu();
          scheduleCpu();
        },
        Math.max(0, startEpochMs + (cpuIndex + 1) * intervalMs - epochNowMs()),
      );
    };
    const drained = fromAll(["drained"]);
    options.onPhaseStart?.(name, startEpochMs);
    broadcast({ type: "start", phase: name, startEpochMs, durationMs });
    setTimeout(() => {
      cpuLast = process.cpuUsage();
      idleLast = machineIdle();
      scheduleCpu();
    }, START_LEAD_MS);
    await sleepUntil(startEpochMs + durationMs, { signal: options.signal, orWhen: endedEarly });
    // A warm-up's backlog is not measured, so it is not sent; nor is anything after an interrupt.
    broadcast({ type: "drain", abandonBacklog: aborted() || name === "warmup" });
    // Normally every worker reports its last transaction done. After an interrupt, a connection
    // stuck on a server that never answers must not hold the run: after a grace period the phase
    // ends with what was measured, and the workers are terminated by closeWorkers.
    const grace = afterAbort(options.signal, DRAIN_GRACE_MS);
    const settled = await Promise.race([
      drained.then(
        (messages) => ({ messages }),
        (error: Error) => ({ error }),
      ),
      grace.elapsed.then(() => ({ abandoned: true as const })),
    ]);
    grace.cancel();
    const reports = "messages" in settled ? settled.messages : [];
    if ("error" in settled) outcome.failure = settled.error.message;
    if ("abandoned" in settled) outcome.abandoned = true;
    clearTimeout(cpuTimer);
    sampleCpu();
    clearInterval(ticker);
    listeners.delete(live);
    let endEpochMs = startEpochMs;
    let alive = 0;
    let schedule: ScheduleReport | undefined;
    const timelines: CommitTimelineReport[] = [];
    for (const report of reports) {
      if (report.type !== "drained") continue;
      endEpochMs = Math.max(endEpochMs, report.endEpochMs);
      alive += report.alive;
      if (report.schedule) schedule = addSchedules(schedule, report.schedule);
      if (report.commits) timelines.push(report.commits);
    }
    const commits = timelines.length === reports.length ? mergeCommitTimelines(timelines) : null;
    const lastIndex = Math.max(passed - 1, ...aggregate.intervals.keys());
    // No worker said when its last transaction ended (an abandoned drain, a worker that died): the
    // phase ends with the last second it reported, not at its start (which would leave it no time).
    if (endEpochMs === startEpochMs && lastIndex >= 0) {
      endEpochMs = Math.min(epochNowMs(), startEpochMs + (lastIndex + 1) * intervalMs);
    }
    // The intervals not passed on yet, in order, the last cut short by the end of the phase.
    for (let index = 0; index <= lastIndex; index++) {
      const spanMs = Math.min(intervalMs, Math.max(1, endEpochMs - (startEpochMs + index * intervalMs)));
      pass(index, spanMs, true);
    }
    return {
      name,
      startEpochMs,
      endEpochMs,
      aggregate,
      aliveConnections: alive,
      ...(schedule ? { schedule } : {}),
      ...(commits ? { commits } : {}),
    };
  };

  /** Waits for every worker's connections; a connection the target refused fails the load. */
  const connected = async () => {
    const readiness = await fromAll(["ready", "connect-failed"]);
    const failed = readiness.find((message) => message.type === "connect-failed");
    if (failed && failed.type === "connect-failed") {
      const opened = readiness.reduce(
        (sum, m) => sum + (m.type === "ready" || m.type === "connect-failed" ? m.opened : 0),
        0,
      );
      throw new TargetError(
        `opened ${opened} of ${options.connections} connections, then: ${redactText(failed.message, options.secrets)} (${failed.code})`,
      );
    }
  };

  try {
    await connected();
    await options.atBoundary?.("before-warmup");
    const usable = () => !aborted() && !outcome.failure && !outcome.abandoned;
    if (options.warmupMs > 0 && usable()) outcome.warmup = await runPhase("warmup", options.warmupMs);
    // Workers starved of CPU in the warm-up: the measured phase runs with more of them, after a
    // warm-up of their own (their connections are new).
    const warmup = outcome.warmup;
    if (options.adaptWorkers && warmup && usable()) {
      const judgement = (options.adaptWorkers.judge ?? judgeWorkers)(
        warmup.aggregate.ordered().map((i) => ({
          health: i.health,
          clientCpuMs: warmup.aggregate.clientCpuMs.get(i.index) ?? null,
          machineIdleShare: warmup.aggregate.machineIdleShare.get(i.index) ?? null,
        })),
        workerCount,
        Math.min(options.adaptWorkers.maxWorkers, options.connections),
        availableParallelism(),
      );
      outcome.workerJudgement = judgement;
      if (judgement.decision === "raise") {
        // Tried, not assumed: the raised workers keep the measured phase only if their warm-up sent
        // at least as much as the first one did.
        const initialPerSec = statementsPerSec(statementCounts(warmup, ops));
        const restart = async (count: number) => {
          if (outcome.warmup) outcome.earlierWarmups = [...(outcome.earlierWarmups ?? []), outcome.warmup];
          await closeWorkers();
          startPool(count);
          outcome.workers = count;
          await connected();
          if (usable()) outcome.warmup = await runPhase("warmup", options.warmupMs);
        };
        await restart(judgement.chosen);
        const chosenPerSec = outcome.warmup ? statementsPerSec(statementCounts(outcome.warmup, ops)) : null;
        if (initialPerSec !== null && chosenPerSec !== null && usable()) {
          outcome.workerJudgement = afterTrial(judgement, initialPerSec, chosenPerSec);
          if (outcome.workerJudgement.chosen !== judgement.chosen) await restart(judgement.initial);
        }
      }
      options.adaptWorkers.onJudged?.(outcome.workerJudgement);
    }
    if (usable()) {
      await options.atBoundary?.("before-measured");
      outcome.measured = await runPhase("measured", options.durationMs);
      if (!outcome.failure && !outcome.abandoned) await options.atBoundary?.("after-measured");
    }
    outcome.interrupted = aborted();
    return outcome;
  } finally {
    await closeWorkers();
  }
}

/** Statements completed in each second of a phase (transactions and their timings left out). */
function statementCounts(phase: PhaseOutcome, ops: OpTable): number[] {
  const notStatements = nonStatementOps(ops);
  return phase.aggregate
    .ordered()
    .map((interval) => interval.ops.reduce((sum, op, i) => (notStatements.has(i) ? sum : sum + op.count), 0));
}

function addSchedules(a: ScheduleReport | undefined, b: ScheduleReport): ScheduleReport {
  if (!a) return { ...b };
  return {
    scheduled: a.scheduled + b.scheduled,
    started: a.started + b.started,
    dropped: a.dropped + b.dropped,
    discarded: a.discarded + b.discarded,
    maxBacklog: Math.max(a.maxBacklog, b.maxBacklog),
  };
}
