import { describe, expect, it } from "vitest";
import { withServerSeconds } from "./server-seconds.js";
import { IOS_SUMMED, PAPER_TABLE_1, serverWorkOf } from "./server-work.js";

describe("serverWorkOf", () => {
  it("divides the window's I/O by its committed transactions, with the paper's figures beside them", () => {
    const work = serverWorkOf(
      {
        Innodb_data_reads: 100,
        Innodb_data_writes: 2_000,
        Innodb_data_written: 32_768_000,
        Innodb_data_fsyncs: 1_500,
        Innodb_log_writes: 900,
        Innodb_os_log_written: 5_000_000,
      },
      1_000,
    );
    expect(work).toEqual({
      txns: 1_000,
      delta: {
        Innodb_data_reads: 100,
        Innodb_data_writes: 2_000,
        Innodb_data_written: 32_768_000,
        Innodb_data_fsyncs: 1_500,
        Innodb_log_writes: 900,
        Innodb_os_log_written: 5_000_000,
      },
      logBytesPerTxn: 5_000,
      dataWritesPerTxn: 2,
      dataBytesWrittenPerTxn: 32_768,
      fsyncsPerTxn: 1.5,
      // (100 reads + 2,000 data writes + 900 log writes) / 1,000 transactions.
      iosPerTxn: 3,
      iosSummed: ["Innodb_data_reads", "Innodb_data_writes", "Innodb_log_writes"],
      paper: PAPER_TABLE_1,
    });
    expect(work.paper.mirroredMysqlIosPerTxn).toBe(7.4);
    expect(work.paper.auroraIosPerTxn).toBe(0.95);
  });

  it("gives no figure for a counter the server does not report, nor I/Os when one of the summed is missing", () => {
    const work = serverWorkOf({ Innodb_os_log_written: 300, Innodb_data_writes: 6 }, 3);
    expect(work.logBytesPerTxn).toBe(100);
    expect(work.dataWritesPerTxn).toBe(2);
    expect(work.fsyncsPerTxn).toBeNull();
    expect(work.iosPerTxn).toBeNull();
    expect(work.delta).toEqual({ Innodb_os_log_written: 300, Innodb_data_writes: 6 });
  });

  it("gives no per-transaction figure when nothing committed", () => {
    const delta = Object.fromEntries(IOS_SUMMED.map((name) => [name, 10]));
    const work = serverWorkOf(delta, 0);
    expect(work.iosPerTxn).toBeNull();
    expect(work.txns).toBe(0);
  });
});

describe("withServerSeconds", () => {
  const interval = (t: number) => ({
    t,
    readsPerSec: 0,
    writesPerSec: 10,
    txnPerSec: 5,
    errors: 0,
    latencyMs: {},
    histograms: {},
    generator: {
      utilizationMax: 0.1,
      delayP99MaxMs: 1,
      inFlight: 0,
      backlog: 0,
      clientCpuMs: null,
      clientBound: false,
    },
  });

  it("puts each second's server figures beside the interval of the same t, rates to a thousandth", () => {
    const intervals = [interval(0), interval(1), interval(2)];
    const out = withServerSeconds(intervals, [
      {
        t: 0,
        phase: "measured",
        readEpochMs: 1000.12345,
        spanMs: 1000.5,
        readMs: 1.23456,
        ratesPerSec: { Com_insert: 99.95004 },
        gauges: { Threads_running: 3 },
      },
      {
        t: 2,
        phase: "measured",
        readEpochMs: 3000,
        spanMs: 2000,
        readMs: 1,
        ratesPerSec: {},
        gauges: {},
      },
    ]);
    expect(out[0]?.server).toEqual({
      readEpochMs: 1000.123,
      spanMs: 1000.5,
      readMs: 1.235,
      ratesPerSec: { Com_insert: 99.95 },
      gauges: { Threads_running: 3 },
    });
    // A second not read stays as it was.
    expect(out[1]).toBe(intervals[1]);
    expect(out[2]?.server?.spanMs).toBe(2000);
    // The input is left alone.
    expect(intervals[0]).not.toHaveProperty("server");
  });
});
