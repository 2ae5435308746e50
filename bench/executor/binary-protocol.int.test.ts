import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDataset } from "../dataset/sbtest.js";
import type { OpAggregate } from "../metrics/aggregate.js";
import { clientCounterEquivalents } from "../result/counting.js";
import { counterChecks } from "../result/scenario-result.js";
import { checkStatementsPrepare } from "../run/prepare-check.js";
import { loadFile } from "../scenario/load.js";
import { type AdminConnection, connectionOptions, openAdminConnection } from "../target/connection.js";
import { type Counters, counterDelta, readCounters } from "../target/facts.js";
import { startTestServer } from "../testing/servers.js";
import { TargetError } from "../util/errors.js";
import { builtInScenarioDir } from "../util/paths.js";
import type { PreparedText } from "../workload/prepared.js";
import {
  type BoundPlan,
  compileWorkload,
  newBoundPlan,
  type OpTable,
  planTransaction,
} from "../workload/program.js";
import { seededRandom } from "../workload/random.js";
import type { Workload } from "../workload/schema.js";
import { LeanChannel, Mysql2Channel, type ReplyHandler } from "./channel.js";
import { FailoverConnector } from "./failover-connector.js";
import { type LoadOutcome, runLoad } from "./load.js";
import type { HotPath } from "./protocol.js";

const DATASET = { tables: 3, tableSize: 1000 };
const HOT_PATHS: HotPath[] = ["lean", "mysql2"];

/** sysbench's OLTP mix (sigmod-oltp-connections): point and range selects, updates, a delete and an insert. */
const OLTP: Workload = (() => {
  const loaded = loadFile(join(builtInScenarioDir(), "sigmod-oltp-connections.yaml"));
  if (loaded.kind !== "scenario") throw new Error("not a scenario");
  return loaded.scenario.workload;
})();
/** Its reads alone, as the reads of aurora-read and sysbench's oltp_read_only. */
const READS: Workload = { ...OLTP, steps: OLTP.steps.slice(0, 5) };
const binary = (workload: Workload): Workload => ({ ...workload, protocol: "binary" });

let server: Awaited<ReturnType<typeof startTestServer>>;
let admin: AdminConnection;

beforeAll(async () => {
  server = await startTestServer({ connections: 48 });
  await ensureDataset({ shape: DATASET, open: () => openAdminConnection(server.target), log: () => {} });
  admin = await openAdminConnection(server.target);
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

interface Answer {
  code: string | null;
  rows: number;
}

/** A connection opened as the load workers open theirs, its channel's replies as promises. */
async function openChannel(hotPath: HotPath, statements: readonly PreparedText[]) {
  const connector = new FailoverConnector(
    { connection: connectionOptions(server.target), hotPath },
    statements,
  );
  const opened = await connector.open();
  let pending: ((answer: Answer) => void) | undefined;
  const onReply: ReplyHandler = (code, rows) => {
    const resolve = pending;
    pending = undefined;
    resolve?.({ code, rows });
  };
  const channel =
    hotPath === "lean"
      ? new LeanChannel(opened.conn, onReply, opened.shared, opened.prepared)
      : new Mysql2Channel(opened.conn, onReply, opened.prepared?.statements);
  const answer = () => new Promise<Answer>((resolve) => (pending = resolve));
  return {
    opened,
    send(sql: string): Promise<Answer> {
      const next = answer();
      channel.send(sql);
      return next;
    },
    execute(statement: number, plan: BoundPlan, at: number): Promise<Answer> {
      const next = answer();
      channel.execute(statement, plan, at);
      return next;
    },
    close: () => new Promise<void>((resolve) => channel.close(resolve)),
  };
}

/** The server's statement counters now. */
async function status(): Promise<Counters> {
  return readCounters(admin);
}

/** Statements of `ops` that reached the server (successes and errors), those of the workload only. */
function executions(ops: readonly OpAggregate[], table: OpTable): number {
  let sum = 0;
  for (let i = 0; i < table.begin; i++) sum += (ops[i]?.count ?? 0) + (ops[i]?.errors ?? 0);
  return sum;
}

describe("binary protocol against MariaDB", () => {
  it.each(HOT_PATHS)(
    "%s: the OLTP mix reads and writes the same rows as the text protocol, seed for seed",
    async (hotPath) => {
      const text = compileWorkload(OLTP, DATASET);
      const prepared = compileWorkload(binary(OLTP), DATASET);
      const textConn = await openChannel(hotPath, []);
      const binConn = await openChannel(hotPath, prepared.prepared);
      expect(binConn.opened.prepared?.statements).toHaveLength(9 * DATASET.tables);
      const textRandom = seededRandom(11);
      const binRandom = seededRandom(11);
      const answers = { text: [] as string[], binary: [] as string[] };
      try {
        for (let txn = 0; txn < 25; txn++) {
          // Each transaction rolled back: the other protocol finds the same rows.
          const sql: string[] = [];
          const ops: number[] = [];
          const n = planTransaction(text, textRandom, sql, ops);
          expect((await textConn.send("BEGIN")).code).toBeNull();
          for (let i = 0; i < n; i++) {
            const { code, rows } = await textConn.send(sql[i] as string);
            answers.text.push(`${text.ops.names[ops[i] as number]}:${code ?? "ok"}:${rows}`);
          }
          expect((await textConn.send("ROLLBACK")).code).toBeNull();
          const bound = newBoundPlan();
          const binOps: number[] = [];
          planTransaction(prepared, binRandom, [], binOps, bound);
          expect((await binConn.send("BEGIN")).code).toBeNull();
          for (let i = 0; i < n; i++) {
            const { code, rows } = await binConn.execute(bound.prepared[i] as number, bound, i);
            answers.binary.push(`${prepared.ops.names[binOps[i] as number]}:${code ?? "ok"}:${rows}`);
          }
          expect((await binConn.send("ROLLBACK")).code).toBeNull();
        }
      } finally {
        await textConn.close();
        await binConn.close();
      }
      expect(answers.binary).toEqual(answers.text);
      // Not trivially equal: ranges of 100 rows, single rows, and writes that each changed one.
      expect(answers.text).toContain("simple_range:ok:100");
      expect(answers.text).toContain("point_select:ok:1");
      expect(answers.text).toContain("insert:ok:1");
      expect(answers.text.filter((a) => a.includes(":ok:")).length).toBe(answers.text.length);
    },
    60_000,
  );

  it.each(HOT_PATHS)(
    "%s: an execution the server refuses answers with its error code, as in text",
    async (hotPath) => {
      const insert: Workload = {
        transaction: false,
        distribution: "uniform",
        steps: [
          {
            statements: [
              {
                name: "insert",
                sql: "INSERT INTO sbtest{table} (id, k, c, pad) VALUES ({id}, {k}, '{c}', '{pad}')",
              },
            ],
          },
        ],
        protocol: "binary",
      };
      const program = compileWorkload(insert, DATASET);
      const conn = await openChannel(hotPath, program.prepared);
      try {
        const plan: BoundPlan = { prepared: [0], ids: [1], ks: [1], cs: ["c"], pads: ["p"] };
        expect(await conn.execute(0, plan, 0)).toEqual({ code: "1062", rows: 0 });
        expect(await conn.send("INSERT INTO sbtest1 (id, k, c, pad) VALUES (1, 1, 'c', 'p')")).toEqual({
          code: "1062",
          rows: 0,
        });
        // The connection goes on: the next execution is answered.
        expect(await conn.execute(0, { ...plan, ids: [DATASET.tableSize + 7] }, 0)).toEqual({
          code: null,
          rows: 1,
        });
        await conn.send(`DELETE FROM sbtest1 WHERE id=${DATASET.tableSize + 7}`);
      } finally {
        await conn.close();
      }
    },
    30_000,
  );

  it.each(HOT_PATHS)(
    "%s: each connection prepares each distinct statement once; every execution is counted in Com_stmt_execute and in Com_select",
    async (hotPath) => {
      const CONNECTIONS = 4;
      const before = await status();
      const outcome = await runLoad({
        workload: binary(READS),
        dataset: DATASET,
        connection: connectionOptions(server.target),
        connections: CONNECTIONS,
        workers: 2,
        warmupMs: 0,
        durationMs: 1500,
        seed: 5,
        hotPath,
      });
      const delta = counterDelta(before, await status());
      const distinct = compileWorkload(binary(READS), DATASET).prepared.length;
      expect(distinct).toBe(5 * DATASET.tables);
      expect(delta.Com_stmt_prepare).toBe(CONNECTIONS * distinct);
      const ops = outcome.measured?.aggregate.totals().ops ?? [];
      const sent = executions(ops, outcome.ops);
      expect(sent).toBeGreaterThan(1000);
      expect(delta.Com_stmt_execute).toBe(sent);
      // What MariaDB 10.11 does: a prepared SELECT's execution counts in Com_select too.
      expect(delta.Com_select).toBe(sent);
      // BEGIN and COMMIT stay text.
      expect(delta.Com_begin).toBe(
        (ops[outcome.ops.begin]?.count ?? 0) + (ops[outcome.ops.begin]?.errors ?? 0),
      );
      // No connection was reopened: nothing was prepared during the phase.
      expect(ops[outcome.ops.prepare]?.count ?? 0).toBe(0);
    },
    60_000,
  );

  it("a statement the server cannot prepare fails the load before it starts, naming the statement", async () => {
    const bad: Workload = {
      distribution: "uniform",
      steps: [
        {
          statements: [
            { name: "fine", sql: "SELECT c FROM sbtest{table} WHERE id={id}" },
            { name: "bad", sql: "SELECT nope FROM sbtest{table} WHERE id={id}" },
          ],
        },
      ],
      protocol: "binary",
    };
    for (const hotPath of HOT_PATHS) {
      const load = runLoad({
        workload: bad,
        dataset: DATASET,
        connection: connectionOptions(server.target),
        connections: 2,
        workers: 1,
        warmupMs: 0,
        durationMs: 1000,
        seed: 1,
        hotPath,
      });
      await expect(load).rejects.toThrow(TargetError);
      await expect(load).rejects.toThrow(
        /then: the server cannot prepare statement bad \(SELECT nope FROM sbtest1 WHERE id=\?\): Unknown column 'nope' in '(field list|SELECT)' \(1054\)$/,
      );
      // The run's own check, before the load, says it in its words.
      const check = checkStatementsPrepare(
        { id: "bad-scenario", workload: bad, dataset: DATASET },
        server.target,
        hotPath,
      );
      await expect(check).rejects.toThrow(
        /^bad-scenario: the server cannot prepare statement bad \(SELECT nope FROM sbtest1 WHERE id=\?\): Unknown column 'nope' in '(field list|SELECT)' \(1054\)$/,
      );
    }
  }, 60_000);
});

describe("binary protocol: connections killed mid-run", () => {
  const CONNECTIONS = 4;
  const DURATION_MS = 4000;
  const KILL_AT_MS = 1200;

  async function killLoadConnections(): Promise<number> {
    const [rows] = await admin.query(
      "SELECT id FROM information_schema.processlist WHERE user = ? AND id <> CONNECTION_ID()",
      [server.target.user],
    );
    const ids = (rows as { id: number }[]).map((row) => row.id);
    for (const id of ids) await admin.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
    return ids.length;
  }

  it("prepare again on their new connection; the counters' check counts those prepares and agrees", async () => {
    let killed = 0;
    let kill: Promise<void> = Promise.resolve();
    let before: Counters = {};
    let delta: Counters = {};
    const outcome: LoadOutcome = await runLoad({
      workload: binary(READS),
      dataset: DATASET,
      connection: connectionOptions(server.target),
      connections: CONNECTIONS,
      workers: 1,
      warmupMs: 0,
      durationMs: DURATION_MS,
      seed: 3,
      atBoundary: async (boundary) => {
        if (boundary === "before-measured") {
          before = await status();
          kill = new Promise((resolve) =>
            setTimeout(() => {
              void killLoadConnections().then((n) => {
                killed = n;
                resolve();
              });
            }, KILL_AT_MS),
          );
        }
        if (boundary === "after-measured") delta = counterDelta(before, await status());
      },
    });
    await kill;
    expect(killed).toBe(CONNECTIONS);
    const measured = outcome.measured;
    if (!measured) throw new Error("no measured phase");
    expect(measured.aliveConnections).toBe(CONNECTIONS);
    const ops = measured.aggregate.totals().ops;
    const prepare = ops[outcome.ops.prepare];
    const distinct = compileWorkload(binary(READS), DATASET).prepared.length;
    // One preparation per reopened connection, each of every statement.
    expect(prepare?.count).toBe(CONNECTIONS);
    expect(prepare?.rows).toBe(CONNECTIONS * distinct);
    expect(delta.Com_stmt_prepare).toBe(CONNECTIONS * distinct);
    // After the kill the connections executed again on their new statement ids.
    const after = measured.aggregate
      .ordered()
      .filter((interval) => interval.index >= 2)
      .reduce((sum, interval) => sum + executions(interval.ops, outcome.ops), 0);
    expect(after).toBeGreaterThan(100);
    const { checks, ok } = counterChecks(delta, clientCounterEquivalents(ops, outcome.ops), DURATION_MS);
    expect(ok).toBe(true);
    expect(checks.find((c) => c.counter === "Com_stmt_prepare")).toMatchObject({
      client: CONNECTIONS * distinct,
      server: CONNECTIONS * distinct,
    });
    expect(checks.find((c) => c.counter === "Com_stmt_execute")?.client).toBeGreaterThan(100);
  }, 60_000);
});
