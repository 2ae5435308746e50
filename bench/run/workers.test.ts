import { describe, expect, it } from "vitest";
import { defaultOpenLoopWorkers, defaultWorkers, sharesMachine } from "./workers.js";

describe("defaultWorkers and sharesMachine", () => {
  it("uses one worker per core, leaving one core to a server on the same machine", () => {
    expect(defaultWorkers(2)).toBe(2);
    expect(defaultWorkers(16)).toBe(16);
    expect(defaultWorkers(0)).toBe(1);
    expect(defaultWorkers(2, true)).toBe(1);
    expect(defaultWorkers(16, true)).toBe(15);
    expect(defaultWorkers(1, true)).toBe(1);
  });

  it("treats the sandbox and loopback targets as the same machine", () => {
    expect(sharesMachine(undefined)).toBe(true);
    for (const host of ["127.0.0.1", "127.0.1.1", "localhost", "::1"])
      expect(sharesMachine({ host }), host).toBe(true);
    for (const host of ["db.example.com", "10.0.0.5", "192.168.1.2"])
      expect(sharesMachine({ host }), host).toBe(false);
  });
});

describe("defaultOpenLoopWorkers", () => {
  it("gives one worker per 10,000 updates/s, at least one, at most one per core", () => {
    expect(defaultOpenLoopWorkers(500, 8)).toBe(1);
    expect(defaultOpenLoopWorkers(10_000, 8)).toBe(1);
    expect(defaultOpenLoopWorkers(13_800, 8)).toBe(2);
    expect(defaultOpenLoopWorkers(1_000_000, 8)).toBe(8);
    expect(defaultOpenLoopWorkers(13_800, 1)).toBe(1);
    expect(defaultOpenLoopWorkers(30_000, 2, true)).toBe(1);
  });
});
