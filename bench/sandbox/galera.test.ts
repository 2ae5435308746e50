import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../testing/servers.js";
import { TargetError, UsageError } from "../util/errors.js";
import {
  checkSstTools,
  clusterAddress,
  DEFAULT_GCACHE_BYTES,
  findGaleraProvider,
  type GaleraSettings,
  galeraNodeArgs,
  galeraOptionsFile,
  galeraProblems,
  nodeError,
  nodeName,
  parseGaleraSize,
  parseRecoveredPosition,
  providerOption,
  providerOptions,
  resolveGaleraOptions,
} from "./galera.js";

const MIB = 1024 * 1024;
const PORTS = { gmcast: 40001, ist: 40002, sst: 40003 };

describe("galera options", () => {
  it("defaults: 4 applier threads, durable commits, 128 MiB gcache", () => {
    expect(resolveGaleraOptions({ nodes: 3 })).toEqual({
      nodes: 3,
      applierThreads: 4,
      flushLogAtTrxCommit: 1,
      gcacheBytes: DEFAULT_GCACHE_BYTES,
    });
    expect(DEFAULT_GCACHE_BYTES).toBe(128 * MIB);
  });

  it("refuses impossible values with one line", () => {
    expect(() => resolveGaleraOptions({ nodes: 0 })).toThrow(UsageError);
    expect(() => resolveGaleraOptions({ nodes: 2.5 })).toThrow(/nodes must be from 1 to/);
    expect(() => resolveGaleraOptions({ nodes: 33 })).toThrow(/nodes must be from 1 to 32, not 33/);
    expect(resolveGaleraOptions({ nodes: 16 }).nodes).toBe(16);
    expect(() => resolveGaleraOptions({ nodes: 3, applierThreads: 0 })).toThrow(/applier threads/);
    expect(() => resolveGaleraOptions({ nodes: 3, gcacheBytes: 64 * MIB + 1 })).toThrow(/whole MiB/);
    expect(() => resolveGaleraOptions({ nodes: 3, flushLogAtTrxCommit: 3 as 1 })).toThrow(
      /innodb_flush_log_at_trx_commit/,
    );
  });
});

describe("galera node arguments", () => {
  const settings = resolveGaleraOptions({ nodes: 3, gcacheBytes: 64 * MIB });
  const spec = {
    name: "node-1",
    clusterName: "rb-test",
    providerPath: "/usr/lib/galera/libgalera_smm.so",
    ports: PORTS,
    peerGmcastPorts: [41001, 42001],
    bootstrap: true,
    settings,
    logFileBytes: 48 * MIB,
  };

  it("the bootstrap node names every other node and starts a new cluster", () => {
    const args = galeraNodeArgs(spec);
    expect(args).toContain("--wsrep-on=ON");
    expect(args).toContain("--wsrep-provider=/usr/lib/galera/libgalera_smm.so");
    expect(args).toContain("--wsrep-cluster-address=gcomm://127.0.0.1:41001,127.0.0.1:42001");
    expect(args).toContain(
      "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:40001;ist.recv_addr=127.0.0.1:40002;gcache.size=64M",
    );
    expect(args).toContain("--wsrep-sst-receive-address=127.0.0.1:40003");
    expect(args).toContain("--wsrep-node-address=127.0.0.1");
    expect(args).toContain("--wsrep-sst-method=mariabackup");
    expect(args).toContain("--wsrep-sst-auth=root:");
    expect(args).toContain("--wsrep-cluster-name=rb-test");
    expect(args).toContain("--wsrep-slave-threads=4");
    expect(args).toContain("--binlog-format=ROW");
    expect(args).toContain("--innodb-autoinc-lock-mode=2");
    expect(args).toContain("--innodb-flush-log-at-trx-commit=1");
    expect(args).toContain(`--innodb-log-file-size=${48 * MIB}`);
    expect(args.at(-1)).toBe("--wsrep-new-cluster");
  });

  it("a joiner does not bootstrap; the buffer pool is never on the command line", () => {
    const args = galeraNodeArgs({ ...spec, name: "node-2", bootstrap: false });
    expect(args).not.toContain("--wsrep-new-cluster");
    expect(args.some((a) => a.includes("buffer-pool-size"))).toBe(false);
    expect(args).toContain("--wsrep-node-name=node-2");
  });

  it("no secret on the command line: the SST account is the socket-only root without password", () => {
    for (const arg of galeraNodeArgs(spec)) expect(arg).not.toMatch(/password/i);
  });

  it("options file: buffer pool for the server, SST logs kept in the data directory", () => {
    expect(galeraOptionsFile(32 * MIB)).toEqual({
      mysqld: { "innodb-buffer-pool-size": String(32 * MIB) },
      sst: { "sst-log-archive": "0" },
    });
  });

  it("cluster address, provider options and node names", () => {
    expect(clusterAddress([])).toBe("gcomm://");
    expect(clusterAddress([1, 2])).toBe("gcomm://127.0.0.1:1,127.0.0.1:2");
    expect(providerOptions(PORTS, 128 * MIB)).toBe(
      "gmcast.listen_addr=tcp://127.0.0.1:40001;ist.recv_addr=127.0.0.1:40002;gcache.size=128M",
    );
    expect([0, 1, 2].map(nodeName)).toEqual(["node-1", "node-2", "node-3"]);
  });
});

describe("reading what Galera reports", () => {
  it("sizes as Galera writes them", () => {
    expect(parseGaleraSize("128M")).toBe(128 * MIB);
    expect(parseGaleraSize("1G")).toBe(1024 * MIB);
    expect(parseGaleraSize("134217728")).toBe(128 * MIB);
    expect(parseGaleraSize(" 64m ")).toBe(64 * MIB);
    expect(parseGaleraSize("lots")).toBeNaN();
  });

  it("one option of wsrep_provider_options", () => {
    const options =
      "base_port = 4567; gcache.size = 128M; gcache.page_size = 128M; gmcast.listen_addr = tcp://127.0.0.1:1";
    expect(providerOption(options, "gcache.size")).toBe("128M");
    expect(providerOption(options, "gmcast.listen_addr")).toBe("tcp://127.0.0.1:1");
    expect(providerOption(options, "gcache.name")).toBeUndefined();
  });

  it("the position --wsrep-recover logged, none when it found none", () => {
    const log = [
      "2026-12-01  3:48:10 0 [Note] InnoDB: log sequence number 143677; transaction id 460",
      "2026-12-01  3:48:10 0 [Note] WSREP: Recovered position: cfb7048b-ed39-11f1-98b8-2a3aae31f1ea:212",
    ].join("\n");
    expect(parseRecoveredPosition(log)).toBe("cfb7048b-ed39-11f1-98b8-2a3aae31f1ea:212");
    expect(
      parseRecoveredPosition("WSREP: Recovered position: cfb7048b-ed39-11f1-98b8-2a3aae31f1ea:-1"),
    ).toBeUndefined();
    expect(
      parseRecoveredPosition("WSREP: Recovered position: 00000000-0000-0000-0000-000000000000:-1"),
    ).toBeUndefined();
    expect(parseRecoveredPosition("[ERROR] Aborting")).toBeUndefined();
  });
});

describe("settings check", () => {
  const wanted = { ...resolveGaleraOptions({ nodes: 3 }), bufferPoolBytes: 32 * MIB };
  const good: GaleraSettings = {
    provider: "/usr/lib/galera/libgalera_smm.so",
    providerVersion: "26.4.23(r1234)",
    sstMethod: "mariabackup",
    version: "10.11.19-MariaDB",
    clusterSize: 3,
    bufferPoolBytes: 32 * MIB,
    flushLogAtTrxCommit: 1,
    applierThreads: 4,
    gcacheBytes: 128 * MIB,
    binlogFormat: "ROW",
    autoincLockMode: 2,
  };

  it("what was asked, on every node: no problem", () => {
    expect(galeraProblems([good, good, good], wanted)).toEqual([]);
  });

  it("a setting not taken or nodes that disagree are named", () => {
    const problems = galeraProblems([good, { ...good, applierThreads: 1, clusterSize: 2 }, good], wanted);
    expect(problems).toContain("nodes disagree on applierThreads: 4, 1");
    expect(problems).toContain("nodes disagree on clusterSize: 3, 2");
    expect(
      galeraProblems([{ ...good, gcacheBytes: 64 * MIB, clusterSize: 1 }], { ...wanted, nodes: 1 }),
    ).toEqual([`gcache.size is ${64 * MIB}, not ${128 * MIB}`]);
  });
});

describe("prerequisites", () => {
  const dir = tempDir("rb-galera-unit-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the first provider found; a missing one tells to install galera-4 in one line", () => {
    const provider = join(dir, "libgalera_smm.so");
    writeFileSync(provider, "");
    expect(findGaleraProvider(undefined, [join(dir, "none.so"), provider])).toBe(provider);
    expect(findGaleraProvider(provider)).toBe(provider);
    const error = (() => {
      try {
        findGaleraProvider(join(dir, "missing.so"));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(TargetError);
    expect(error?.message).toMatch(/no Galera provider at .*missing\.so; .*apt-get install galera-4/);
    expect(error?.message).not.toContain("\n");
    expect(() => findGaleraProvider(undefined, [join(dir, "none.so")])).toThrow(/apt-get install galera-4/);
  });

  it("SST tools: names what is missing and the packages to install", () => {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "wsrep_sst_mariabackup"), "");
    writeFileSync(join(bin, "mariabackup"), "");
    expect(() => checkSstTools([bin])).toThrow(
      /need socat, not found on PATH.*apt-get install mariadb-backup socat/,
    );
    writeFileSync(join(bin, "socat"), "");
    expect(() => checkSstTools([bin])).not.toThrow();
    expect(() => checkSstTools([join(dir, "empty")])).toThrow(
      /wsrep_sst_mariabackup, mariadb-backup or mariabackup, socat/,
    );
  });
});

describe("node errors", () => {
  const dir = tempDir("rb-galera-errors-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("one line naming the node, with the tail of its error log and no password", () => {
    writeFileSync(
      join(dir, "error.log"),
      [
        "2026-12-01  3:43:00 0 [Note] WSREP: Read nil XID from storage engines, skipping position init",
        "2026-12-01  3:43:13 0 [ERROR] WSREP: failed to open gcomm backend connection: 98: bind: Address already in use",
        "2026-12-01  3:43:13 0 [ERROR] Aborting",
      ].join("\n"),
    );
    const error = nodeError("node-2", dir, new Error("galera cluster: node-2 is not Synced\nsecret-pw"), [
      "secret-pw",
    ]);
    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).not.toContain("\n");
    expect(error.message).not.toContain("secret-pw");
    expect(error.message).toMatch(
      /^galera cluster: node-2 is not Synced \| \*\*\*; error log: .*Address already in use.*Aborting$/,
    );
    const quoted = nodeError("node-3", dir, new TargetError("sandbox server did not start: [ERROR] x"), []);
    expect(quoted.message).toBe("galera cluster: node-3: sandbox server did not start: [ERROR] x");
  });
});
