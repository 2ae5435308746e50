import { describe, expect, it } from "vitest";
import {
  assertRate,
  backlogCapacityOps,
  DEFAULT_BACKLOG_MS,
  intendedMs,
  latencyFromIntendedMs,
  type OpenLoopOptions,
  OpenLoopScheduler,
  sendLatenessMs,
  serviceTimeMs,
  workerSeq,
} from "./schedule.js";

/** An epoch-like start, an integer: START + whole milliseconds is exact. */
const START = 1_700_000_000_000;

/** A clock the test moves by hand. */
function fakeClock(atMs = START) {
  const clock = { nowMs: atMs, now: () => clock.nowMs };
  return clock;
}

function scheduler(options: Partial<OpenLoopOptions> & { ratePerSec: number }) {
  const clock = fakeClock();
  const s = new OpenLoopScheduler({ startMs: START, now: clock.now, ...options });
  return { clock, s };
}

interface Taken {
  seq: number;
  intendedMs: number;
  lateMs: number;
}

/** Everything `take` hands out at `nowMs` (as if connections were unlimited). */
function takeAll(s: OpenLoopScheduler, nowMs: number): Taken[] {
  const taken: Taken[] = [];
  while (s.take(nowMs)) taken.push({ seq: s.lastSeq, intendedMs: s.lastIntendedMs, lateMs: s.lastLateMs });
  return taken;
}

function takeOne(s: OpenLoopScheduler, nowMs: number): Taken {
  if (!s.take(nowMs)) throw new Error(`nothing due at ${nowMs}`);
  return { seq: s.lastSeq, intendedMs: s.lastIntendedMs, lateMs: s.lastLateMs };
}

/** The largest double below a positive `x`. */
function nextDown(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

/** The invariant every counter set must keep. */
function expectBalanced(s: OpenLoopScheduler): void {
  expect(s.scheduled).toBe(s.started + s.dropped + s.backlogLength + s.discarded);
}

describe("intendedMs", () => {
  it("puts op n at exactly start + n * 1000 / rate, for whole and fractional rates", () => {
    expect(intendedMs(START, 1000, 0)).toBe(START);
    expect(intendedMs(START, 1000, 1)).toBe(START + 1);
    expect(intendedMs(START, 1000, 10_000_000)).toBe(START + 10_000_000);
    expect(intendedMs(START, 3, 1)).toBeCloseTo(START + 333.333333, 3);
    expect(intendedMs(START, 3, 3)).toBe(START + 1000);
    expect(intendedMs(START, 3, 9_999_999)).toBe(START + 3_333_333_000);
    expect(intendedMs(START, 13_800, 138)).toBe(START + 10);
    expect(intendedMs(START, 13_800, 10_000_032)).toBe(START + 724_640);
    expect(intendedMs(START, 13_800, 13_800_000)).toBe(START + 1_000_000);
    expect(intendedMs(START, 0.5, 7)).toBe(START + 14_000);
    expect(intendedMs(START, 2.5, 5)).toBe(START + 2000);
  });

  it("does not drift ten million ops into the schedule", () => {
    // Adding 1000 / rate ten million times is off by 0.36 ms at 3/s and 76 ns at 13,800/s.
    expect(intendedMs(0, 3, 10_000_000)).toBeCloseTo(3_333_333_333.333333, 6);
    expect(intendedMs(0, 13_800, 10_000_000)).toBeCloseTo(724_637.68115942, 6);
    expect(intendedMs(0, 7, 10_000_000)).toBeCloseTo(1_428_571_428.571429, 6);
  });

  it("numbers a worker's ops n ≡ worker (mod workers)", () => {
    expect([0, 1, 2, 3].map((k) => workerSeq(2, 3, k))).toEqual([2, 5, 8, 11]);
    expect([0, 1, 2].map((k) => workerSeq(0, 1, k))).toEqual([0, 1, 2]);
  });

  it("sizes the backlog in ops from ms of the worker's own share, rounded up", () => {
    expect(backlogCapacityOps(1000, 1, 5)).toBe(5);
    expect(backlogCapacityOps(1000, 2, 10)).toBe(5);
    expect(backlogCapacityOps(13_800, 1, 1000)).toBe(13_800);
    expect(backlogCapacityOps(3, 1, 2000)).toBe(6);
    expect(backlogCapacityOps(3, 2, 1000)).toBe(2); // 1.5 ops
    expect(backlogCapacityOps(1000, 1, 0)).toBe(0);
  });
});

describe("the three views of one op", () => {
  it("are computed from named moments, each exactly", () => {
    const times = { intendedMs: START + 1, sentMs: START + 3.5, completedMs: START + 5.25 };
    expect(latencyFromIntendedMs(times)).toBe(4.25);
    expect(serviceTimeMs(times)).toBe(1.75);
    expect(sendLatenessMs(times)).toBe(2.5);
    // The corrected latency is the wait for the send plus the service time.
    expect(latencyFromIntendedMs(times)).toBe(sendLatenessMs(times) + serviceTimeMs(times));
  });

  it("agree with the scheduler's lateness when the op is sent when taken", () => {
    const { s } = scheduler({ ratePerSec: 1000 });
    takeOne(s, START); // the only connection is busy until START + 3.5
    s.admitDue(START + 1);
    s.admitDue(START + 2);
    const op = takeOne(s, START + 3.5);
    expect(op).toEqual({ seq: 1, intendedMs: START + 1, lateMs: 2.5 });
    const times = { intendedMs: op.intendedMs, sentMs: START + 3.5, completedMs: START + 6 };
    expect(sendLatenessMs(times)).toBe(op.lateMs);
    expect(latencyFromIntendedMs(times)).toBe(5);
    expect(serviceTimeMs(times)).toBe(2.5);
  });
});

describe("OpenLoopScheduler", () => {
  it("hands out each op when its time comes, not before, reading the injected clock", () => {
    const { clock, s } = scheduler({ ratePerSec: 1000 });
    clock.nowMs = START - 0.5;
    expect(s.take()).toBe(false);
    expect(s.nextDueMs()).toBe(START);
    clock.nowMs = START;
    expect(s.take()).toBe(true);
    expect([s.lastSeq, s.lastIntendedMs, s.lastLateMs]).toEqual([0, START, 0]);
    expect(s.take()).toBe(false);
    expect(s.nextDueMs()).toBe(START + 1);
    clock.nowMs = START + 1.25;
    expect(s.admitDue()).toBe(0);
    expect(s.backlogLength).toBe(1);
    expect(s.take()).toBe(true);
    expect([s.lastSeq, s.lastIntendedMs, s.lastLateMs]).toEqual([1, START + 1, 0.25]);
    expect([s.scheduled, s.started, s.dropped, s.backlogLength]).toEqual([2, 2, 0, 0]);
  });

  it("queues ops due while connections are busy and hands them out in order, with their intended times", () => {
    const { s } = scheduler({ ratePerSec: 1000 });
    expect(takeOne(s, START).seq).toBe(0);
    // Timers at ops 1, 2, 3 find no free connection.
    for (const atMs of [START + 1, START + 2, START + 3]) s.admitDue(atMs);
    expect(s.backlogLength).toBe(3);
    expect(s.maxBacklog).toBe(3);
    expect(s.nextDueMs()).toBe(START + 4);
    expect(takeOne(s, START + 3.5)).toEqual({ seq: 1, intendedMs: START + 1, lateMs: 2.5 });
    expect(s.admitDue(START + 3.5)).toBe(0);
    expect(s.backlogLength).toBe(2);
    // Backlogged ops come first, then the one that came due meanwhile, then nothing.
    expect(takeAll(s, START + 4.25)).toEqual([
      { seq: 2, intendedMs: START + 2, lateMs: 2.25 },
      { seq: 3, intendedMs: START + 3, lateMs: 1.25 },
      { seq: 4, intendedMs: START + 4, lateMs: 0.25 },
    ]);
    expect([s.scheduled, s.started, s.dropped, s.backlogLength, s.maxBacklog]).toEqual([5, 5, 0, 0, 3]);
  });

  it("drops ops that come due while the backlog is full, keeping the oldest, and counts them exactly", () => {
    const { s } = scheduler({ ratePerSec: 1000, backlogMs: 5 });
    expect(s.backlogCapacity).toBe(5);
    takeOne(s, START);
    expect(s.admitDue(START + 12)).toBe(7); // ops 1..5 wait, 6..12 are turned away
    expect(s.admitDue(START + 12)).toBe(0);
    expect(s.admitDue(START + 20)).toBe(8); // 13..20
    expect([s.dropped, s.backlogLength, s.maxBacklog, s.scheduled]).toEqual([15, 5, 5, 21]);
    expectBalanced(s);
    expect(takeAll(s, START + 20.5)).toEqual(
      [1, 2, 3, 4, 5].map((seq) => ({ seq, intendedMs: START + seq, lateMs: 20.5 - seq })),
    );
    // Once drained, the schedule goes on at its original times: nothing moved by the stall.
    expect(s.nextDueMs()).toBe(START + 21);
    expect(takeOne(s, START + 21)).toEqual({ seq: 21, intendedMs: START + 21, lateMs: 0 });
    expect([s.scheduled, s.started, s.dropped]).toEqual([22, 7, 15]);
    expectBalanced(s);
  });

  it("counts a long stall's drops exactly at a fractional rate, to the op", () => {
    const { s } = scheduler({ ratePerSec: 13_800, backlogMs: 1000 });
    expect(s.backlogCapacity).toBe(13_800);
    takeOne(s, START);
    // Ops 1..69,000 are due 5 s in (op 69,000 exactly at START + 5000).
    expect(s.admitDue(START + 5000)).toBe(69_000 - 13_800);
    expect(s.backlogLength).toBe(13_800);
    // 138 ops every 10 ms: the last of them, op 69,138, is due exactly at START + 5010.
    expect(s.admitDue(START + 5010 - 0.001)).toBe(137);
    expect(s.admitDue(START + 5010)).toBe(1);
    expect(s.dropped).toBe(55_200 + 138);
    expect(s.scheduled).toBe(69_139);
    expectBalanced(s);
    const first = takeOne(s, START + 5010);
    expect(first.seq).toBe(1);
    expect(first.intendedMs - START).toBeCloseTo(1000 / 13_800, 3);
    expect(first.lateMs).toBeCloseTo(5010 - 1000 / 13_800, 3);
    expect(s.nextDueMs()).toBe(intendedMs(START, 13_800, 69_139));
  });

  it("counts drops in bulk exactly as visiting every op would", () => {
    for (const ratePerSec of [3, 7, 0.3, 999.9, 13_800]) {
      for (const workers of [1, 3, 4]) {
        for (let worker = 0; worker < workers; worker++) {
          // No backlog: every op that comes due while no connection is free is dropped.
          const { s } = scheduler({ ratePerSec, worker, workers, backlogMs: 0 });
          const spanMs = (2000 * 1000) / ratePerSec; // about 2,000 ops of the global schedule
          const checks = [0.1, 0.35, 0.5, 0.9, 1].flatMap((share) => {
            const exact = intendedMs(START, ratePerSec, Math.round(share * 2000) + worker);
            return [exact - 1e-3, nextDown(exact), exact];
          });
          checks.push(START + 2 * spanMs);
          for (const atMs of checks) {
            s.admitDue(atMs);
            let expected = 0;
            while (intendedMs(START, ratePerSec, workerSeq(worker, workers, expected)) <= atMs) expected++;
            expect(s.dropped, `${ratePerSec}/s, worker ${worker} of ${workers}, at ${atMs}`).toBe(expected);
            expect(s.nextDueMs()).toBe(intendedMs(START, ratePerSec, workerSeq(worker, workers, expected)));
          }
        }
      }
    }
  });

  it("counts drops across a rate change on each side of the step's start", () => {
    // Ops 0..9 of the old rate; its op 10 would be at START + 10, where the new rate's op 0 is.
    const inOneGo = scheduler({ ratePerSec: 1000, backlogMs: 0 }).s;
    inOneGo.changeRate(250, START + 10);
    expect(inOneGo.admitDue(START + 20)).toBe(10 + 3); // then START + 10, 14, 18
    expect(inOneGo.nextDueMs()).toBe(START + 22);
    const inTwo = scheduler({ ratePerSec: 1000, backlogMs: 0 }).s;
    inTwo.changeRate(250, START + 10);
    expect(inTwo.admitDue(START + 10 - 1e-3)).toBe(10);
    expect(inTwo.admitDue(START + 20)).toBe(3);
    expect(inTwo.nextDueMs()).toBe(START + 22);
    expect([inOneGo.scheduled, inTwo.scheduled]).toEqual([13, 13]);
  });

  it("rejects a clock reading that is not finite", () => {
    const { s } = scheduler({ ratePerSec: 1000 });
    expect(() => s.take(Number.NaN)).toThrow(/clock must read a finite number/);
    expect(() => s.admitDue(Number.POSITIVE_INFINITY)).toThrow(/clock must read a finite number/);
    expect([s.scheduled, s.started]).toEqual([0, 0]);
  });

  it("jumps ten million ops ahead without drift", () => {
    const { s } = scheduler({ ratePerSec: 3, backlogMs: 0 });
    expect(s.admitDue(START + 3_333_333_333)).toBe(10_000_000); // ops 0..9,999,999
    expect(s.nextDueMs() - START).toBeCloseTo(3_333_333_333.333333, 3);
    expect(takeOne(s, START + 3_333_333_334)).toMatchObject({ seq: 10_000_000 });
    expect(s.nextDueMs() - START).toBeCloseTo(3_333_333_666.666667, 3);
  });

  it("resumes on the original absolute times after a long stall at 3/s", () => {
    const { s } = scheduler({ ratePerSec: 3, backlogMs: 2000 });
    expect(s.backlogCapacity).toBe(6);
    takeOne(s, START);
    expect(s.admitDue(START + 100_000)).toBe(294); // ops 1..300 due, 1..6 kept
    const drained = takeAll(s, START + 100_000);
    expect(drained.map((op) => op.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(drained.map((op) => op.intendedMs)).toEqual([1, 2, 3, 4, 5, 6].map((n) => START + (n * 1000) / 3));
    expect(s.nextDueMs() - START).toBeCloseTo(100_333.333333, 3);
    expect(s.take(START + 100_333.3)).toBe(false);
    expect(takeOne(s, START + 100_334)).toMatchObject({ seq: 301, intendedMs: intendedMs(START, 3, 301) });
    expect(takeAll(s, START + 101_000).map((op) => op.seq)).toEqual([302, 303]);
    expect([s.lastSeq, s.lastIntendedMs, s.lastLateMs]).toEqual([303, START + 101_000, 0]);
    expect([s.started, s.dropped]).toEqual([10, 294]);
  });

  it("keeps order and intended times while the backlog's ring wraps around and grows", () => {
    const { s } = scheduler({ ratePerSec: 1000, backlogMs: 100 });
    const taken: Taken[] = [takeOne(s, START)];
    for (let ms = 1; ms <= 5; ms++) s.admitDue(START + ms);
    // Five ops waiting, one in and one out every ms: the ring's head goes round it several times.
    for (let ms = 6; ms <= 60; ms++) {
      s.admitDue(START + ms);
      taken.push(takeOne(s, START + ms));
    }
    expect(s.backlogLength).toBe(5);
    // A burst past the ring's size makes it grow while its head is wrapped.
    expect(s.admitDue(START + 150)).toBe(0);
    expect(s.backlogLength).toBe(95);
    expect(s.admitDue(START + 160)).toBe(5); // 151..155 fit, 156..160 do not
    expect(s.maxBacklog).toBe(100);
    taken.push(...takeAll(s, START + 160));
    expect(taken.map((op) => op.seq)).toEqual(Array.from({ length: 156 }, (_, n) => n));
    expect(taken.every((op) => op.intendedMs === START + op.seq)).toBe(true);
    expect(taken.at(-1)?.lateMs).toBe(5);
    expectBalanced(s);
  });

  it("empties the backlog on request and counts those ops apart", () => {
    const { s } = scheduler({ ratePerSec: 1000 });
    takeOne(s, START);
    s.admitDue(START + 4);
    expect(s.discardBacklog()).toBe(4);
    expect([s.backlogLength, s.discarded, s.dropped, s.started, s.scheduled]).toEqual([0, 4, 0, 1, 5]);
    expectBalanced(s);
    expect(takeOne(s, START + 5).seq).toBe(5);
  });
});

describe("workers sharing one schedule", () => {
  for (const { ratePerSec, workers } of [
    { ratePerSec: 13_800, workers: 3 },
    { ratePerSec: 3, workers: 4 },
    { ratePerSec: 1000, workers: 7 },
  ]) {
    it(`together run exactly the global schedule (${ratePerSec}/s over ${workers})`, () => {
      const untilMs = START + 10_000;
      const all: Taken[] = [];
      for (let worker = 0; worker < workers; worker++) {
        const { s } = scheduler({ ratePerSec, worker, workers });
        const own = takeAll(s, untilMs);
        expect(own.every((op) => op.seq % workers === worker)).toBe(true);
        all.push(...own);
      }
      all.sort((a, b) => a.seq - b.seq);
      const globalCount = Math.floor(ratePerSec * 10) + 1; // ops 0 .. rate * 10 s, both ends included
      expect(all.map((op) => op.seq)).toEqual(Array.from({ length: globalCount }, (_, n) => n));
      expect(all.every((op) => op.intendedMs === intendedMs(START, ratePerSec, op.seq))).toBe(true);
    });
  }

  it("each hold a backlog of their own share", () => {
    expect(scheduler({ ratePerSec: 1000, workers: 2, worker: 1, backlogMs: 10 }).s.backlogCapacity).toBe(5);
    expect(scheduler({ ratePerSec: 1000 }).s.backlogCapacity).toBe((1000 * DEFAULT_BACKLOG_MS) / 1000);
  });
});

describe("rate changes", () => {
  it("start a new schedule at the new start", () => {
    const { s } = scheduler({ ratePerSec: 1000, backlogMs: 20 });
    const taken: Taken[] = [];
    for (let ms = 0; ms <= 5; ms++) taken.push(...takeAll(s, START + ms));
    s.changeRate(250, START + 10); // announced ahead of the step
    expect(s.backlogCapacity).toBe(20);
    for (let ms = 6; ms <= 30; ms++) taken.push(...takeAll(s, START + ms));
    expect(taken.map((op) => op.intendedMs - START)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 18, 22, 26, 30,
    ]);
    expect(taken.map((op) => op.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5]);
    expect(taken.every((op) => op.lateMs === 0)).toBe(true);
    expect(s.backlogCapacity).toBe(5);
    expect(s.nextDueMs()).toBe(START + 34);
  });

  it("keep workers splitting the new schedule between them", () => {
    const intended = (worker: number) => {
      const { s } = scheduler({ ratePerSec: 1000, worker, workers: 2 });
      s.changeRate(250, START + 10);
      return takeAll(s, START + 30).map((op) => op.intendedMs - START);
    };
    expect(intended(0)).toEqual([0, 2, 4, 6, 8, 10, 18, 26]);
    expect(intended(1)).toEqual([1, 3, 5, 7, 9, 14, 22, 30]);
  });

  it("can be announced several steps ahead, and a step can be replaced before it begins", () => {
    const { s } = scheduler({ ratePerSec: 1000 });
    s.changeRate(500, START + 3);
    s.changeRate(100, START + 7);
    s.changeRate(200, START + 7); // replaces the 100/s step, which never runs
    expect(takeAll(s, START + 20).map((op) => op.intendedMs - START)).toEqual([0, 1, 2, 3, 5, 7, 12, 17]);
  });

  it("leave waiting ops their intended times and refuse new ones until the smaller backlog fits", () => {
    const { s } = scheduler({ ratePerSec: 1000, backlogMs: 10 });
    takeOne(s, START);
    s.admitDue(START + 8);
    expect(s.backlogLength).toBe(8);
    s.changeRate(100, START + 8.5); // new capacity: 1 op
    expect(s.admitDue(START + 8.5)).toBe(1);
    expect(s.backlogCapacity).toBe(1);
    const drained = takeAll(s, START + 9);
    expect(drained.map((op) => op.intendedMs - START)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.admitDue(START + 18.5)).toBe(0);
    expect(s.admitDue(START + 28.5)).toBe(1);
    expect(takeOne(s, START + 30)).toEqual({ seq: 1, intendedMs: START + 18.5, lateMs: 11.5 });
    expect(s.dropped).toBe(2);
    expectBalanced(s);
  });

  it("are refused once an op of the old rate past the new start was handed out", () => {
    const { s } = scheduler({ ratePerSec: 1000 });
    takeAll(s, START + 10);
    expect(() => s.changeRate(250, START + 10)).toThrow(/too late/);
    expect(() => s.changeRate(250, START + 9)).toThrow(/too late/);
    s.changeRate(250, START + 10.5);
    expect(() => s.changeRate(250, START + 10.25)).toThrow(/comes before the step it follows/);
    expect(takeAll(s, START + 15).map((op) => op.intendedMs - START)).toEqual([10.5, 14.5]);
  });
});

describe("validation", () => {
  const bad = [0, -1, -0.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

  it("rejects a rate that is not a positive finite number", () => {
    for (const ratePerSec of bad) {
      const message = /rate must be a positive, finite number of operations per second/;
      expect(() => assertRate(ratePerSec)).toThrow(message);
      expect(() => scheduler({ ratePerSec })).toThrow(RangeError);
      expect(() => scheduler({ ratePerSec })).toThrow(message);
      const { s } = scheduler({ ratePerSec: 10 });
      expect(() => s.changeRate(ratePerSec, START + 1000)).toThrow(message);
      // A refused change leaves the schedule as it was.
      expect(takeAll(s, START + 1000).length).toBe(11);
    }
    expect(() => assertRate(0.001)).not.toThrow();
  });

  it("rejects a bad start, worker split or backlog", () => {
    expect(() => scheduler({ ratePerSec: 10, startMs: Number.NaN })).toThrow(/startMs/);
    expect(() => scheduler({ ratePerSec: 10, workers: 0 })).toThrow(/workers must be a positive integer/);
    expect(() => scheduler({ ratePerSec: 10, workers: 1.5 })).toThrow(/workers/);
    expect(() => scheduler({ ratePerSec: 10, workers: 2, worker: 2 })).toThrow(/worker must be an integer/);
    expect(() => scheduler({ ratePerSec: 10, worker: -1 })).toThrow(/worker must be/);
    expect(() => scheduler({ ratePerSec: 10, backlogMs: -1 })).toThrow(/backlogMs/);
    expect(() => scheduler({ ratePerSec: 10, backlogMs: Number.POSITIVE_INFINITY })).toThrow(/backlogMs/);
  });
});
