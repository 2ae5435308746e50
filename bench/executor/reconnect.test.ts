import type { Connection } from "mysql2";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { WorkerHealth } from "../metrics/interval.js";
import type { Opened } from "./failover-connector.js";
import { type Reconnectable, Reconnector } from "./reconnect.js";

function opened(): Opened {
  return { conn: { destroy: vi.fn() } as unknown as Connection, shared: undefined, hostIndex: 0 };
}

function emptySample(): WorkerHealth {
  return { utilization: 0, delayP99Ms: 0, delayMaxMs: 0, inFlight: 0, backlog: 0, spanMs: 0 };
}

describe("Reconnector", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    // The jitter's top: every wait is its full length.
    vi.spyOn(Math, "random").mockReturnValue(1);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("waits 0.1 s, doubling after each failed attempt, then reattaches and rejoins, counted", async () => {
    const open = vi
      .fn<() => Promise<Opened>>()
      .mockRejectedValueOnce(new Error("refused"))
      .mockRejectedValueOnce(new Error("refused"))
      .mockResolvedValue(opened());
    const reconnector = new Reconnector({ open }, undefined);
    const events: string[] = [];
    const conn: Reconnectable = {
      reattach: () => events.push("reattach"),
      rejoin: () => {
        const sample = emptySample();
        reconnector.takeCounts(sample);
        events.push(`rejoin lost=${sample.lost} reconnected=${sample.reconnected}`);
      },
    };
    reconnector.countLost();
    reconnector.reopen(conn);
    await vi.advanceTimersByTimeAsync(99);
    expect(open).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(open).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(199);
    expect(open).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(open).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(400);
    expect(open).toHaveBeenCalledTimes(3);
    // The return is counted before the connection rejoins (a rejoin can close an interval).
    expect(events).toEqual(["reattach", "rejoin lost=1 reconnected=1"]);
  });

  it("waits at most maxDelayMs between attempts", async () => {
    const open = vi.fn<() => Promise<Opened>>().mockRejectedValue(new Error("refused"));
    const reconnector = new Reconnector({ open }, 250);
    reconnector.reopen({ reattach: () => {}, rejoin: () => {} });
    await vi.advanceTimersByTimeAsync(100 + 200 + 250 + 250);
    expect(open).toHaveBeenCalledTimes(4);
    reconnector.close();
  });

  it("once closed, cancels a pending attempt and closes a connection that opens after", async () => {
    let resolve: (value: Opened) => void = () => {};
    const open = vi.fn<() => Promise<Opened>>().mockImplementation(
      () =>
        new Promise<Opened>((done) => {
          resolve = done;
        }),
    );
    const reconnector = new Reconnector({ open }, undefined);
    const reattach = vi.fn();
    reconnector.reopen({ reattach, rejoin: () => {} });
    await vi.advanceTimersByTimeAsync(100);
    expect(open).toHaveBeenCalledTimes(1);
    reconnector.close();
    const late = opened();
    resolve(late);
    await vi.advanceTimersByTimeAsync(0);
    expect(reattach).not.toHaveBeenCalled();
    expect(late.conn.destroy).toHaveBeenCalledTimes(1);

    reconnector.reopen({ reattach, rejoin: () => {} });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(open).toHaveBeenCalledTimes(1);
  });
});
