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
/**
 * Busy workers that got the CPU they asked for, on a machine with at least this share of all its
 * cores idle, are the client's limit while CPU sits unused: one more thread can use it. Measured on
 * 2 cores, 16 connections, the server on the same cores: one worker left 12-22% of the machine idle
 * (its connections waited for their turn on its loop) and two took reads from 52,500-53,700 to
 * 57,500-57,800/s against one thread per connection; the trial keeps them only if they send more.
 */
export const SPARE_IDLE_SHARE = 0.1;
/** Fewest warm-up seconds (after the first, which opens connections) to judge from. */
export const MIN_EVIDENCE_SECONDS = 2;

export interface WarmupSecond {
  health: readonly WorkerHealth[];
  /** The whole client process's CPU time in the second; null when not sampled. */
  clientCpuMs: number | null;
  /** Share of all the machine's cores idle in the second, 0..1 (anyone's CPU); null when not sampled. */
  machineIdleShare?: number | null;
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
  /** Mean share of the machine's cores idle over those seconds; null when not sampled. */
  machineIdleMean?: number | null;
  /**
   * When raised: statements per second of the warm-up with the initial workers and of the one with
   * the chosen workers (the later half of each one's seconds, never its first). More workers are
   * kept only if they sent at least as many; otherwise the measured phase runs with the initial
   * ones again.
   */
  trial?: { initialStatementsPerSec: number; chosenStatementsPerSec: number; kept: "chosen" | "initial" };
  reason: string;
}

/**
 * Statements per second over a warm-up's later half, and never its first second (its connections'
 * opening): new workers' code is still being compiled in their first seconds, which would count
 * against them in the trial.
 */
export function statementsPerSec(counts: readonly number[]): number | null {
  const judged = counts.slice(Math.max(1, Math.floor(counts.length / 2)));
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
 * busy ones beside idle cores to one per core (`cores`), or one more when already there; anything
 * else keeps them. Pure, so the rule can be tested on known seconds.
 */
export function judgeWorkers(
  seconds: readonly WarmupSecond[],
  workers: number,
  maxWorkers: number,
  cores = 1,
): WorkerJudgement {
  // The first second opens the connections; a second a worker did not report tells nothing.
  const evidence = seconds
    .slice(1)
    .filter(
      (s) => s.health.length === workers && s.clientCpuMs !== null && s.health.every((h) => h.spanMs > 0),
    );
  const idleSamples = evidence
    .map((s) => s.machineIdleShare)
    .filter((share): share is number => typeof share === "number");
  // Idle is judged only when every second judged has it.
  const machineIdleMean =
    evidence.length > 0 && idleSamples.length === evidence.length
      ? idleSamples.reduce((sum, share) => sum + share, 0) / idleSamples.length
      : null;
  const keep = (reason: string, utilizationMean: number | null, cpuCoresPerWorker: number | null) => ({
    decision: "keep" as const,
    initial: workers,
    chosen: workers,
    seconds: evidence.length,
    utilizationMean,
    cpuCoresPerWorker,
    machineIdleMean,
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
  const idle = machineIdleMean === null ? "" : `, machine ${pct(machineIdleMean)} idle`;
  const figures = `event loops ${pct(utilizationMean)} busy, ${cpuCoresPerWorker.toFixed(2)} cores per worker${idle}`;
  if (utilizationMean < BUSY_UTILIZATION)
    return keep(`not busy: ${figures}`, utilizationMean, cpuCoresPerWorker);
  if (cpuCoresPerWorker >= STARVED_CORES_PER_WORKER) {
    const spareTo = Math.min(maxWorkers, Math.max(workers + 1, cores));
    if (machineIdleMean !== null && machineIdleMean >= SPARE_IDLE_SHARE && spareTo > workers) {
      return {
        decision: "raise",
        initial: workers,
        chosen: spareTo,
        seconds: evidence.length,
        utilizationMean,
        cpuCoresPerWorker,
        machineIdleMean,
        reason: `busy beside idle CPU: ${figures} (busy at >= ${pct(BUSY_UTILIZATION)} with >= ${pct(SPARE_IDLE_SHARE)} of the machine idle); ${spareTo} workers can use it`,
      };
    }
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
    machineIdleMean,
    reason: `starved: ${figures} (busy at >= ${pct(BUSY_UTILIZATION)} with < ${STARVED_CORES_PER_WORKER} cores each); ${maxWorkers} workers take a larger share of the CPU`,
  };
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
