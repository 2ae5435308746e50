import type { HotPath } from "../executor/protocol.js";
import { parseLiveFlags } from "../run/live-options.js";
import { parseLagMethod, parseProtocol, type RunOptions } from "../run/options.js";
import type { Overrides } from "../scenario/resolve.js";
import { parseTargetUrl } from "../target/url.js";
import { formatDurationMs, MAX_TIMED_MS, parseDurationMs, tooLongToTime } from "../util/duration.js";
import { UsageError } from "../util/errors.js";
import { parseShareText } from "../util/share.js";

/** `run` flags as commander hands them over: strings, unchecked. */
export interface RawRunFlags {
  target?: string;
  duration?: string;
  warmup?: string;
  connections?: string;
  clients?: string;
  tables?: string;
  tableSize?: string;
  quick?: boolean;
  out?: string;
  workers?: string;
  sandboxDir?: string;
  seed?: string;
  hotPath?: string;
  /** --protocol: text or binary. */
  protocol?: string;
  rates?: string;
  replicas?: string;
  /** --replica URL, once per replica. */
  replica?: string[];
  /** --baseline URL: the same scenarios on a second target, compared with the first. */
  baseline?: string;
  /** --baseline-replica URL, once per replica of the baseline. */
  baselineReplica?: string[];
  crashCommand?: string;
  restartCommand?: string;
  unreachableAfter?: string;
  /** --max-errors: "10%" or "0.1". */
  maxErrors?: string;
  clientIndex?: string;
  runId?: string;
  barrierTimeout?: string;
  printResult?: boolean;
  engine?: string;
  /** --lag-method: auto, gtid-wait or poll. */
  lagMethod?: string;
  /** Set by `run --baseline` for each of its two runs, not a flag. */
  runRole?: "baseline" | "target";
  outIntervals?: string;
  metricsPort?: string;
  metricsHost?: string;
}

/** Run ids go into the coordination table and file names: letters, digits, dot, dash, underscore. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Default --barrier-timeout: room for the first client to load AWS's 6.25 million rows. */
export const DEFAULT_BARRIER_TIMEOUT_MS = 600_000;

/** The highest rate a step may ask for: far past what one client process can send. */
export const MAX_RATE_PER_SEC = 10_000_000;

/** `--rates 2000,13800`: positive numbers of transactions per second, in the order given. */
export function parseRates(flag: string, value: string): number[] {
  const parts = value.split(",").map((part) => part.trim());
  return parts.map((part) => {
    const rate = Number(part);
    if (part === "" || !/^\d+(\.\d+)?$/.test(part) || !(rate > 0) || rate > MAX_RATE_PER_SEC) {
      throw new UsageError(
        `${flag}: '${part}' is not a rate; give updates per second above 0 and up to ${MAX_RATE_PER_SEC.toLocaleString("en-US")}, separated by commas, such as 2000,13800`,
      );
    }
    return rate;
  });
}

function positiveInt(flag: string, value: string | undefined, max = 1_000_000): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(
      `${flag}: '${value}' must be a whole number from 1 to ${max.toLocaleString("en-US")}`,
    );
  }
  return Number(value);
}

/** Most points one sweep runs: each is a full trial with its own warm-up. */
export const MAX_SWEEP_POINTS = 32;

/**
 * One whole number, or a comma-separated list of them (a sweep: two to MAX_SWEEP_POINTS distinct
 * values, run in the order given).
 */
function valueOrList(flag: string, value: string | undefined, max: number): number | number[] | undefined {
  if (value === undefined || !value.includes(",")) return positiveInt(flag, value, max);
  const values = value.split(",").map((part) => positiveInt(flag, part.trim(), max) as number);
  if (new Set(values).size !== values.length || values.length > MAX_SWEEP_POINTS) {
    throw new UsageError(
      `${flag}: '${value}' must list 2 to ${MAX_SWEEP_POINTS} different values for a sweep, such as 4,16,64`,
    );
  }
  return values;
}

/**
 * A duration flag in milliseconds. Past MAX_TIMED_MS it is refused: Node's timers cannot wait that
 * long (a longer delay fires every millisecond instead), and a phase may be slept in one piece.
 * `checkLength`: what the flag times, for the message; false for a flag with a tighter range of its
 * own, checked by the caller.
 */
function duration(
  flag: string,
  value: string | undefined,
  allowZero: boolean,
  checkLength: "run" | "wait" | false = "run",
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDurationMs(value);
  if (parsed === undefined || (!allowZero && parsed <= 0)) {
    throw new UsageError(
      `${flag}: '${value}' must be a duration such as 60s, 10m or 500ms${allowZero ? "" : ", more than 0"}`,
    );
  }
  const tooLong = checkLength ? tooLongToTime(flag, value, parsed, checkLength) : undefined;
  if (tooLong !== undefined) throw new UsageError(tooLong);
  return parsed;
}

/** "10%" or "0.1": a share from 0 to 1 (0: any error fails the scenario). */
export function parseShare(flag: string, text: string): number {
  const value = parseShareText(text);
  if (!(value >= 0 && value <= 1)) {
    throw new UsageError(
      `${flag}: '${text}' is not a share; give a percentage such as 10% or a fraction from 0 to 1`,
    );
  }
  return value;
}

/** Checks every flag; the first bad one is reported by name with what is allowed. */
export function parseRunFlags(flags: RawRunFlags): RunOptions {
  const overrides: Overrides = {};
  const set = <K extends keyof Overrides>(key: K, value: Overrides[K] | undefined) => {
    if (value !== undefined) overrides[key] = value;
  };
  const durationMs = duration("--duration", flags.duration, false);
  const warmupMs = duration("--warmup", flags.warmup, true);
  if (durationMs !== undefined && warmupMs !== undefined && durationMs + warmupMs > MAX_TIMED_MS) {
    throw new UsageError(
      `--duration: '${flags.duration?.trim()}' with --warmup '${flags.warmup?.trim()}' is longer than the longest run this tool can time (${MAX_TIMED_MS / 86_400_000} days); give at most ${formatDurationMs(MAX_TIMED_MS)} together`,
    );
  }
  set("durationMs", durationMs);
  set("warmupMs", warmupMs);
  const connections = valueOrList("--connections", flags.connections, 100_000);
  const tableSize = valueOrList("--table-size", flags.tableSize, 1_000_000_000);
  if (Array.isArray(connections) && Array.isArray(tableSize)) {
    throw new UsageError(
      "--table-size: a sweep varies one parameter; give a list to --connections or --table-size, not both",
    );
  }
  if (Array.isArray(connections))
    overrides.sweep = { parameter: "connections", values: connections, flag: "--connections" };
  else set("connectionsPerClient", connections);
  set("clients", positiveInt("--clients", flags.clients, 1000));
  set("tables", positiveInt("--tables", flags.tables, 100_000));
  if (Array.isArray(tableSize))
    overrides.sweep = { parameter: "tableSize", values: tableSize, flag: "--table-size" };
  else set("tableSize", tableSize);
  if (flags.quick) overrides.quick = true;
  if (flags.rates !== undefined) overrides.ratesPerSec = parseRates("--rates", flags.rates);
  set("replicas", positiveInt("--replicas", flags.replicas, 31));
  if (flags.protocol !== undefined) overrides.protocol = parseProtocol("--protocol", flags.protocol);
  const options: RunOptions = {
    overrides,
    seed:
      flags.seed === undefined
        ? Math.floor(Math.random() * 2 ** 31)
        : (positiveInt("--seed", flags.seed, 2 ** 31) as number),
    hotPath: "lean",
    replicas: [],
    baselineReplicas: [],
    printResult: flags.printResult === true,
    engine: "mariadb",
  };
  if (flags.engine !== undefined) {
    if (flags.engine !== "mariadb" && flags.engine !== "galera")
      throw new UsageError(`--engine: '${flags.engine}' must be mariadb or galera`);
    if (flags.target !== undefined)
      throw new UsageError(
        "--engine: chooses the sandbox's engine; a --target's engine is detected (a Galera node by wsrep_on)",
      );
    options.engine = flags.engine;
  }
  if (flags.hotPath !== undefined && flags.hotPath !== "lean" && flags.hotPath !== "mysql2") {
    throw new UsageError(`--hot-path: '${flags.hotPath}' must be lean or mysql2`);
  }
  if (flags.hotPath !== undefined) options.hotPath = flags.hotPath as HotPath;
  const workers = positiveInt("--workers", flags.workers, 256);
  if (workers !== undefined) options.workers = workers;
  if (flags.target !== undefined) options.target = parseTargetUrl(flags.target, "--target");
  for (const url of flags.replica ?? []) {
    if (flags.target === undefined) {
      throw new UsageError(
        "--replica: give the primary with --target too (without it, the sandbox starts its own replicas)",
      );
    }
    options.replicas.push(parseTargetUrl(url, "--replica"));
  }
  if (flags.baseline !== undefined) options.baseline = parseTargetUrl(flags.baseline, "--baseline");
  for (const url of flags.baselineReplica ?? []) {
    if (flags.baseline === undefined)
      throw new UsageError("--baseline-replica: a replica of --baseline; give --baseline URL too");
    options.baselineReplicas.push(parseTargetUrl(url, "--baseline-replica"));
  }
  Object.assign(options, parseLiveFlags(flags));
  if (flags.lagMethod !== undefined) options.lagMethod = parseLagMethod("--lag-method", flags.lagMethod);
  if (options.replicas.length > 0 && flags.replicas !== undefined) {
    throw new UsageError(
      "--replicas: sets the sandbox's replica count; with --replica URLs the given replicas are used",
    );
  }
  if (flags.crashCommand !== undefined) {
    if (flags.crashCommand.trim() === "")
      throw new UsageError(
        "--crash-command: give the shell command that crashes the target, such as 'kubectl delete pod db-0 --grace-period=0 --force'",
      );
    options.crashCommand = flags.crashCommand;
  }
  if (flags.restartCommand !== undefined) {
    if (flags.crashCommand === undefined)
      throw new UsageError("--restart-command: runs after --crash-command; give that too");
    if (flags.restartCommand.trim() === "")
      throw new UsageError(
        "--restart-command: give the shell command that starts the target again, or leave the flag out",
      );
    options.restartCommand = flags.restartCommand;
  }
  if (flags.maxErrors !== undefined) options.maxErrorShare = parseShare("--max-errors", flags.maxErrors);
  if (flags.unreachableAfter !== undefined) {
    const ms = duration("--unreachable-after", flags.unreachableAfter, false, false) as number;
    if (ms < 1000 || ms > 3_600_000)
      throw new UsageError(`--unreachable-after: '${flags.unreachableAfter}' must be from 1s to 1h`);
    options.unreachableAfterMs = ms;
  }
  if (flags.clientIndex !== undefined) {
    const index = flags.clientIndex.trim();
    if (!/^\d+$/.test(index) || Number(index) > 9999) {
      throw new UsageError(
        `--client-index: '${flags.clientIndex}' must be a whole number from 0, below --clients`,
      );
    }
    if (flags.runId === undefined) {
      throw new UsageError(
        "--client-index: give every client of the run the same --run-id (such as the date and a name), so their meeting is theirs alone",
      );
    }
    if (!RUN_ID.test(flags.runId)) {
      throw new UsageError(`--run-id: '${flags.runId}' must be 1-128 letters, digits, '.', '-' or '_'`);
    }
    if (flags.target === undefined) {
      throw new UsageError("--client-index: clients of one run must share a target; give --target URL");
    }
    const barrierTimeoutMs =
      flags.barrierTimeout === undefined
        ? DEFAULT_BARRIER_TIMEOUT_MS
        : (duration("--barrier-timeout", flags.barrierTimeout, false, "wait") as number);
    options.client = { index: Number(index), runId: flags.runId, barrierTimeoutMs };
    overrides.clientIndex = Number(index);
  } else if (flags.runId !== undefined || flags.barrierTimeout !== undefined) {
    throw new UsageError(
      `${flags.runId !== undefined ? "--run-id" : "--barrier-timeout"}: only for one client of several; give --client-index too`,
    );
  }
  if (flags.out !== undefined) options.out = flags.out;
  if (flags.sandboxDir !== undefined) {
    if (flags.target !== undefined) throw new UsageError("--sandbox-dir: only applies without --target");
    options.sandboxDir = flags.sandboxDir;
  }
  return options;
}
