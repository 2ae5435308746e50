import { afterEach, describe, expect, it, vi } from "vitest";
import { addCleanup } from "../../bench/util/cleanup.js";
import { interruptOnSignals } from "./interrupt.js";

/** The SIGINT listener the call added (called directly: emitting the signal would reach the test runner's own). */
function addedListener(before: readonly unknown[]): (name: NodeJS.Signals) => void {
  const added = process.listeners("SIGINT").filter((listener) => !before.includes(listener));
  expect(added).toHaveLength(1);
  return added[0] as (name: NodeJS.Signals) => void;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("interruptOnSignals", () => {
  it("aborts at the first signal and says what stops", () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const before = process.listeners("SIGINT");
    const interrupt = interruptOnSignals("stopping the run");
    try {
      expect(interrupt.signal.aborted).toBe(false);
      addedListener(before)("SIGINT");
      expect(interrupt.signal.aborted).toBe(true);
      expect(stderr.mock.calls.join("")).toBe("\nSIGINT: stopping the run (again to quit at once)\n");
      expect(exit).not.toHaveBeenCalled();
    } finally {
      interrupt.dispose();
    }
  });

  it("runs the clean-ups, then beforeExit, and exits 130 at the second", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const steps: string[] = [];
    let exited: () => void = () => {};
    const exitedPromise = new Promise<void>((resolve) => {
      exited = resolve;
    });
    vi.spyOn(process, "exit").mockImplementation(((code: number) => {
      steps.push(`exit ${code}`);
      exited();
    }) as never);
    const before = process.listeners("SIGINT");
    const interrupt = interruptOnSignals("stopping", () => steps.push("beforeExit"));
    const removeCleanup = addCleanup(async () => {
      steps.push("cleanup");
    });
    try {
      const onSignal = addedListener(before);
      onSignal("SIGINT");
      onSignal("SIGTERM");
      await exitedPromise;
      expect(steps).toEqual(["cleanup", "beforeExit", "exit 130"]);
    } finally {
      removeCleanup();
      interrupt.dispose();
    }
  });

  it("takes its handlers away when disposed", () => {
    const sigint = process.listenerCount("SIGINT");
    const sigterm = process.listenerCount("SIGTERM");
    const interrupt = interruptOnSignals("stopping");
    expect(process.listenerCount("SIGINT")).toBe(sigint + 1);
    expect(process.listenerCount("SIGTERM")).toBe(sigterm + 1);
    interrupt.dispose();
    expect(process.listenerCount("SIGINT")).toBe(sigint);
    expect(process.listenerCount("SIGTERM")).toBe(sigterm);
  });
});
