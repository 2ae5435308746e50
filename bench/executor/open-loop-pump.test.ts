import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BACKLOG_DRAIN_MS, OpenLoopPump, type ScheduledConnection } from "./open-loop-pump.js";
import { WorkerPhase } from "./worker-phase.js";

const T0_MS = 1_000_000;

/** A connection that records the ops it is handed; the test says when each one ends. */
class FakeConnection implements ScheduledConnection {
  alive = true;
  readonly started: { intendedMs: number; lateMs: number }[] = [];
  startScheduled(intendedMs: number, lateMs: number): void {
    this.started.push({ intendedMs, lateMs });
  }
}

function setUp() {
  const drained = vi.fn();
  const phase = new WorkerPhase(() => {}, 250, drained);
  // 10 ops per second for this worker alone: one every 100 ms from T0.
  const pump = new OpenLoopPump<FakeConnection>(
    { ratePerSec: 10, workers: 1, backlogMs: 10_000 },
    0,
    phase,
    () => Date.now(),
  );
  return { phase, pump, drained };
}

describe("OpenLoopPump", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0_MS });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands due ops to free connections, and a freed connection takes the oldest waiting one", () => {
    const { phase, pump } = setUp();
    const a = new FakeConnection();
    const b = new FakeConnection();
    phase.start("measured");
    pump.startPhase(T0_MS, 1000);
    phase.startTicking();
    pump.begin([a, b]);
    // Op 0 is due at once: the last free connection takes it.
    expect(b.started).toEqual([{ intendedMs: T0_MS, lateMs: 0 }]);
    expect(phase.inFlight).toBe(1);
    vi.advanceTimersByTime(100);
    expect(a.started).toEqual([{ intendedMs: T0_MS + 100, lateMs: 0 }]);
    expect(phase.inFlight).toBe(2);
    // No connection free: op 2 waits.
    vi.advanceTimersByTime(100);
    expect(pump.backlogLength).toBe(1);
    vi.advanceTimersByTime(50);
    pump.freed(b, Date.now());
    expect(b.started[1]).toEqual({ intendedMs: T0_MS + 200, lateMs: 50 });
    expect(pump.backlogLength).toBe(0);
    expect(phase.inFlight).toBe(2);
  });

  it("sends the window's backlog at the drain for BACKLOG_DRAIN_MS, then discards the rest", () => {
    const { phase, pump, drained } = setUp();
    const a = new FakeConnection();
    const b = new FakeConnection();
    phase.start("measured");
    pump.startPhase(T0_MS, 1000);
    pump.begin([a, b]);
    vi.advanceTimersByTime(1000);
    // Ops 0 and 1 started; ops 2 to 9 wait (op 10 is past the window).
    expect(pump.backlogLength).toBe(8);

    phase.beginDrain();
    pump.drain(false);
    phase.endIfIdle();
    expect(drained).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    pump.freed(a, Date.now());
    expect(a.started[1]).toEqual({ intendedMs: T0_MS + 200, lateMs: 900 });
    vi.advanceTimersByTime(BACKLOG_DRAIN_MS);
    expect(pump.backlogLength).toBe(0);
    pump.freed(a, Date.now());
    pump.freed(b, Date.now());
    expect(drained).toHaveBeenCalledTimes(1);
    expect(pump.report()).toEqual({ scheduled: 10, started: 3, dropped: 0, discarded: 7, maxBacklog: 8 });
  });

  it("discards the backlog at once when the drain abandons it", () => {
    const { phase, pump, drained } = setUp();
    const a = new FakeConnection();
    phase.start("warmup");
    pump.startPhase(T0_MS, 1000);
    pump.begin([a]);
    vi.advanceTimersByTime(1000);
    phase.beginDrain();
    pump.drain(true);
    phase.endIfIdle();
    expect(pump.backlogLength).toBe(0);
    pump.freed(a, Date.now());
    expect(a.started).toHaveLength(1);
    expect(drained).toHaveBeenCalledTimes(1);
    expect(pump.report()).toEqual({ scheduled: 10, started: 1, dropped: 0, discarded: 9, maxBacklog: 9 });
  });

  it("leaves out connections that are not alive; one that rejoins takes an op at the next wake", () => {
    const { phase, pump } = setUp();
    const lost = new FakeConnection();
    lost.alive = false;
    phase.start("measured");
    pump.startPhase(T0_MS, 1000);
    pump.begin([lost]);
    expect(lost.started).toHaveLength(0);
    vi.advanceTimersByTime(250);
    expect(pump.backlogLength).toBe(3);
    lost.alive = true;
    pump.rejoin(lost);
    // The pump's timer is set (for op 3, at 300 ms): the connection takes the oldest op then.
    expect(lost.started).toHaveLength(0);
    vi.advanceTimersByTime(50);
    expect(lost.started).toEqual([{ intendedMs: T0_MS, lateMs: 300 }]);
    expect(pump.backlogLength).toBe(3);
  });

  it("pumps at once for a connection that rejoins while the pump sleeps past the window", () => {
    const { phase, pump } = setUp();
    const lost = new FakeConnection();
    lost.alive = false;
    phase.start("measured");
    pump.startPhase(T0_MS, 1000);
    pump.begin([lost]);
    // The window's last op is admitted at 900 ms; no timer is set after it.
    vi.advanceTimersByTime(950);
    expect(pump.backlogLength).toBe(10);
    lost.alive = true;
    pump.rejoin(lost);
    expect(lost.started).toEqual([{ intendedMs: T0_MS, lateMs: 950 }]);
  });
});
