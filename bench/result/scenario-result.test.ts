import { describe, expect, it } from "vitest";
import type { Counters } from "../target/facts.js";
import {
  COUNTER_SLACK_MIN,
  COUNTER_SLACK_PER_SEC,
  COUNTER_TOLERANCE_PCT,
  counterChecks,
  counterSlack,
} from "./scenario-result.js";

function counters(partial: Partial<Counters>): Counters {
  return {
    Com_select: 0,
    Com_insert: 0,
    Com_update: 0,
    Com_delete: 0,
    Com_begin: 0,
    Com_commit: 0,
    Com_rollback: 0,
    ...partial,
  };
}

describe("counterChecks", () => {
  it("uses a 2% tolerance", () => {
    expect(COUNTER_TOLERANCE_PCT).toBe(2);
  });

  it("passes when server and client agree exactly", () => {
    const { checks, ok } = counterChecks(counters({ Com_select: 1000, Com_commit: 100 }), {
      Com_select: 1000,
      Com_commit: 100,
    });
    expect(ok).toBe(true);
    expect(checks).toEqual([
      { counter: "Com_select", client: 1000, server: 1000, diffPct: 0, ok: true },
      { counter: "Com_commit", client: 100, server: 100, diffPct: 0, ok: true },
    ]);
  });

  it("accepts a difference of exactly 2% and rejects more, in either direction", () => {
    expect(counterChecks(counters({ Com_update: 1020 }), { Com_update: 1000 }).ok).toBe(true);
    expect(counterChecks(counters({ Com_update: 980 }), { Com_update: 1000 }).ok).toBe(true);
    const over = counterChecks(counters({ Com_update: 1021 }), { Com_update: 1000 });
    expect(over.ok).toBe(false);
    expect(over.checks[0]?.diffPct).toBeCloseTo(2.1, 10);
    const under = counterChecks(counters({ Com_update: 979 }), { Com_update: 1000 });
    expect(under.ok).toBe(false);
    expect(under.checks[0]?.diffPct).toBeCloseTo(2.1, 10);
  });

  it("measures the difference against the client's count", () => {
    // 50 more than the client's 1000 is 5%, even though it is 4.76% of the server's 1050.
    const { checks } = counterChecks(counters({ Com_insert: 1050 }), { Com_insert: 1000 });
    expect(checks[0]?.diffPct).toBeCloseTo(5, 10);
  });

  it("fails the whole check when one counter is off", () => {
    const { checks, ok } = counterChecks(counters({ Com_select: 1000, Com_delete: 200 }), {
      Com_select: 1000,
      Com_delete: 100,
    });
    expect(ok).toBe(false);
    expect(checks.map((check) => [check.counter, check.ok])).toEqual([
      ["Com_select", true],
      ["Com_delete", false],
    ]);
    expect(checks[1]?.diffPct).toBe(100);
  });

  it("leaves out counters that are zero on both sides", () => {
    const { checks, ok } = counterChecks(counters({}), {});
    expect(checks).toEqual([]);
    expect(ok).toBe(true);
  });

  it("allows a few statements of the server's own beside the relative tolerance, and names them", () => {
    // RDS's rdsadmin updates mysql.rds_heartbeat2 every few seconds: 3 updates in a window where
    // the client sent none would otherwise be 300% off.
    const few = counterChecks(counters({ Com_select: 1000, Com_update: 3 }), { Com_select: 1000 });
    expect(few.ok).toBe(true);
    expect(few.slack).toBe(COUNTER_SLACK_MIN);
    expect(few.movedWithoutClient).toEqual(["Com_update +3"]);
    expect(few.checks[1]).toEqual({ counter: "Com_update", client: 0, server: 3, diffPct: 300, ok: true });
    // Past the slack, statements from elsewhere (another client, a monitor) are a mismatch.
    const many = counterChecks(counters({ Com_select: COUNTER_SLACK_MIN + 1 }), {});
    expect(many.ok).toBe(false);
  });

  it("scales the slack with the window", () => {
    expect(counterSlack(0)).toBe(COUNTER_SLACK_MIN);
    expect(counterSlack(60_000)).toBe(COUNTER_SLACK_PER_SEC * 60);
    const update = counters({ Com_update: 100 });
    expect(counterChecks(update, {}, 60_000).ok).toBe(true);
    expect(counterChecks(update, {}, 10_000).ok).toBe(false);
  });

  it("checks a counter the client sent but the server never counted", () => {
    const { checks, ok } = counterChecks(counters({}), { Com_begin: 500 });
    expect(ok).toBe(false);
    expect(checks).toEqual([{ counter: "Com_begin", client: 500, server: 0, diffPct: 100, ok: false }]);
  });
});
