import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "../result/schema.js";
import { serverWorkOf } from "../result/server-work.js";
import {
  lagMethodScenario,
  lagScenario,
  POLLED_REPLICA,
  resultOf,
  verdict,
  WAITED_REPLICA,
  writeScenario,
} from "../testing/results.js";
import { claimsTable, scenarioDetail, serverWorkLine } from "./summary.js";

/** lagScenario with its lag-mysql claim (MySQL 5.6: 2,000 ms at 2,000/s) measured at `valueMs`. */
function mysqlAt(valueMs: number, change: (scenario: ScenarioResult) => void = () => {}): ScenarioResult {
  const scenario = lagScenario();
  const mysql = scenario.claims?.find((c) => c.id === "lag-mysql");
  if (!mysql?.measured) throw new Error("lagScenario has no measured lag-mysql claim");
  mysql.measured.valueMs = valueMs;
  mysql.verdict = verdict("baseline", valueMs / 2000, `this target: ${valueMs} ms`);
  change(scenario);
  return scenario;
}

/** The terminal table's row of a claim: its cells, trimmed. */
function row(table: string, id: string): string[] {
  const line = table.split("\n").find((l) => l.includes(` ${id} `));
  return (line ?? "")
    .split("│")
    .slice(1, -1)
    .map((cell) => cell.trim());
}

describe("the terminal's claims table", () => {
  it("sets the target beside a baseline claim (AWS's MySQL 5.6) instead of calling it met", () => {
    const table = claimsTable(resultOf([writeScenario(), lagScenario()]));
    expect(row(table, "lag-mysql")).toEqual([
      "replica-lag lag-mysql",
      "MySQL 5.6: p50 2000 ms at 2,000/s (AWS)",
      "this target: 1.45 ms at 2,000/s",
      "0.0725%",
      "BASELINE: this target 1,400x lower",
    ]);
    expect(row(table, "lag-aurora")).toEqual([
      "replica-lag lag-aurora",
      "p50 7.20 ms at 13,800/s",
      "3320 ms at 4,758/s",
      "46,111%",
      "NOT MET",
    ]);
    expect(table).not.toMatch(/lag-mysql[^\n]*│ MET/);
  });

  it("says how many times higher a slower target lags than the baseline", () => {
    const table = claimsTable(resultOf([mysqlAt(3000)]));
    expect(row(table, "lag-mysql").slice(2)).toEqual([
      "this target: 3000 ms at 2,000/s",
      "150%",
      "BASELINE: this target 1.5x higher",
    ]);
  });

  it("gives no factor when the step was not sustained, and the label of any other outcome", () => {
    const behind = mysqlAt(1, (s) => {
      const step = s.steps?.[0];
      if (step) step.sustained = false;
    });
    expect(row(claimsTable(resultOf([behind])), "lag-mysql")[4]).toBe("BASELINE: 2,000/s not sustained");
    const scaled = mysqlAt(1, (s) => {
      const claim = s.claims?.[0];
      if (claim) claim.verdict.scaled = ["replicas 2 (claim: 1; --replicas 1 to match)"];
    });
    expect(row(claimsTable(resultOf([scaled])), "lag-mysql")[4]).toBe(
      "BASELINE: this target 2,000x lower (scaled)",
    );
    const unmeasured = mysqlAt(1, (s) => {
      const claim = s.claims?.[0];
      if (!claim) return;
      claim.measured = null;
      claim.verdict = verdict("not-measured", null, "No step ran at 2,000 updates/s.");
    });
    expect(row(claimsTable(resultOf([unmeasured])), "lag-mysql").slice(2)).toEqual([
      "-",
      "-",
      "NOT MEASURED (no step at its rate)",
    ]);
  });

  it("labels a baseline claim's line under the scenario BASELINE", () => {
    expect(scenarioDetail(lagScenario())).toContain(
      "lag-mysql: BASELINE. MySQL 5.6 (as AWS measured it): 2000 ms at 2,000 updates/s with 1 replica; this target: p50 1.45 ms on replica-1 at 2,000 updates/s, 1,400x lower.",
    );
  });
});

describe("the lag method of each replica on the terminal", () => {
  /** The lag table's row of a replica: its cells, trimmed. */
  const lagRow = (detail: string, replica: string) => row(detail, replica).slice(0, 9);

  it("gives each replica's method and resolution, and why auto polled one", () => {
    const detail = scenarioDetail(lagMethodScenario("auto"));
    expect(lagRow(detail, "replica-1")).toEqual([
      "2,000/s",
      "replica-1",
      "1.45 ms",
      "2.90 ms",
      "10.2 ms",
      "29.0 ms",
      "2,989",
      "gtid-wait",
      "0.05 ms",
    ]);
    expect(lagRow(detail, "replica-2").slice(7)).toEqual(["poll", "1.35 ms"]);
    expect(detail).toContain(
      "lag timed by --lag-method auto:\n  replica-2 (poll): its channel follows by file and position (Using_Gtid No); reads the heartbeat row instead",
    );
    expect(detail).not.toContain("MASTER_GTID_WAIT");
  });

  it("names the method asked for, with no reason where every replica used it", () => {
    const polled = { ...POLLED_REPLICA, name: "replica-1", methodReason: "poll asked for" };
    const detail = scenarioDetail(lagMethodScenario("poll", [polled]));
    expect(detail).toMatch(/lag timed by --lag-method poll$/m);
    expect(detail).not.toContain("poll asked for");
    expect(scenarioDetail(lagMethodScenario("gtid-wait", [WAITED_REPLICA]))).toMatch(
      /lag timed by --lag-method gtid-wait$/m,
    );
  });

  it("shows a result from before the methods as polled, with no line of the method asked for", () => {
    const detail = scenarioDetail(lagScenario());
    expect(lagRow(detail, "replica-1").slice(7)).toEqual(["poll", "1.35 ms"]);
    expect(detail).not.toContain("--lag-method");
  });
});

describe("the server's work on the terminal", () => {
  /** 1,000 transactions: 350 I/Os (300 redo writes, 50 data reads), 1,146,000 redo bytes, no data writes. */
  const serverWork = serverWorkOf(
    {
      Innodb_data_reads: 50,
      Innodb_data_writes: 0,
      Innodb_log_writes: 300,
      Innodb_os_log_written: 1_146_000,
    },
    1_000,
  );

  it("gives the I/Os per transaction beside the paper's Table 1, with redo bytes and data writes", () => {
    const line =
      "server work: 0.350 I/Os per transaction (paper, Table 1: Aurora 0.95, mirrored MySQL 7.4), 1,146 redo bytes, 0 data writes per transaction";
    expect(serverWorkLine(writeScenario({ serverWork }))).toBe(line);
    expect(scenarioDetail(writeScenario({ serverWork })).split("\n")).toContain(line);
  });

  it("says a rate-steps scenario's figures are its last step's", () => {
    const detail = scenarioDetail({ ...lagScenario(), serverWork });
    expect(detail).toMatch(/^server work \(last step, 13,800\/s\): 0\.350 I\/Os per transaction/m);
  });

  it("leaves out what the server did not give, and says nothing without the server's work", () => {
    const noInnodb = serverWorkOf({}, 1_000);
    expect(serverWorkLine(writeScenario({ serverWork: noInnodb }))).toBe(
      "server work: I/Os per transaction not figured (paper, Table 1: Aurora 0.95, mirrored MySQL 7.4)",
    );
    expect(serverWorkLine(writeScenario())).toBeUndefined();
    expect(scenarioDetail(writeScenario())).not.toContain("server work");
  });
});
