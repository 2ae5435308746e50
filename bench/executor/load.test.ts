import { describe, expect, it } from "vitest";
import { noConnectionBoundMs, UNREACHABLE_AFTER_MS } from "./load.js";

describe("how long a phase may go without a connection", () => {
  it("30 s by default; an expected outage (a crash's restart) lengthens it; --unreachable-after wins", () => {
    expect(noConnectionBoundMs({})).toBe(UNREACHABLE_AFTER_MS);
    expect(noConnectionBoundMs({ expectedOutageMs: 300_000 })).toBe(300_000);
    expect(noConnectionBoundMs({ expectedOutageMs: 5_000 })).toBe(UNREACHABLE_AFTER_MS);
    expect(noConnectionBoundMs({ unreachableAfterMs: 2_000, expectedOutageMs: 300_000 })).toBe(2_000);
  });
});
