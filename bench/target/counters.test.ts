import { describe, expect, it } from "vitest";
import { counterDeltaOrNote } from "./facts.js";

describe("counterDeltaOrNote", () => {
  it("the increase over a window the server stayed up in", () => {
    const notes: string[] = [];
    const delta = counterDeltaOrNote(
      { Com_commit: 100, Uptime: 50, readAtMs: 1_000_000 },
      { Com_commit: 350, Uptime: 60, readAtMs: 1_010_400 },
      notes,
    );
    expect(delta).toEqual({ Com_commit: 250 });
    expect(notes).toEqual([]);
  });

  it("no check, and why, when the server restarted in the window: Uptime short of the clock", () => {
    const notes: string[] = [];
    const delta = counterDeltaOrNote(
      { Com_commit: 100, Uptime: 3, readAtMs: 1_000_000 },
      { Com_commit: 40, Uptime: 6, readAtMs: 1_008_000 },
      notes,
    );
    expect(delta).toBeNull();
    expect(notes).toEqual([
      "the server restarted during the measured phase (up 6 s at its end, 11 s without a restart), so its counters started again: no counter check",
    ]);
  });
});
