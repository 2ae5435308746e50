import { describe, expect, it } from "vitest";
import { crashStatement, faultStatement } from "./aurora-sql.js";

describe("Aurora fault-injection statements", () => {
  it("crashes the instance (cache kept) or the node (cache dropped)", () => {
    expect(crashStatement("warm")).toBe("ALTER SYSTEM CRASH INSTANCE");
    expect(crashStatement("cold")).toBe("ALTER SYSTEM CRASH NODE");
  });

  it("writes each simulated fault with its share, target and interval in seconds, as AWS's grammar does ([ IN DISK index | NODE index ])", () => {
    expect(
      faultStatement({ kind: "disk-congestion", atMs: 0, forMs: 20_000, percent: 25, minMs: 10, maxMs: 50 }),
    ).toBe(
      "ALTER SYSTEM SIMULATE 25 PERCENT DISK CONGESTION BETWEEN 10 AND 50 MILLISECONDS FOR INTERVAL 20 SECOND",
    );
    expect(faultStatement({ kind: "disk-failure", atMs: 0, forMs: 5000, percent: 100, disk: 2 })).toBe(
      "ALTER SYSTEM SIMULATE 100 PERCENT DISK FAILURE IN DISK 2 FOR INTERVAL 5 SECOND",
    );
    expect(faultStatement({ kind: "disk-failure", atMs: 0, forMs: 3000, percent: 12.5, node: 1 })).toBe(
      "ALTER SYSTEM SIMULATE 12.5 PERCENT DISK FAILURE NODE 1 FOR INTERVAL 3 SECOND",
    );
    expect(faultStatement({ kind: "replica-failure", atMs: 0, forMs: 10_000, percent: 100 })).toBe(
      "ALTER SYSTEM SIMULATE 100 PERCENT READ REPLICA FAILURE TO ALL FOR INTERVAL 10 SECOND",
    );
    expect(
      faultStatement({
        kind: "replica-failure",
        atMs: 0,
        forMs: 10_000,
        percent: 50,
        replica: "db-replica-1",
      }),
    ).toBe('ALTER SYSTEM SIMULATE 50 PERCENT READ REPLICA FAILURE TO "db-replica-1" FOR INTERVAL 10 SECOND');
  });
});
