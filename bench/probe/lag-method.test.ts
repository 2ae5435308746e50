import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AdminConnection } from "../target/connection.js";
import { parseReplicaStatus, type ServerIdentity } from "../target/replication.js";
import { channelWithoutGtid as catchUpChannelWithoutGtid } from "./catch-up.js";
import {
  appliedThrough,
  checkServerClock,
  chooseLagMethod,
  committedGtid,
  GtidWaitUnavailable,
  gtidPlace,
  gtidTrackingStatement,
  gtidWaitOutcome,
  gtidWaitStatement,
  gtidWaitTimeoutArg,
  preparePrimaryGtid,
  primaryGtidSupport,
  replicaGtidSupport,
  serverMoments,
  serverWaitMs,
  trialGtidWait,
} from "./lag-method.js";

const require = createRequire(import.meta.url);
// By file path: the package's "exports" hide its lib/ folder from bare specifiers.
const mysql2Lib = join(dirname(require.resolve("mysql2")), "lib");
// mysql2's own OK-packet parser, fed the bytes a server sends (CommonJS, no types).
const ResultSetHeader = require(join(mysql2Lib, "packets", "resultset_header.js")) as new (
  packet: unknown,
  connection: unknown,
) => unknown;
const Packet = require(join(mysql2Lib, "packets", "packet.js")) as new (
  id: number,
  buffer: Buffer,
  start: number,
  end: number,
) => unknown;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SESSION_TRACK = 0x800000;
const SERVER_STATUS_AUTOCOMMIT = 0x2;
const SERVER_SESSION_STATE_CHANGED = 0x4000;

function lenenc(bytes: Buffer): Buffer {
  if (bytes.length >= 251) throw new Error("fixture strings stay short");
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** An OK packet as a server sends it after a commit, with one session-state entry, parsed by mysql2. */
function okPacketWith(entryType: number, entry: Buffer): unknown {
  const state = Buffer.concat([Buffer.from([entryType]), lenenc(entry)]);
  const payload = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00]), // OK, 1 row affected, no insert id
    Buffer.from([
      SERVER_STATUS_AUTOCOMMIT | (SERVER_SESSION_STATE_CHANGED & 0xff),
      SERVER_SESSION_STATE_CHANGED >> 8,
    ]),
    Buffer.from([0x00, 0x00]), // warnings
    lenenc(Buffer.from("Rows matched: 1  Changed: 1  Warnings: 0")),
    lenenc(state),
  ]);
  const buffer = Buffer.concat([Buffer.from([payload.length, 0, 0, 1]), payload]);
  return new ResultSetHeader(new Packet(1, buffer, 0, buffer.length), {
    config: { bigNumberStrings: false },
    serverEncoding: "utf8",
    _handshakePacket: { capabilityFlags: CLIENT_PROTOCOL_41 | CLIENT_SESSION_TRACK },
  });
}

/** MySQL 8 with session_track_gtids = OWN_GTID: SESSION_TRACK_GTIDS (3), encoding 0, the GTID. */
function mysqlOwnGtidOk(gtid: string): unknown {
  return okPacketWith(3, Buffer.concat([Buffer.from([0]), lenenc(Buffer.from(gtid))]));
}

/** MariaDB with last_gtid in session_track_system_variables: SESSION_TRACK_SYSTEM_VARIABLES (0). */
function mariadbLastGtidOk(gtid: string): unknown {
  return okPacketWith(0, Buffer.concat([lenenc(Buffer.from("last_gtid")), lenenc(Buffer.from(gtid))]));
}

const UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

describe("committedGtid on OK packets parsed by mysql2", () => {
  it("reads MySQL's own GTID (session_track_gtids = OWN_GTID)", () => {
    expect(committedGtid("mysql", mysqlOwnGtidOk(`${UUID}:23`))).toBe(`${UUID}:23`);
  });

  it("reads MariaDB's tracked last_gtid", () => {
    expect(committedGtid("mariadb", mariadbLastGtidOk("0-1-4107"))).toBe("0-1-4107");
  });

  it("has none where the packet carries none, or carries the other server's kind", () => {
    expect(committedGtid("mysql", { affectedRows: 1 })).toBeNull();
    expect(committedGtid("mariadb", undefined)).toBeNull();
    expect(committedGtid("mariadb", mysqlOwnGtidOk(`${UUID}:23`))).toBeNull();
    expect(committedGtid("mysql", mariadbLastGtidOk("0-1-5"))).toBeNull();
    expect(committedGtid("mariadb", { stateChanges: { systemVariables: { last_gtid: "" } } })).toBeNull();
  });

  it("joins a GTID set of several (one request, several transactions)", () => {
    expect(committedGtid("mysql", { stateChanges: { gtids: [`${UUID}:7`, `${UUID}:8`] } })).toBe(
      `${UUID}:7,${UUID}:8`,
    );
  });
});

describe("statement forms", () => {
  it("waits with MASTER_GTID_WAIT on MariaDB and WAIT_FOR_EXECUTED_GTID_SET on MySQL", () => {
    expect(gtidWaitStatement("mariadb")).toBe(
      "SELECT @@GLOBAL.gtid_slave_pos AS before_pos, UNIX_TIMESTAMP(SYSDATE(6)) AS t0, MASTER_GTID_WAIT(?, ?) AS w, UNIX_TIMESTAMP(SYSDATE(6)) AS t1, @@GLOBAL.gtid_slave_pos AS pos",
    );
    expect(gtidWaitStatement("mysql")).toBe(
      "SELECT @@GLOBAL.gtid_executed AS before_pos, UNIX_TIMESTAMP(SYSDATE(6)) AS t0, WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w, UNIX_TIMESTAMP(SYSDATE(6)) AS t1, @@GLOBAL.gtid_executed AS pos",
    );
  });

  it("places a GTID in its stream: MariaDB's domain, MySQL's source uuid (and tag)", () => {
    expect(gtidPlace("mariadb", "0-1-4107")).toEqual({ stream: "0", n: 4107 });
    expect(gtidPlace("mariadb", "3-12-9")).toEqual({ stream: "3", n: 9 });
    expect(gtidPlace("mysql", `${UUID.toUpperCase()}:23`)).toEqual({ stream: UUID, n: 23 });
    expect(gtidPlace("mysql", `${UUID}:audit:5`)).toEqual({ stream: `${UUID}:audit`, n: 5 });
    expect(gtidPlace("mysql", `${UUID}:7-8`)).toBeNull();
    expect(gtidPlace("mariadb", `${UUID}:23`)).toBeNull();
    expect(gtidPlace("mysql", "0-1-5")).toBeNull();
  });

  it("reads how far a replica's applied position reaches in a stream, with no gap after the GTID", () => {
    const at = { stream: "0", n: 100 };
    expect(appliedThrough("mariadb", "0-1-130", at)).toBe(130);
    expect(appliedThrough("mariadb", "1-5-7,0-1-130", at)).toBe(130);
    expect(appliedThrough("mariadb", "0-1-99", at)).toBeNull();
    expect(appliedThrough("mariadb", "1-5-700", at)).toBeNull();
    expect(appliedThrough("mariadb", null, at)).toBeNull();
    const mine = { stream: UUID, n: 100 };
    expect(appliedThrough("mysql", `${UUID}:1-130`, mine)).toBe(130);
    // gtid_executed as the server prints it: streams separated by ",\n", intervals by ":".
    expect(
      appliedThrough(
        "mysql",
        `aaaaaaaa-71ca-11e1-9e33-c80aa9429562:1-9000,\n${UUID.toUpperCase()}:1-50:90-120:125`,
        mine,
      ),
    ).toBe(120);
    expect(appliedThrough("mysql", `${UUID}:1-99:101-130`, mine)).toBeNull();
    expect(appliedThrough("mysql", `${UUID}:1-500:audit:1-130`, { stream: `${UUID}:audit`, n: 100 })).toBe(
      130,
    );
    expect(appliedThrough("mysql", `${UUID}:1-50:audit:1-130`, mine)).toBeNull();
  });

  it("reads how long the server held a wait from SYSDATE(6) around it", () => {
    expect(serverWaitMs({ t0: "1796110365.248617", t1: "1796110365.548887" })).toBeCloseTo(300.27, 2);
    expect(serverWaitMs({ t0: 5, t1: 4 })).toBeNull();
    expect(serverMoments({ t0: "1.5", t1: 2 })).toEqual({ t0Ms: 1500, t1Ms: 2000 });
    expect(serverWaitMs({ t0: null, t1: "1" })).toBeNull();
    expect(serverWaitMs({})).toBeNull();
  });

  it("gives MariaDB fractional seconds and MySQL whole ones, never 0 (no wait at all)", () => {
    expect(gtidWaitTimeoutArg("mariadb", 10_000)).toBe(10);
    expect(gtidWaitTimeoutArg("mariadb", 250)).toBe(0.25);
    expect(gtidWaitTimeoutArg("mariadb", 0.2)).toBe(0.001);
    expect(gtidWaitTimeoutArg("mysql", 250)).toBe(1);
    expect(gtidWaitTimeoutArg("mysql", 2500)).toBe(3);
  });

  it("reads each server's answer: 0 reached; -1 (MariaDB) or 1 (MySQL) timed out; NULL nothing", () => {
    expect(gtidWaitOutcome("mariadb", 0)).toBe("reached");
    expect(gtidWaitOutcome("mariadb", "0")).toBe("reached");
    expect(gtidWaitOutcome("mariadb", -1)).toBe("timed-out");
    expect(gtidWaitOutcome("mariadb", 1)).toBe("none");
    expect(gtidWaitOutcome("mysql", 1)).toBe("timed-out");
    expect(gtidWaitOutcome("mysql", -1)).toBe("none");
    expect(gtidWaitOutcome("mysql", null)).toBe("none");
  });

  it("tracks MariaDB's last_gtid beside what the session tracks already, MySQL's own GTID", () => {
    expect(gtidTrackingStatement("mariadb", "autocommit,character_set_client,time_zone")).toEqual({
      sql: "SET SESSION session_track_system_variables = ?",
      values: ["autocommit,character_set_client,time_zone,last_gtid"],
    });
    expect(gtidTrackingStatement("mariadb", "").values).toEqual(["last_gtid"]);
    expect(gtidTrackingStatement("mariadb", null).values).toEqual(["last_gtid"]);
    expect(gtidTrackingStatement("mariadb", "*").values).toEqual(["*"]);
    expect(gtidTrackingStatement("mariadb", "last_gtid, autocommit").values).toEqual([
      "last_gtid,autocommit",
    ]);
    expect(gtidTrackingStatement("mysql", "whatever")).toEqual({
      sql: "SET SESSION session_track_gtids = OWN_GTID",
    });
  });

  it("shares the file-and-position test with the catch-up", () => {
    expect(catchUpChannelWithoutGtid).toBeDefined();
    expect(catchUpChannelWithoutGtid("No")).toBe(true);
    expect(catchUpChannelWithoutGtid("0")).toBe(true);
    expect(catchUpChannelWithoutGtid("Slave_Pos")).toBe(false);
    expect(catchUpChannelWithoutGtid(null)).toBe(false);
  });
});

describe("primaryGtidSupport", () => {
  it("takes a MariaDB primary with its binary log on, a MySQL one with gtid_mode ON", () => {
    expect(primaryGtidSupport({ flavor: "mariadb", variables: { log_bin: "ON" } })).toEqual({
      dialect: "mariadb",
    });
    expect(primaryGtidSupport({ flavor: "mysql", variables: { gtid_mode: "ON" } })).toEqual({
      dialect: "mysql",
    });
  });

  it.each([
    [{ flavor: "mariadb", variables: { log_bin: "OFF" } }, /binary log is off/],
    [{ flavor: "mysql", variables: { gtid_mode: "ON_PERMISSIVE" } }, /gtid_mode is ON_PERMISSIVE/],
    [{ flavor: "mysql", variables: {} }, /gtid_mode is unknown/],
    [{ flavor: "aurora-mysql", variables: { gtid_mode: "ON" } }, /Aurora readers share the writer's storage/],
    [{ flavor: "mariadb", variables: { log_bin: "ON", wsrep_on: "ON" } }, /Galera/],
    [{ flavor: "unknown", variables: {} }, /unknown server/],
  ] as const)("refuses %o", (facts, reason) => {
    const support = primaryGtidSupport(facts);
    expect(support.dialect).toBeNull();
    expect((support as { reason: string }).reason).toMatch(reason);
  });
});

const primaryId: ServerIdentity = { serverId: 1, serverUuid: null, hostname: "h", port: 3306 };
const replicaId: ServerIdentity = { serverId: 2, serverUuid: null, hostname: "h", port: 3307 };

function channel(row: Record<string, unknown>) {
  return parseReplicaStatus({
    Connection_name: "",
    Slave_IO_Running: "Yes",
    Slave_SQL_Running: "Yes",
    Master_Host: "127.0.0.1",
    Master_Port: 3306,
    Master_Server_Id: 1,
    ...row,
  });
}

describe("replicaGtidSupport", () => {
  it("waits on a MariaDB replica following the primary by GTID", () => {
    for (const using of ["Slave_Pos", "Current_Pos"]) {
      const support = replicaGtidSupport({
        dialect: "mariadb",
        channels: [channel({ Using_Gtid: using })],
        primary: primaryId,
        replica: replicaId,
      });
      expect(support).toEqual({ ok: true, how: `MASTER_GTID_WAIT (its channel: Using_Gtid ${using})` });
    }
  });

  it("polls a MariaDB replica following by file and position", () => {
    const support = replicaGtidSupport({
      dialect: "mariadb",
      channels: [channel({ Using_Gtid: "No" })],
      primary: primaryId,
      replica: replicaId,
    });
    expect(support).toEqual({
      ok: false,
      reason: "its channel follows by file and position (Using_Gtid No)",
    });
  });

  it("needs gtid_mode ON on a MySQL replica, whatever its auto-position", () => {
    const mysqlChannel = parseReplicaStatus({
      Channel_Name: "",
      Replica_IO_Running: "Yes",
      Replica_SQL_Running: "Yes",
      Source_Host: "10.0.0.1",
      Source_Port: 3306,
      Source_Server_Id: 1,
      Source_UUID: UUID,
      Auto_Position: "0",
    });
    const mysqlPrimary = { ...primaryId, serverUuid: UUID };
    const mysqlReplica = { ...replicaId, serverUuid: "another" };
    const base = {
      dialect: "mysql",
      channels: [mysqlChannel],
      primary: mysqlPrimary,
      replica: mysqlReplica,
    } as const;
    expect(replicaGtidSupport({ ...base, replicaGtidMode: "ON" })).toEqual({
      ok: true,
      how: "WAIT_FOR_EXECUTED_GTID_SET (gtid_mode ON, Auto_Position 0)",
    });
    expect(replicaGtidSupport({ ...base, replicaGtidMode: "OFF" })).toEqual({
      ok: false,
      reason: "its gtid_mode is OFF, not ON",
    });
  });

  it("polls a server with no channel, or none from the primary", () => {
    expect(
      replicaGtidSupport({ dialect: "mariadb", channels: [], primary: primaryId, replica: replicaId }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/no replication channel/) });
    expect(
      replicaGtidSupport({
        dialect: "mariadb",
        channels: [channel({ Using_Gtid: "Slave_Pos", Master_Server_Id: 9 })],
        primary: primaryId,
        replica: replicaId,
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/has the primary as source/) });
  });

  it("picks the channel from the primary among several", () => {
    const support = replicaGtidSupport({
      dialect: "mariadb",
      channels: [
        channel({ Connection_name: "other", Master_Server_Id: 9, Using_Gtid: "No" }),
        channel({ Connection_name: "main", Using_Gtid: "Slave_Pos" }),
      ],
      primary: primaryId,
      replica: replicaId,
    });
    expect(support).toEqual({ ok: true, how: "MASTER_GTID_WAIT (channel 'main': Using_Gtid Slave_Pos)" });
  });
});

describe("chooseLagMethod", () => {
  const mariadb = { dialect: "mariadb" } as const;
  const noGtid = { dialect: null, reason: "the primary's binary log is off: its commits get no GTID" };
  const ok = { ok: true, how: "MASTER_GTID_WAIT (its channel: Using_Gtid Slave_Pos)" } as const;
  const notOk = { ok: false, reason: "its channel follows by file and position (Using_Gtid No)" } as const;

  it("auto: the wait where both sides allow it, else the poll with the reason", () => {
    expect(chooseLagMethod("auto", mariadb, ok)).toEqual({ method: "gtid-wait", reason: ok.how });
    expect(chooseLagMethod("auto", mariadb, notOk)).toEqual({
      method: "poll",
      reason: `${notOk.reason}; reads the heartbeat row instead`,
    });
    expect(chooseLagMethod("auto", noGtid, undefined)).toEqual({
      method: "poll",
      reason: `${noGtid.reason}; reads the heartbeat row instead`,
    });
    expect(chooseLagMethod("auto", mariadb, undefined).method).toBe("poll");
  });

  it("poll: always the poll, even where the wait would do", () => {
    expect(chooseLagMethod("poll", mariadb, ok)).toEqual({ method: "poll", reason: "poll asked for" });
  });

  it("wait: the wait, or an error saying why not", () => {
    expect(chooseLagMethod("wait", mariadb, ok).method).toBe("gtid-wait");
    expect(() => chooseLagMethod("wait", mariadb, notOk)).toThrow(GtidWaitUnavailable);
    expect(() => chooseLagMethod("wait", noGtid, undefined)).toThrow(/binary log is off/);
  });
});

/** A connection that answers from a script, keyed by the start of each statement. */
function fakeConnection(answers: [RegExp, (values?: unknown[]) => unknown][]) {
  const sent: { sql: string; values: unknown[] | undefined }[] = [];
  const conn: AdminConnection = {
    async query(sql, values) {
      sent.push({ sql, values });
      const answer = answers.find(([pattern]) => pattern.test(sql));
      if (!answer) throw new Error(`unexpected statement: ${sql}`);
      return [answer[1](values), undefined];
    },
    end: async () => {},
    destroy: () => {},
    threadId: 7,
    lostReason: undefined,
    reopened: 0,
  };
  return { conn, sent };
}

const variableRows = (vars: Record<string, string>) =>
  Object.entries(vars).map(([Variable_name, Value]) => ({ Variable_name, Value }));

describe("preparePrimaryGtid", () => {
  it("MySQL: asks for OWN_GTID, then takes the GTID of the setup heartbeat's OK packet", async () => {
    const { conn, sent } = fakeConnection([
      [
        /^SHOW GLOBAL VARIABLES WHERE Variable_name IN \('version'/,
        () => variableRows({ version: "8.0.36", version_comment: "MySQL Community Server", gtid_mode: "ON" }),
      ],
      [/^SET SESSION session_track_gtids/, () => ({ affectedRows: 0 })],
      [
        /^SHOW GLOBAL VARIABLES WHERE Variable_name IN \('server_id'/,
        () => variableRows({ server_id: "1", server_uuid: UUID, hostname: "db1", port: "3306" }),
      ],
    ]);
    const prepared = await preparePrimaryGtid(conn, async () => mysqlOwnGtidOk(`${UUID}:41`));
    expect(prepared).toMatchObject({
      dialect: "mysql",
      firstGtid: `${UUID}:41`,
      identity: { serverUuid: UUID },
    });
    expect(sent.map((s) => s.sql)).toContain("SET SESSION session_track_gtids = OWN_GTID");
  });

  it("MariaDB: adds last_gtid to the tracked variables, then takes it from the OK packet", async () => {
    const { conn, sent } = fakeConnection([
      [
        /^SHOW GLOBAL VARIABLES WHERE Variable_name IN \('version'/,
        () => variableRows({ version: "10.11.6-MariaDB", log_bin: "ON" }),
      ],
      [/^SELECT @@SESSION.session_track_system_variables/, () => [{ v: "autocommit,time_zone" }]],
      [/^SET SESSION session_track_system_variables/, () => ({ affectedRows: 0 })],
      [
        /^SHOW GLOBAL VARIABLES WHERE Variable_name IN \('server_id'/,
        () => variableRows({ server_id: "1", hostname: "db1", port: "3306" }),
      ],
    ]);
    const prepared = await preparePrimaryGtid(conn, async () => mariadbLastGtidOk("0-1-77"));
    expect(prepared).toMatchObject({ dialect: "mariadb", firstGtid: "0-1-77" });
    expect(sent.find((s) => s.sql.startsWith("SET SESSION"))?.values).toEqual([
      "autocommit,time_zone,last_gtid",
    ]);
  });

  it("writes nothing on a primary with no GTIDs, and says so when a commit comes back without one", async () => {
    let writes = 0;
    const write = async () => {
      writes += 1;
      return { affectedRows: 1 };
    };
    const aurora = fakeConnection([
      [/^SHOW GLOBAL VARIABLES/, () => variableRows({ version: "8.0.32", aurora_version: "3.05.2" })],
    ]);
    expect(await preparePrimaryGtid(aurora.conn, write)).toMatchObject({ dialect: null });
    expect(writes).toBe(0);
    const untracked = fakeConnection([
      [/^SHOW GLOBAL VARIABLES/, () => variableRows({ version: "8.0.36", gtid_mode: "ON" })],
      [/^SET SESSION/, () => ({})],
    ]);
    expect(await preparePrimaryGtid(untracked.conn, write)).toEqual({
      dialect: null,
      reason: "the primary returned no GTID with a commit (session tracking)",
    });
    expect(writes).toBe(1);
  });
});

describe("checkServerClock", () => {
  it("passes when SYSDATE(6) moves across a pause, and fails when it is the statement's start", async () => {
    const moving = fakeConnection([[/SLEEP/, () => [{ t0: "100.000000", w: 0, t1: "100.005100" }]]]);
    await checkServerClock(moving.conn);
    expect(moving.sent[0]?.sql).toBe(
      "SELECT UNIX_TIMESTAMP(SYSDATE(6)) AS t0, SLEEP(0.005) AS w, UNIX_TIMESTAMP(SYSDATE(6)) AS t1",
    );
    const frozen = fakeConnection([[/SLEEP/, () => [{ t0: "100.000000", w: 0, t1: "100.000000" }]]]);
    await expect(checkServerClock(frozen.conn)).rejects.toThrow(/--sysdate-is-now/);
  });
});

describe("trialGtidWait", () => {
  it("waits for the empty set with each server's function, and fails on anything but reached", async () => {
    const mysql = fakeConnection([[/WAIT_FOR_EXECUTED_GTID_SET/, () => [{ w: 0 }]]]);
    await trialGtidWait(mysql.conn, "mysql");
    expect(mysql.sent).toEqual([{ sql: gtidWaitStatement("mysql"), values: ["", 1] }]);
    const mariadb = fakeConnection([[/MASTER_GTID_WAIT/, () => [{ w: null }]]]);
    await expect(trialGtidWait(mariadb.conn, "mariadb")).rejects.toThrow(/answered none/);
  });
});
