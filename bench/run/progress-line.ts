import { histogramOf, type IntervalAggregate } from "../metrics/aggregate.js";
import { intervalHealth } from "../metrics/generator-health.js";
import { countOps } from "../result/counting.js";
import { formatMs, formatRate } from "../util/format.js";
import type { OpTable } from "../workload/program.js";

/**
 * The per-second progress line. On a terminal it rewrites one line every second; otherwise (CI logs,
 * pipes) it prints a line every 10 seconds so logs stay short.
 */
export class ProgressLine {
  private readonly tty: boolean;
  private lastPrintedMs = 0;
  private open = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quietEveryMs = 10_000,
  ) {
    this.tty = stream.isTTY === true;
  }

  interval(
    label: string,
    phase: string,
    interval: IntervalAggregate,
    ops: OpTable,
    transactional: boolean,
  ): void {
    const counts = countOps(interval.ops, ops, transactional);
    const health = intervalHealth(interval.health);
    const txnOp = interval.ops[ops.txn];
    const txn = txnOp ? histogramOf(txnOp) : null;
    const p99 = txn && txn.totalCount > 0 ? formatMs(txn.getValueAtPercentile(99) / 1000) : "-";
    const line =
      `${label} ${phase} ${String(interval.index + 1).padStart(4)}s  txn/s ${formatRate(counts.txns)}  ` +
      `writes/s ${formatRate(counts.writes)}  reads/s ${formatRate(counts.reads)}  txn p99 ${p99}  errors ${counts.errors}` +
      `  client ${Math.round(health.utilizationMax * 100)}%${health.clientBound ? " CLIENT-BOUND" : ""}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.open = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPrintedMs >= this.quietEveryMs) {
      this.lastPrintedMs = now;
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the rewritten line before other output. */
  message(text: string): void {
    if (this.open) {
      this.stream.write("\n");
      this.open = false;
    }
    this.stream.write(`${text}\n`);
  }
}
