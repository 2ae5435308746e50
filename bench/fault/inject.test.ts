import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { FaultInjector } from "./inject.js";

const epochNow = () => performance.timeOrigin + performance.now();

describe("fault injector", () => {
  it("sends each fault at its time into the phase, keeps errors, and reports the ones never due", async () => {
    const sent: { sql: string; atMs: number }[] = [];
    let start = 0;
    const injector = new FaultInjector(
      [
        { kind: "disk-congestion", atMs: 100, forMs: 5000, percent: 50, minMs: 10, maxMs: 20 },
        { kind: "disk-failure", atMs: 250, forMs: 2000, percent: 100 },
        { kind: "replica-failure", atMs: 60_000, forMs: 1000, percent: 100 },
      ],
      async (sql) => {
        sent.push({ sql, atMs: epochNow() - start });
        if (sql.includes("DISK FAILURE"))
          throw Object.assign(new Error("Access denied for mysql://u:pw@h/db"), {
            code: "ER_SPECIFIC_ACCESS_DENIED_ERROR",
          });
      },
    );
    start = epochNow();
    injector.arm(start);
    // Until both due faults went out (bounded: a busy machine fires timers late, never early).
    for (let waited = 0; sent.length < 2 && waited < 10_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const results = await injector.finish();
    expect(sent.map((s) => s.sql)).toEqual([
      "ALTER SYSTEM SIMULATE 50 PERCENT DISK CONGESTION BETWEEN 10 AND 20 MILLISECONDS FOR INTERVAL 5 SECOND",
      "ALTER SYSTEM SIMULATE 100 PERCENT DISK FAILURE FOR INTERVAL 2 SECOND",
    ]);
    // Never early (late, on a busy machine).
    expect(sent[0]?.atMs).toBeGreaterThanOrEqual(100);
    expect(sent[1]?.atMs).toBeGreaterThanOrEqual(250);
    expect(results.map((r) => [r.kind, r.ok])).toEqual([
      ["disk-congestion", true],
      ["disk-failure", false],
      ["replica-failure", false],
    ]);
    expect(results[0]?.sentAtMs).toBeGreaterThanOrEqual(100);
    expect(results[1]?.error).toBe("Access denied for mysql://u:***@h/db (ER_SPECIFIC_ACCESS_DENIED_ERROR)");
    expect(results[2]?.sentAt).toBeNull();
    expect(results[2]?.error).toMatch(/not sent/);
  });
});
