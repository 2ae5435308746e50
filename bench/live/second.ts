import type { IntervalAggregate } from "../metrics/aggregate.js";
import type { PhaseName } from "../metrics/interval.js";
import type { IntervalEntry } from "../result/interval-entry.js";
import type { OpTable } from "../workload/program.js";

/** Where a second belongs: which scenario, trial and client of the run measured it. */
export interface LiveContext {
  /** The scenario's id (a label on every metric). */
  scenario: string;
  /** The trial within it, as the progress line names it ("aurora-read @ 16 connections"). */
  label: string;
  /** The open loop's target, transactions per second; null for a closed loop. */
  targetRatePerSec: number | null;
  /** Which client of a split run measured it; 0 for a run of one client. */
  client: number;
}

/**
 * The server's own figures for one second of the load, read on the load's clock: its status counters'
 * change over the second as rates, and the values that are levels, not counts. Names are the server's
 * own (SHOW GLOBAL STATUS), so a dashboard beside the run reads the same names as the server's exporter.
 */
export interface ServerSecond {
  /** The second of the phase it covers (intervals[].t). */
  t: number;
  phase: PhaseName;
  /** When the counters at the second's end were read, on this process's clock. */
  readEpochMs: number;
  /** Cumulative counters' change over the second, per second (Com_select, Innodb_data_writes, ...). */
  ratesPerSec: Record<string, number>;
  /** Levels at the second's end (Threads_running, Innodb_buffer_pool_pages_dirty, ...). */
  gauges: Record<string, number>;
}

/** One second of a running phase, as every live output receives it. */
export interface LiveSecond extends LiveContext {
  phase: PhaseName;
  /** When the second began, on this process's clock. */
  startEpochMs: number;
  /** How long it lasted: 1,000 ms, or less for the last of a phase. */
  spanMs: number;
  /** The second as result.json's intervals[] holds it: the same figures. */
  entry: IntervalEntry;
  /** The second as the workers reported it, with the op table to name its ops (counts, histograms). */
  raw: { interval: IntervalAggregate; ops: OpTable };
  /** Open loop: operations waiting for a free connection at the second's end, over every worker. */
  backlog: number;
  /** The server's figures for the same second; null when they are not read (or not in time). */
  server: ServerSecond | null;
}

/** One heartbeat seen on one replica, as the lag probe records it (lags below 0 are recorded as 0). */
export interface LagSample extends LiveContext {
  replica: string;
  lagMs: number;
}

/** What a replica said of its own lag at one reading (about once a second). */
export interface ReplicaReport extends LiveContext {
  replica: string;
  /** Seconds_Behind_Master/Source; null when the server says NULL or is no binlog replica. */
  secondsBehind: number | null;
  /** Aurora's REPLICA_LAG_IN_MILLISECONDS for this reader; null elsewhere. */
  auroraLagMs: number | null;
}

/** A place a run's seconds go while it runs: a file, an HTTP endpoint, a log. */
export interface LiveOutput {
  /** Each second of each phase, in order within a phase. Must not throw or block: record and return. */
  second(second: LiveSecond): void;
  /** Each replica-lag sample as the probe records it (many per second: record, do not write). */
  lag?(sample: LagSample): void;
  /** Each reading of a replica's own lag figures (the applier's view, beside the probe's). */
  replicaReport?(report: ReplicaReport): void;
  /** The phase ended: every one of its seconds has been passed. */
  phaseEnd?(context: LiveContext, phase: PhaseName): void;
  /** The run ended (also when it failed or was interrupted): flush, close, stop serving. */
  close(): Promise<void>;
}

/** Several outputs as one; an output that throws is dropped with a line to the log, not the run. */
export class LiveOutputs implements LiveOutput {
  private readonly outputs: LiveOutput[];

  constructor(
    outputs: readonly LiveOutput[],
    private readonly log: (line: string) => void = () => {},
  ) {
    this.outputs = [...outputs];
  }

  get size(): number {
    return this.outputs.length;
  }

  second(second: LiveSecond): void {
    this.each((output) => output.second(second));
  }

  lag(sample: LagSample): void {
    this.each((output) => output.lag?.(sample));
  }

  replicaReport(report: ReplicaReport): void {
    this.each((output) => output.replicaReport?.(report));
  }

  phaseEnd(context: LiveContext, phase: PhaseName): void {
    this.each((output) => output.phaseEnd?.(context, phase));
  }

  async close(): Promise<void> {
    const outputs = this.outputs.splice(0);
    const closed = await Promise.allSettled(outputs.map((output) => output.close()));
    for (const c of closed) if (c.status === "rejected") this.log(`live output: ${errorText(c.reason)}`);
  }

  private each(call: (output: LiveOutput) => void): void {
    for (const output of [...this.outputs]) {
      try {
        call(output);
      } catch (error) {
        this.outputs.splice(this.outputs.indexOf(output), 1);
        this.log(`live output stopped: ${errorText(error)}`);
        // Dropped, it is still closed: an endpoint keeps no port, a file no descriptor.
        output.close().catch(() => {});
      }
    }
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
