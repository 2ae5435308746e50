import { describe, expect, it } from "vitest";
import {
  crashScenario,
  lagMethodScenario,
  lagScenario,
  POLLED_REPLICA,
  resultOf,
  WAITED_REPLICA,
  writeScenario,
} from "../testing/results.js";
import { claimsSection, renderMarkdown } from "./markdown.js";

describe("renderMarkdown", () => {
  const result = resultOf([writeScenario(), lagScenario()]);

  it("puts every claim beside its measured figure and verdict, all taken from the result", () => {
    const claims = claimsSection(result);
    expect(claims).toContain(
      "| aurora-write | 100,000 writes/s | 14,705 writes/s | 14.7% | client-bound (about the client) |",
    );
    // A baseline (AWS's MySQL 5.6) is set beside the target, not met by it.
    expect(claims).toContain(
      "| replica-lag / lag-mysql | MySQL 5.6 as AWS measured it: p50 2000 ms at 2,000 updates/s, 1 replica(s) | this target: 1.45 ms at 2,000/s | 0.0725% | baseline: this target 1,400x lower |",
    );
    expect(claims).toContain(
      "| replica-lag / lag-aurora | p50 7.20 ms at 13,800 updates/s, 1 replica(s) | 3320 ms at 4,758/s | 46,111% | **not met** |",
    );
  });

  it("lists each lag claim under its scenario, a baseline one as a baseline", () => {
    const markdown = renderMarkdown(result);
    expect(markdown).toContain(
      "- **lag-mysql** (baseline): MySQL 5.6 (as AWS measured it): 2000 ms at 2,000 updates/s with 1 replica; this target: p50 1.45 ms on replica-1 at 2,000 updates/s, 1,400x lower.",
    );
    expect(markdown).toContain(
      "- **lag-aurora** (**not met**): The primary did not sustain 13,800 updates/s.",
    );
    expect(markdown).not.toMatch(/lag-mysql[^\n]*\bmet\b/);
  });

  it("names both environments, the method, the errors and the steps, and embeds the charts given", () => {
    const markdown = renderMarkdown(result, [
      { path: "charts/claims.svg", title: "Claims" },
      { path: "charts/throughput-aurora-write.svg", title: "Throughput", scenarioId: "aurora-write" },
    ]);
    expect(markdown).toContain("testhost, 2 CPUs (Test CPU), 24,576 MiB");
    expect(markdown).toContain("mysql://bench:***@127.0.0.1:3306/sbtest — mariadb 10.11.19-MariaDB");
    expect(markdown).toContain("| innodb_flush_log_at_trx_commit | 1 |");
    expect(markdown).toContain(
      "4 x 1,000 connections, 250 tables x 25,000 rows, warm-up 10 s, measured 60 s",
    );
    expect(markdown).toContain("**Errors**: 1213 x 3");
    expect(markdown).toContain("| update_index | 220,575 | 179 ms | 179 ms | 571 ms | 571 ms | 571 ms |");
    expect(markdown).toContain(
      "| 13,800/s | 4,758/s (not sustained) | 261,279 | 1.95 ms | 8.64 ms | 7.55 ms | 1.69 ms |",
    );
    expect(markdown).toContain(
      "| 2,000/s | replica-1 | 1.45 ms | 2.90 ms | 10.2 ms | 29.0 ms | 2,989 | poll | 1.35 ms |",
    );
    expect(markdown).toContain("![Claims](charts/claims.svg)");
    // A scenario's chart sits in its own section, after its figures.
    expect(markdown.indexOf("![Throughput]")).toBeGreaterThan(markdown.indexOf("## aurora-write"));
    expect(markdown.indexOf("![Throughput]")).toBeLessThan(markdown.indexOf("## replica-lag"));
  });

  it("keeps a table intact when a text holds a pipe or a line break", () => {
    const odd = writeScenario({ title: "a | b" });
    odd.verdict.text = "first line\nsecond | part";
    const markdown = renderMarkdown(resultOf([odd]));
    expect(markdown).toContain("## aurora-write: a | b");
    expect(markdown).toContain("first line\nsecond | part");
    const claims = claimsSection(resultOf([{ ...odd, id: "x|y" }]));
    expect(claims).toContain("| x\\|y |");
  });

  it("lists each crash with its downtime, recovery, windows, errors, claims and steps", () => {
    const crashes = resultOf([crashScenario()]);
    const claims = claimsSection(crashes);
    expect(claims).toContain(
      "| crash-recovery / crash (warm crash) | downtime <= 10.0 s | 520 ms | 5.20% | met |",
    );
    expect(claims).toContain(
      "| crash-recovery / crash (cold crash) | downtime <= 10.0 s | 1420 ms | 14.2% | **not met** |",
    );
    const markdown = renderMarkdown(crashes);
    expect(markdown).toContain(
      "| warm (sandbox-kill) at 20.0 s | 520 ms | 600 ms | 85.0 ms | 420 ms | 20,000 writes/s, p99 7.50 ms | 18,000 writes/s, p99 9.25 ms | PROTOCOL_CONNECTION_LOST x 16 | 16 / 16 |",
    );
    expect(markdown).toContain("| cold (sandbox-kill) at 20.0 s | 1420 ms | 12.5 s | 11.1 s | 1320 ms |");
    expect(markdown).toContain("Rows: 80,000 before, 80,000 after in 8 tables (unchanged");
    expect(markdown).toContain("step kill: `kill -KILL 4242` ok in 11.0 ms: killed");
  });
});

describe("the lag method of each replica in report.md", () => {
  it("gives each replica's method and resolution, and why auto polled one", () => {
    const markdown = renderMarkdown(resultOf([lagMethodScenario("auto")]));
    expect(markdown).toContain(
      "| 2,000/s | replica-1 | 1.45 ms | 2.90 ms | 10.2 ms | 29.0 ms | 2,989 | gtid-wait | 0.05 ms |",
    );
    expect(markdown).toContain(
      "| 2,000/s | replica-2 | 1.45 ms | 2.90 ms | 10.2 ms | 29.0 ms | 2,989 | poll | 1.35 ms |",
    );
    expect(markdown).toContain(
      "Lag timed by --lag-method auto:\n- replica-2 (poll): its channel follows by file and position (Using_Gtid No); reads the heartbeat row instead",
    );
    // The wait needs no reason under auto: it is what auto prefers.
    expect(markdown).not.toContain("MASTER_GTID_WAIT");
  });

  it("names the method asked for and gives no reason where every replica used it", () => {
    const polled = { ...POLLED_REPLICA, name: "replica-1", methodReason: "poll asked for" };
    const markdown = renderMarkdown(resultOf([lagMethodScenario("poll", [polled])]));
    expect(markdown).toContain("Lag timed by --lag-method poll.");
    expect(markdown).not.toContain("poll asked for");
    expect(renderMarkdown(resultOf([lagMethodScenario("gtid-wait", [WAITED_REPLICA])]))).toContain(
      "Lag timed by --lag-method gtid-wait.",
    );
  });

  it("says nothing of the method asked for in a result from before the flag", () => {
    expect(renderMarkdown(resultOf([lagScenario()]))).not.toContain("--lag-method");
  });
});
