import { describe, expect, it } from "vitest";
import { TargetError, UsageError } from "../util/errors.js";
import {
  DEFAULT_REPLICATION_SETTINGS,
  replicationDialect,
  resolveReplicationSettings,
  topologyMemory,
} from "./topology.js";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe("topology memory", () => {
  it("16 servers of a small dataset take a small buffer pool each, not the lone sandbox's 256 MiB", () => {
    const memory = topologyMemory({ connections: 8, tables: 1, tableSize: 100 }, 16, 24 * GIB);
    expect(memory.bufferPoolBytes).toBe(32 * MIB);
    expect(memory.logFileBytes).toBe(48 * MIB);
  });

  it("grows with the dataset, within an equal share of 40% of memory", () => {
    // 8 x 1M rows x 320 B = 2.4 GiB of data: 1.5x would be 3.6 GiB per server.
    const sizing = { connections: 64, tables: 8, tableSize: 1_000_000 };
    const memory = topologyMemory(sizing, 16, 24 * GIB);
    expect(memory.bufferPoolBytes).toBeLessThanOrEqual((24 * GIB * 0.4) / 16);
    expect(memory.bufferPoolBytes).toBeGreaterThan(512 * MIB);
    expect(memory.logFileBytes).toBe(1024 * MIB);
    expect(topologyMemory(sizing, 2, 24 * GIB).bufferPoolBytes).toBeGreaterThan(memory.bufferPoolBytes);
  });

  it("never goes below 32 MiB, even when memory is short", () => {
    const memory = topologyMemory({ connections: 8, tables: 16, tableSize: 100_000 }, 16, 1 * GIB);
    expect(memory.bufferPoolBytes).toBe(32 * MIB);
  });
});

describe("replication settings", () => {
  it("defaults: durable primary, 4 apply threads", () => {
    expect(resolveReplicationSettings()).toEqual(DEFAULT_REPLICATION_SETTINGS);
    expect(DEFAULT_REPLICATION_SETTINGS.primary).toEqual({ syncBinlog: 1, flushLogAtTrxCommit: 1 });
  });

  it("merges partial options per role", () => {
    const settings = resolveReplicationSettings({
      parallelApplyThreads: 0,
      replicas: { flushLogAtTrxCommit: 2 },
    });
    expect(settings.parallelApplyThreads).toBe(0);
    expect(settings.replicas).toEqual({ syncBinlog: 0, flushLogAtTrxCommit: 2 });
    expect(settings.primary).toEqual(DEFAULT_REPLICATION_SETTINGS.primary);
  });

  it("refuses impossible values with one line", () => {
    expect(() => resolveReplicationSettings({ parallelApplyThreads: -1 })).toThrow(UsageError);
    expect(() => resolveReplicationSettings({ primary: { flushLogAtTrxCommit: 3 as unknown as 1 } })).toThrow(
      /innodb_flush_log_at_trx_commit must be 0, 1 or 2/,
    );
    expect(() => resolveReplicationSettings({ replicas: { syncBinlog: 0.5 } })).toThrow(/sync_binlog/);
    expect(() => resolveReplicationSettings({ parallelMode: "fast" as "optimistic" })).toThrow(
      /parallel mode/,
    );
  });
});

describe("replication dialect", () => {
  const settings = { ...DEFAULT_REPLICATION_SETTINGS, replicaBinlog: true };

  it("MariaDB: MASTER_USE_GTID=slave_pos, slave_parallel_threads and mode, READ ONLY ADMIN revoked", () => {
    const d = replicationDialect("mariadb", "10.11.19-MariaDB-0+deb12u1");
    expect(d.changeSource("127.0.0.1", 3307)).toMatch(
      /CHANGE MASTER TO .*MASTER_PORT=3307.*MASTER_USE_GTID=slave_pos/,
    );
    expect(d.changeSource("127.0.0.1", 3307)).toContain("MASTER_PASSWORD=?");
    expect(d.replicaArgs(settings)).toEqual([
      "--skip-slave-start",
      "--slave-parallel-threads=4",
      "--slave-parallel-mode=optimistic",
      "--log-slave-updates=ON",
    ]);
    expect(d.primaryArgs).toEqual([]);
    expect(d.lockReplica.join()).toMatch(/REVOKE READ_ONLY ADMIN/);
    expect(d.start).toBe("START SLAVE");
  });

  it("MySQL 8.0.23+: CHANGE REPLICATION SOURCE with auto-position and gtid_mode on both sides", () => {
    const d = replicationDialect("mysql", "8.4.3");
    expect(d.primaryArgs).toEqual(["--gtid-mode=ON", "--enforce-gtid-consistency=ON"]);
    expect(d.changeSource("127.0.0.1", 3307)).toMatch(
      /CHANGE REPLICATION SOURCE TO .*SOURCE_AUTO_POSITION=1.*GET_SOURCE_PUBLIC_KEY=1/,
    );
    expect(d.replicaArgs(settings)).toEqual([
      "--gtid-mode=ON",
      "--enforce-gtid-consistency=ON",
      "--skip-replica-start",
      "--replica-parallel-workers=4",
      "--log-replica-updates=ON",
    ]);
    expect(d.start).toBe("START REPLICA");
    expect(d.lockReplica).toEqual(["SET GLOBAL super_read_only = ON"]);
  });

  it("older MySQL: CHANGE MASTER with MASTER_AUTO_POSITION and the old option names", () => {
    const d = replicationDialect("mysql", "8.0.21");
    expect(d.changeSource("h", 1)).toMatch(
      /CHANGE MASTER TO .*MASTER_AUTO_POSITION=1.*GET_MASTER_PUBLIC_KEY=1/,
    );
    expect(d.replicaArgs(settings)).toContain("--slave-parallel-workers=4");
    expect(d.start).toBe("START SLAVE");
    expect(replicationDialect("mysql", "5.7.44").changeSource("h", 1)).not.toContain("PUBLIC_KEY");
  });

  it("MySQL before 8.0.27 applies in parallel only with LOGICAL_CLOCK, spelt as the version spells it", () => {
    const args = (version: string, threads = 4) =>
      replicationDialect("mysql", version).replicaArgs({ ...settings, parallelApplyThreads: threads });
    expect(args("5.7.44")).toContain("--slave-parallel-type=LOGICAL_CLOCK");
    expect(args("8.0.25")).toContain("--slave-parallel-type=LOGICAL_CLOCK");
    expect(args("8.0.26")).toContain("--replica-parallel-type=LOGICAL_CLOCK");
    // 8.0.27 made LOGICAL_CLOCK the default (and later deprecated the option): not set.
    expect(args("8.0.27").some((a) => a.includes("parallel-type"))).toBe(false);
    expect(args("8.0.25", 0).some((a) => a.includes("parallel-type"))).toBe(false);
    expect(replicationDialect("mysql", "8.0.25").variables.parallelMode).toEqual([
      "replica_parallel_type",
      "slave_parallel_type",
    ]);
  });

  it("rotates relay logs with FLUSH LOCAL, which MySQL keeps out of a replica's binary log", () => {
    for (const d of [
      replicationDialect("mysql", "8.0.36"),
      replicationDialect("mysql", "5.7.44"),
      replicationDialect("mariadb", "10.11.6"),
    ])
      expect(d.rotateRelayLogs).toBe("FLUSH LOCAL RELAY LOGS");
  });

  it("servers without usable GTIDs are refused", () => {
    expect(() => replicationDialect("mysql", "5.6.51")).toThrow(TargetError);
    expect(() => replicationDialect("mariadb", "5.5.68-MariaDB")).toThrow(/no GTID/);
  });
});
