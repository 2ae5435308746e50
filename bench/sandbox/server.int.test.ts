import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { describe, expect, it } from "vitest";
import { processesMentioning, tempDir } from "../testing/servers.js";
import { findServerBinary, INSTALL_HINT } from "./find.js";
import { Sandbox } from "./server.js";

describe("sandbox server", () => {
  it("finds the installed server binary", async () => {
    const binary = await findServerBinary();
    expect(existsSync(binary.path)).toBe(true);
    expect(binary.version).toMatch(/^\d+\.\d+/);
  });

  it("without a server binary: one line saying how to install one or pass --target", async () => {
    const empty = mkdtempSync(join(tmpdir(), "rb-empty-"));
    await expect(findServerBinary([empty])).rejects.toThrow(INSTALL_HINT);
    expect(INSTALL_HINT).not.toContain("\n");
    expect(INSTALL_HINT).toMatch(/apt-get install mariadb-server/);
    expect(INSTALL_HINT).toMatch(/--target/);
  });

  it("starts sized for the run, refuses a second user of its folder, stops without leaving a process", async () => {
    const dir = tempDir("rb-sandbox-");
    const sandbox = await Sandbox.start({
      dir,
      sizing: { connections: 300, tables: 2, tableSize: 100 },
      log: () => {},
    });
    try {
      const conn = await mysql.createConnection({
        host: "127.0.0.1",
        port: sandbox.target.port,
        user: sandbox.target.user,
        password: sandbox.target.password,
      });
      const [rows] = await conn.query(
        "SELECT @@max_connections AS mc, @@port AS port, @@bind_address AS bind, @@thread_handling AS th",
      );
      await conn.end();
      const row = (rows as { mc: number; port: number; bind: string; th: string }[])[0];
      // MariaDB's thread pool keeps thousands of connections from starving the machine.
      expect(row?.th).toBe(
        sandbox.info.flavor === "mariadb" ? "pool-of-threads" : "one-thread-per-connection",
      );
      expect(row?.mc).toBeGreaterThan(300);
      expect(row?.port).toBe(sandbox.target.port);
      expect(row?.bind).toBe("127.0.0.1");
      expect(sandbox.info.settings["max-connections"]).toBe(String(row?.mc));
      // Another process holding the folder is simulated by this test's parent process id.
      const { writeFileSync } = await import("node:fs");
      writeFileSync(join(dir, "lock"), String(process.ppid));
      await expect(
        Sandbox.start({ dir, sizing: { connections: 1, tables: 1, tableSize: 1 }, log: () => {} }),
      ).rejects.toThrow(/in use by process/);
    } finally {
      await sandbox.stop();
    }
    expect(await processesMentioning(dir)).toEqual([]);
    expect(existsSync(join(dir, "lock"))).toBe(false);
  }, 120_000);
});
