/**
 * What a load worker reports for each interval of a phase: per operation counts and latencies, errors
 * by code, and how the worker itself fared. Plain data, sent from the workers to the coordinator
 * (see executor/protocol.ts) and aggregated here in metrics.
 */

export type PhaseName = "warmup" | "measured";

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
