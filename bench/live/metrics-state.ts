import { histogramOf } from "../metrics/aggregate.js";
import type { PhaseName } from "../metrics/interval.js";
import { nonStatementOps } from "../workload/program.js";
import {
  addHistogram,
  addValue,
  emptyBuckets,
  emptyBucketsFor,
  LAG_BOUNDS_US,
  type LatencyBuckets,
} from "./metrics-buckets.js";
import type { LagSample, LiveContext, LiveSecond, ReplicaReport } from "./second.js";

/** Error codes with a series of their own; the codes seen after them are counted as OTHER_CODE. */
export const ERROR_CODES_MAX = 20;
export const OTHER_CODE = "other";
/** Server figures with a series of their own, per kind (levels, rates); later names are left out. */
export const SERVER_NAMES_MAX = 256;

/** The labels every series of one phase of one trial carries. */
export interface PhaseLabels {
  scenario: string;
  label: string;
  phase: PhaseName;
  client: number;
}

/** What keeps growing for one phase of one trial: counters and latency histograms. */
export interface PhaseCounters {
  labels: PhaseLabels;
  /** Completed statements by op: the workload's, BEGIN, COMMIT and ROLLBACK. */
  statements: Map<string, { kind: string; count: number }>;
  /** Completed transactions: the txn op's count, which is result.json's txns. */
  transactions: number;
  /** Errors by code, at most ERROR_CODES_MAX codes and OTHER_CODE. */
  errors: Map<string, number>;
  connectionsLost: number;
  connectionsReopened: number;
  /** Latencies of successful ops by op name (statements, txn, intended, lateness). */
  latency: Map<string, LatencyBuckets>;
  /** MetricsState.scrapes when the phase's series were made, and when each error code's was. */
  bornAtScrape: number;
  errorBornAtScrape: Map<string, number>;
}

/** The last second of a running phase: levels, which mean nothing once the phase has ended. */
export interface PhaseGauges {
  labels: PhaseLabels;
  connectionsAlive: number;
  statementsInFlight: number;
  /** Null for a closed loop. */
  targetTransactionsPerSec: number | null;
  achievedTransactionsPerSec: number;
  backlog: number;
  /** Busiest worker's event-loop utilization, 0..1. */
  generatorUtilization: number;
  eventLoopDelayP99Ms: number;
  /** The server's levels at the second's end, by status name. */
  serverStatus: Map<string, number>;
  /** The server's counters' change over the second, per second, by status name. */
  serverStatusPerSec: Map<string, number>;
}

/** One replica's lag in one trial: a histogram that only grows, and the last sample. */
export interface ReplicaLag {
  labels: { scenario: string; label: string; client: number; replica: string };
  buckets: LatencyBuckets;
  lastMs: number | null;
  bornAtScrape: number;
  /** What the replica said of itself at its last reading; null until read, or when it says NULL. */
  secondsBehind: number | null;
  auroraLagMs: number | null;
}

const keyOf = (labels: PhaseLabels) =>
  JSON.stringify([labels.scenario, labels.label, labels.client, labels.phase]);

/**
 * A run's figures as the metrics endpoint serves them. Counters and histograms only grow: a series
 * is never reset or dropped while the endpoint lives, so Prometheus's rate() reads them right across
 * scrapes, seconds and phases. Gauges describe the phase running now and go when it ends.
 */
export class MetricsState {
  /** Scrapes served so far; the endpoint counts them (markScraped). */
  scrapes = 0;

  /** By phase of trial, in the order they began. */
  readonly counters = new Map<string, PhaseCounters>();
  readonly gauges = new Map<string, PhaseGauges>();
  /** By replica of trial, in the order they were first seen. */
  readonly lag = new Map<string, ReplicaLag>();
  private readonly errorCodes = new Set<string>();
  private readonly serverStatusNames = new Set<string>();
  private readonly serverRateNames = new Set<string>();

  /**
   * holdNewSeries: a series is served at zero until one scrape has seen it, then with its counts.
   * Prometheus's rate() takes a series' first sample as its start, so a counter that first appears
   * holding a count (a phase's first second, a burst of a new error code) would add nothing to any
   * rate; seen at zero first, the count reads as the increase it was.
   */
  constructor(private readonly options: { holdNewSeries?: boolean } = {}) {}

  markScraped(): void {
    this.scrapes++;
  }

  /** The counters as a scrape serves them now: series no scrape has seen yet at zero (holdNewSeries). */
  visibleCounters(): PhaseCounters[] {
    return [...this.counters.values()].map((c) => {
      if (!this.options.holdNewSeries) return c;
      if (this.held(c.bornAtScrape)) return zeroed(c);
      const errors = new Map(
        [...c.errors].map(([code, n]) => [code, this.held(c.errorBornAtScrape.get(code)) ? 0 : n]),
      );
      return { ...c, errors };
    });
  }

  /** The replica lags as a scrape serves them now (see visibleCounters). */
  visibleLag(): ReplicaLag[] {
    return [...this.lag.values()].map((l) =>
      this.options.holdNewSeries && this.held(l.bornAtScrape)
        ? { ...l, buckets: emptyBucketsFor(LAG_BOUNDS_US) }
        : l,
    );
  }

  /** Whether some series would be served at zero by the next scrape, though it has counts. */
  hasHeldSeries(): boolean {
    if (!this.options.holdNewSeries) return false;
    for (const c of this.counters.values()) {
      if (this.held(c.bornAtScrape)) return true;
      for (const bornAt of c.errorBornAtScrape.values()) if (this.held(bornAt)) return true;
    }
    for (const l of this.lag.values()) if (this.held(l.bornAtScrape)) return true;
    return false;
  }

  private held(bornAtScrape: number | undefined): boolean {
    return bornAtScrape !== undefined && this.scrapes <= bornAtScrape;
  }

  addSecond(second: LiveSecond): void {
    const labels: PhaseLabels = {
      scenario: second.scenario,
      label: second.label,
      phase: second.phase,
      client: second.client,
    };
    this.addCounts(this.countersOf(labels, second), second);
    this.setGauges(labels, second);
  }

  /** A replica-lag sample: into its replica's histogram (LAG_BOUNDS_US), and the last value. */
  addLag(sample: LagSample): void {
    const lag = this.replicaLag(sample);
    addValue(lag.buckets, LAG_BOUNDS_US, sample.lagMs * 1000);
    lag.lastMs = sample.lagMs;
  }

  /** A replica's own lag figures at a reading (Seconds_Behind_Master/Source, Aurora's lag). */
  addReplicaReport(report: ReplicaReport): void {
    const lag = this.replicaLag(report);
    lag.secondsBehind = report.secondsBehind;
    lag.auroraLagMs = report.auroraLagMs;
  }

  private replicaLag(of: LiveContext & { replica: string }): ReplicaLag {
    const key = JSON.stringify([of.scenario, of.label, of.client, of.replica]);
    let lag = this.lag.get(key);
    if (!lag) {
      const { scenario, label, client, replica } = of;
      lag = {
        labels: { scenario, label, client, replica },
        buckets: emptyBucketsFor(LAG_BOUNDS_US),
        lastMs: null,
        bornAtScrape: this.scrapes,
        secondsBehind: null,
        auroraLagMs: null,
      };
      this.lag.set(key, lag);
    }
    return lag;
  }

  /** The phase's levels go; its counters stay, as a counter that vanished would read as a reset. */
  endPhase(context: LiveContext, phase: PhaseName): void {
    this.gauges.delete(keyOf({ ...context, phase }));
  }

  private countersOf(labels: PhaseLabels, second: LiveSecond): PhaseCounters {
    const key = keyOf(labels);
    let counters = this.counters.get(key);
    if (counters) return counters;
    // Every op of the scenario gets its series at zero from the first second, so a dashboard lists
    // them all and rate() sees an op's first completions as an increase.
    const table = second.raw.ops;
    const notStatements = nonStatementOps(table);
    counters = {
      labels,
      statements: new Map(),
      transactions: 0,
      errors: new Map(),
      connectionsLost: 0,
      connectionsReopened: 0,
      latency: new Map(),
      bornAtScrape: this.scrapes,
      errorBornAtScrape: new Map(),
    };
    table.names.forEach((name, i) => {
      if (!notStatements.has(i)) counters.statements.set(name, { kind: table.kinds[i] ?? "other", count: 0 });
      counters.latency.set(name, emptyBuckets());
    });
    this.counters.set(key, counters);
    return counters;
  }

  private addCounts(counters: PhaseCounters, second: LiveSecond): void {
    const { interval, ops: table } = second.raw;
    interval.ops.forEach((op, i) => {
      const name = table.names[i];
      if (name === undefined) return;
      if (i === table.txn) counters.transactions += op.count;
      const statement = counters.statements.get(name);
      if (statement) statement.count += op.count;
      const histogram = histogramOf(op);
      if (!histogram || histogram.totalCount === 0) return;
      let buckets = counters.latency.get(name);
      if (!buckets) {
        buckets = emptyBuckets();
        counters.latency.set(name, buckets);
      }
      addHistogram(buckets, histogram);
    });
    for (const [code, n] of Object.entries(interval.errorsByCode)) {
      const series = this.errorSeries(code);
      if (!counters.errors.has(series)) counters.errorBornAtScrape.set(series, this.scrapes);
      counters.errors.set(series, (counters.errors.get(series) ?? 0) + n);
    }
    counters.connectionsLost += second.entry.connections?.lost ?? 0;
    counters.connectionsReopened += second.entry.connections?.reconnected ?? 0;
  }

  /** The first ERROR_CODES_MAX codes seen in the run keep their own series; a series never moves. */
  private errorSeries(code: string): string {
    if (this.errorCodes.has(code)) return code;
    if (this.errorCodes.size >= ERROR_CODES_MAX) return OTHER_CODE;
    this.errorCodes.add(code);
    return code;
  }

  private setGauges(labels: PhaseLabels, second: LiveSecond): void {
    // A trial runs one phase at a time: a phase whose end was not passed on is over all the same.
    for (const [key, gauges] of this.gauges) {
      const l = gauges.labels;
      if (l.scenario === labels.scenario && l.label === labels.label && l.client === labels.client) {
        if (l.phase !== labels.phase) this.gauges.delete(key);
      }
    }
    const { entry, server } = second;
    this.gauges.set(keyOf(labels), {
      labels,
      connectionsAlive: entry.connections?.alive ?? 0,
      statementsInFlight: entry.generator.inFlight,
      targetTransactionsPerSec: second.targetRatePerSec,
      achievedTransactionsPerSec: entry.txnPerSec,
      backlog: second.backlog,
      generatorUtilization: entry.generator.utilizationMax,
      eventLoopDelayP99Ms: entry.generator.delayP99MaxMs,
      serverStatus: admitted(server?.gauges, this.serverStatusNames),
      serverStatusPerSec: admitted(server?.ratesPerSec, this.serverRateNames),
    });
  }
}

/** A phase's counters as they stood before its first second: every series at zero. */
function zeroed(c: PhaseCounters): PhaseCounters {
  return {
    ...c,
    statements: new Map([...c.statements].map(([op, s]) => [op, { ...s, count: 0 }])),
    transactions: 0,
    errors: new Map([...c.errors].map(([code]) => [code, 0])),
    connectionsLost: 0,
    connectionsReopened: 0,
    latency: new Map([...c.latency].map(([op]) => [op, emptyBuckets()])),
  };
}

/** The figures whose names are admitted, admitting new names while there is room. */
function admitted(figures: Record<string, number> | undefined, names: Set<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(figures ?? {})) {
    if (!names.has(name)) {
      if (names.size >= SERVER_NAMES_MAX) continue;
      names.add(name);
    }
    out.set(name, value);
  }
  return out;
}
