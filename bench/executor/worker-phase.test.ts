import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkerPhase } from "./worker-phase.js";

describe("WorkerPhase", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("accepts load from start to drain, and ends the phase when the last busy connection is idle", () => {
    const drained = vi.fn();
    const phase = new WorkerPhase(() => {}, 250, drained);
    expect(phase.accepting).toBe(false);
    phase.start("measured");
    expect(phase.current).toBe("measured");
    expect(phase.accepting).toBe(true);
    phase.markBusy();
    phase.markBusy();
    expect(phase.inFlight).toBe(2);

    phase.beginDrain();
    phase.endIfIdle();
    expect(phase.accepting).toBe(false);
    expect(drained).not.toHaveBeenCalled();
    phase.markIdle();
    expect(drained).not.toHaveBeenCalled();
    phase.markIdle();
    expect(drained).toHaveBeenCalledTimes(1);
    expect(phase.inFlight).toBe(0);
    // Idle connections after the phase ended do not end it again.
    phase.markBusy();
    phase.markIdle();
    expect(drained).toHaveBeenCalledTimes(1);
  });

  it("ends at once a drain with nothing in flight", () => {
    const drained = vi.fn();
    const phase = new WorkerPhase(() => {}, 250, drained);
    phase.start("warmup");
    phase.beginDrain();
    phase.endIfIdle();
    expect(drained).toHaveBeenCalledTimes(1);
  });

  it("ticks from the phase's start instant until it is over", () => {
    const tick = vi.fn();
    const phase = new WorkerPhase(tick, 250, () => {});
    phase.start("measured");
    vi.advanceTimersByTime(1000);
    expect(tick).not.toHaveBeenCalled();
    phase.startTicking();
    vi.advanceTimersByTime(1000);
    expect(tick).toHaveBeenCalledTimes(4);
    phase.beginDrain();
    phase.endIfIdle();
    vi.advanceTimersByTime(1000);
    expect(tick).toHaveBeenCalledTimes(4);
  });
});
