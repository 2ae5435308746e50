import { describe, expect, it } from "vitest";
import { serverWorkOf } from "../result/server-work.js";
import { writeScenario } from "../testing/results.js";
import { serverWorkLines } from "./markdown.js";

describe("serverWorkLines", () => {
  it("says nothing for a scenario without the server's work", () => {
    expect(serverWorkLines(writeScenario())).toEqual([]);
  });

  it("sets the run's I/Os per transaction beside the paper's Table 1", () => {
    const serverWork = serverWorkOf(
      {
        Innodb_data_reads: 0,
        Innodb_data_writes: 250,
        Innodb_data_written: 4_096_000,
        Innodb_data_fsyncs: 1_000,
        Innodb_log_writes: 1_000,
        Innodb_os_log_written: 2_560_000,
      },
      1_000,
    );
    const lines = serverWorkLines(writeScenario({ serverWork }));
    expect(lines).toEqual([
      "- **Server work per transaction** (InnoDB's counters over the measured window, 1,000 transactions): 1.25 I/Os (Innodb_data_reads + Innodb_data_writes + Innodb_log_writes), 2.5 KiB of redo, 0.250 data-file writes, 1.00 fsyncs. The Aurora paper's Table 1: 7.4 I/Os per transaction for mirrored MySQL, 0.95 for Aurora (SysBench write-only, 100 GB, 30 min).",
    ]);
  });
});
