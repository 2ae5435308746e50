import { describe, expect, it } from "vitest";
import { renderDoctor } from "../commands/doctor.js";
import { waitForReplicas } from "../probe/catch-up.js";
import { checkProbeIdentities } from "../probe/lag.js";
import { type Fingerprint, fakeServer, fingerprintNames, loadFingerprint } from "../testing/fingerprint.js";
import { TargetError } from "../util/errors.js";
import type { AdminConnection } from "./connection.js";
import { detectFlavor, isGaleraNode, readServerFacts } from "./facts.js";
import { inspectTarget } from "./inspect.js";
import {
  assertReplicating,
  auroraTopology,
  checkReplication,
  parseAuroraReplicaRows,
} from "./replication.js";
import type { TargetSpec } from "./url.js";

/**
 * Servers this machine cannot run (Aurora, RDS, MySQL 8.0 and 8.4, Percona, Ubuntu's build), as
 * their documentation and public threads show them: bench/target/fixtures names each source.
 */

/** Fixtures of a whole server (the stale-rows file holds only replica_host_status rows). */
const SERVERS = fingerprintNames().filter((name) => name !== "aurora-mysql-v3-stale-rows");

function specFor(name: string): TargetSpec {
  return {
    host: name,
    port: 3306,
    user: "bench",
    password: "pw-not-shown",
    database: "sbtest",
    tls: "disabled",
    displayUrl: `mysql://bench:***@${name}:3306/sbtest`,
  };
}

/** An opener that answers each spec (by host) with that fingerprint's fake server. */
function openerFor(fingerprints: Record<string, Fingerprint>, tokens?: Map<number, string>) {
  return async (spec: TargetSpec): Promise<AdminConnection> => {
    const fp = fingerprints[spec.host];
    if (!fp) throw new Error(`no fingerprint for ${spec.host}`);
    return fakeServer(fp, tokens ? { tokens } : {}).conn;
  };
}

const fixtures = (...names: string[]) => Object.fromEntries(names.map((n) => [n, loadFingerprint(n)]));

describe("fixtures", () => {
  it("each names where its values come from", () => {
    expect(SERVERS.length).toBeGreaterThanOrEqual(14);
    for (const name of fingerprintNames()) {
      const fp = loadFingerprint(name);
      expect(fp.name).toBe(name);
      expect(fp.sources.length, name).toBeGreaterThan(0);
      for (const source of fp.sources) expect(source, name).toMatch(/^https:\/\/|^public |^captured from /);
    }
  });
});

describe("flavor detection on real servers' fingerprints", () => {
  const expected: Record<string, string> = {
    "aurora-mysql-v2": "aurora-mysql",
    "aurora-mysql-v2-reader": "aurora-mysql",
    "aurora-mysql-v3": "aurora-mysql",
    "aurora-mysql-v3-reader": "aurora-mysql",
    "rds-mysql-8.0": "mysql",
    "rds-mysql-8.0-replica": "mysql",
    "mysql-8.4": "mysql",
    "mysql-8.4-replica": "mysql",
    "mysql-8.0-gtid-off-replica": "mysql",
    "percona-server-8.0": "mysql",
    "ubuntu-mysql-8.0": "mysql",
    "mariadb-10.11": "mariadb",
    "mariadb-10.11-replica": "mariadb",
    "mariadb-galera-10.11": "mariadb",
  };

  it("knows every fixture", () => {
    expect(SERVERS.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, flavor] of Object.entries(expected)) {
    it(`${name} is ${flavor}, and says how it was decided`, async () => {
      const facts = await readServerFacts(fakeServer(loadFingerprint(name)).conn);
      expect(facts.flavor).toBe(flavor);
      expect(facts.flavorSource).toContain(facts.version);
    });
  }

  it("RDS and Aurora v3 say 'Source distribution', Ubuntu '(Ubuntu)', Percona its own name: all MySQL builds", () => {
    for (const name of ["rds-mysql-8.0", "ubuntu-mysql-8.0", "percona-server-8.0"]) {
      const comment = loadFingerprint(name).variables.version_comment ?? "";
      expect(comment.toLowerCase()).not.toContain("mysql");
    }
    expect(detectFlavor({ version: "8.0.28", version_comment: "Source distribution" }).source).toMatch(
      /numeric version '8\.0\.28'.*a MySQL build/,
    );
    expect(detectFlavor({ version: "TiDB-v7", version_comment: "" }).flavor).toBe("unknown");
  });

  it("a Galera node is told by wsrep_on", async () => {
    const galera = await readServerFacts(fakeServer(loadFingerprint("mariadb-galera-10.11")).conn);
    const plain = await readServerFacts(fakeServer(loadFingerprint("mariadb-10.11")).conn);
    expect(isGaleraNode(galera)).toBe(true);
    expect(isGaleraNode(plain)).toBe(false);
  });
});

describe("replication checks on fingerprints", () => {
  it("accepts Aurora readers by replica_host_status, v3 and v2, though SHOW REPLICA STATUS is empty", async () => {
    for (const [writer, reader, id] of [
      ["aurora-mysql-v3", "aurora-mysql-v3-reader", "bench-aurora-v3-instance-2"],
      ["aurora-mysql-v2", "aurora-mysql-v2-reader", "bench-aurora-v2-instance-2"],
    ] as const) {
      const open = openerFor(fixtures(writer, reader));
      expect(await checkReplication(await open(specFor(reader)))).toEqual([]);
      const [check] = await assertReplicating(specFor(writer), [specFor(reader)], open);
      expect(check).toMatchObject({ kind: "aurora", member: id, channel: null });
      expect(check?.checkedBy).toEqual(["replica_host_status", "innodb_read_only"]);
    }
  });

  it("refuses a reader given as the target, the writer given as a reader, and a reader of stale row", async () => {
    const base = fixtures("aurora-mysql-v3", "aurora-mysql-v3-reader");
    const open = openerFor(base);
    await expect(
      assertReplicating(specFor("aurora-mysql-v3-reader"), [specFor("aurora-mysql-v3")], open),
    ).rejects.toThrow(
      /is not the writer of its Aurora cluster \(it is bench-aurora-v3-instance-2, the writer is bench-aurora-v3-instance-1\)/,
    );
    const writerTwice = { ...base, again: base["aurora-mysql-v3"] as Fingerprint };
    await expect(
      assertReplicating(specFor("aurora-mysql-v3"), [specFor("again")], openerFor(writerTwice)),
    ).rejects.toThrow(/is the writer bench-aurora-v3-instance-1 itself, not a reader/);
    // A deleted reader's row lingers in replica_host_status; AWS's drivers drop rows older than 300 s.
    const stale = loadFingerprint("aurora-mysql-v3-stale-rows").replicaHostStatus;
    const writer = { ...(base["aurora-mysql-v3"] as Fingerprint), replicaHostStatus: stale };
    const reader = base["aurora-mysql-v3-reader"] as Fingerprint;
    const oldReader = {
      ...reader,
      variables: { ...reader.variables, aurora_server_id: "bench-aurora-v3-old-reader" },
    };
    const withStale = openerFor({ w: writer, r: reader, old: oldReader });
    await expect(assertReplicating(specFor("w"), [specFor("r")], withStale)).resolves.toHaveLength(1);
    await expect(assertReplicating(specFor("w"), [specFor("old")], withStale)).rejects.toThrow(
      /\(bench-aurora-v3-old-reader\) is not a reader of bench-aurora-v3-instance-1's cluster: its row in replica_host_status was last updated over 300 s ago/,
    );
  });

  it("reads MySQL 8.4's replica by SHOW REPLICA STATUS (SHOW SLAVE STATUS is gone) and matches its source by server_uuid", async () => {
    const open = openerFor(fixtures("mysql-8.4", "mysql-8.4-replica"));
    const fake = fakeServer(loadFingerprint("mysql-8.4-replica"));
    const [channel] = await checkReplication(fake.conn);
    expect(fake.asked).toContain("SHOW REPLICA STATUS");
    expect(channel).toMatchObject({ ioRunning: true, sqlRunning: true, sourceServerId: 1, gtid: "1" });
    const [check] = await assertReplicating(specFor("mysql-8.4"), [specFor("mysql-8.4-replica")], open);
    expect(check?.kind).toBe("binlog");
    expect(check?.checkedBy).toEqual(["server_uuid", "server_id"]);
  });

  it("refuses an RDS replica whose source is another server, by server_uuid", async () => {
    const primary = loadFingerprint("rds-mysql-8.0");
    const other = {
      ...primary,
      variables: { ...primary.variables, server_uuid: "00000000-0000-0000-0000-000000000000" },
    };
    const open = openerFor({ p: other, r: loadFingerprint("rds-mysql-8.0-replica") });
    await expect(assertReplicating(specFor("p"), [specFor("r")], open)).rejects.toThrow(
      /replicates from .* not from mysql:\/\/bench:\*\*\*@p:3306\/sbtest: source server_uuid 2f6e1c44-/,
    );
  });

  it("accepts a Galera node of the same cluster and refuses a MariaDB replica given as one", async () => {
    const node = loadFingerprint("mariadb-galera-10.11");
    const status = node.status ?? {};
    const peer = {
      ...node,
      status: { ...status, wsrep_gcomm_uuid: "6d1e0f2a-ed3b-11f1-9f00-aabbccddeeff", wsrep_local_index: "2" },
    };
    const open = openerFor({ a: node, b: peer, plain: loadFingerprint("mariadb-10.11-replica") });
    const [check] = await assertReplicating(specFor("a"), [specFor("b")], open);
    expect(check).toMatchObject({ kind: "galera", member: "6d1e0f2a-ed3b-11f1-9f00-aabbccddeeff" });
    await expect(assertReplicating(specFor("a"), [specFor("plain")], open)).rejects.toThrow(
      /is not a usable node of .*'s Galera cluster: it is in cluster none/,
    );
    const donor = { ...peer, status: { ...peer.status, wsrep_local_state_comment: "Donor/Desynced" } };
    await expect(
      assertReplicating(specFor("a"), [specFor("d")], openerFor({ a: node, d: donor })),
    ).rejects.toThrow(/it is Donor\/Desynced, not Synced/);
  });
});

describe("catch-up method on fingerprints", () => {
  const replicasOf = (fp: Fingerprint, waits: Record<string, number | null> = {}) => {
    const fake = fakeServer(fp, { waits });
    return { fake, replicas: [{ name: "replica-1", conn: fake.conn }] };
  };

  it("RDS with GTIDs off: the binary log position from SHOW MASTER STATUS, waited for with SOURCE_POS_WAIT", async () => {
    const primaryFp = loadFingerprint("rds-mysql-8.0");
    const primary = fakeServer(primaryFp);
    const facts = await readServerFacts(primary.conn);
    const { fake, replicas } = replicasOf(loadFingerprint("rds-mysql-8.0-replica"));
    const outcome = await waitForReplicas({
      primary: primary.conn,
      replicas,
      facts,
      kind: "binlog",
      database: "sbtest",
      timeoutSec: 5,
    });
    expect(outcome.method).toBe("binlog-position");
    expect(outcome.position).toBe("mysql-bin-changelog.012345:1219393");
    expect(primary.asked).toContain("SHOW MASTER STATUS");
    expect(fake.asked).toContain("SELECT SOURCE_POS_WAIT(?, ?, ?) AS w");
  });

  it("MySQL 8.4 with GTIDs off asks SHOW BINARY LOG STATUS (SHOW MASTER STATUS is gone); 8.0.25 waits with MASTER_POS_WAIT", async () => {
    const base = loadFingerprint("mysql-8.4");
    const gtidOff = { ...base, variables: { ...base.variables, gtid_mode: "OFF" } };
    const primary = fakeServer(gtidOff);
    const { replicas } = replicasOf(loadFingerprint("mysql-8.4-replica"));
    const outcome = await waitForReplicas({
      primary: primary.conn,
      replicas,
      facts: await readServerFacts(primary.conn),
      kind: "binlog",
      database: "sbtest",
      timeoutSec: 5,
    });
    expect(outcome).toMatchObject({ method: "binlog-position", position: "binlog.000002:1307" });
    expect(primary.asked).toContain("SHOW BINARY LOG STATUS");
    const older = { ...gtidOff, variables: { ...gtidOff.variables, version: "8.0.25" } };
    const old = fakeServer(older);
    const replica = replicasOf(loadFingerprint("mysql-8.0-gtid-off-replica"));
    await waitForReplicas({
      primary: old.conn,
      replicas: replica.replicas,
      facts: await readServerFacts(old.conn),
      kind: "binlog",
      database: "sbtest",
      timeoutSec: 5,
    });
    expect(old.asked).toContain("SHOW MASTER STATUS");
    expect(replica.fake.asked).toContain("SELECT MASTER_POS_WAIT(?, ?, ?) AS w");
  });

  it("MySQL 8.4 with GTIDs on waits for the GTID set; a replica that times out or has stopped is named", async () => {
    const primary = fakeServer(loadFingerprint("mysql-8.4"));
    const facts = await readServerFacts(primary.conn);
    const ok = replicasOf(loadFingerprint("mysql-8.4-replica"));
    const outcome = await waitForReplicas({
      primary: primary.conn,
      replicas: ok.replicas,
      facts,
      kind: "binlog",
      database: "sbtest",
      timeoutSec: 5,
    });
    expect(outcome).toMatchObject({ method: "gtid", position: "73f86016-978b-11ee-ade5-8d2a2a562feb:1-5" });
    const late = replicasOf(loadFingerprint("mysql-8.4-replica"), { WAIT_FOR_EXECUTED_GTID_SET: 1 });
    await expect(
      waitForReplicas({
        primary: primary.conn,
        replicas: late.replicas,
        facts,
        kind: "binlog",
        database: "sbtest",
        timeoutSec: 5,
      }),
    ).rejects.toThrow(/replica-1 did not apply the primary's writes within 5 s/);
    const rds = fakeServer(loadFingerprint("rds-mysql-8.0"));
    const stopped = replicasOf(loadFingerprint("rds-mysql-8.0-replica"), { SOURCE_POS_WAIT: null });
    await expect(
      waitForReplicas({
        primary: rds.conn,
        replicas: stopped.replicas,
        facts: await readServerFacts(rds.conn),
        kind: "binlog",
        database: "sbtest",
        timeoutSec: 5,
      }),
    ).rejects.toThrow(
      /replica-1 did not reach the primary's binary log position .*: its SQL thread is not running/,
    );
  });

  it("Aurora readers have no position: a token written on the writer is read back on each reader", async () => {
    const tokens = new Map<number, string>();
    const writer = fakeServer(loadFingerprint("aurora-mysql-v3"), { tokens });
    const reader = fakeServer(loadFingerprint("aurora-mysql-v3-reader"), { tokens });
    const outcome = await waitForReplicas({
      primary: writer.conn,
      replicas: [{ name: "reader", conn: reader.conn }],
      facts: await readServerFacts(writer.conn),
      kind: "aurora",
      database: "sbtest",
      timeoutSec: 5,
    });
    expect(outcome.method).toBe("heartbeat");
    expect(outcome.position).toBe(tokens.get(1));
    expect(reader.asked.some((sql) => sql.startsWith("SELECT token FROM"))).toBe(true);
    // A reader that never shows the token is not reported caught up.
    const blind = fakeServer(loadFingerprint("aurora-mysql-v3-reader"), { tokens: new Map() });
    await expect(
      waitForReplicas({
        primary: writer.conn,
        replicas: [{ name: "reader", conn: blind.conn }],
        facts: await readServerFacts(writer.conn),
        kind: "aurora",
        database: "sbtest",
        timeoutSec: 0.05,
      }),
    ).rejects.toThrow(TargetError);
  });
});

describe("probe connections on fingerprints", () => {
  const v3 = loadFingerprint("aurora-mysql-v3");
  const r2 = loadFingerprint("aurora-mysql-v3-reader");
  const r3 = { ...r2, variables: { ...r2.variables, aurora_server_id: "bench-aurora-v3-instance-3" } };
  const conn = (fp: Fingerprint) => fakeServer(fp).conn;
  const replica = { name: "reader", target: specFor("reader-endpoint") };

  it("accepts two connections that reached one reader, and refuses a reader endpoint that split them", async () => {
    await expect(checkProbeIdentities(conn(v3), [replica], [conn(r2)], [conn(r2)])).resolves.toEqual([
      "aurora_server_id bench-aurora-v3-instance-2",
    ]);
    await expect(checkProbeIdentities(conn(v3), [replica], [conn(r2)], [conn(r3)])).rejects.toThrow(
      /two connections to it reached different servers \(aurora_server_id bench-aurora-v3-instance-2; aurora_server_id bench-aurora-v3-instance-3\): it is a load-balanced or round-robin endpoint/,
    );
    await expect(checkProbeIdentities(conn(v3), [replica], [conn(v3)], [conn(v3)])).rejects.toThrow(
      /reached the primary itself/,
    );
  });

  it("tells MySQL servers apart by server_uuid, server_id, host and port", async () => {
    const primary = conn(loadFingerprint("rds-mysql-8.0"));
    const [key] = await checkProbeIdentities(
      primary,
      [replica],
      [conn(loadFingerprint("rds-mysql-8.0-replica"))],
      [conn(loadFingerprint("rds-mysql-8.0-replica"))],
    );
    expect(key).toMatch(/^server_id 1234567892 on .+:3306 \(server_uuid 3a7d2e55-/);
  });
});

describe("doctor on fingerprints", () => {
  const inspect = (name: string) =>
    inspectTarget(fakeServer(loadFingerprint(name)).conn, { database: "sbtest" });

  it("Aurora v3 writer: its cluster, fault injection, ALTER SYSTEM CRASH, catch-up by token", async () => {
    const i = await inspect("aurora-mysql-v3");
    expect(i.role).toBe(
      "Aurora writer bench-aurora-v3-instance-1; cluster has 2 reader(s): bench-aurora-v3-instance-2, bench-aurora-v3-instance-3",
    );
    expect(i.plan.catchUp).toBe("heartbeat");
    expect(i.plan.crash).toMatch(/^ALTER SYSTEM CRASH INSTANCE/);
    expect(i.plan.faults.available).toBe(true);
    expect(i.settings.find((s) => s.name === "thread_handling")?.value).toBe(
      "multiple-connections-per-thread",
    );
  });

  it("Aurora v3 reader: names its writer", async () => {
    expect((await inspect("aurora-mysql-v3-reader")).role).toMatch(
      /^Aurora reader bench-aurora-v3-instance-2 of writer bench-aurora-v3-instance-1/,
    );
  });

  it("RDS MySQL with GTIDs off: MySQL, catch-up by position, crash by command; a replica shows its source", async () => {
    const primary = await inspect("rds-mysql-8.0");
    expect(primary.flavor).toBe("mysql");
    expect(primary.plan.catchUp).toBe("binlog-position");
    expect(primary.plan.crash).toMatch(/needs --crash-command/);
    const replica = await inspect("rds-mysql-8.0-replica");
    expect(replica.role).toMatch(/^binlog replica of .+ \(IO Yes, SQL Yes\)$/);
  });

  it("every fixture renders a full screen with nothing left undefined", async () => {
    for (const name of SERVERS) {
      const inspection = await inspect(name);
      const text = renderDoctor({
        url: specFor(name).displayUrl,
        sandbox: null,
        inspection,
        replicas: [],
        problems: [],
      });
      expect(text, name).not.toMatch(/undefined|NaN|\[object/);
      expect(text, name).toMatch(/^server: +\S+ \S+/m);
      expect(text, name).toMatch(/^verdict: usable$/m);
    }
  });
});

describe("auroraTopology", () => {
  it("takes the most recently updated writer row: a former writer's row survives the age filter", () => {
    const rows = loadFingerprint("aurora-mysql-v3-stale-rows").replicaHostStatus ?? [];
    const fresh: Record<string, unknown>[] = rows.map((row, i) => ({ ...row, AGE_S: i === 0 ? 0 : 1 }));
    const formerWriter = { SERVER_ID: "former-writer", SESSION_ID: "MASTER_SESSION_ID", AGE_S: 900 };
    const members = parseAuroraReplicaRows([formerWriter, ...fresh]);
    const topology = auroraTopology(members);
    expect(topology.writer).toBe("bench-aurora-v3-instance-1");
    expect(topology.readers).not.toContain("former-writer");
  });
});
