import { describe, expect, it } from "vitest";
import { CommitTimeline } from "../metrics/commit-timeline.js";
import { newLatencyHistogram } from "../metrics/histogram.js";
import { analyseCrash, type SecondFigures } from "./crash-analysis.js";

const START = 1_000_000;

/**
 * A known outage: 100 commits/s (2 ms each) until the crash at 10 s, the last at 9.99 s; nothing
 * until 12.5 s; 30/s (50 ms each) until 14.5 s; 100/s again until the end at 20 s.
 */
function knownRun() {
  const commitsAt: { t: number; latencyUs: number }[] = [];
  for (let t = 0; t < 10_000; t += 10) commitsAt.push({ t, latencyUs: 2000 });
  for (let t = 12_500; t < 14_500; t += 1000 / 30) commitsAt.push({ t, latencyUs: 50_000 });
  for (let t = 14_500; t < 20_000; t += 10) commitsAt.push({ t, latencyUs: 2000 });
  const timeline = new CommitTimeline(20, 100);
  timeline.startPhase(START);
  const seconds: SecondFigures[] = Array.from({ length: 20 }, () => ({
    writes: 0,
    txns: 0,
    txnHistogram: newLatencyHistogram(),
    errorsByCode: {},
    lost: 0,
    reconnected: 0,
  }));
  for (const { t, latencyUs } of commitsAt) {
    timeline.committed(START + t);
    const second = seconds[Math.floor(t / 1000)] as SecondFigures;
    second.txns++;
    second.writes += 4;
    second.txnHistogram?.recordValue(latencyUs);
  }
  (seconds[10] as SecondFigures).errorsByCode = { "2013": 16 };
  (seconds[10] as SecondFigures).lost = 16;
  (seconds[11] as SecondFigures).errorsByCode = { ECONNREFUSED: 40 };
  (seconds[12] as SecondFigures).errorsByCode = { ECONNREFUSED: 10 };
  (seconds[12] as SecondFigures).reconnected = 16;
  (seconds[18] as SecondFigures).errorsByCode = { "1213": 3 };
  return { seconds, commits: timeline.report(START + 20_000), commitsAt };
}

describe("crash analysis", () => {
  it("times the outage, the recovery and the windows from what committed", () => {
    const { seconds, commits } = knownRun();
    const analysis = analyseCrash({
      crashAtEpochMs: START + 10_000,
      phaseStartEpochMs: START,
      phaseEndEpochMs: START + 20_000,
      scheduledMs: 20_000,
      windowMs: 5000,
      seconds,
      commits,
    });
    expect(analysis.atMs).toBe(10_000);
    expect(analysis.outage).toEqual({ fromMs: 9990, toMs: 12_500 });
    expect(analysis.downtimeMs).toBe(2510);
    // 1-s windows sliding by 100 ms: at 14.3 s 6 + 80 commits (< 90), at 14.4 s 3 + 90.
    expect(analysis.recoveryMs).toBe(4400);
    expect(analysis.before).toEqual({
      fromMs: 5000,
      toMs: 10_000,
      writesPerSec: 400,
      txnPerSec: 100,
      p99Ms: expect.closeTo(2, 1),
    });
    // After: seconds 13-17, 45 slow commits then 350 fast ones.
    expect(analysis.after?.fromMs).toBe(13_000);
    expect(analysis.after?.toMs).toBe(18_000);
    expect(analysis.after?.txnPerSec).toBeCloseTo(395 / 5, 0);
    expect(analysis.after?.writesPerSec).toBeCloseTo((395 * 4) / 5, 0);
    expect(analysis.after?.p99Ms).toBeCloseTo(50, 0);
    // From the crash's second to the recovery's: the deadlocks at 18 s are not the crash's.
    expect(analysis.errors).toEqual({ "2013": 16, ECONNREFUSED: 50 });
    expect(analysis.connectionsLost).toBe(16);
    expect(analysis.reconnected).toBe(16);
    expect(analysis.notes).toEqual([]);
  });

  it("a target that never came back: no downtime figure, no recovery, and the reasons", () => {
    const { seconds } = knownRun();
    const timeline = new CommitTimeline(20, 100);
    timeline.startPhase(START);
    for (let t = 0; t < 10_000; t += 10) timeline.committed(START + t);
    const analysis = analyseCrash({
      crashAtEpochMs: START + 10_000,
      phaseStartEpochMs: START,
      phaseEndEpochMs: START + 20_000,
      scheduledMs: 20_000,
      windowMs: 5000,
      seconds,
      commits: timeline.report(START + 20_000),
    });
    expect(analysis.downtimeMs).toBeNull();
    expect(analysis.outage).toEqual({ fromMs: 9990, toMs: null });
    expect(analysis.recoveryMs).toBeNull();
    expect(analysis.after).toBeNull();
    expect(analysis.notes.join(" ")).toMatch(/no transaction committed after the crash/);
  });

  it("a crash that stopped nothing: downtime 0, recovered at once, and it says so", () => {
    const timeline = new CommitTimeline(20, 100);
    timeline.startPhase(START);
    const seconds: SecondFigures[] = [];
    for (let s = 0; s < 10; s++)
      seconds.push({ writes: 400, txns: 100, txnHistogram: null, errorsByCode: {}, lost: 0, reconnected: 0 });
    for (let t = 0; t < 10_000; t += 10) timeline.committed(START + t);
    const analysis = analyseCrash({
      crashAtEpochMs: START + 4000,
      phaseStartEpochMs: START,
      phaseEndEpochMs: START + 10_000,
      scheduledMs: 10_000,
      windowMs: 2000,
      seconds,
      commits: timeline.report(START + 10_000),
    });
    expect(analysis.downtimeMs).toBe(0);
    expect(analysis.outage).toBeNull();
    expect(analysis.recoveryMs).toBe(0);
    expect(analysis.notes.join(" ")).toMatch(/no outage seen/);
  });
});
