import type { WorkerHealth } from "./interval.js";

/**
 * Whether the load's workers were starved of CPU in a warm-up: their event loops busy while the
 * process got little CPU for them. A worker whose loop is busy is either slow (it spends a core on
 * its connections) or starved (runnable, but the server's threads hold the cores: with one thread
 * per connection, 256 busy server threads each take a share, and one worker thread gets 0.3-0.5 of
 * a core on 2 cores). A slow worker is the client's limit; a starved one gets more CPU by being
 * more threads, as sysbench's thread per connection does.
 */

/** A worker's loop counts as busy at this event-loop utilization or more (mean over the workers). */
export const BUSY_UTILIZATION = 0.85;
/**
 * Busy workers that got less than this share of a core each, on average, may be starved. Generous:
 * a worker judged starved is only tried with more workers, which are kept if they send more, so a
 * wrong guess costs a warm-up, not a worse measurement.
 */
export const STARVED_CORES_PER_WORKER = 0.75;
/** Fewest warm-up seconds (after the first, which opens connections) to judge from. */
export const MIN_EVIDENCE_SECONDS = 2;

export interface WarmupSecond {
  health: readonly WorkerHealth[];
  /** The whole client process's CPU time in the second; null when not sampled. */
  clientCpuMs: number | null;
}

export interface WorkerJudgement {
  /** raise: run the measured phase with `chosen` workers; keep: as started. */
  decision: "keep" | "raise";
  initial: number;
  chosen: number;
  /** Warm-up seconds judged (each with every worker's report and a CPU sample). */
  seconds: number;
  /** Mean over those seconds of the workers' mean event-loop utilization, 0..1; null without evidence. */
  utilizationMean: number | null;
  /** Mean CPU cores the process got per worker over those seconds; null without evidence. */
  cpuCoresPerWorker: number | null;
  /**
   * When raised: statements per second of the warm-up with the initial workers and of the one with
   * the chosen workers (the seconds after each one's first). More workers are kept only if they sent
   * at least as many; otherwise the measured phase runs with the initial ones again.
   */
  trial?: { initialStatementsPerSec: number; chosenStatementsPerSec: number; kept: "chosen" | "initial" };
  reason: string;
}

/** Statements per second over a warm-up's seconds after its first (its connections' opening). */
export function statementsPerSec(counts: readonly number[]): number | null {
  const judged = counts.slice(1);
  return judged.length === 0 ? null : judged.reduce((sum, n) => sum + n, 0) / judged.length;
}

/**
 * The raised workers tried: kept when their warm-up sent at least as many statements per second as
 * the initial workers' did; otherwise the judgement goes back to the initial count, and says why.
 */
export function afterTrial(
  judgement: WorkerJudgement,
  initialPerSec: number,
  chosenPerSec: number,
): WorkerJudgement {
  const kept = chosenPerSec >= initialPerSec ? "chosen" : "initial";
  const trial = {
    initialStatementsPerSec: initialPerSec,
    chosenStatementsPerSec: chosenPerSec,
    kept,
  } as const;
  const figures = `${Math.round(chosenPerSec)} statements/s with ${judgement.chosen} workers against ${Math.round(initialPerSec)} with ${judgement.initial}`;
  if (kept === "chosen") return { ...judgement, trial, reason: `${judgement.reason}; tried: ${figures}` };
  return {
    ...judgement,
    decision: "keep",
    chosen: judgement.initial,
    trial,
    reason: `${judgement.reason}; tried: ${figures}, so ${judgement.initial} kept`,
  };
}

/**
 * Judges a warm-up's seconds: starved workers are raised to `maxWorkers` (at most one per connection);
 * anything else keeps them. Pure, so the rule can be tested on known seconds.
 */
export function judgeWorkers(
  seconds: readonly WarmupSecond[],
  workers: number,
  maxWorkers: number,
): WorkerJudgement {
  // The first second opens the connections; a second a worker did not report tells nothing.
  const evidence = seconds
    .slice(1)
    .filter(
      (s) => s.health.length === workers && s.clientCpuMs !== null && s.health.every((h) => h.spanMs > 0),
    );
  const keep = (reason: string, utilizationMean: number | null, cpuCoresPerWorker: number | null) => ({
    decision: "keep" as const,
    initial: workers,
    chosen: workers,
    seconds: evidence.length,
    utilizationMean,
    cpuCoresPerWorker,
    reason,
  });
  if (evidence.length < MIN_EVIDENCE_SECONDS) {
    return keep(
      `${evidence.length} warm-up second(s) to judge from (${MIN_EVIDENCE_SECONDS} needed)`,
      null,
      null,
    );
  }
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const utilizationMean = mean(evidence.map((s) => mean(s.health.map((h) => h.utilization))));
  const cpuCoresPerWorker = mean(
    evidence.map((s) => (s.clientCpuMs as number) / mean(s.health.map((h) => h.spanMs)) / workers),
  );
  const figures = `event loops ${pct(utilizationMean)} busy, ${cpuCoresPerWorker.toFixed(2)} cores per worker`;
  if (utilizationMean < BUSY_UTILIZATION)
    return keep(`not busy: ${figures}`, utilizationMean, cpuCoresPerWorker);
  if (cpuCoresPerWorker >= STARVED_CORES_PER_WORKER) {
    return keep(`busy and given the CPU it asks for: ${figures}`, utilizationMean, cpuCoresPerWorker);
  }
  if (maxWorkers <= workers) {
    return keep(
      `starved (${figures}), but already at ${workers} worker(s), the most`,
      utilizationMean,
      cpuCoresPerWorker,
    );
  }
  return {
    decision: "raise",
    initial: workers,
    chosen: maxWorkers,
    seconds: evidence.length,
    utilizationMean,
    cpuCoresPerWorker,
    reason: `starved: ${figures} (busy at >= ${pct(BUSY_UTILIZATION)} with < ${STARVED_CORES_PER_WORKER} cores each); ${maxWorkers} workers take a larger share of the CPU`,
  };
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
