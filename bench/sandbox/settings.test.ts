import { describe, expect, it } from "vitest";
import { flavorArgs } from "./server.js";
import { sandboxSettings } from "./settings.js";

describe("sandboxSettings", () => {
  it("has room for every connection of the run and a buffer pool that holds the dataset", () => {
    const settings = sandboxSettings({ connections: 4000, tables: 250, tableSize: 25_000 });
    expect(Number(settings["max-connections"])).toBeGreaterThan(4000);
    expect(Number(settings["innodb-buffer-pool-size"])).toBeGreaterThanOrEqual(250 * 25_000 * 320);
  });

  it("has room for the binary protocol's prepared statements, never below the server's default", () => {
    const sizing = { connections: 64, tables: 300, tableSize: 1000 };
    expect(sandboxSettings(sizing)["max-prepared-stmt-count"]).toBe("16382");
    // 64 connections x 300 tables of one prepared statement each, and the preflight's margin of 64.
    expect(sandboxSettings({ ...sizing, preparedStatements: 19_200 })["max-prepared-stmt-count"]).toBe(
      "19264",
    );
    expect(sandboxSettings({ ...sizing, preparedStatements: 10 })["max-prepared-stmt-count"]).toBe("16382");
  });

  it("uses MariaDB's thread pool, which MySQL Community does not have", () => {
    const sizing = { connections: 16, tables: 1, tableSize: 10 };
    expect(sandboxSettings(sizing, "mariadb")["thread-handling"]).toBe("pool-of-threads");
    expect(sandboxSettings(sizing, "mysql")["thread-handling"]).toBeUndefined();
  });

  it("serves one thread per connection when asked, naming the option once", () => {
    const sizing = { connections: 16, tables: 1, tableSize: 10 };
    const asked = { threadHandling: "one-thread-per-connection" } as const;
    const mariadb = sandboxSettings(sizing, "mariadb", asked);
    expect(mariadb["thread-handling"]).toBe("one-thread-per-connection");
    // The rest is what the thread pool's sandbox gets.
    const { "thread-handling": _pool, ...poolRest } = sandboxSettings(sizing, "mariadb");
    const { "thread-handling": _one, ...oneRest } = mariadb;
    expect(oneRest).toEqual(poolRest);
    expect(sandboxSettings(sizing, "mysql", asked)["thread-handling"]).toBe("one-thread-per-connection");
  });

  it("refuses a thread pool for MySQL Community", () => {
    const sizing = { connections: 16, tables: 1, tableSize: 10 };
    expect(() => sandboxSettings(sizing, "mysql", { threadHandling: "pool-of-threads" })).toThrow(
      /no thread pool/,
    );
  });
});

describe("flavorArgs", () => {
  it("turns MySQL's X plugin off with loose-, so MySQL 5.7 (which has no such option) still starts", () => {
    expect(flavorArgs("mysql")).toEqual(["--loose-mysqlx=OFF"]);
    expect(flavorArgs("mariadb")).toEqual([]);
  });
});
