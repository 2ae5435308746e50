import type { ConnectionOptions } from "mysql2";
import type { CommitTimelineReport } from "../metrics/commit-timeline.js";
import type { IntervalMessage, PhaseName } from "../metrics/interval.js";
import type { Workload } from "../workload/schema.js";

/** Messages between the coordinator (main thread) and the load workers. Plain data only. */

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
