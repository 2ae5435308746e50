import { describe, expect, it } from "vitest";
import { LagMatcher, type LagSample } from "./lag-match.js";

function matcher(options: { firstSeq?: number; capacity?: number; replicas?: number } = {}) {
  const samples: LagSample[] = [];
  const m = new LagMatcher({
    firstSeq: options.firstSeq ?? 1,
    capacity: options.capacity ?? 100,
    replicas: options.replicas ?? 2,
    onSample: (s) => samples.push(s),
  });
  /** Writes one heartbeat acknowledged at `ackMs`; returns its number. */
  const beat = (ackMs: number) => {
    const seq = m.next();
    m.acked(seq, ackMs);
    return seq;
  };
  return { m, samples, beat };
}

describe("LagMatcher", () => {
  it("gives every heartbeat up to the one shown lag = first sighting - its own ack", () => {
    const { m, samples, beat } = matcher();
    beat(100);
    beat(110);
    beat(120);
    m.seen(0, 3, 150);
    expect(samples).toEqual([
      { replica: 0, seq: 1, ackMs: 100, lagMs: 50 },
      { replica: 0, seq: 2, ackMs: 110, lagMs: 40 },
      { replica: 0, seq: 3, ackMs: 120, lagMs: 30 },
    ]);
    // Seen again later: already matched, no new sample (the first sighting counts).
    m.seen(0, 3, 400);
    m.seen(0, 2, 500);
    expect(samples).toHaveLength(3);
    expect(m.caughtUp(0)).toBe(true);
    expect(m.caughtUp(1)).toBe(false);
    expect(m.unseen(1)).toBe(3);
  });

  it("keeps replicas apart", () => {
    const { m, samples, beat } = matcher();
    beat(0);
    beat(10);
    m.seen(1, 1, 5);
    m.seen(0, 2, 30);
    m.seen(1, 2, 12);
    expect(samples.map((s) => [s.replica, s.seq, s.lagMs])).toEqual([
      [1, 1, 5],
      [0, 1, 30],
      [0, 2, 20],
      [1, 2, 2],
    ]);
  });

  it("ignores numbers from an earlier probe and counts numbers it never wrote", () => {
    const { m, samples, beat } = matcher({ firstSeq: 501 });
    m.seen(0, 500, 1);
    beat(10);
    m.seen(0, 500, 11);
    m.seen(0, 999, 12);
    expect(samples).toEqual([]);
    expect(m.foreign(0)).toBe(1);
    m.seen(0, 501, 15);
    expect(samples).toEqual([{ replica: 0, seq: 501, ackMs: 10, lagMs: 5 }]);
    expect(m.acknowledged).toBe(1);
  });

  it("matches a heartbeat seen before its ack was processed when the ack arrives (negative lag)", () => {
    const { m, samples, beat } = matcher();
    beat(0);
    const seq = m.next();
    m.seen(0, seq, 8);
    expect(samples).toEqual([{ replica: 0, seq: 1, ackMs: 0, lagMs: 8 }]);
    m.acked(seq, 9);
    expect(samples[1]).toEqual({ replica: 0, seq: 2, ackMs: 9, lagMs: -1 });
    expect(m.unseen(0)).toBe(0);
  });

  it("writes one heartbeat at a time and takes acks in order", () => {
    const { m } = matcher();
    const seq = m.next();
    expect(() => m.next()).toThrow(/in flight/);
    expect(() => m.acked(seq + 1, 1)).toThrow(/in flight is 1/);
    m.acked(seq, 1);
    expect(() => m.acked(seq, 2)).toThrow();
  });

  it("drops acks older than the ring; those seen later count as over the window, not as samples", () => {
    const { m, samples, beat } = matcher({ capacity: 4 });
    for (let i = 0; i < 10; i++) beat(i * 10);
    // Seqs 1..6 left the ring (it holds 7..10).
    m.seen(0, 8, 200);
    expect(m.overWindow(0)).toBe(6);
    expect(samples.map((s) => [s.seq, s.lagMs])).toEqual([
      [7, 140],
      [8, 130],
    ]);
    expect(m.unseen(0)).toBe(2);
    // Every acknowledged heartbeat is a sample, over the window or unseen.
    expect(samples.length + m.overWindow(0) + m.unseen(0)).toBe(m.acknowledged);
    expect(m.unseen(1)).toBe(10);
  });

  it("accounts for every acknowledged heartbeat exactly once, whatever the order of sightings", () => {
    const { m, samples, beat } = matcher({ capacity: 7, replicas: 3 });
    let t = 0;
    // Deterministic pseudo-random sightings.
    let x = 12345;
    const rand = (n: number) => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x % n;
    };
    for (let step = 0; step < 500; step++) {
      t += 1;
      if (rand(3) === 0) beat(t);
      const replica = rand(3);
      m.seen(replica, m.lastAcked - rand(12), t + 0.5);
    }
    for (let r = 0; r < 3; r++) {
      const mine = samples.filter((s) => s.replica === r);
      expect(new Set(mine.map((s) => s.seq)).size).toBe(mine.length);
      expect(mine.length + m.overWindow(r) + m.unseen(r)).toBe(m.acknowledged);
      for (const s of mine) expect(s.lagMs).toBeGreaterThan(0);
    }
  });
});
