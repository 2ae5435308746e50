import { describe, expect, it } from "vitest";
import { TargetError } from "../util/errors.js";
import type { AdminConnection } from "./connection.js";
import {
  checkReplication,
  parseAuroraReplicaRows,
  parseReplicaStatus,
  type ReplicaStatus,
  type ServerIdentity,
  serverReportedLag,
  sourceMismatch,
} from "./replication.js";

/** Rows as MariaDB 10.11 returns them (abridged): Slave_ and Master_ spellings. */
const MARIADB_ROW = {
  Connection_name: "",
  Slave_IO_State: "Waiting for master to send event",
  Master_Host: "127.0.0.1",
  Master_Port: 45969,
  Slave_IO_Running: "Yes",
  Slave_SQL_Running: "Yes",
  Seconds_Behind_Master: 0,
  Last_IO_Error: "",
  Last_SQL_Error: "",
  Master_Server_Id: 1,
  Using_Gtid: "Slave_Pos",
};

/** As MySQL 8.0.22+ returns SHOW REPLICA STATUS: Replica_ and Source_ spellings, a server_uuid. */
const MYSQL_ROW = {
  Channel_Name: "",
  Source_Host: "10.0.0.5",
  Source_Port: 3306,
  Replica_IO_Running: "Connecting",
  Replica_SQL_Running: "Yes",
  Seconds_Behind_Source: null,
  Last_IO_Error: "error connecting to master 'repl@10.0.0.5:3306' - retry-time: 60 retries: 2",
  Last_SQL_Error: "",
  Source_Server_Id: 0,
  Source_UUID: "",
  Auto_Position: 1,
};

function fakeConnection(answers: Record<string, unknown[] | { errno: number }>): {
  conn: AdminConnection;
  asked: string[];
} {
  const asked: string[] = [];
  const conn = {
    async query(sql: string) {
      asked.push(sql);
      const answer = answers[sql];
      if (answer === undefined) throw new Error(`unexpected query: ${sql}`);
      if (!Array.isArray(answer)) {
        throw Object.assign(new Error(`error ${answer.errno}`), { errno: answer.errno, sqlState: "42000" });
      }
      return [answer, []];
    },
  };
  return { conn: conn as unknown as AdminConnection, asked };
}

describe("parseReplicaStatus", () => {
  it("reads MariaDB's Slave_/Master_ columns", () => {
    expect(parseReplicaStatus(MARIADB_ROW)).toEqual({
      channel: "",
      ioThread: "Yes",
      sqlThread: "Yes",
      ioRunning: true,
      sqlRunning: true,
      secondsBehindSource: 0,
      sourceHost: "127.0.0.1",
      sourcePort: 45969,
      sourceServerId: 1,
      sourceUuid: null,
      lastIoError: "",
      lastSqlError: "",
      gtid: "Slave_Pos",
    });
  });

  it("reads MySQL 8's Replica_/Source_ columns; NULL lag is null, 0 source id means never connected", () => {
    const status = parseReplicaStatus(MYSQL_ROW);
    expect(status.ioThread).toBe("Connecting");
    expect(status.ioRunning).toBe(false);
    expect(status.sqlRunning).toBe(true);
    expect(status.secondsBehindSource).toBeNull();
    expect(status.sourceHost).toBe("10.0.0.5");
    expect(status.sourcePort).toBe(3306);
    expect(status.sourceServerId).toBeNull();
    expect(status.sourceUuid).toBeNull();
    expect(status.lastIoError).toMatch(/error connecting/);
    expect(status.gtid).toBe("1");
  });

  it("reads the old MySQL spelling with a server_uuid and a named channel", () => {
    const status = parseReplicaStatus({
      Channel_Name: "east",
      Slave_IO_Running: "No",
      Slave_SQL_Running: "No",
      Seconds_Behind_Master: "12",
      Master_Host: "db1",
      Master_Port: "3306",
      Master_Server_Id: "7",
      Master_UUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562",
      Last_SQL_Error: "Duplicate entry '1' for key 'PRIMARY'",
    });
    expect(status).toMatchObject({
      channel: "east",
      ioRunning: false,
      sqlRunning: false,
      secondsBehindSource: 12,
      sourcePort: 3306,
      sourceServerId: 7,
      sourceUuid: "3e11fa47-71ca-11e1-9e33-c80aa9429562",
      lastSqlError: "Duplicate entry '1' for key 'PRIMARY'",
      gtid: null,
    });
  });
});

describe("sourceMismatch", () => {
  const running = parseReplicaStatus(MARIADB_ROW);
  const primary: ServerIdentity = { serverId: 1, serverUuid: null, hostname: "vm", port: 45969 };
  const replica: ServerIdentity = { serverId: 2, serverUuid: null, hostname: "vm", port: 40351 };
  const channel = (overrides: Partial<ReplicaStatus>): ReplicaStatus => ({ ...running, ...overrides });

  it("accepts the source when server_id, and on one machine the loopback port, agree", () => {
    expect(sourceMismatch(running, primary, replica)).toBeUndefined();
  });

  it("a different server_uuid is a different server", () => {
    const mysql = { ...primary, serverUuid: "aaaaaaaa-0000-0000-0000-000000000001" };
    expect(
      sourceMismatch(channel({ sourceUuid: "bbbbbbbb-0000-0000-0000-000000000002" }), mysql, replica),
    ).toMatch(/server_uuid bbbbbbbb.*primary's is aaaaaaaa/);
  });

  it("a different server_id is a different server", () => {
    expect(sourceMismatch(channel({ sourceServerId: 9 }), primary, replica)).toBe(
      "source server_id 9, primary's is 1",
    );
  });

  it("an equal server_id on the same machine but another loopback port is another server", () => {
    expect(sourceMismatch(channel({ sourcePort: 3306 }), primary, replica)).toMatch(
      /port 3306 on the same machine, the primary listens on 45969/,
    );
    expect(sourceMismatch(channel({ sourceHost: "localhost", sourcePort: 3306 }), primary, replica)).toMatch(
      /same machine/,
    );
  });

  it("addresses are not compared across machines: a replica's address for its source may differ from ours", () => {
    const elsewhere = { ...replica, hostname: "replica-host" };
    expect(sourceMismatch(channel({ sourcePort: 3306 }), primary, elsewhere)).toBeUndefined();
    expect(
      sourceMismatch(channel({ sourceHost: "10.0.0.5", sourcePort: 3306 }), primary, replica),
    ).toBeUndefined();
  });

  it("a replica that never connected has no source server_id to compare", () => {
    expect(sourceMismatch(channel({ sourceServerId: null }), primary, { ...replica, hostname: "" })).toBe(
      undefined,
    );
  });
});

describe("checkReplication", () => {
  it("asks MariaDB for all its replication connections", async () => {
    const { conn, asked } = fakeConnection({
      "SELECT VERSION() AS version": [{ version: "10.11.19-MariaDB-0+deb12u1" }],
      "SHOW ALL SLAVES STATUS": [MARIADB_ROW, { ...MARIADB_ROW, Connection_name: "other" }],
    });
    const statuses = await checkReplication(conn);
    expect(statuses.map((s) => s.channel)).toEqual(["", "other"]);
    expect(asked).toEqual(["SELECT VERSION() AS version", "SHOW ALL SLAVES STATUS"]);
  });

  it("on MySQL before 8.0.22 falls back from SHOW REPLICA STATUS to SHOW SLAVE STATUS", async () => {
    const { conn, asked } = fakeConnection({
      "SELECT VERSION() AS version": [{ version: "5.7.44-log" }],
      "SHOW REPLICA STATUS": { errno: 1064 },
      "SHOW SLAVE STATUS": [],
    });
    expect(await checkReplication(conn)).toEqual([]);
    expect(asked.at(-1)).toBe("SHOW SLAVE STATUS");
  });

  it("without the privilege: one line saying which privilege", async () => {
    const { conn } = fakeConnection({
      "SELECT VERSION() AS version": [{ version: "8.0.36" }],
      "SHOW REPLICA STATUS": { errno: 1227 },
    });
    const error = await checkReplication(conn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as Error).message).toMatch(/REPLICATION CLIENT/);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("server-reported lag", () => {
  it("is Seconds_Behind_Master, null when the server says NULL, and no Aurora rows elsewhere", async () => {
    const { conn } = fakeConnection({
      "SHOW VARIABLES LIKE 'aurora_version'": [],
      "SELECT VERSION() AS version": [{ version: "8.0.36" }],
      "SHOW REPLICA STATUS": [MYSQL_ROW],
    });
    expect(await serverReportedLag(conn)).toEqual({ secondsBehindSource: null });
  });

  it("on Aurora adds replica_host_status, lag in milliseconds, writer marked", async () => {
    const updated = new Date("2026-01-02T03:04:05Z");
    const { conn } = fakeConnection({
      "SHOW VARIABLES LIKE 'aurora_version'": [{ Variable_name: "aurora_version", Value: "3.05.2" }],
      "SELECT VERSION() AS version": [{ version: "8.0.32" }],
      "SHOW REPLICA STATUS": [],
      "SELECT SERVER_ID, SESSION_ID, LAST_UPDATE_TIMESTAMP, REPLICA_LAG_IN_MILLISECONDS FROM information_schema.replica_host_status":
        [
          {
            SERVER_ID: "bench-writer",
            SESSION_ID: "MASTER_SESSION_ID",
            LAST_UPDATE_TIMESTAMP: updated,
            REPLICA_LAG_IN_MILLISECONDS: 0,
          },
          {
            SERVER_ID: "bench-reader-1",
            SESSION_ID: "6b7a0b5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            LAST_UPDATE_TIMESTAMP: updated,
            REPLICA_LAG_IN_MILLISECONDS: 17.5,
          },
        ],
    });
    const lag = await serverReportedLag(conn);
    expect(lag.secondsBehindSource).toBeNull();
    expect(lag.aurora).toEqual([
      {
        serverId: "bench-writer",
        sessionId: "MASTER_SESSION_ID",
        isWriter: true,
        lagMs: 0,
        lastUpdate: "2026-01-02T03:04:05.000Z",
        ageS: null,
      },
      {
        serverId: "bench-reader-1",
        sessionId: "6b7a0b5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        isWriter: false,
        lagMs: 17.5,
        lastUpdate: "2026-01-02T03:04:05.000Z",
        ageS: null,
      },
    ]);
  });

  it("Aurora rows with an empty lag keep it null", () => {
    expect(
      parseAuroraReplicaRows([{ SERVER_ID: "r", SESSION_ID: "x", REPLICA_LAG_IN_MILLISECONDS: null }])[0],
    ).toMatchObject({ lagMs: null, lastUpdate: null, isWriter: false });
  });
});
