import { describe, expect, it } from "vitest";
import { flavorArgs } from "./server.js";
import { sandboxSettings } from "./settings.js";

describe("sandboxSettings", () => {
  it("has room for every connection of the run and a buffer pool that holds the dataset", () => {
    const settings = sandboxSettings({ connections: 4000, tables: 250, tableSize: 25_000 });
    expect(Number(settings["max-connections"])).toBeGreaterThan(4000);
    expect(Number(settings["innodb-buffer-pool-size"])).toBeGreaterThanOrEqual(250 * 25_000 * 320);
  });

  it("uses MariaDB's thread pool, which MySQL Community does not have", () => {
    const sizing = { connections: 16, tables: 1, tableSize: 10 };
    expect(sandboxSettings(sizing, "mariadb")["thread-handling"]).toBe("pool-of-threads");
    expect(sandboxSettings(sizing, "mysql")["thread-handling"]).toBeUndefined();
  });
});

describe("flavorArgs", () => {
  it("turns MySQL's X plugin off with loose-, so MySQL 5.7 (which has no such option) still starts", () => {
    expect(flavorArgs("mysql")).toEqual(["--loose-mysqlx=OFF"]);
    expect(flavorArgs("mariadb")).toEqual([]);
  });
});
