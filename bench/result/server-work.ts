import type { WorkCounterName } from "../target/facts.js";
import type { ScenarioResult } from "./schema.js";

export type ServerWork = NonNullable<ScenarioResult["serverWork"]>;

/**
 * The Aurora paper's Table 1 ("Network IOs for Aurora vs MySQL"): Verbitski et al., SIGMOD 2017,
 * section 3.2. SysBench write-only, 100 GB, 30 minutes on an r3.8xlarge; I/Os per transaction
 * on the database node: 7.4 for MySQL mirrored across AZs on EBS (every redo, binlog, data page,
 * double-write and FRM write), 0.95 for Aurora (batches of redo records to its storage, counted
 * six times for the six copies).
 */
export const PAPER_TABLE_1 = {
  mirroredMysqlIosPerTxn: 7.4,
  auroraIosPerTxn: 0.95,
  source:
    'Verbitski et al., "Amazon Aurora: Design Considerations for High Throughput Cloud-Native Relational Databases", SIGMOD 2017 (doi:10.1145/3035918.3056101), section 3.2, Table 1: I/Os per transaction on the database node, SysBench write-only, 100 GB, 30 min',
} as const;

/**
 * What iosPerTxn sums: every InnoDB file I/O the server counts, once. The paper counts each I/O
 * the database node sends to storage, reads or writes of any kind; InnoDB counts them in three
 * counters: data-file reads, data-file writes (pages and the doublewrite buffer) and redo log
 * writes. On MariaDB 10.11 a commit moves Innodb_log_writes and not Innodb_data_writes (checked
 * by server-sampler.int.test.ts), so the three do not overlap there. Not counted, as InnoDB does
 * not count them: binary log writes (the paper's MySQL has them) and the OS's own merging of writes.
 */
export const IOS_SUMMED: readonly WorkCounterName[] = [
  "Innodb_data_reads",
  "Innodb_data_writes",
  "Innodb_log_writes",
];

/**
 * The server's work per committed transaction over the measured window, from its I/O counters'
 * increase (which holds the tool's own statements in the window too: the lag probe's heartbeats).
 * A figure is null when the server does not report a counter it needs, or nothing committed.
 */
export function serverWorkOf(delta: Partial<Record<WorkCounterName, number>>, txns: number): ServerWork {
  const perTxn = (value: number | undefined) => (value === undefined || txns <= 0 ? null : value / txns);
  const summed = IOS_SUMMED.map((name) => delta[name]);
  const ios = summed.every((value) => value !== undefined)
    ? summed.reduce<number>((sum, value) => sum + (value ?? 0), 0)
    : undefined;
  return {
    txns,
    delta: definedCounters(delta),
    logBytesPerTxn: perTxn(delta.Innodb_os_log_written),
    dataWritesPerTxn: perTxn(delta.Innodb_data_writes),
    dataBytesWrittenPerTxn: perTxn(delta.Innodb_data_written),
    fsyncsPerTxn: perTxn(delta.Innodb_data_fsyncs),
    iosPerTxn: perTxn(ios),
    iosSummed: [...IOS_SUMMED],
    paper: { ...PAPER_TABLE_1 },
  };
}

/** The counters a server reported: one it lacks is absent rather than undefined. */
export function definedCounters(delta: Partial<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(delta)) if (value !== undefined) out[name] = value;
  return out;
}
