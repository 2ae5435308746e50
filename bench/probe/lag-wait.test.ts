import { describe, expect, it } from "vitest";
import type { AdminConnection } from "../target/connection.js";
import type { GtidDialect } from "./lag-method.js";
import { WaitTiming } from "./lag-stats.js";
import { GtidWaiter } from "./lag-wait.js";

const UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

/** Lets every pending promise callback run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/**
 * A replica behind fake connections: a wait for GTID "0-1-N" (MariaDB) or "uuid:N" (MySQL) answers
 * once heartbeat N is applied (at once if it already is), or with the timeout code on timeoutAll().
 * Its row is the real statement's: the applied position before, the server's clock around the wait
 * (the test's clock, `oneWayMs` after the send), the answer and the applied position after.
 */
class FakeReplica {
  applied = 0;
  oneWayMs = 0;
  /** Keep answers to waits that find their heartbeat applied until release() (a round trip). */
  holdAnswers = false;
  private held: (() => void)[] = [];
  readonly sent: { conn: number; sql: string; values: unknown[] | undefined }[] = [];
  private pending: { n: number; answer: (w: number) => void }[] = [];

  constructor(
    private readonly dialect: GtidDialect,
    private readonly clock: { t: number } = { t: 0 },
  ) {}

  connection(id: number, fail?: () => Error | undefined): AdminConnection {
    return {
      query: (sql, values) => {
        this.sent.push({ conn: id, sql, values });
        const error = fail?.();
        if (error) return Promise.reject(error);
        const n = Number(String(values?.[0]).split(/[-:]/).at(-1));
        const before = this.position();
        const t0 = String((this.clock.t + this.oneWayMs) / 1000);
        return new Promise((resolve) => {
          const answer = (w: number, t1 = String(this.clock.t / 1000)) => {
            const row = { before_pos: before, t0, w, t1, pos: this.position() };
            resolve([[row], undefined]);
          };
          if (n > this.applied) this.pending.push({ n, answer });
          else if (this.holdAnswers) {
            // Answered by the server at once (t1 = t0), delivered at release().
            this.held.push(() => answer(0, t0));
          } else answer(0);
        });
      },
      end: async () => {},
      destroy: () => {},
      threadId: 100 + id,
      lostReason: undefined,
      reopened: 0,
    };
  }

  /** What the replica has applied, as gtid_slave_pos or gtid_executed says it. */
  position = (): string => (this.dialect === "mariadb" ? `0-1-${this.applied}` : `${UUID}:1-${this.applied}`);

  get inFlight(): number[] {
    return this.pending.map((p) => p.n).sort((a, b) => a - b);
  }

  apply(n: number): void {
    this.applied = n;
    const due = this.pending.filter((p) => p.n <= n);
    this.pending = this.pending.filter((p) => p.n > n);
    for (const p of due) p.answer(0);
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  timeoutAll(): void {
    const due = this.pending;
    this.pending = [];
    for (const p of due) p.answer(this.dialect === "mariadb" ? -1 : 1);
  }

  waitsFor(): number[] {
    return this.sent.map((s) => Number(String(s.values?.[0]).split(/[-:]/).at(-1)));
  }
}

function setup(
  options: { dialect?: GtidDialect; connections?: number; capacity?: number; timeoutMs?: number } = {},
) {
  const dialect = options.dialect ?? "mariadb";
  const clock = { t: 0 };
  const replica = new FakeReplica(dialect, clock);
  const timing = new WaitTiming(options.connections ?? 2, options.timeoutMs ?? 10_000);
  const seen: [number, number][] = [];
  const notes: string[] = [];
  let seenThrough = 0;
  const waiter = new GtidWaiter({
    dialect,
    conns: Array.from({ length: options.connections ?? 2 }, (_, i) => replica.connection(i)),
    timeoutMs: options.timeoutMs ?? 10_000,
    capacity: options.capacity ?? 100,
    timing,
    seenThrough: () => seenThrough,
    seen: (seq, seenMs) => {
      seen.push([seq, seenMs]);
      seenThrough = Math.max(seenThrough, seq);
    },
    recover: async () => false,
    note: (error) => notes.push((error as Error).message),
    now: () => clock.t,
  });
  const gtid = (n: number) => (dialect === "mariadb" ? `0-1-${n}` : `${UUID}:${n}`);
  const enqueue = (n: number, ackMs = clock.t) => waiter.enqueue(n, gtid(n), ackMs);
  const stop = new AbortController();
  return {
    replica,
    clock,
    timing,
    seen,
    notes,
    waiter,
    enqueue,
    stop,
    running: () => waiter.run(stop.signal, () => false),
    setSeenThrough: (n: number) => {
      seenThrough = n;
    },
  };
}

describe("GtidWaiter", () => {
  it("waits for each heartbeat as soon as it is acknowledged, a held wait not holding the next", async () => {
    const { replica, waiter, enqueue, stop, running } = setup({ connections: 2 });
    const run = running();
    enqueue(1);
    await settle();
    expect(replica.inFlight).toEqual([1]);
    // Heartbeat 1 is still not applied; heartbeat 2's wait goes out on the other connection.
    enqueue(2);
    enqueue(3);
    await settle();
    expect(replica.inFlight).toEqual([1, 2]);
    expect(waiter.queued).toBe(1);
    replica.apply(1);
    await settle();
    expect(replica.inFlight).toEqual([2, 3]);
    replica.apply(3);
    await settle();
    expect(replica.inFlight).toEqual([]);
    expect(replica.waitsFor()).toEqual([1, 2, 3]);
    stop.abort();
    await run;
  });

  it("places a held wait half its own round trip before its answer, one that found its heartbeat at its midpoint", async () => {
    const { replica, clock, timing, seen, enqueue, stop, running } = setup({ connections: 1 });
    replica.oneWayMs = 0.1;
    const run = running();
    clock.t = 10;
    enqueue(1, 9.95);
    await settle();
    // Applied at 14.9 on the server's clock; the answer arrives 0.1 ms later.
    clock.t = 14.9;
    replica.apply(1);
    clock.t = 15;
    await settle();
    // Held 4.8 of the 5 ms: the round trip is 0.2 ms, the sighting 0.1 ms before the answer.
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toBe(1);
    expect(seen[0]?.[1]).toBeCloseTo(14.9, 6);
    // Applied before its wait arrives: placed at the midpoint, bounded from its ack.
    replica.applied = 2;
    replica.holdAnswers = true;
    clock.t = 20;
    enqueue(2, 19.95);
    await settle();
    clock.t = 20.3;
    replica.release();
    await settle();
    // At the server's t0 (20.1 on its clock, which the two waits pin to ours within 0.1 ms).
    expect(seen[1]?.[0]).toBe(2);
    expect(seen[1]?.[1]).toBeCloseTo(20.1, 6);
    const summary = timing.summary();
    expect(summary.waits).toMatchObject({ reached: 2, held: 1, atOnce: 1 });
    // Round trips 0.2 (held) and 0.3 (found applied): the median is the lower.
    expect(summary.roundTripMs).toBeCloseTo(0.2, 2);
    expect(summary.polls).toBe(2);
    expect(summary.pollIntervalMs).toBeNull();
    // Bounds: 0.1 (held) and 20.1 - 19.95 + 0.1 = 0.25 (found applied).
    expect(summary.waits.resolutionP99Ms).toBeCloseTo(0.25, 2);
    expect(summary.resolutionMs).toBeCloseTo(0.1, 2);
    stop.abort();
    await run;
  });

  it("bounds a heartbeat found applied from the sighting of the one before it, not from its old ack", async () => {
    const { replica, clock, timing, enqueue, stop, running } = setup({ connections: 1 });
    const run = running();
    enqueue(1, 0);
    enqueue(2, 10);
    await settle();
    // 1 is held until it is applied at 1000; 2, applied just after, is found applied by its wait.
    clock.t = 1000;
    replica.apply(1);
    clock.t = 1000.2;
    replica.applied = 2;
    await settle();
    clock.t = 1000.6;
    await settle();
    expect(timing.summary().waits).toMatchObject({ held: 1, atOnce: 1 });
    // Not 990 ms (from its ack at 10): from the sighting of heartbeat 1.
    expect(timing.summary().waits.resolutionP99Ms).toBeLessThan(1);
    stop.abort();
    await run;
  });

  it("counts a wait that timed out and sends it again", async () => {
    const { replica, timing, seen, enqueue, clock, stop, running } = setup({
      connections: 2,
      timeoutMs: 300,
    });
    const run = running();
    enqueue(1);
    enqueue(2);
    await settle();
    expect(replica.sent.map((s) => s.values?.[1])).toEqual([0.3, 0.3]);
    clock.t = 300;
    replica.timeoutAll();
    await settle();
    expect(timing.timedOut).toBe(2);
    expect(replica.inFlight).toEqual([1, 2]);
    clock.t = 400;
    replica.apply(2);
    await settle();
    // Either answer shows both: the replica's position says 2 is applied.
    expect(seen[0]?.[0]).toBe(2);
    expect(timing.summary().waits).toMatchObject({ issued: 4, reached: 2, timedOut: 2 });
    stop.abort();
    await run;
  });

  it("shows a burst applied at once in the first answer, by the replica's applied position", async () => {
    const { replica, clock, timing, seen, enqueue, stop, running } = setup({ connections: 2 });
    replica.oneWayMs = 0.1;
    const run = running();
    for (let n = 1; n <= 10; n++) enqueue(n, n);
    await settle();
    expect(replica.inFlight).toEqual([1, 2]);
    clock.t = 499.9;
    replica.apply(10);
    clock.t = 500;
    await settle();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toBe(10);
    expect(seen[0]?.[1]).toBeCloseTo(499.9, 6);
    // Nothing left to wait for: 3 to 10 were shown along with 1.
    expect(replica.waitsFor()).toEqual([1, 2]);
    const s = timing.summary();
    expect(s.waits).toMatchObject({ reached: 2, shownAlong: 9, held: 10, atOnce: 0 });
    expect(s.resolutionMs).toBeCloseTo(0.1, 3);
    stop.abort();
    await run;
  });

  it("ignores an applied position that does not hold the heartbeat waited for", async () => {
    const { replica, seen, enqueue, stop, running, timing } = setup({ connections: 1 });
    const run = running();
    enqueue(1);
    enqueue(2);
    await settle();
    // Positions of another domain only: each answer shows the heartbeat waited for, no more.
    replica.position = () => "5-1-900";
    replica.apply(2);
    await settle();
    expect(seen.map(([seq]) => seq)).toEqual([1, 2]);
    expect(timing.summary().waits.shownAlong).toBe(0);
    stop.abort();
    await run;
  });

  it("skips heartbeats already shown by a later one, and keeps no more than its capacity", async () => {
    const { replica, waiter, enqueue, setSeenThrough, stop, running } = setup({
      connections: 1,
      capacity: 3,
    });
    for (let n = 1; n <= 5; n++) enqueue(n);
    expect(waiter.dropped).toBe(2);
    setSeenThrough(4);
    const run = running();
    await settle();
    expect(replica.inFlight).toEqual([5]);
    stop.abort();
    replica.apply(5);
    await run;
  });

  it("uses MySQL's function, its executed set and whole seconds", async () => {
    const { replica, enqueue, stop, running, seen } = setup({
      dialect: "mysql",
      connections: 1,
      timeoutMs: 2500,
    });
    const run = running();
    enqueue(7);
    await settle();
    expect(replica.sent).toEqual([
      {
        conn: 0,
        sql: "SELECT @@GLOBAL.gtid_executed AS before_pos, UNIX_TIMESTAMP(SYSDATE(6)) AS t0, WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w, UNIX_TIMESTAMP(SYSDATE(6)) AS t1, @@GLOBAL.gtid_executed AS pos",
        values: [`${UUID}:7`, 3],
      },
    ]);
    replica.apply(7);
    await settle();
    expect(seen.map(([seq]) => seq)).toEqual([7]);
    stop.abort();
    await run;
  });

  it("ends when finished, when stopped, and on an error it cannot recover from", async () => {
    const a = setup({ connections: 3 });
    let done = false;
    const finished = a.waiter.run(new AbortController().signal, () => done);
    await settle();
    done = true;
    a.waiter.wake();
    await finished;

    const b = setup({ connections: 2 });
    const stopped = b.running();
    await settle();
    b.stop.abort();
    await stopped;

    const replica = new FakeReplica("mariadb");
    const notes: string[] = [];
    const failing = new GtidWaiter({
      dialect: "mariadb",
      conns: [replica.connection(0, () => new Error("Access denied"))],
      timeoutMs: 1000,
      capacity: 10,
      timing: new WaitTiming(1, 1000),
      seenThrough: () => 0,
      seen: () => {},
      recover: async () => false,
      note: (error) => notes.push((error as Error).message),
    });
    failing.enqueue(1, "0-1-1", 0);
    await failing.run(new AbortController().signal, () => false);
    expect(notes).toEqual(["Access denied"]);
    // The heartbeat is still queued for another connection.
    expect(failing.queued).toBe(1);
  });

  it("lists the server threads of the connections with a wait in flight", async () => {
    const { waiter, enqueue, replica, stop, running } = setup({ connections: 2 });
    const run = running();
    enqueue(1);
    await settle();
    expect(waiter.busyThreadIds()).toEqual([100]);
    replica.apply(1);
    await settle();
    expect(waiter.busyThreadIds()).toEqual([]);
    stop.abort();
    await run;
  });
});

describe("WaitTiming", () => {
  it("pins the server's clock to ours with every wait, and places answers by it", () => {
    const timing = new WaitTiming(4, 10_000);
    expect(timing.summary().resolutionMs).toBeNull();
    timing.issue(true, 0.01);
    // Sent at 100, t0 100.05 and t1 104.9 by the server, answered at 105: server - ours is in
    // [-0.1, 0.05]; held 4.85 ms, a 0.15 ms round trip.
    const held = timing.answered(100, 105, { t0Ms: 100.05, t1Ms: 104.9 }, true);
    expect(held.held).toBe(true);
    expect(held.seenMs).toBeCloseTo(104.925, 6);
    expect(held.uncertaintyMs).toBeCloseTo(0.075, 6);
    // A quick wait narrows the pin to [-0.03, 0.02]: placed at its t0.
    const found = timing.answered(200, 200.05, { t0Ms: 200.02, t1Ms: 200.02 }, false);
    expect(found.held).toBe(false);
    expect(found.seenMs).toBeCloseTo(200.025, 6);
    expect(found.uncertaintyMs).toBeCloseTo(0.025, 6);
    // The server's clock unreadable: placed at the midpoint, not known to be held.
    expect(timing.answered(300, 301, null, true)).toMatchObject({
      held: false,
      seenMs: 300.5,
      uncertaintyMs: 0.5,
    });
    timing.sample(0.075, held, false);
    timing.sample(0.07, held, true);
    timing.sample(0.3, found, false);
    timing.timeout(400, 400.1, { t0Ms: 400.05, t1Ms: 400.05 });
    const s = timing.summary();
    expect(s.waits).toMatchObject({
      issued: 1,
      reached: 3,
      timedOut: 1,
      held: 2,
      atOnce: 1,
      shownAlong: 1,
      connections: 4,
      timeoutMs: 10_000,
      clockResets: 0,
    });
    expect(s.waits.issueDelayP50Ms).toBeCloseTo(0.01, 3);
    expect(s.resolutionMs).toBeCloseTo(0.075, 2);
    // Round trips without the time held: 0.15 and 0.05.
    expect(s.roundTripMs).toBeCloseTo(0.05, 2);
    expect(s.pollIntervalMs).toBeNull();
  });

  it("forgets pins older than a second, and starts again when they cannot all hold", () => {
    const timing = new WaitTiming(1, 10_000);
    timing.answered(0, 0.1, { t0Ms: 0.05, t1Ms: 0.05 }, false);
    // 1.5 s later the server's clock reads 100 ms ahead: the old pin is gone, no conflict.
    const later = timing.answered(1500, 1500.1, { t0Ms: 1600, t1Ms: 1600 }, false);
    expect(later.seenMs).toBeCloseTo(1500.05, 6);
    expect(timing.summary().waits.clockResets).toBe(0);
    // Then it reads 100 ms behind that, within the second: the pins conflict and start again.
    const stepped = timing.answered(2000, 2000.1, { t0Ms: 2000.05, t1Ms: 2000.05 }, false);
    expect(stepped.seenMs).toBeCloseTo(2000.05, 6);
    expect(stepped.uncertaintyMs).toBeCloseTo(0.05, 6);
    expect(timing.summary().waits.clockResets).toBe(1);
  });
});
