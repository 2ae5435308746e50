import type { FaultResult } from "../result/schema.js";
import type { ResolvedFault } from "../scenario/resolve.js";
import { errorCode } from "../target/connection.js";
import { redactText } from "../util/redact.js";
import { epochNowMs, runAt } from "../util/timer.js";
import { faultStatement } from "./aurora-sql.js";

/**
 * Sends a scenario's faults at their times into the measured phase, each over a connection of its
 * own, and keeps what happened to each for the result and the timeline. A fault whose time falls
 * after the phase has ended is reported as not sent.
 */
export class FaultInjector {
  private readonly timers = new Set<() => void>();
  private readonly sending: Promise<void>[] = [];
  private startEpochMs: number | null = null;
  private readonly results: FaultResult[];

  constructor(
    faults: readonly ResolvedFault[],
    /** Runs one statement on the target (opens and closes its own connection). */
    private readonly send: (sql: string) => Promise<void>,
    private readonly secrets: string[] = [],
  ) {
    this.results = faults.map((fault) => ({
      kind: fault.kind,
      sql: faultStatement(fault),
      atMs: fault.atMs,
      forMs: fault.forMs,
      sentAt: null,
      sentAtMs: null,
      ok: false,
      error: "not sent: the phase ended first",
    }));
  }

  /** Starts the clock: the measured phase begins at startEpochMs. */
  arm(startEpochMs: number): void {
    this.startEpochMs = startEpochMs;
    for (const result of this.results) {
      const cancel = runAt(startEpochMs + result.atMs, () => {
        this.timers.delete(cancel);
        this.sending.push(this.fire(result));
      });
      this.timers.add(cancel);
    }
  }

  private async fire(result: FaultResult): Promise<void> {
    const sentAtEpochMs = epochNowMs();
    result.sentAt = new Date(sentAtEpochMs).toISOString();
    result.sentAtMs = sentAtEpochMs - (this.startEpochMs ?? sentAtEpochMs);
    try {
      await this.send(result.sql);
      result.ok = true;
      result.error = null;
    } catch (error) {
      result.ok = false;
      result.error = `${redactText((error as Error).message, this.secrets)} (${errorCode(error)})`;
    }
  }

  /** Cancels faults not yet due and waits for those being sent; returns one entry per fault. */
  async finish(): Promise<FaultResult[]> {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    await Promise.all(this.sending);
    return this.results.map((r) => ({ ...r }));
  }
}
