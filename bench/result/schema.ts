import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { SCENARIO_KINDS } from "../scenario/kind.js";
import { RESULT_SCHEMA_VERSION } from "./schema-version.js";

/**
 * result.json: the one source of truth of a run. Reports, comparisons and gates are derived from it.
 * Fields here are a stable contract; docs/result.schema.json is generated from these definitions.
 * Units are in the field names (Ms, PerSec, Bytes) or stated in the description.
 */

export { RESULT_SCHEMA_VERSION };

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Iso = Type.String({ description: "ISO 8601 time (UTC)." });

export const LatencySummarySchema = Type.Object(
  {
    p50: Type.Number(),
    p90: Type.Number(),
    p95: Type.Number(),
    p99: Type.Number(),
    p999: Type.Number(),
    max: Type.Number(),
    count: Type.Integer({ description: "Successful samples." }),
  },
  { description: "Latency percentiles in milliseconds, from an HDR histogram (3 significant digits)." },
);

const CountsSchema = Type.Object({
  reads: Type.Integer({ description: "Completed SELECTs." }),
  writes: Type.Integer({ description: "Completed INSERT + UPDATE + DELETE (BEGIN/COMMIT excluded)." }),
  txns: Type.Integer({ description: "Completed COMMITs (or transactions, when the workload has none)." }),
  errors: Type.Integer({ description: "Statements that returned an error, all codes." }),
  rollbacks: Type.Integer({ description: "Transactions rolled back after an error." }),
  rows: Type.Integer({ description: "Rows returned by SELECTs plus rows affected by writes." }),
});

const ThroughputSchema = Type.Object({
  readsPerSec: Type.Number(),
  writesPerSec: Type.Number(),
  txnPerSec: Type.Number(),
});

const ClaimSchema = Type.Object({
  id: Type.String(),
  metric: Type.String({ description: "writesPerSec, readsPerSec or txnPerSec." }),
  value: Type.Number(),
  unit: Type.String(),
  quote: Type.String(),
  source: Type.String(),
  hardware: Type.Object({ server: Type.String(), clients: Type.String() }),
  method: Type.Object({
    clients: Type.Integer(),
    connectionsPerClient: Type.Integer(),
    tables: Type.Integer(),
    tableSize: Type.Integer(),
    duration: Type.String(),
  }),
});

export const VerdictSchema = Type.Object({
  outcome: Type.Union(
    [
      Type.Literal("met"),
      Type.Literal("not-met"),
      Type.Literal("scaled"),
      Type.Literal("client-bound"),
      Type.Literal("no-claim"),
      Type.Literal("incomplete"),
      Type.Literal("not-measured"),
      Type.Literal("baseline"),
    ],
    {
      description:
        "met / not-met: a run of the claim's own shape; scaled: a smaller or shorter run, never a reproduction; client-bound: the load generator was the bottleneck, so the figure is about the client; incomplete: interrupted or failed; not-measured: the run had no step at the claim's rate; baseline: the figure is about the system AWS compared Aurora with (MySQL 5.6), not one the target meets or misses: the text sets the target's figure beside it.",
    },
  ),
  ratioToClaim: Nullable(Type.Number({ description: "measured / claimed." })),
  text: Type.String({ description: "The verdict in one or two sentences, both environments named." }),
  scaled: Type.Array(Type.String(), { description: "Each way the run differs from the claim's method." }),
  warnings: Type.Array(Type.String(), {
    description: "Reasons to distrust the figure (counter mismatch, lost connections...).",
  }),
  claimEnvironment: Type.String(),
  measuredEnvironment: Type.String(),
});

const CounterCheckItemSchema = Type.Object({
  counter: Type.String(),
  client: Type.Integer({ description: "Statements of this kind the client sent and got an answer to." }),
  server: Type.Integer({ description: "Increase of the server's counter over the measured phase." }),
  diffPct: Type.Number(),
  ok: Type.Boolean(),
});

const ServerCountersSchema = Type.Object({
  delta: Type.Record(Type.String(), Type.Integer(), {
    description: "Com_* increase over the measured phase.",
  }),
  tolerancePct: Type.Number(),
  slack: Type.Optional(
    Type.Integer({
      description:
        "Absolute difference allowed beside tolerancePct: statements the server runs of its own over the window.",
    }),
  ),
  ok: Type.Boolean({ description: "Every counter within tolerance or slack of the client's count." }),
  checks: Type.Array(CounterCheckItemSchema),
  movedWithoutClient: Type.Optional(
    Type.Array(Type.String(), {
      description: "Counters that rose although the client sent none of their kind.",
    }),
  ),
});

const IntervalHealthSchema = Type.Object(
  {
    utilizationMax: Type.Number({
      description: "Busiest worker's event-loop utilization in the interval, 0..1.",
    }),
    delayP99MaxMs: Type.Number({ description: "Worst worker's event-loop delay p99, milliseconds." }),
    inFlight: Type.Integer({ description: "Statements outstanding at the interval's end." }),
    backlog: Type.Integer({
      description: "Open loop: ops whose time had come, waiting for a free connection at the interval's end.",
    }),
    clientCpuMs: Nullable(
      Type.Number({ description: "CPU time of the whole client process in the interval (all threads), ms." }),
    ),
    clientBound: Type.Boolean({
      description: "utilization > 0.9 or delay p99 > 5 ms: the client set the pace.",
    }),
  },
  { description: "The load generator's own health in this interval." },
);

/** The server's own status over one second of the load (SHOW GLOBAL STATUS, its names). */
const IntervalServerSchema = Type.Object(
  {
    readEpochMs: Type.Number({
      description: "When the status at the second's end was read (epoch ms, halfway through the query).",
    }),
    spanMs: Type.Number({
      description:
        "Time from the read before to this one: what the rates divide by (more than 1,000 after a late read).",
    }),
    readMs: Type.Number({ description: "The read's round trip: readEpochMs is uncertain by half of it." }),
    ratesPerSec: Type.Record(Type.String(), Type.Number(), {
      description:
        "Cumulative counters' change per second (Com_insert, Innodb_data_writes, Innodb_os_log_written, ...); a counter the server does not report is absent.",
    }),
    gauges: Type.Record(Type.String(), Type.Number(), {
      description:
        "Levels at the second's end (Threads_running, Innodb_buffer_pool_pages_dirty, Innodb_checkpoint_age, ...).",
    }),
  },
  {
    description:
      "The server's figures for the same second, read on the load's clock at the phase start + (t+1) s; absent when the read failed or a late read covered it.",
  },
);

const IntervalSchema = Type.Object({
  t: Type.Integer({ description: "Seconds since the phase began (interval index)." }),
  readsPerSec: Type.Number(),
  writesPerSec: Type.Number(),
  txnPerSec: Type.Number(),
  errors: Type.Integer(),
  latencyMs: Type.Record(
    Type.String(),
    Type.Object({ p50: Type.Number(), p99: Type.Number(), max: Type.Number() }),
  ),
  histograms: Type.Record(Type.String(), Type.String(), {
    description: "Encoded HDR histograms (compressed base64, microseconds) per operation for this interval.",
  }),
  generator: IntervalHealthSchema,
  connections: Type.Optional(
    Type.Object(
      {
        alive: Type.Integer({ description: "Connections open at the interval's end." }),
        lost: Type.Integer({ description: "Connections lost in the interval (the target closed or died)." }),
        reconnected: Type.Integer({ description: "Lost connections opened again in the interval." }),
      },
      { description: "Connection losses and reconnections, marked on the timeline." },
    ),
  ),
  errorsByCode: Type.Optional(
    Type.Record(Type.String(), Type.Integer(), { description: "Errors in the interval by code." }),
  ),
  server: Type.Optional(IntervalServerSchema),
});

const GeneratorSchema = Type.Object(
  {
    intervals: Type.Integer(),
    clientBoundIntervals: Type.Integer(),
    utilizationMean: Type.Number(),
    utilizationMax: Type.Number(),
    delayP99MaxMs: Type.Number(),
    clientCpuCores: Nullable(
      Type.Number({
        description: "Mean CPU cores the whole client process kept busy over the measured seconds.",
      }),
    ),
    clientBound: Type.Boolean({
      description: "More than 10% of the measured seconds were client-bound: the verdict is client-bound.",
    }),
  },
  { description: "The load generator's health over the measured phase." },
);

const WorkerJudgementSchema = Type.Object(
  {
    decision: Type.Union([Type.Literal("keep"), Type.Literal("raise")], {
      description: "raise: the measured phase ran with `chosen` workers, after a warm-up of their own.",
    }),
    initial: Type.Integer({ description: "Load workers the warm-up ran with." }),
    chosen: Type.Integer({ description: "Load workers the measured phase ran with." }),
    seconds: Type.Integer({
      description: "Warm-up seconds judged (the first, opening connections, is not).",
    }),
    utilizationMean: Nullable(
      Type.Number({ description: "Mean event-loop utilization of the workers, 0..1." }),
    ),
    cpuCoresPerWorker: Nullable(Type.Number({ description: "Mean CPU cores the process got per worker." })),
    machineIdleMean: Type.Optional(
      Nullable(
        Type.Number({
          description:
            "Mean share of all the machine's cores idle (anyone's CPU), 0..1; null when not sampled.",
        }),
      ),
    ),
    trial: Type.Optional(
      Type.Object(
        {
          initialStatementsPerSec: Type.Number(),
          chosenStatementsPerSec: Type.Number(),
          kept: Type.Union([Type.Literal("chosen"), Type.Literal("initial")]),
        },
        {
          description:
            "When starved: each warm-up's statements per second; more workers are kept only if they sent at least as many.",
        },
      ),
    ),
    reason: Type.String(),
  },
  {
    description:
      "Closed loop with workers not fixed by --workers: whether the warm-up's workers were starved of CPU (event loops busy, little CPU each), and the worker count chosen for the measured phase.",
  },
);

const ClientCostSchema = Type.Object({
  cpuUserMs: Type.Number({ description: "Client process user CPU over the measured phase (all threads)." }),
  cpuSystemMs: Type.Number(),
  cpuUsPerQuery: Nullable(Type.Number({ description: "Client CPU microseconds per statement sent." })),
  rssPeakBytes: Type.Integer({
    description: "Highest resident memory of the client process seen during the phase.",
  }),
  workers: Type.Integer(),
  hotPath: Type.Union([Type.Literal("lean"), Type.Literal("mysql2")], {
    description: "lean: statements framed and replies scanned over mysql2's socket; mysql2: its query path.",
  }),
  protocol: Type.Optional(
    Type.Union([Type.Literal("text"), Type.Literal("binary")], {
      description:
        "How the statements went: text (SQL text, COM_QUERY, as AWS's runs) or binary (prepared once per connection, COM_STMT_EXECUTE). Absent in results written before it was recorded: text.",
    }),
  ),
});

const DatasetSchema = Type.Object({
  tables: Type.Integer(),
  tableSize: Type.Integer(),
  reusedTables: Type.Integer(),
  loadedTables: Type.Integer(),
  loadMs: Type.Number(),
  rowsLoaded: Type.Integer(),
});

const LagSummarySchema = Type.Object(
  {
    p50: Nullable(Type.Number()),
    p90: Nullable(Type.Number()),
    p99: Nullable(Type.Number()),
    max: Nullable(Type.Number()),
    samples: Type.Integer({ description: "Heartbeats whose lag was measured." }),
  },
  {
    description: "Replica lag in milliseconds (null without samples), from an HDR histogram of microseconds.",
  },
);
const WaitSummarySchema = Type.Object(
  {
    connections: Type.Integer({ description: "Waits in flight at once, each on a connection of its own." }),
    timeoutMs: Type.Number({ description: "A wait unanswered after this long returns and is sent again." }),
    issued: Type.Integer({
      description: "Waits sent, resends after a timeout or a lost connection included.",
    }),
    reached: Type.Integer({ description: "Waits answered that their heartbeat was applied." }),
    timedOut: Type.Integer(),
    held: Type.Integer({
      description:
        "Samples from waits the server held until the heartbeat was applied: off by half a round trip.",
    }),
    atOnce: Type.Integer({
      description:
        "Samples from waits that found the heartbeat applied already: bounded from the last moment it cannot have been applied.",
    }),
    shownAlong: Type.Integer({
      description: "Heartbeats shown by an answer's applied position beyond the one waited for.",
    }),
    issueDelayP50Ms: Nullable(Type.Number({ description: "From a heartbeat's ack to its wait being sent." })),
    issueDelayP99Ms: Nullable(Type.Number()),
    resolutionP99Ms: Nullable(Type.Number({ description: "99th percentile of the per-sample error bound." })),
    withoutGtid: Type.Integer({
      description: "Heartbeats acknowledged without a GTID (matched by the next).",
    }),
    clockResets: Type.Integer({
      description: "Times the server clock readings disagreed and were restarted.",
    }),
  },
  { description: "gtid-wait only: how the replica's GTID waits went; null for a polled replica." },
);

const ReplicaLagSchema = Type.Object({
  name: Type.String(),
  method: Type.Optional(
    Type.Union([Type.Literal("gtid-wait"), Type.Literal("poll")], {
      description:
        "How the moment a heartbeat became visible was timed. gtid-wait: its GTID waited for on the replica (MASTER_GTID_WAIT, WAIT_FOR_EXECUTED_GTID_SET) from its commit's ack, placed by the server's own clock around the wait; polls then counts waits answered, pollIntervalMs is null, roundTripMs is a wait's round trip less the time the server held it, and resolutionMs the median per-sample bound (about half the fastest round trip). poll: the heartbeat row read about every millisecond. Absent in results from before the GTID wait: poll.",
    }),
  ),
  methodReason: Type.Optional(
    Type.String({
      description: "Why that method: what the replica offered, or what the trial wait answered.",
    }),
  ),
  server: Type.Optional(
    Type.String({
      description: "The server the probe's connections reached (instance id, server_id and host).",
    }),
  ),
  lagMs: LagSummarySchema,
  histogram: Type.String({ description: "HDR histogram of the lags (compressed base64, microseconds)." }),
  perSecond: Type.Array(
    Type.Object({
      second: Type.Integer({ description: "Seconds from the probe's start to the heartbeat's ack." }),
      count: Type.Integer(),
      p50Ms: Type.Number(),
      p99Ms: Type.Number(),
      maxMs: Type.Number(),
    }),
  ),
  unseen: Type.Integer({
    description: "Acknowledged heartbeats never shown by the replica before the probe stopped.",
  }),
  overWindow: Type.Integer({ description: "Heartbeats shown only after the match window: lag above it." }),
  beforeAck: Type.Integer({ description: "Heartbeats seen before their ack was processed (recorded as 0)." }),
  foreign: Type.Integer({ description: "Reads showing a number the probe never wrote." }),
  polls: Type.Integer(),
  pollIntervalMs: Nullable(Type.Number({ description: "Measured mean time between reads." })),
  pollIntervalP99Ms: Nullable(Type.Number()),
  roundTripMs: Nullable(Type.Number({ description: "Median round trip of a read." })),
  resolutionMs: Nullable(
    Type.Number({ description: "Error bound of a typical sample: poll interval + half a round trip." }),
  ),
  serverReported: Type.Array(
    Type.Object({
      tMs: Type.Number({ description: "ms from the probe's start." }),
      secondsBehind: Nullable(Type.Number({ description: "Seconds_Behind_Master/Source (whole seconds)." })),
      auroraLagMs: Nullable(Type.Number({ description: "Aurora REPLICA_LAG_IN_MILLISECONDS." })),
    }),
    { description: "What the replica itself said about its lag, about once a second." },
  ),
  errors: Type.Array(Type.String(), {
    description: "What interrupted this replica's reads; lag samples then cover only part of the step.",
  }),
  reconnects: Type.Optional(
    Type.Integer({
      description:
        "Times probe connections to this replica were lost (mid-read or while idle) and reopened on the same server.",
    }),
  ),
  waits: Type.Optional(Nullable(WaitSummarySchema)),
});
const StepSchema = Type.Object({
  targetRatePerSec: Type.Number({ description: "The schedule's rate: transactions intended per second." }),
  achievedRatePerSec: Type.Number({
    description:
      "Transactions completed without error per second, over the window and the drain of its backlog after it.",
  }),
  scheduled: Type.Integer({ description: "Ops intended in the measured window." }),
  started: Type.Integer({ description: "Ops sent." }),
  dropped: Type.Integer({
    description: "Ops turned away because the backlog (backlogMs of schedule) was full.",
  }),
  discarded: Type.Integer({
    description: "Ops still waiting for a connection when the window closed (never sent).",
  }),
  maxBacklog: Type.Integer({ description: "Largest backlog of any worker, in ops." }),
  backlogMs: Type.Number({ description: "How much of the schedule may wait for a free connection." }),
  sustained: Type.Boolean({
    description: "The target kept the rate: nothing dropped or left unsent, achieved >= 95% of the target.",
  }),
  measuredFrom: Iso,
  measuredTo: Iso,
  measuredMs: Type.Number(),
  latencyMs: Type.Record(Type.String(), LatencySummarySchema, {
    description:
      "Per transaction, from its intended start to its completion (corrected for coordinated omission).",
  }),
  serviceTimeMs: Type.Record(Type.String(), LatencySummarySchema, {
    description: "Per statement and per transaction (txn), from the actual send to the reply.",
  }),
  sendLatenessMs: Nullable(LatencySummarySchema),
  errors: Type.Record(Type.String(), Type.Integer()),
  counts: CountsSchema,
  serverCounters: Nullable(ServerCountersSchema),
  intervals: Type.Array(IntervalSchema, { description: "Measured window, one per second." }),
  histograms: Type.Record(Type.String(), Type.String(), {
    description: "Encoded HDR histograms (microseconds): statements, txn (service), intended, lateness.",
  }),
  generator: Nullable(GeneratorSchema),
  lagMs: Type.Record(Type.String(), LagSummarySchema, { description: "Per replica name." }),
  lag: Nullable(
    Type.Object({
      heartbeatIntervalMs: Type.Number(),
      heartbeatsWritten: Type.Integer(),
      heartbeatCommitMs: Type.Object({
        p50: Nullable(Type.Number()),
        p99: Nullable(Type.Number()),
        max: Nullable(Type.Number()),
      }),
      heartbeatErrors: Type.Array(Type.String()),
      matchWindowMs: Type.Number(),
      replicas: Type.Array(ReplicaLagSchema),
    }),
  ),
  caughtUpBeforeMs: Nullable(
    Type.Number({ description: "How long the replicas took to apply everything before this step began." }),
  ),
  caughtUpBy: Type.Optional(
    Nullable(
      Type.Union([Type.Literal("gtid"), Type.Literal("binlog-position"), Type.Literal("heartbeat")], {
        description:
          "How that catch-up was checked: the primary's GTID set, its binary log position, or a token written and read back.",
      }),
    ),
  ),
});
const LagClaimResultSchema = Type.Object({
  id: Type.String(),
  metric: Type.Literal("lagMs"),
  statistic: Type.String({ description: "p50, p99 or max of the lag, compared with value." }),
  value: Type.Number({ description: "Claimed lag, ms." }),
  unit: Type.String(),
  ratePerSec: Nullable(
    Type.Number({ description: "Updates/s the claim was made at; null: the lowest step." }),
  ),
  replicas: Type.Integer(),
  system: Type.String({ description: "aurora: Aurora's figure; mysql: the MySQL AWS compared with." }),
  versus: Type.Optional(
    Type.String({
      description:
        "An Aurora claim's MySQL counterpart (a claim id): the source set the two figures against each other.",
    }),
  ),
  quote: Type.String(),
  source: Type.String(),
  hardware: Type.String(),
  measured: Nullable(
    Type.Object({
      stepRatePerSec: Type.Number(),
      achievedRatePerSec: Type.Number(),
      replica: Type.String({ description: "The replica whose lag is compared: the worst one." }),
      valueMs: Nullable(Type.Number()),
    }),
  ),
  verdict: VerdictSchema,
});
const ReplicationResultSchema = Type.Object({
  source: Type.Union([Type.Literal("sandbox"), Type.Literal("given")], {
    description: "sandbox: a primary and replicas the tool started; given: --target and --replica.",
  }),
  engine: Type.Optional(
    Type.Union([Type.Literal("mariadb"), Type.Literal("galera")], {
      description: "galera: the replicas are the other nodes of a Galera cluster the tool started.",
    }),
  ),
  primary: Type.String({ description: "URL, password replaced by ***." }),
  replicas: Type.Array(Type.Object({ name: Type.String(), url: Type.String() })),
  lagMethod: Type.Optional(
    Type.Union([Type.Literal("auto"), Type.Literal("gtid-wait"), Type.Literal("poll")], {
      description:
        "--lag-method: how lag was asked to be timed. auto: a GTID wait on each replica that allows one, the poll elsewhere; gtid-wait: the wait on every replica (a replica that cannot refuses the run); poll: the poll on every replica. What each replica used is steps[].lag.replicas[].method. Absent in results from before the flag: auto.",
    }),
  ),
  settings: Type.Unknown({
    description: "What the servers reported after start (sandbox), or the replication checks (given).",
  }),
  startupMs: Nullable(Type.Number()),
  inspection: Type.Optional(
    Type.Unknown({
      description: "What `doctor` reports of the primary (see environment.target.inspection).",
    }),
  ),
});

const CrashWindowSchema = Type.Object({
  fromMs: Type.Number({ description: "ms from the measured phase's start." }),
  toMs: Type.Number(),
  writesPerSec: Type.Number(),
  txnPerSec: Type.Number(),
  p99Ms: Nullable(Type.Number({ description: "Whole-transaction latency p99 over the window." })),
});
const CrashClaimResultSchema = Type.Object({
  id: Type.String(),
  metric: Type.Union([Type.Literal("downtimeMs"), Type.Literal("recoveryMs")]),
  value: Type.Number({ description: "Claimed bound, ms." }),
  quote: Type.String(),
  source: Type.String(),
  measuredMs: Nullable(Type.Number()),
  verdict: VerdictSchema,
});
const CrashResultSchema = Type.Object({
  method: Type.Union(
    [
      Type.Literal("sandbox-kill"),
      Type.Literal("aurora-crash-instance"),
      Type.Literal("aurora-crash-node"),
      Type.Literal("command"),
      Type.Literal("galera-failover"),
    ],
    { description: "How the target was crashed." },
  ),
  cache: Type.Union([Type.Literal("warm"), Type.Literal("cold"), Type.Literal("unknown")], {
    description: "warm: the cache was kept over the restart; cold: dropped; unknown: a user's command.",
  }),
  description: Type.String(),
  at: Iso,
  atMs: Type.Number({ description: "ms from the measured phase's start to the crash." }),
  downtimeMs: Nullable(
    Type.Number({
      description:
        "Last commit before the crash to the first after it, over all connections; null: none came before the phase ended.",
    }),
  ),
  outage: Nullable(
    Type.Object({
      fromMs: Type.Number({ description: "The last commit before, ms from the phase's start." }),
      toMs: Nullable(Type.Number({ description: "The first commit after; null: none." })),
    }),
  ),
  recoveryMs: Nullable(
    Type.Number({
      description:
        "Crash to the start of the first second (sliding by tickMs) whose commits reached recoveryShare of the rate before it.",
    }),
  ),
  recoveryShare: Type.Number(),
  restartMs: Nullable(
    Type.Number({
      description:
        "Sandbox: from the kill until the restarted server took the tool's readiness check (tried every 10 ms; it may queue behind the load's own reconnections).",
    }),
  ),
  before: Nullable(CrashWindowSchema),
  after: Nullable(CrashWindowSchema),
  errors: Type.Record(Type.String(), Type.Integer(), {
    description: "Errors by code from the crash's second to the recovery.",
  }),
  connectionsLost: Type.Integer(),
  reconnected: Type.Integer(),
  tickMs: Type.Number({ description: "Resolution of the commit timeline." }),
  commitsPerTick: Type.Array(Type.Integer(), {
    description: "Transactions committed per tick over the measured phase (the crash's fine timeline).",
  }),
  intervals: Type.Array(
    Type.Object({
      t: Type.Integer(),
      writesPerSec: Type.Number(),
      txnPerSec: Type.Number(),
      p99Ms: Nullable(Type.Number()),
      errors: Type.Integer(),
      lost: Type.Integer(),
      reconnected: Type.Integer(),
    }),
    { description: "This crash's run, one entry per second of its measured phase." },
  ),
  steps: Type.Array(
    Type.Object({
      name: Type.String(),
      action: Type.String({ description: "Command or statement run, passwords redacted." }),
      startedAt: Iso,
      durationMs: Type.Number(),
      ok: Type.Boolean(),
      exitCode: Nullable(Type.Integer()),
      output: Type.String({ description: "Output or error, redacted, the last 4,000 characters." }),
    }),
  ),
  failure: Nullable(Type.String({ description: "Why the crash or restart did not go as planned." })),
  integrity: Nullable(
    Type.Object({
      tables: Type.Integer(),
      rowsBefore: Type.Integer(),
      rowsAfter: Type.Integer(),
      ok: Nullable(
        Type.Boolean({
          description:
            "Row counts unchanged by the crash, as atomic transactions that delete and insert the same row keep them; null: the workload changes them.",
        }),
      ),
    }),
  ),
  claims: Type.Array(CrashClaimResultSchema),
  notes: Type.Array(Type.String()),
});
const MeetingSchema = Type.Object({
  meeting: Type.String({
    description: "What the clients met for: <scenario>:warmup or <scenario>:measured.",
  }),
  serverStartAt: Type.String({
    description: "The agreed start, on the database server's clock (its time zone).",
  }),
  uncertaintyMs: Type.Number({
    description: "Half the round trip of the question that placed it on this client's clock.",
  }),
  waitedMs: Type.Number({ description: "How long this client waited for the others." }),
  statements: Type.Optional(
    Type.Record(Type.String(), Type.Integer(), {
      description:
        "The meeting's own statements by server counter: they fall in the clients' counter windows.",
    }),
  ),
});
const ShardSchema = Type.Object(
  {
    count: Type.Integer(),
    index: Type.Integer(),
    runId: Type.String(),
    host: Type.String(),
    meetings: Type.Array(MeetingSchema),
    serverCounterDelta: Nullable(
      Type.Record(Type.String(), Type.Integer(), {
        description:
          "Com_* over this client's measured phase: every client's statements, so checked only after merge.",
      }),
    ),
    clientCounters: Type.Record(Type.String(), Type.Integer(), {
      description: "This client's statements per server counter, for the check after merge.",
    }),
    serverWorkDelta: Type.Optional(
      Type.Record(Type.String(), Type.Number(), {
        description:
          "InnoDB's I/O counters' increase over this client's measured phase (every client's work): merge divides it by every client's transactions (serverWork).",
      }),
    ),
  },
  { description: "This result is one client (shard) of a run of several; `merge` joins them." },
);
const ShardDetailSchema = Type.Object({
  index: Type.Integer(),
  host: Type.String(),
  measuredFrom: Nullable(Iso),
  measuredTo: Nullable(Iso),
  connections: Type.Object({ opened: Type.Integer(), aliveAtEnd: Type.Integer() }),
  counts: CountsSchema,
  throughput: ThroughputSchema,
  generator: Nullable(GeneratorSchema),
  client: Nullable(ClientCostSchema),
  meetings: Type.Array(MeetingSchema),
});

const FaultResultSchema = Type.Object({
  kind: Type.String(),
  sql: Type.String(),
  atMs: Type.Number({ description: "ms from the measured phase's start, as planned." }),
  forMs: Type.Number(),
  sentAt: Nullable(Iso),
  sentAtMs: Nullable(Type.Number({ description: "ms from the measured phase's start, as sent." })),
  ok: Type.Boolean(),
  error: Nullable(Type.String()),
});

const PointSchema = Type.Object(
  {
    parameter: Type.Union([Type.Literal("connections"), Type.Literal("tableSize")]),
    value: Type.Integer({ description: "The swept parameter's value at this point." }),
    status: Type.Union([Type.Literal("complete"), Type.Literal("interrupted"), Type.Literal("failed")]),
    connections: Type.Integer({ description: "Connections the point opened (all clients)." }),
    dataset: Nullable(DatasetSchema),
    measuredMs: Type.Number(),
    counts: CountsSchema,
    throughput: ThroughputSchema,
    latencyMs: Type.Record(Type.String(), LatencySummarySchema),
    errors: Type.Record(Type.String(), Type.Integer()),
    serverCounters: Nullable(ServerCountersSchema),
    histograms: Type.Record(Type.String(), Type.String()),
    client: Nullable(ClientCostSchema),
    generator: Nullable(GeneratorSchema),
    verdict: VerdictSchema,
  },
  { description: "One point of a sweep: a full trial (warm-up, measured phase, counters) at one value." },
);

const UslFitSchema = Type.Object(
  {
    sigma: Type.Number({ description: "Contention: the serial share." }),
    kappa: Type.Number({ description: "Coherency: the cost of keeping every pair of workers agreed." }),
    lambdaPerSec: Type.Number({ description: "Throughput of one connection, as the fit has it." }),
    lambdaFrom: Type.Union([Type.Literal("n=1"), Type.Literal("lowest concurrency")], {
      description: "Measured at one connection, or estimated from the lowest point measured (X/N there).",
    }),
    peakConcurrency: Nullable(
      Type.Number({ description: "sqrt((1 - sigma) / kappa); null: no peak in the model." }),
    ),
    peakThroughputPerSec: Nullable(Type.Number()),
    rSquared: Type.Number({ description: "Of the fitted throughput against the measured." }),
    constrained: Type.Array(Type.Union([Type.Literal("sigma"), Type.Literal("kappa")]), {
      description: "Coefficients held at 0 because the unconstrained fit made them negative (noise).",
    }),
    points: Type.Integer(),
    levels: Type.Integer({ description: "Distinct concurrency levels fitted (at least 3)." }),
  },
  {
    description:
      "Universal Scalability Law, X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1)), fitted by Gunther's linearised least squares.",
  },
);

const PublishedRowResultSchema = Type.Object({
  value: Type.Integer({ description: "The row's value of the swept parameter, as published (in its unit)." }),
  label: Type.String({ description: 'The row as the source prints it ("1 GB", "5,000").' }),
  aurora: Type.Number({ description: "Aurora's published figure." }),
  mysql: Type.Number({ description: "The published figure of the MySQL AWS compared Aurora with." }),
  pointValue: Nullable(
    Type.Integer({
      description:
        "The point measured for this row: its own value, or under --quick the quick value in its position; null: no point stands for it.",
    }),
  ),
  measured: Nullable(
    Type.Number({ description: "That point's throughput in the published metric; null: not measured." }),
  ),
  ofAurora: Nullable(Type.Number({ description: "measured / aurora." })),
  ofMysql: Nullable(Type.Number({ description: "measured / mysql." })),
});

const PublishedResultSchema = Type.Object(
  {
    source: Type.String(),
    metric: Type.String({ description: "The throughput each row is set beside." }),
    unit: Type.String(),
    label: Type.String({ description: "The source's heading of the swept parameter." }),
    note: Type.Optional(
      Type.String({ description: "How the source's values became the parameter's (an approximation)." }),
    ),
    matchedBy: Type.Union([Type.Literal("value"), Type.Literal("position")], {
      description:
        "value: a row by the point at its own value; position: under --quick, the n-th quick value stands for the sweep's n-th value and its row.",
    }),
    rows: Type.Array(PublishedRowResultSchema),
  },
  { description: "Figures published along the sweep (a paper's table), each beside what this run measured." },
);

const SweepResultSchema = Type.Object({
  parameter: Type.Union([Type.Literal("connections"), Type.Literal("tableSize")]),
  values: Type.Array(Type.Integer()),
  metric: Type.String({
    description: "The throughput the peak and the fit are of (the claim's, else txnPerSec).",
  }),
  peak: Nullable(Type.Object({ value: Type.Integer(), throughputPerSec: Type.Number() })),
  pastPeak: Type.Array(Type.Integer(), {
    description: "Values past the peak where throughput fell below the best at a lower value.",
  }),
  usl: Nullable(UslFitSchema),
  published: Type.Optional(PublishedResultSchema),
});

const perTxn = (description: string) => Nullable(Type.Number({ description }));
/** The server's I/O per committed transaction over the measured window, beside the Aurora paper's Table 1. */
const ServerWorkSchema = Type.Object(
  {
    txns: Type.Integer({ description: "Committed transactions the figures divide by (counts.txns)." }),
    delta: Type.Record(Type.String(), Type.Integer(), {
      description:
        "Increase of the server's I/O counters over the measured window (Innodb_data_reads, Innodb_data_writes, Innodb_data_written, Innodb_data_fsyncs, Innodb_log_writes, Innodb_os_log_written), the tool's own statements in it included.",
    }),
    logBytesPerTxn: perTxn("Innodb_os_log_written / txns: redo bytes per transaction."),
    dataWritesPerTxn: perTxn("Innodb_data_writes / txns."),
    dataBytesWrittenPerTxn: perTxn("Innodb_data_written / txns."),
    fsyncsPerTxn: perTxn("Innodb_data_fsyncs / txns."),
    iosPerTxn: perTxn("The iosSummed counters' increase / txns: every InnoDB file I/O, reads and writes."),
    iosSummed: Type.Array(Type.String(), { description: "The counters iosPerTxn sums." }),
    paper: Type.Object(
      {
        mirroredMysqlIosPerTxn: Type.Number(),
        auroraIosPerTxn: Type.Number(),
        source: Type.String(),
      },
      { description: "The Aurora paper's Table 1, I/Os per transaction, for comparison." },
    ),
  },
  {
    description:
      "The server's work per committed transaction over the measured window (counters read at its start and end); absent when they were not read, or in one client's result of a split run.",
  },
);

export const ScenarioResultSchema = Type.Object({
  id: Type.String(),
  kind: Type.Optional(
    Type.Union(
      SCENARIO_KINDS.map((kind) => Type.Literal(kind)),
      {
        description: "What ran it: throughput, rate-steps or crash (absent in results written before kinds).",
      },
    ),
  ),
  title: Type.String(),
  status: Type.Union([Type.Literal("complete"), Type.Literal("interrupted"), Type.Literal("failed")]),
  claim: Nullable(ClaimSchema),
  measured: Nullable(Type.Object({ metric: Type.String(), value: Type.Number() })),
  verdict: VerdictSchema,
  config: Type.Unknown({
    description: "The resolved scenario, whole: statements, distributions, load, phases.",
  }),
  dataset: Nullable(DatasetSchema),
  measuredFrom: Nullable(Iso),
  measuredTo: Nullable(Iso),
  measuredMs: Type.Number({ description: "measuredTo - measuredFrom: the time rates are divided by." }),
  connections: Type.Object({ opened: Type.Integer(), aliveAtEnd: Type.Integer() }),
  counts: CountsSchema,
  throughput: ThroughputSchema,
  latencyMs: Type.Record(Type.String(), LatencySummarySchema, {
    description: "Per statement name, plus begin, commit, rollback and txn (a whole committed transaction).",
  }),
  errors: Type.Record(Type.String(), Type.Integer(), {
    description: "MySQL error code (or client error code) -> count.",
  }),
  serverCounters: Nullable(ServerCountersSchema),
  warmup: Nullable(
    Type.Object(
      { durationMs: Type.Number(), counts: CountsSchema, throughput: ThroughputSchema },
      { description: "Reported, excluded from every other figure." },
    ),
  ),
  intervals: Type.Array(IntervalSchema, { description: "Measured phase, one per second." }),
  histograms: Type.Record(Type.String(), Type.String(), {
    description:
      "Encoded HDR histograms (compressed base64, microseconds) per operation over the measured phase.",
  }),
  client: Nullable(ClientCostSchema),
  generator: Nullable(GeneratorSchema),
  workerJudgement: Type.Optional(WorkerJudgementSchema),
  steps: Type.Optional(
    Type.Array(StepSchema, {
      description: "Open-loop scenarios: one entry per rate. The fields above then describe the last step.",
    }),
  ),
  claims: Type.Optional(
    Type.Array(LagClaimResultSchema, { description: "Replica-lag claims with a verdict each." }),
  ),
  replication: Type.Optional(ReplicationResultSchema),
  crashes: Type.Optional(
    Type.Array(CrashResultSchema, {
      description:
        "Crash scenarios: one entry per crash, each in its own run. The fields above describe the last.",
    }),
  ),
  faults: Type.Optional(
    Type.Array(FaultResultSchema, { description: "Faults injected during the measured phase (Aurora)." }),
  ),
  points: Type.Optional(
    Type.Array(PointSchema, {
      description: "A sweep: one entry per value. The fields above describe the peak point.",
    }),
  ),
  sweep: Type.Optional(SweepResultSchema),
  shard: Type.Optional(ShardSchema),
  serverWork: Type.Optional(ServerWorkSchema),
  shards: Type.Optional(
    Type.Array(ShardDetailSchema, {
      description: "A merged result: each client's own figures; the fields above are the whole run's.",
    }),
  ),
});

export const ResultSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    schemaVersion: Type.Literal(RESULT_SCHEMA_VERSION),
    tool: Type.Object({ name: Type.String(), version: Type.String() }),
    status: Type.Union([Type.Literal("complete"), Type.Literal("interrupted"), Type.Literal("failed")], {
      description:
        "complete: every scenario ran; interrupted: SIGINT/SIGTERM or still running; failed: see failure.",
    }),
    failure: Type.Optional(Type.Object({ message: Type.String(), exitCode: Type.Integer() })),
    clients: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ description: "Client processes (machines) of the run." }),
          index: Nullable(Type.Integer({ description: "This client's index; null in a merged result." })),
          runId: Type.String(),
          hosts: Type.Array(Type.String(), { description: "Each client's hostname, by index." }),
        },
        { description: "A run of several clients: one shard's result, or their merge." },
      ),
    ),
    startedAt: Iso,
    finishedAt: Nullable(Iso),
    command: Type.Array(Type.String(), { description: "The command line, passwords redacted." }),
    environment: Type.Object({
      client: Type.Object({
        hostname: Type.String(),
        cpus: Type.Integer(),
        cpuModel: Type.String(),
        memoryBytes: Type.Integer(),
        os: Type.String(),
        node: Type.String(),
        driver: Type.Object({ name: Type.String(), version: Type.String() }),
      }),
      target: Type.Object({
        url: Type.String({ description: "Connection URL, password replaced by ***." }),
        version: Type.String(),
        flavor: Type.String(),
        flavorSource: Type.Optional(
          Type.String({ description: "How the flavor was decided (aurora_version, the version text...)." }),
        ),
        variables: Type.Record(Type.String(), Type.String()),
        inspection: Type.Optional(
          Type.Unknown({
            description:
              "What `doctor` reports of the target: flavor and how decided, role and topology, privileges, settings that move the figures, and the run's plan (catch-up, crash, counter check).",
          }),
        ),
        sandbox: Nullable(
          Type.Object({
            binary: Type.String(),
            flavor: Type.String(),
            version: Type.String(),
            dir: Type.String(),
            port: Type.Integer(),
            settings: Type.Record(Type.String(), Type.String()),
            reusedDatadir: Type.Boolean(),
            sharesMachineWithClient: Type.Boolean(),
            engine: Type.Optional(
              Type.Union([Type.Literal("mariadb"), Type.Literal("galera")], {
                description:
                  "galera: a cluster of nodes on this machine; the fields above are its first node's.",
              }),
            ),
            nodes: Type.Optional(Type.Array(Type.Object({ name: Type.String(), port: Type.Integer() }))),
          }),
        ),
      }),
    }),
    scenarios: Type.Array(ScenarioResultSchema),
  },
  { title: "reinvent-bench result" },
);

export type Result = Static<typeof ResultSchema>;
export type ScenarioResult = Static<typeof ScenarioResultSchema>;
export type Verdict = Static<typeof VerdictSchema>;
export type PointResult = Static<typeof PointSchema>;
export type SweepResult = Static<typeof SweepResultSchema>;
export type UslFitResult = Static<typeof UslFitSchema>;
export type StepResult = Static<typeof StepSchema>;
export type LagClaimResult = Static<typeof LagClaimResultSchema>;
export type ReplicationResult = Static<typeof ReplicationResultSchema>;
export type ReplicaLag = Static<typeof ReplicaLagSchema>;
export type CrashResult = Static<typeof CrashResultSchema>;
export type CrashWindow = Static<typeof CrashWindowSchema>;
export type FaultResult = Static<typeof FaultResultSchema>;
export type ShardResult = Static<typeof ShardSchema>;
export type ShardDetail = Static<typeof ShardDetailSchema>;
export type Meeting = Static<typeof MeetingSchema>;
export type LatencySummary = Static<typeof LatencySummarySchema>;
export type Counts = Static<typeof CountsSchema>;
export type Throughput = Static<typeof ThroughputSchema>;
