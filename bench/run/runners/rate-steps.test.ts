import { describe, expect, it } from "vitest";
import { GtidWaitRefused } from "../../probe/lag.js";
import { loadCatalog } from "../../scenario/load.js";
import { type ResolvedScenario, resolveScenario } from "../../scenario/resolve.js";
import { ExitCode, TargetError, UsageError } from "../../util/errors.js";
import { checkKindFlags } from "../kinds.js";
import type { RunOptions } from "../options.js";
import { probeMethod, withLagMethodHint } from "./rate-steps.js";

function builtIn(id: string): ResolvedScenario {
  const found = loadCatalog().scenarios.get(id);
  if (!found) throw new Error(`no scenario ${id}`);
  return resolveScenario(found.file, found.scenario);
}

const settings = (extra: Partial<RunOptions> = {}): RunOptions => ({
  overrides: {},
  seed: 1,
  hotPath: "lean",
  replicas: [],
  baselineReplicas: [],
  printResult: false,
  engine: "mariadb",
  ...extra,
});

describe("--lag-method in the rate-steps runner", () => {
  it("asks the probe for the wait, the poll, or its own choice when the flag is auto or absent", () => {
    expect(probeMethod("gtid-wait")).toBe("wait");
    expect(probeMethod("poll")).toBe("poll");
    expect(probeMethod("auto")).toBe("auto");
    expect(probeMethod(undefined)).toBe("auto");
  });

  it("refuses the run on a replica that cannot wait, saying what would time it instead (exit 3)", () => {
    const refused = new GtidWaitRefused(
      "lag probe: replica-1 (mysql://bench:***@10.0.0.2:3306/sbtest, replica 1) cannot time heartbeats by GTID wait, which was asked for: its channel follows by file and position (Using_Gtid No)",
    );
    const error = withLagMethodHint(refused) as TargetError;
    expect(error).toBeInstanceOf(TargetError);
    expect(error.exitCode).toBe(ExitCode.target);
    expect(error.message).toBe(
      `${refused.message}; --lag-method auto or poll times such a replica by reading the heartbeat row`,
    );
    expect(error.message).not.toContain("\n");
    const other = new TargetError("connect ECONNREFUSED");
    expect(withLagMethodHint(other)).toBe(other);
  });

  it("is refused when no scenario of the run measures replica lag", () => {
    expect(() =>
      checkKindFlags([builtIn("aurora-write")], settings({ lagMethod: "poll" }), "aurora-write"),
    ).toThrow(new UsageError("--lag-method: none of aurora-write measures replica lag (replica-lag does)"));
    expect(() =>
      checkKindFlags(
        [builtIn("replica-lag")],
        settings({ lagMethod: "gtid-wait", replicas: [] }),
        "replica-lag",
      ),
    ).not.toThrow();
  });
});
