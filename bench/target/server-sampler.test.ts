import { describe, expect, it } from "vitest";
import {
  type SamplerClock,
  ServerSampler,
  STATUS_QUERY,
  type StatusRead,
  serverSecondOf,
  statusValues,
} from "./server-sampler.js";

const read = (readEpochMs: number, values: Record<string, number>): StatusRead => ({
  readEpochMs,
  roundTripMs: 4,
  values,
});

describe("serverSecondOf", () => {
  it("divides each counter's change by the real time between the reads, and reports levels as they are", () => {
    const second = serverSecondOf(
      "measured",
      3,
      read(10_000, { Com_insert: 100, Innodb_os_log_written: 1_000_000, Threads_running: 9, Uptime: 50 }),
      read(11_250, { Com_insert: 600, Innodb_os_log_written: 3_500_000, Threads_running: 4, Uptime: 51 }),
    );
    expect(second).toEqual({
      t: 3,
      phase: "measured",
      readEpochMs: 11_250,
      spanMs: 1250,
      readMs: 4,
      // 500 inserts over 1.25 s, 2.5 MB of redo over 1.25 s.
      ratesPerSec: { Com_insert: 400, Innodb_os_log_written: 2_000_000 },
      gauges: { Threads_running: 4 },
    });
  });

  it("leaves out what the server does not report, and a counter that went down (FLUSH STATUS)", () => {
    const second = serverSecondOf(
      "warmup",
      0,
      read(0, { Com_select: 50, Com_insert: 10, Uptime: 5 }),
      read(1000, { Com_select: 3, Com_insert: 12, Uptime: 6 }),
    );
    expect(second.ratesPerSec).toEqual({ Com_insert: 2 });
    expect(second.gauges).toEqual({});
  });

  it("gives no rates across a restart: every counter started again from zero", () => {
    const second = serverSecondOf(
      "measured",
      7,
      read(0, { Com_insert: 10, Uptime: 500 }),
      read(1000, { Com_insert: 40, Uptime: 1, Threads_connected: 3 }),
    );
    expect(second.ratesPerSec).toEqual({});
    expect(second.gauges).toEqual({ Threads_connected: 3 });
  });

  it("takes MariaDB's checkpoint age as it is, and figures MySQL 8's from its two LSNs", () => {
    const mariadb = serverSecondOf("measured", 0, read(0, {}), read(1000, { Innodb_checkpoint_age: 77 }));
    expect(mariadb.gauges).toEqual({ Innodb_checkpoint_age: 77 });
    const mysql = serverSecondOf(
      "measured",
      0,
      read(0, {}),
      read(1000, { Innodb_redo_log_current_lsn: 90_000, Innodb_redo_log_checkpoint_lsn: 60_000 }),
    );
    expect(mysql.gauges).toEqual({ Innodb_checkpoint_age: 30_000 });
  });
});

describe("statusValues", () => {
  it("keeps the names asked for, as numbers, whatever case the server gives them in", () => {
    expect(
      statusValues([
        { Variable_name: "COM_INSERT", Value: "12" },
        { Variable_name: "Threads_running", Value: 3 },
        { Variable_name: "Innodb_buffer_pool_dump_status", Value: "Dumping" },
        { Variable_name: "Innodb_checkpoint_age", Value: "" },
        { Variable_name: "Not_asked_for", Value: "5" },
      ]),
    ).toEqual({ Com_insert: 12, Threads_running: 3 });
  });

  it("asks for them in one SHOW GLOBAL STATUS", () => {
    expect(STATUS_QUERY).toMatch(/^SHOW GLOBAL STATUS WHERE Variable_name IN \('Questions','Com_select',/);
    expect(STATUS_QUERY).toContain("'Innodb_os_log_written'");
    expect(STATUS_QUERY).toContain("'Innodb_redo_log_checkpoint_lsn'");
  });
});

/** A clock the test moves: sleeps resolve only when it is moved past their time, or their signal aborts. */
class ManualClock implements SamplerClock {
  private now: number;
  private waiters: { atMs: number; wake: () => void }[] = [];

  constructor(startMs: number) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || atMs <= this.now) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        atMs,
        wake: () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          signal.removeEventListener("abort", waiter.wake);
          resolve();
        },
      };
      this.waiters.push(waiter);
      signal.addEventListener("abort", waiter.wake, { once: true });
    });
  }

  /** A wait that no signal cuts short (a read the server takes its time over). */
  waitMs(ms: number): Promise<void> {
    return this.sleepUntil(this.now + ms, new AbortController().signal);
  }

  /** Moves to `toMs`, waking each sleep at its own time, in order, and letting what it starts run. */
  async advanceTo(toMs: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.waiters
        .filter((w) => w.atMs <= toMs)
        .sort((a, b) => a.atMs - b.atMs)
        .at(0);
      if (!next) break;
      this.now = Math.max(this.now, next.atMs);
      next.wake();
    }
    this.now = Math.max(this.now, toMs);
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

const T0 = 1_000_000;

/**
 * A server whose Com_insert grows by `perSecond(t)` in the second t of the phase (the test's
 * truth), read through a fake that takes `latencyMs(n)` for its n-th read, or fails when told.
 */
function fakeServer(clock: ManualClock, options: { latencyMs?: (n: number) => number; failAt?: number[] }) {
  let n = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const sentAt: number[] = [];
  const read = async () => {
    const index = n++;
    sentAt.push(clock.nowMs());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      // The server takes its figures halfway through the read: the instant the sampler assumes.
      const latency = options.latencyMs?.(index) ?? 0;
      if (latency > 0) await clock.waitMs(latency / 2);
      const elapsedMs = clock.nowMs() - T0;
      if (latency > 0) await clock.waitMs(latency / 2);
      if (options.failAt?.includes(index)) throw new Error(`read ${index} failed`);
      // 100 inserts a second, steadily, since T0; 20 threads running.
      return { Com_insert: (elapsedMs / 1000) * 100, Threads_running: 20, Uptime: 1000 + elapsedMs / 1000 };
    } finally {
      inFlight--;
    }
  };
  return { read, sentAt, maxInFlight: () => maxInFlight };
}

describe("ServerSampler", () => {
  it("reads at the phase's start and at each second's end on the load's clock, one second of figures per read", async () => {
    const clock = new ManualClock(T0 - 50);
    const server = fakeServer(clock, { latencyMs: () => 2 });
    const sampler = new ServerSampler({ read: server.read, clock });
    sampler.samplePhase("measured", T0, 3000);
    await clock.advanceTo(T0 + 10_000);
    expect(server.sentAt).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000]);
    const seconds = sampler.seconds("measured");
    expect(seconds.map((s) => s.t)).toEqual([0, 1, 2]);
    for (const second of seconds) {
      expect(second.spanMs).toBe(1000);
      // Read halfway through the 2 ms query.
      expect(second.readEpochMs).toBe(T0 + (second.t + 1) * 1000 + 1);
      expect(second.readMs).toBe(2);
      expect(second.ratesPerSec.Com_insert).toBeCloseTo(100, 9);
      expect(second.gauges).toEqual({ Threads_running: 20 });
    }
    expect(sampler.second("measured", 1)).toBe(seconds[1]);
    expect(sampler.second("warmup", 1)).toBeUndefined();
    // The phase is over: no more reads, however long the clock runs.
    expect(sampler.reads).toBe(4);
  });

  it("cuts the last second short at the phase's scheduled end", async () => {
    const clock = new ManualClock(T0);
    const server = fakeServer(clock, {});
    const sampler = new ServerSampler({ read: server.read, clock });
    sampler.samplePhase("measured", T0, 2500);
    await clock.advanceTo(T0 + 10_000);
    expect(server.sentAt).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 2500]);
    const last = sampler.second("measured", 2);
    expect(last?.spanMs).toBe(500);
    expect(last?.ratesPerSec.Com_insert).toBeCloseTo(100, 9);
  });

  it("takes a read that comes late at once, with its own time, and divides by the real elapsed time", async () => {
    const clock = new ManualClock(T0);
    // The read at t = 1's end takes 1.6 s: t = 2's read, due at 3000, goes when it is back, at 3600.
    const server = fakeServer(clock, { latencyMs: (n) => (n === 2 ? 1600 : 0) });
    const sampler = new ServerSampler({ read: server.read, clock });
    sampler.samplePhase("measured", T0, 5000);
    await clock.advanceTo(T0 + 10_000);
    expect(server.sentAt).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3600, T0 + 4000, T0 + 5000]);
    expect(server.maxInFlight()).toBe(1);
    const spans = sampler.seconds("measured").map((s) => [s.t, s.readEpochMs - T0, s.spanMs]);
    expect(spans).toEqual([
      [0, 1000, 1000],
      // Read halfway through its 1.6 s.
      [1, 2800, 1800],
      [2, 3600, 800],
      [3, 4000, 400],
      [4, 5000, 1000],
    ]);
    // The truth is 100 a second throughout: every rate says so, whatever its span.
    for (const second of sampler.seconds("measured"))
      expect(second.ratesPerSec.Com_insert).toBeCloseTo(100, 9);
  });

  it("covers the seconds whose ends passed during a slow read with one read, not a burst of them", async () => {
    const clock = new ManualClock(T0);
    // The read at t = 1's end takes 2.6 s: t = 2 and t = 3 ended meanwhile; one read, for t = 3, covers both.
    const server = fakeServer(clock, { latencyMs: (n) => (n === 2 ? 2600 : 0) });
    const sampler = new ServerSampler({ read: server.read, clock });
    sampler.samplePhase("measured", T0, 5000);
    await clock.advanceTo(T0 + 10_000);
    expect(server.sentAt).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 4600, T0 + 5000]);
    const spans = sampler.seconds("measured").map((s) => [s.t, s.readEpochMs - T0, s.spanMs]);
    expect(spans).toEqual([
      [0, 1000, 1000],
      [1, 3300, 2300],
      [3, 4600, 1300],
      [4, 5000, 400],
    ]);
    for (const second of sampler.seconds("measured"))
      expect(second.ratesPerSec.Com_insert).toBeCloseTo(100, 9);
  });

  it("records a failed read, not throws, and goes on: the next second counts from the last good read", async () => {
    const clock = new ManualClock(T0);
    const server = fakeServer(clock, { failAt: [2] });
    const sampler = new ServerSampler({ read: server.read, clock });
    sampler.samplePhase("measured", T0, 4000);
    await clock.advanceTo(T0 + 10_000);
    expect(sampler.seconds("measured").map((s) => s.t)).toEqual([0, 2, 3]);
    expect(sampler.second("measured", 2)?.spanMs).toBe(2000);
    expect(sampler.second("measured", 2)?.ratesPerSec.Com_insert).toBeCloseTo(100, 9);
    expect(sampler.errors).toEqual([{ phase: "measured", t: 1, message: "read 2 failed" }]);
    expect(sampler.errorsIn("measured")).toEqual({ count: 1, first: "read 2 failed" });
    expect(sampler.errorsIn("warmup")).toEqual({ count: 0, first: undefined });
  });

  it("stops at stopPhase: a second that has ended is still read, none after", async () => {
    const clock = new ManualClock(T0);
    const server = fakeServer(clock, {});
    const sampler = new ServerSampler({ read: server.read, clock });
    sampler.samplePhase("measured", T0, 60_000);
    await clock.advanceTo(T0 + 2400);
    await sampler.stopPhase();
    await clock.advanceTo(T0 + 10_000);
    expect(server.sentAt).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(sampler.seconds("measured").map((s) => s.t)).toEqual([0, 1]);
  });

  it("stops at once when the run is interrupted", async () => {
    const clock = new ManualClock(T0);
    const server = fakeServer(clock, {});
    const abort = new AbortController();
    const sampler = new ServerSampler({ read: server.read, clock, signal: abort.signal });
    sampler.samplePhase("measured", T0, 60_000);
    await clock.advanceTo(T0 + 1500);
    abort.abort();
    await clock.advanceTo(T0 + 10_000);
    expect(server.sentAt).toEqual([T0, T0 + 1000]);
  });

  it("samples the next phase after the one before, each second under its own phase, never two reads at once", async () => {
    const clock = new ManualClock(T0);
    const server = fakeServer(clock, { latencyMs: () => 5 });
    const sampler = new ServerSampler({ read: server.read, clock });
    sampler.samplePhase("warmup", T0, 2000);
    await clock.advanceTo(T0 + 2100);
    sampler.samplePhase("measured", T0 + 2200, 2000);
    await clock.advanceTo(T0 + 10_000);
    expect(server.sentAt).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 2200, T0 + 3200, T0 + 4200]);
    expect(sampler.seconds("warmup").map((s) => s.t)).toEqual([0, 1]);
    expect(sampler.seconds("measured").map((s) => s.t)).toEqual([0, 1]);
    expect(server.maxInFlight()).toBe(1);
  });

  it("does not wait for ever on a read the server never answers", async () => {
    const clock = new ManualClock(T0);
    const sampler = new ServerSampler({ read: () => new Promise(() => {}), clock });
    sampler.samplePhase("measured", T0, 5000);
    await clock.advanceTo(T0 + 100);
    expect(sampler.reading).toBe(true);
    const stopped = sampler.stopPhase();
    await clock.advanceTo(T0 + 2100);
    await stopped;
    expect(sampler.reads).toBe(1);
  });
});
