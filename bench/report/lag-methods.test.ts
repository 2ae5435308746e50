import { describe, expect, it } from "vitest";
import {
  lagMethodScenario,
  lagStep,
  lagStepWithMethods,
  POLLED_REPLICA,
  WAITED_REPLICA,
} from "../testing/results.js";
import { lagMethodNotes, lagMethodOf, methodNeedsReason } from "./lag-methods.js";

describe("which replica's method needs its reason", () => {
  it("under auto, a poll (auto settled for it); otherwise a method other than the one asked for", () => {
    expect(methodNeedsReason("poll", "auto")).toBe(true);
    expect(methodNeedsReason("gtid-wait", "auto")).toBe(false);
    // A result from before the flag was run as auto.
    expect(methodNeedsReason("poll", undefined)).toBe(true);
    expect(methodNeedsReason("poll", "poll")).toBe(false);
    expect(methodNeedsReason("gtid-wait", "gtid-wait")).toBe(false);
    expect(methodNeedsReason("poll", "gtid-wait")).toBe(true);
    expect(methodNeedsReason("gtid-wait", "poll")).toBe(true);
  });

  it("reads a replica without a method (a result from before the GTID wait) as polled", () => {
    expect(lagMethodOf({})).toBe("poll");
    expect(lagMethodOf({ method: "gtid-wait" })).toBe("gtid-wait");
  });

  it("gives each replica's reason once over the steps, and none without a recorded reason", () => {
    const scenario = lagMethodScenario("auto");
    const again = lagStepWithMethods(lagStep(13_800, 3.2), [WAITED_REPLICA, POLLED_REPLICA]);
    scenario.steps = [...(scenario.steps ?? []), again];
    expect(lagMethodNotes(scenario)).toEqual([
      { replica: "replica-2", method: "poll", reason: POLLED_REPLICA.methodReason },
    ]);
    const unexplained = lagMethodScenario("auto", [{ ...POLLED_REPLICA, methodReason: "" }]);
    expect(lagMethodNotes(unexplained)).toEqual([]);
  });
});
