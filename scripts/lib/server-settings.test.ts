import { describe, expect, it } from "vitest";
import { UsageProblem } from "./options.js";
import { serverChoices, serverSettingsFromRow, serverTitle, THREAD_HANDLING } from "./server-settings.js";

describe("serverChoices", () => {
  it("reads each choice once, in the order given", () => {
    expect(serverChoices("--servers", "pool,one-thread")).toEqual(["pool", "one-thread"]);
    expect(serverChoices("--servers", " one-thread , pool,one-thread")).toEqual(["one-thread", "pool"]);
    expect(serverChoices("--servers", "one-thread")).toEqual(["one-thread"]);
  });

  it("refuses an unknown choice or none, naming the flag", () => {
    expect(() => serverChoices("--servers", "pool,threads")).toThrow(
      new UsageProblem("--servers: 'threads' is not one of pool, one-thread"),
    );
    expect(() => serverChoices("--servers", " , ")).toThrow(
      "--servers: give at least one of pool, one-thread",
    );
  });

  it("maps each choice to the server's own word for it", () => {
    expect(THREAD_HANDLING).toEqual({ pool: "pool-of-threads", "one-thread": "one-thread-per-connection" });
  });
});

const MARIADB_ROW = {
  thread_handling: "pool-of-threads",
  innodb_buffer_pool_size: "268435456",
  version: "10.11.19-MariaDB-0+deb12u1",
  max_connections: 69,
};

describe("serverSettingsFromRow", () => {
  it("takes numbers as numbers or as text", () => {
    expect(serverSettingsFromRow(MARIADB_ROW, { thread_pool_size: 2 })).toEqual({
      threadHandling: "pool-of-threads",
      threadPoolSize: 2,
      innodbBufferPoolBytes: 268_435_456,
      version: "10.11.19-MariaDB-0+deb12u1",
      maxConnections: 69,
    });
  });

  it("has no pool size where the server has no such variable", () => {
    const row = { ...MARIADB_ROW, thread_handling: "one-thread-per-connection", version: "8.0.36" };
    expect(serverSettingsFromRow(row).threadPoolSize).toBeNull();
  });

  it("refuses a row without a setting rather than titling a table with a guess", () => {
    expect(() => serverSettingsFromRow({ ...MARIADB_ROW, thread_handling: null })).toThrow(
      "no @@thread_handling",
    );
    expect(() => serverSettingsFromRow({ ...MARIADB_ROW, max_connections: "many" })).toThrow(
      "@@max_connections as 'many'",
    );
  });
});

describe("serverTitle", () => {
  it("names the thread handling first, with the pool's size", () => {
    const settings = serverSettingsFromRow(MARIADB_ROW, { thread_pool_size: 2 });
    expect(serverTitle(settings, "sandbox on this machine")).toBe(
      "thread_handling=pool-of-threads, thread_pool_size=2; version 10.11.19-MariaDB-0+deb12u1; " +
        "innodb_buffer_pool_size=256 MiB; max_connections=69; sandbox on this machine",
    );
  });

  it("leaves out a pool size the server does not use or does not have", () => {
    const oneThread = { ...MARIADB_ROW, thread_handling: "one-thread-per-connection", max_connections: 1064 };
    expect(serverTitle(serverSettingsFromRow(oneThread, { thread_pool_size: 2 }), "db:3306")).toBe(
      "thread_handling=one-thread-per-connection; version 10.11.19-MariaDB-0+deb12u1; " +
        "innodb_buffer_pool_size=256 MiB; max_connections=1,064; db:3306",
    );
    const mysql = { ...oneThread, version: "8.0.36", innodb_buffer_pool_size: 134_217_728 };
    expect(serverTitle(serverSettingsFromRow(mysql), "db:3306")).toBe(
      "thread_handling=one-thread-per-connection; version 8.0.36; innodb_buffer_pool_size=128 MiB; " +
        "max_connections=1,064; db:3306",
    );
  });
});
