import type { HotPath } from "../executor/protocol.js";
import type { LagMethod } from "../probe/lag-method.js";
import type { Engine } from "../sandbox/targets.js";
import type { Overrides } from "../scenario/resolve.js";
import type { TargetSpec } from "../target/url.js";
import { UsageError } from "../util/errors.js";
import { STATEMENT_PROTOCOLS, type StatementProtocol } from "../workload/protocol.js";
import type { LiveOptions } from "./live-options.js";

/**
 * --lag-method: how replica lag is timed on every replica. auto: a GTID wait where the replica
 * allows one, the poll elsewhere; gtid-wait: the wait everywhere, or the run is refused before its
 * dataset and warm-up (a fallback would report figures of another method than the one asked for);
 * poll: the heartbeat row read about every millisecond everywhere.
 */
export type LagMethodRequest = "auto" | LagMethod;
export const LAG_METHOD_REQUESTS: readonly LagMethodRequest[] = ["auto", "gtid-wait", "poll"];

/** A --lag-method value, checked; the error names the flag and every allowed value. */
export function parseLagMethod(flag: string, value: string): LagMethodRequest {
  const method = value.trim();
  if (!LAG_METHOD_REQUESTS.includes(method as LagMethodRequest)) {
    const allowed = `${LAG_METHOD_REQUESTS.slice(0, -1).join(", ")} or ${LAG_METHOD_REQUESTS.at(-1)}`;
    throw new UsageError(`${flag}: '${value}' must be ${allowed}`);
  }
  return method as LagMethodRequest;
}

/** A --protocol value, checked: text (SQL text, the claims' method) or binary (prepared statements). */
export function parseProtocol(flag: string, value: string): StatementProtocol {
  const protocol = value.trim();
  if (!STATEMENT_PROTOCOLS.includes(protocol as StatementProtocol)) {
    throw new UsageError(`${flag}: '${value}' must be ${STATEMENT_PROTOCOLS.join(" or ")}`);
  }
  return protocol as StatementProtocol;
}

/** What `run` was asked for, every flag checked (commands/run-flags.ts makes it from the command line). */
export interface RunOptions extends LiveOptions {
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
  /** --lag-method; undefined when not given, which is auto. */
  lagMethod?: LagMethodRequest;
}
