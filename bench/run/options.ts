import type { HotPath } from "../executor/protocol.js";
import type { Engine } from "../sandbox/targets.js";
import type { Overrides } from "../scenario/resolve.js";
import type { TargetSpec } from "../target/url.js";

/** What `run` was asked for, every flag checked (commands/run-flags.ts makes it from the command line). */
export interface RunOptions {
  overrides: Overrides;
  target?: TargetSpec;
  out?: string;
  /** Worker threads asked for with --workers; undefined: decided by where the server runs. */
  workers?: number;
  sandboxDir?: string;
  seed: number;
  hotPath: HotPath;
  /** Given replicas of --target (--replica), in order. */
  replicas: TargetSpec[];
  /** --baseline: a second target (such as stock MySQL) the same scenarios run on, for comparison. */
  baseline?: TargetSpec;
  /** --baseline-replica: the baseline's replicas, for replica-lag on both. */
  baselineReplicas: TargetSpec[];
  /** --crash-command / --restart-command: how crash scenarios crash a target that is neither sandbox nor Aurora. */
  crashCommand?: string;
  restartCommand?: string;
  /** --unreachable-after: a phase with no open connection this long ends, and the run fails. */
  unreachableAfterMs?: number;
  /** --max-errors: past this share of failed transactions a scenario is failed (default 0.1). */
  maxErrorShare?: number;
  /** --client-index with --run-id: this process is one client of a split run. */
  client?: { index: number; runId: string; barrierTimeoutMs: number };
  /** --print-result: result.json also goes to stdout between markers, for `merge` to read from pod logs. */
  printResult: boolean;
  /** --engine: what the sandbox starts. */
  engine: Engine;
}
