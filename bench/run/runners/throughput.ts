import { ClientSession } from "../../clients/session.js";
import { type DatasetOutcome, ensureDataset } from "../../dataset/sbtest.js";
import { START_LEAD_MS } from "../../executor/load.js";
import { FaultInjector } from "../../fault/inject.js";
import { clientCounterEquivalents } from "../../result/counting.js";
import { unmeasuredScenarioResult } from "../../result/scenario-result.js";
import type { FaultResult, ScenarioResult } from "../../result/schema.js";
import { definedCounters } from "../../result/server-work.js";
import { assembleSweep } from "../../result/sweep.js";
import { type ResolvedScenario, sweepPoint } from "../../scenario/resolve.js";
import { type AdminConnection, openAdminConnection, withAdmin } from "../../target/connection.js";
import type { Counters } from "../../target/facts.js";
import { UsageError } from "../../util/errors.js";
import { protocolOf, protocolWords } from "../../workload/protocol.js";
import { isSandboxed, oneServerEnvironment, oneServerOf, oneServerWorkers } from "../one-server.js";
import type { OneServer, RunContext, Runner } from "../runner.js";
import { loadEndNotes, runTrial } from "../trial.js";
import { adaptiveWorkerCeiling, sharesMachine } from "../workers.js";

export interface ThroughputSetup {
  server: OneServer;
  dataset: DatasetOutcome | null;
  /** Where it runs, in words, before the load says how many workers it started. */
  measuredEnvironment: string;
  serverOnClientMachine: boolean;
  /** This process as one client of a split run. */
  session?: ClientSession;
}

export interface ThroughputOutcome {
  /** The swept parameter's value at this trial; null without a sweep. */
  value: number | null;
  built: ScenarioResult;
  counterDelta: Counters | null;
  /** A client of a split run: what it sent, in the server counters' terms, for the merge's check. */
  clientCounters?: Record<string, number>;
  /** A client of a split run: the server's I/O counters' increase, for the merge's serverWork. */
  workDelta?: Record<string, number> | null;
  faults?: FaultResult[];
}

/** Faults are Aurora's ALTER SYSTEM SIMULATE statements: any other target is refused before the run. */
function checkFaults(scenario: ResolvedScenario, server: OneServer): void {
  if (!scenario.faults || server.facts.flavor === "aurora-mysql") return;
  throw new UsageError(
    `${scenario.id}: its faults (${[...new Set(scenario.faults.map((f) => f.kind))].join(", ")}) are Aurora's ALTER SYSTEM SIMULATE statements, and ${server.target.displayUrl} is ${server.facts.flavor} ${server.facts.version}; run it against an Aurora MySQL instance`,
  );
}

/** One client of a split run meets the others through an admin connection of its own. */
function clientSession(
  scenario: ResolvedScenario,
  ctx: RunContext,
  admin: AdminConnection,
): ClientSession | undefined {
  const split = ctx.settings.client;
  if (!split || !scenario.shard) return undefined;
  return new ClientSession({
    conn: admin,
    scenarioId: scenario.id,
    runId: split.runId,
    count: scenario.shard.count,
    index: split.index,
    host: ctx.client.hostname,
    timeoutMs: split.barrierTimeoutMs,
    signal: ctx.signal,
    log: ctx.log,
  });
}

/**
 * A throughput scenario's result, pure: its one trial's, with faults and a split client's part; or
 * over a sweep, every point with the peak's figures as the scenario's (result/sweep.ts).
 */
export function assembleThroughput(
  scenario: ResolvedScenario,
  setup: Pick<ThroughputSetup, "dataset" | "session" | "measuredEnvironment" | "serverOnClientMachine">,
  outcomes: readonly ThroughputOutcome[],
  status: ScenarioResult["status"],
): ScenarioResult {
  const unmeasured = () =>
    unmeasuredScenarioResult({
      scenario,
      status,
      dataset: setup.dataset,
      measuredEnvironment: setup.measuredEnvironment,
      serverOnClientMachine: setup.serverOnClientMachine,
    });
  const sweep = scenario.sweep;
  if (sweep) {
    const points = outcomes.map((o) => ({ value: o.value ?? 0, built: withFaults(o, o.built) }));
    return assembleSweep({ ...scenario, sweep }, points, status, unmeasured());
  }
  const outcome = outcomes[0];
  if (!outcome) return unmeasured();
  const withClient = setup.session
    ? {
        ...outcome.built,
        shard: setup.session.result(
          outcome.counterDelta ? { ...(outcome.counterDelta as Record<string, number>) } : null,
          outcome.clientCounters ?? {},
          outcome.workDelta ?? null,
        ),
      }
    : outcome.built;
  return withFaults(outcome, withClient);
}

function withFaults(outcome: ThroughputOutcome, entry: ScenarioResult): ScenarioResult {
  return outcome.faults ? { ...entry, faults: outcome.faults } : entry;
}

function sweepLine(scenario: ResolvedScenario): string {
  const sweep = scenario.sweep;
  if (!sweep) return "";
  const what = sweep.parameter === "connections" ? "connections per client" : "rows per table";
  return `; a sweep over ${what}: ${sweep.values.map((v) => v.toLocaleString("en-US")).join(", ")}`;
}

/**
 * throughput: one closed-loop trial (warm-up, then the measured phase) on the run's one server,
 * with the server's counters over the measured window, faults on Aurora where the scenario has
 * them, and, for one client of a split run, a meeting of every client before each phase.
 */
export const throughputRunner: Runner<ThroughputSetup, number | null, ThroughputOutcome> = {
  kind: "throughput",
  flags: [],
  splitRefusal: (scenario) =>
    scenario.faults
      ? "injects faults"
      : scenario.sweep
        ? "sweeps a parameter (a point per value)"
        : undefined,
  servers: () => "one",
  check: (scenario, server) => checkFaults(scenario, server),
  open: async (scenario, ctx) => {
    const server = oneServerOf(ctx);
    const target = server.target;
    ctx.log(
      `${scenario.id}: ${scenario.load.clients} x ${scenario.load.connectionsPerClient.toLocaleString("en-US")} connections, ${scenario.dataset.tables} tables x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows, warm-up ${scenario.load.warmupMs / 1000} s, measured ${scenario.load.durationMs / 1000} s, ${protocolWords(protocolOf(scenario.workload))}${sweepLine(scenario)}`,
    );
    const admin = ctx.settings.client && scenario.shard ? await openAdminConnection(target) : undefined;
    const stop = async () => {
      await admin?.end().catch(() => admin.destroy());
    };
    try {
      const session = admin ? clientSession(scenario, ctx, admin) : undefined;
      const prepare = () =>
        ensureDataset({
          shape: scenario.dataset,
          open: () => openAdminConnection(target),
          log: ctx.log,
          signal: ctx.signal,
        });
      // One client of several: client 0 prepares the dataset; the others wait for its signal. A
      // sweep over table sizes loads each size at its point.
      const dataset =
        scenario.sweep?.parameter === "tableSize"
          ? null
          : session
            ? await session.dataset(prepare)
            : await prepare();
      const workers = Math.min(oneServerWorkers(ctx, server), scenario.load.connections);
      return {
        server,
        dataset,
        measuredEnvironment: oneServerEnvironment(ctx, server, scenario, workers),
        serverOnClientMachine: isSandboxed(server) || sharesMachine(target),
        ...(session ? { session } : {}),
        stop,
      };
    } catch (error) {
      await stop();
      throw error;
    }
  },
  trials: (scenario) => scenario.sweep?.values ?? [null],
  runTrial: async ({ scenario: whole, trial: value, setup }, ctx) => {
    const { server, session } = setup;
    const target = server.target;
    const scenario = value === null ? whole : sweepPoint(whole, value);
    if (value !== null) {
      ctx.log(
        `${scenario.id}: point ${value.toLocaleString("en-US")}: ${scenario.load.clients} x ${scenario.load.connectionsPerClient.toLocaleString("en-US")} connections, ${scenario.dataset.tables} tables x ${scenario.dataset.tableSize.toLocaleString("en-US")} rows`,
      );
    }
    const dataset =
      whole.sweep?.parameter === "tableSize"
        ? await ensureDataset({
            shape: scenario.dataset,
            open: () => openAdminConnection(target),
            log: ctx.log,
            signal: ctx.signal,
          })
        : setup.dataset;
    const faults = scenario.faults
      ? new FaultInjector(
          scenario.faults,
          (sql) => withAdmin(target, async (conn) => void (await conn.query(sql))),
          ctx.secrets,
        )
      : undefined;
    let injected: FaultResult[] | undefined;
    let meeting: { startEpochMs: number } | undefined;
    try {
      const trial = await runTrial(
        {
          scenario,
          target,
          dataset,
          label: value === null ? scenario.id : `${scenario.id} @${value.toLocaleString("en-US")}`,
          workers: oneServerWorkers(ctx, server),
          // Workers the user did not fix follow the CPU the client gets: a split run's clients keep
          // theirs (they start each phase together).
          ...(ctx.settings.workers === undefined && !session
            ? { adaptWorkersTo: adaptiveWorkerCeiling() }
            : {}),
          seed: ctx.seed,
          counters: true,
          // A client's window holds every client's statements: the check waits for the merge.
          compareCounters: !session,
          serverOnClientMachine: setup.serverOnClientMachine,
          measuredEnvironment: (loop) => oneServerEnvironment(ctx, server, scenario, loop.workers),
          hooks: {
            onPhaseStart: (phase, startEpochMs) => {
              if (phase === "measured") faults?.arm(startEpochMs);
            },
            // Several clients: every one starts each phase at the instant agreed in the target.
            beforeWarmup: async () => {
              if (session) await session.startTogether(await session.meet("warmup"), START_LEAD_MS);
            },
            beforeCounters: async () => {
              meeting = await session?.meet("measured");
            },
            startMeasured: async () => {
              if (session && meeting) await session.startTogether(meeting, START_LEAD_MS);
            },
            // Every client drained its measured phase: the counters hold all of it and nothing after.
            afterMeasured: async () => {
              await session?.meet("done");
            },
          },
          afterLoad: async (loop) => {
            const notes = loadEndNotes(loop, { abandoned: true });
            injected = faults ? await faults.finish() : undefined;
            for (const fault of injected ?? []) {
              if (!fault.ok) notes.push(`fault ${fault.kind} at ${fault.atMs / 1000} s: ${fault.error}`);
            }
            if (session)
              notes.push(
                `client ${session.index} of ${session.count}: merge the clients' results for the run's figures and verdict`,
              );
            return notes;
          },
        },
        ctx,
      );
      const measured = trial.loop.measured;
      return {
        value,
        built: trial.built,
        counterDelta: trial.counterDelta,
        ...(session
          ? {
              clientCounters: measured
                ? clientCounterEquivalents(measured.aggregate.totals().ops, trial.loop.ops)
                : {},
              workDelta: trial.workDelta ? definedCounters(trial.workDelta) : null,
            }
          : {}),
        ...(injected ? { faults: injected } : {}),
      };
    } finally {
      await faults?.finish();
    }
  },
  ends: (outcome) => (outcome.built.status === "complete" ? undefined : { status: outcome.built.status }),
  assemble: ({ scenario, setup, outcomes, status }) => assembleThroughput(scenario, setup, outcomes, status),
};
