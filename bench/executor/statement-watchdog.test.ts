import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type WatchedConnection, watchStatements } from "./statement-watchdog.js";

function watched(slowestAnswerMs: number) {
  return { slowestAnswerMs, expireIfStuck: vi.fn<WatchedConnection["expireIfStuck"]>() };
}

describe("watchStatements", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 5000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("checks four times per bound, with the bound given", () => {
    const connections = [watched(300), watched(0)];
    const stop = watchStatements(connections, 1000, false, () => Date.now());
    vi.advanceTimersByTime(250);
    for (const conn of connections) expect(conn.expireIfStuck).toHaveBeenCalledWith(5250, 1000);
    vi.advanceTimersByTime(750);
    expect(connections[0]?.expireIfStuck).toHaveBeenCalledTimes(4);
    stop();
  });

  it("gives a default bound ten times the slowest answer of any connection, when that is longer", () => {
    const connections = [watched(30), watched(150)];
    const stop = watchStatements(connections, 1000, true, () => Date.now());
    vi.advanceTimersByTime(250);
    for (const conn of connections) expect(conn.expireIfStuck).toHaveBeenLastCalledWith(5250, 1500);
    for (const conn of connections) conn.slowestAnswerMs = 20;
    vi.advanceTimersByTime(250);
    for (const conn of connections) expect(conn.expireIfStuck).toHaveBeenLastCalledWith(5500, 1000);
    stop();
  });

  it("checks at most once a second, and at most every 10 ms; no bound, no checks", () => {
    const slow = [watched(0)];
    const stopSlow = watchStatements(slow, 60_000, false, () => Date.now());
    vi.advanceTimersByTime(1000);
    expect(slow[0]?.expireIfStuck).toHaveBeenCalledTimes(1);
    stopSlow();
    const fast = [watched(0)];
    const stopFast = watchStatements(fast, 20, false, () => Date.now());
    vi.advanceTimersByTime(100);
    expect(fast[0]?.expireIfStuck).toHaveBeenCalledTimes(10);
    stopFast();
    const none = [watched(0)];
    watchStatements(none, undefined, true, () => Date.now());
    watchStatements(none, 0, true, () => Date.now());
    vi.advanceTimersByTime(10_000);
    expect(none[0]?.expireIfStuck).not.toHaveBeenCalled();
  });
});
