import type { ConnectionOptions } from "mysql2";
import type { CommitTimelineReport } from "../metrics/commit-timeline.js";
import type { Workload } from "../scenario/schema.js";

/** Messages between the coordinator (main thread) and the load workers. Plain data only. */

export type PhaseName = "warmup" | "measured";

export interface WorkerInit {
  workerIndex: number;
  /** Connections this worker owns; each is one closed-loop "thread", as in sysbench. */
  connections: number;
  connection: ConnectionOptions;
  /**
   * Several hosts: connections go to the current one and, when it refuses them or answers that it
   * cannot take writes, move on to the next (a cluster endpoint's failover, done by the client).
   */
  failoverHosts?: { host: string; port: number }[];
  workload: Workload;
  dataset: { tables: number; tableSize: number };
  seed: number;
  intervalMs: number;
  /** Connections opened at once while connecting, so 1,000 connections do not arrive as one burst. */
  connectConcurrency: number;
  /** VERIFY_IDENTITY on an IP address: the host the server certificate must name. */
  verifyHost?: string;
  /** "lean": statements framed and replies scanned by our own code; "mysql2": mysql2's query path. */
  hotPath: HotPath;
  /** Open loop: transactions start on a fixed schedule instead of back to back. */
  openLoop?: OpenLoopInit;
  /** Longest wait between attempts to reopen a lost connection (default 5 s). */
  reconnectMaxMs?: number;
  /** A statement unanswered this long is an error (TIMEOUT) and its connection is reopened; absent: no bound. */
  statementTimeoutMs?: number;
  /** The bound is the default, not the user's: it grows with the slowest answer seen (x10). */
  statementTimeoutScales?: boolean;
  /** Record when transactions commit (gaps and per-tick counts), to time an outage. */
  commitTimeline?: { gapMs: number; tickMs: number };
}

export interface OpenLoopInit {
  /** Transactions per second of the whole schedule, all workers together. */
  ratePerSec: number;
  /** Workers sharing the schedule; this one runs ops n ≡ workerIndex (mod workers). */
  workers: number;
  /** How much of this worker's schedule may wait for a free connection, in ms. */
  backlogMs: number;
}

/** How one worker's open-loop schedule went over a phase. */
export interface ScheduleReport {
  /** Ops whose intended time fell in the phase. */
  scheduled: number;
  /** Ops sent. */
  started: number;
  /** Ops turned away because the backlog was full. */
  dropped: number;
  /** Ops still waiting for a connection when the phase ended (never sent). */
  discarded: number;
  /** Longest the backlog got, in ops. */
  maxBacklog: number;
}

export type HotPath = "lean" | "mysql2";

/** How the load generator itself fared in one interval: was it the bottleneck? */
export interface WorkerHealth {
  /** Share of the interval the worker's event loop was busy, 0..1. */
  utilization: number;
  /** Event-loop delay percentiles, in milliseconds (timer lateness, 10 ms sampling). */
  delayP99Ms: number;
  delayMaxMs: number;
  /** Connections with a statement outstanding at the end of the interval. */
  inFlight: number;
  /** Open loop: ops whose time had come, waiting for a free connection at the end of the interval. */
  backlog: number;
  /** Connections open (not lost, not reconnecting) at the end of the interval. */
  alive?: number;
  /** Connections lost in the interval. */
  lost?: number;
  /** Lost connections opened again in the interval. */
  reconnected?: number;
  /** How long the sample covers, in milliseconds (short for the last, partial interval of a phase). */
  spanMs: number;
}

export type ToWorker =
  /** Open loop: ops intended at or after startEpochMs + durationMs belong to no phase and are not sent. */
  | { type: "start"; phase: PhaseName; startEpochMs: number; durationMs: number }
  /**
   * End of the phase's window. Open loop: ops of the window still waiting for a connection are
   * sent and timed as usual, unless `abandonBacklog` (after an interrupt), when they are counted
   * as discarded and never sent.
   */
  | { type: "drain"; abandonBacklog: boolean }
  | { type: "close" };

/** One operation's numbers in one interval of one worker. */
export interface OpInterval {
  /** Completed without error. */
  count: number;
  errors: number;
  /** Rows returned (SELECT) or affected (writes). */
  rows: number;
  /** Encoded HDR histogram of successful latencies in microseconds; null when count is 0. */
  histogram: string | null;
}

export interface IntervalMessage {
  type: "interval";
  workerIndex: number;
  phase: PhaseName;
  index: number;
  ops: OpInterval[];
  errorsByCode: Record<string, number>;
  health: WorkerHealth;
}

export type FromWorker =
  | { type: "ready"; workerIndex: number; opened: number }
  | { type: "connect-failed"; workerIndex: number; opened: number; code: string; message: string }
  | IntervalMessage
  | {
      type: "drained";
      workerIndex: number;
      phase: PhaseName;
      endEpochMs: number;
      alive: number;
      schedule?: ScheduleReport;
      commits?: CommitTimelineReport;
    }
  | { type: "closed"; workerIndex: number };
