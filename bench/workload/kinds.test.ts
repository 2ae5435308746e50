import { describe, expect, it } from "vitest";
import { isWrite, statementKind } from "./kinds.js";

describe("statementKind", () => {
  it("reads the kind from the first word, in any case", () => {
    expect(statementKind("SELECT c FROM sbtest1 WHERE id=1")).toBe("select");
    expect(statementKind("select 1")).toBe("select");
    expect(statementKind("Insert INTO t VALUES (1)")).toBe("insert");
    expect(statementKind("UPDATE t SET k=k+1")).toBe("update");
    expect(statementKind("delete FROM t WHERE id=1")).toBe("delete");
  });

  it("skips leading whitespace", () => {
    expect(statementKind("   SELECT 1")).toBe("select");
    expect(statementKind("\n\t UPDATE t SET x=1")).toBe("update");
  });

  it("returns undefined for any other statement", () => {
    for (const sql of [
      "REPLACE INTO t VALUES (1)",
      "BEGIN",
      "COMMIT",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "(SELECT 1)",
      "SELECTED FROM t",
      "UPDATES",
      "-- comment\nSELECT 1",
      "",
      "   ",
    ]) {
      expect(statementKind(sql), sql).toBeUndefined();
    }
  });

  it("ends the word at the first non-letter", () => {
    expect(statementKind("SELECT*FROM t")).toBe("select");
    expect(statementKind("DELETE\nFROM t")).toBe("delete");
  });
});

describe("isWrite", () => {
  it("counts INSERT, UPDATE and DELETE as writes and SELECT as a read", () => {
    expect(isWrite("select")).toBe(false);
    expect(isWrite("insert")).toBe(true);
    expect(isWrite("update")).toBe(true);
    expect(isWrite("delete")).toBe(true);
  });
});
