import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "../testing/servers.js";
import { epochNowMs, sleepUntil } from "../util/timer.js";
import { connectionOptions } from "./connection.js";
import {
  type OpenSampler,
  openServerSampler,
  type ServerStatusSecond,
  statusValues,
} from "./server-sampler.js";

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** Inserts the test sends in one known second, in one transaction so they fit in it on any disk. */
const INSERTS = 100;
const PHASE_MS = 4000;

/** What a rate stands for: the count over the span it was divided by. */
const countOver = (second: ServerStatusSecond | undefined, name: string) =>
  ((second?.ratesPerSec[name] ?? Number.NaN) * (second?.spanMs ?? Number.NaN)) / 1000;

describe("server sampler against a sandbox MariaDB", () => {
  let server: TestServer;
  let conn: mysql.Connection;
  beforeAll(async () => {
    server = await startTestServer({ connections: 8 });
    conn = await mysql.createConnection(connectionOptions(server.target));
    await conn.query("CREATE TABLE sampler_probe (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB");
  });
  afterAll(async () => {
    await conn?.end();
    await server?.stop();
  });

  /** The server's own counters, read by the test over its own connection. */
  const serverCounters = async () => {
    const [rows] = await conn.query("SHOW GLOBAL STATUS");
    return statusValues(rows as { Variable_name: string; Value: unknown }[]);
  };

  it("reads each second's counters as the server counted them: exactly the inserts of the second they ran in", async () => {
    const opened: OpenSampler = await openServerSampler(server.target);
    try {
      const startMs = epochNowMs() + 300;
      const before = await serverCounters();
      opened.sampler.samplePhase("measured", startMs, PHASE_MS);
      // Second 1 of the phase: the inserts, well inside it.
      await sleepUntil(startMs + 1100);
      await conn.query("BEGIN");
      for (let i = 0; i < INSERTS; i++) await conn.query("INSERT INTO sampler_probe (v) VALUES (?)", [i]);
      await conn.query("COMMIT");
      const doneMs = epochNowMs();
      expect(doneMs, "the inserts must end inside second 1 for the test to say anything").toBeLessThan(
        startMs + 1950,
      );
      await sleepUntil(startMs + PHASE_MS + 300);
      await opened.sampler.stopPhase();
      const after = await serverCounters();

      const seconds = opened.sampler.seconds("measured");
      expect(seconds.map((s) => s.t)).toEqual([0, 1, 2, 3]);
      expect(opened.sampler.errors).toEqual([]);
      const [s0, s1, s2, s3] = seconds;
      const figures = seconds.map(
        (s) =>
          `t=${s.t} read ${(s.readEpochMs - startMs).toFixed(1)} ms after the start (round trip ${s.readMs.toFixed(2)} ms), span ${s.spanMs.toFixed(1)} ms: Com_insert ${s.ratesPerSec.Com_insert?.toFixed(2)}/s, Handler_write ${s.ratesPerSec.Handler_write?.toFixed(2)}/s, Com_commit ${s.ratesPerSec.Com_commit?.toFixed(2)}/s, Innodb_os_log_written ${s.ratesPerSec.Innodb_os_log_written?.toFixed(0)} B/s, Innodb_log_writes ${s.ratesPerSec.Innodb_log_writes?.toFixed(2)}/s, Threads_connected ${s.gauges.Threads_connected}, Innodb_checkpoint_age ${s.gauges.Innodb_checkpoint_age}`,
      );
      console.log(figures.join("\n"));

      for (const s of seconds) {
        // On the load's clock: due at the phase start + (t+1) s, read within a few ms of it on an idle server.
        const dueMs = startMs + (s.t + 1) * 1000;
        expect(s.readEpochMs).toBeGreaterThanOrEqual(dueMs);
        expect(s.readEpochMs).toBeLessThan(dueMs + 100);
        expect(s.spanMs).toBeGreaterThan(900);
        expect(s.spanMs).toBeLessThan(1100);
        // Neither the sampler's SHOW GLOBAL STATUS nor the test's count as a SELECT: the counter check is untouched.
        expect(countOver(s, "Com_select")).toBe(0);
      }
      // The rate times its real span is the count, to the statement.
      expect(countOver(s1, "Com_insert")).toBeCloseTo(INSERTS, 6);
      expect(countOver(s1, "Handler_write")).toBeCloseTo(INSERTS, 6);
      expect(countOver(s1, "Com_begin")).toBeCloseTo(1, 6);
      expect(countOver(s1, "Com_commit")).toBeCloseTo(1, 6);
      expect(countOver(s1, "Innodb_log_writes")).toBeGreaterThanOrEqual(1);
      expect(countOver(s1, "Innodb_os_log_written")).toBeGreaterThan(INSERTS * 10);
      for (const quiet of [s0, s2, s3]) {
        expect(countOver(quiet, "Com_insert")).toBe(0);
        expect(countOver(quiet, "Handler_write")).toBe(0);
      }
      // The seconds add up to the server's own counters read by the test around the phase.
      const sum = (name: string) => seconds.reduce((total, s) => total + countOver(s, name), 0);
      expect(sum("Com_insert")).toBeCloseTo((after.Com_insert ?? 0) - (before.Com_insert ?? 0), 6);
      expect(sum("Handler_write")).toBeCloseTo((after.Handler_write ?? 0) - (before.Handler_write ?? 0), 6);
      // Levels: this test's connection and the sampler's; MariaDB reports its checkpoint age itself.
      for (const s of seconds) {
        expect(s.gauges.Threads_connected).toBeGreaterThanOrEqual(2);
        expect(s.gauges.Threads_running).toBeGreaterThanOrEqual(1);
        expect(s.gauges.Innodb_buffer_pool_pages_data).toBeGreaterThan(0);
        expect(s.gauges.Innodb_checkpoint_age).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await opened.close();
    }
  }, 20_000);

  it("counts a commit's redo write in Innodb_log_writes, not Innodb_data_writes: the I/O sum counts it once", async () => {
    const commits = 30;
    const before = await serverCounters();
    for (let i = 0; i < commits; i++) await conn.query("INSERT INTO sampler_probe (v) VALUES (?)", [i]);
    const after = await serverCounters();
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    console.log(
      `${commits} autocommit inserts: Innodb_log_writes +${delta("Innodb_log_writes")}, Innodb_data_writes +${delta("Innodb_data_writes")}, Innodb_os_log_written +${delta("Innodb_os_log_written")} B, Innodb_data_fsyncs +${delta("Innodb_data_fsyncs")}`,
    );
    // innodb_flush_log_at_trx_commit = 1: each commit writes the log. Were those writes in
    // Innodb_data_writes too, it would rise by as many; background page writes are a handful at most.
    expect(delta("Innodb_log_writes")).toBeGreaterThanOrEqual(commits);
    expect(delta("Innodb_data_writes")).toBeLessThan(commits);
  });

  it("goes on after the server closes its connection: the next read reopens it", async () => {
    const opened = await openServerSampler(server.target);
    try {
      const startMs = epochNowMs() + 200;
      opened.sampler.samplePhase("measured", startMs, 3000);
      await sleepUntil(startMs + 1500);
      // The sampler's connection is the only other one of this user: kill it between two reads.
      const [rows] = await conn.query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER = ?",
        [server.target.user],
      );
      const ids = (rows as { ID: number }[]).map((r) => r.ID);
      expect(ids).toHaveLength(1);
      await conn.query(`KILL ${ids[0]}`);
      await sleepUntil(startMs + 3300);
      await opened.sampler.stopPhase();
      const seconds = opened.sampler.seconds("measured");
      console.log(
        `after a KILL: seconds ${seconds.map((s) => s.t).join(", ")}, errors ${opened.sampler.errorCount} (${opened.sampler.errors.map((e) => e.message).join("; ")})`,
      );
      // The reads after the kill come back: the last second is read whatever happened before it.
      expect(seconds.at(-1)?.t).toBe(2);
      expect(opened.sampler.errorCount).toBeLessThanOrEqual(1);
    } finally {
      await opened.close();
    }
  }, 20_000);
});
