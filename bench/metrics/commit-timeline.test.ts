import { describe, expect, it } from "vitest";
import { CommitTimeline, mergeCommitTimelines } from "./commit-timeline.js";

describe("commit timeline", () => {
  it("keeps every pause of the threshold or more, the open one at the end, and commits per tick", () => {
    const timeline = new CommitTimeline(50, 100);
    timeline.startPhase(1000);
    for (const t of [1010, 1020, 1100, 1110, 1300, 1310]) timeline.committed(t);
    const report = timeline.report(1500);
    expect(report.gaps).toEqual([
      { fromEpochMs: 1020, toEpochMs: 1100 },
      { fromEpochMs: 1110, toEpochMs: 1300 },
      { fromEpochMs: 1310, toEpochMs: null },
    ]);
    expect(report.ticks).toEqual([2, 2, 0, 2]);
  });

  it("a phase that starts with no commit counts the pause from the phase start", () => {
    const timeline = new CommitTimeline(50, 100);
    timeline.startPhase(0);
    timeline.committed(400);
    expect(timeline.report(410).gaps).toEqual([{ fromEpochMs: 0, toEpochMs: 400 }]);
  });

  it("the client was idle only where every worker was: gaps intersect, ticks add", () => {
    const a = {
      gapMs: 50,
      tickMs: 100,
      gaps: [
        { fromEpochMs: 100, toEpochMs: 500 },
        { fromEpochMs: 800, toEpochMs: 900 },
      ],
      ticks: [1, 2],
      truncated: false,
    };
    const b = {
      gapMs: 50,
      tickMs: 100,
      gaps: [
        { fromEpochMs: 200, toEpochMs: 300 },
        { fromEpochMs: 350, toEpochMs: 600 },
        { fromEpochMs: 850, toEpochMs: null },
      ],
      ticks: [3, 0, 5],
      truncated: false,
    };
    const merged = mergeCommitTimelines([a, b], 100);
    expect(merged?.gaps).toEqual([
      { fromEpochMs: 200, toEpochMs: 300 },
      { fromEpochMs: 350, toEpochMs: 500 },
    ]);
    expect(merged?.ticks).toEqual([4, 2, 5]);
    // An open gap stays open only where every worker's is.
    const c = { ...b, gaps: [{ fromEpochMs: 700, toEpochMs: null }] };
    const d = { ...b, gaps: [{ fromEpochMs: 650, toEpochMs: null }] };
    expect(mergeCommitTimelines([c, d])?.gaps).toEqual([{ fromEpochMs: 700, toEpochMs: null }]);
    expect(mergeCommitTimelines([])).toBeNull();
  });
});
