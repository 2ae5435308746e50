import { rmSync } from "node:fs";
import { join } from "node:path";
import type { GaleraCluster } from "../sandbox/galera.js";
import type { Sandbox } from "../sandbox/server.js";
import { errorCode, openAdminConnection, withAdmin } from "../target/connection.js";
import type { TargetSpec } from "../target/url.js";
import { loadExeca } from "../util/load-execa.js";
import { redactCommand } from "../util/redact.js";
import { epochNowMs, sleep } from "../util/timer.js";
import { crashStatement } from "./aurora-sql.js";

/** How a crash was made, as result.json names it. */
export type CrashMethod =
  | "sandbox-kill"
  | "aurora-crash-instance"
  | "aurora-crash-node"
  | "command"
  | "galera-failover";
export type CrashCache = "warm" | "cold" | "unknown";

/** One thing done to crash or restart the target, with what it said. */
export interface CrashStep {
  name: string;
  /** What was run: a shell command or SQL statement (passwords redacted), or a description. */
  action: string;
  startedAtEpochMs: number;
  durationMs: number;
  ok: boolean;
  exitCode: number | null;
  /** Its output or error, redacted, the last OUTPUT_KEPT_CHARS characters. */
  output: string;
}

export interface CrashOutcome {
  /** When the crash itself began: the kill, the statement sent, the crash command started. */
  crashAtEpochMs: number;
  steps: CrashStep[];
  /** Sandbox: from the kill until the restarted server first took a connection. */
  restartMs: number | null;
  /** Why the crash or restart did not happen as planned; null when it did. */
  failure: string | null;
}

export interface CrashPlan {
  method: CrashMethod;
  cache: CrashCache;
  /** In words, for the result and the report. */
  description: string;
  run: () => Promise<CrashOutcome>;
}

const OUTPUT_KEPT_CHARS = 4000;
const COMMAND_TIMEOUT_MS = 300_000;
/** A buffer pool dump of the sandbox's size takes well under a second; a minute means it is stuck. */
const DUMP_TIMEOUT_MS = 60_000;

function kept(text: string, secrets: string[]): string {
  const redacted = redactCommand(text, secrets).trim();
  return redacted.length > OUTPUT_KEPT_CHARS ? `...${redacted.slice(-OUTPUT_KEPT_CHARS)}` : redacted;
}

/** Runs `fn` as a named step, recording its timing and outcome; never throws. */
async function step(
  name: string,
  action: string,
  fn: () => Promise<{ exitCode?: number | null; output?: string; ok?: boolean }>,
): Promise<CrashStep> {
  const startedAtEpochMs = epochNowMs();
  try {
    const result = await fn();
    return {
      name,
      action,
      startedAtEpochMs,
      durationMs: epochNowMs() - startedAtEpochMs,
      ok: result.ok ?? true,
      exitCode: result.exitCode ?? null,
      output: result.output ?? "",
    };
  } catch (error) {
    return {
      name,
      action,
      startedAtEpochMs,
      durationMs: epochNowMs() - startedAtEpochMs,
      ok: false,
      exitCode: null,
      output: (error as Error).message,
    };
  }
}

/** Writes the whole buffer pool's page list to disk now, so a restart can load it (warm). */
async function dumpBufferPool(target: TargetSpec): Promise<string> {
  return withAdmin(target, async (conn) => {
    const status = async () => {
      const [rows] = await conn.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_dump_status'");
      return String((rows as { Value?: string }[])[0]?.Value ?? "");
    };
    const previous = await status();
    await conn.query("SET GLOBAL innodb_buffer_pool_dump_pct = 100");
    await conn.query("SET GLOBAL innodb_buffer_pool_dump_now = ON");
    const deadline = epochNowMs() + DUMP_TIMEOUT_MS;
    while (epochNowMs() < deadline) {
      const current = await status();
      if (current !== previous && /completed/i.test(current)) return current;
      await sleep(20);
    }
    throw new Error(`buffer pool dump not completed within ${DUMP_TIMEOUT_MS / 1000} s`);
  });
}

/**
 * The sandbox: SIGKILL, then a start on the same data directory (InnoDB crash recovery). Warm: the
 * buffer pool's page list is dumped just before the kill and loaded at the start, as a server that
 * keeps its cache would come back; cold: nothing is loaded, every page is read from disk again.
 */
export function sandboxCrash(
  sandbox: Sandbox,
  cache: "warm" | "cold",
  log: (line: string) => void,
): CrashPlan {
  return {
    method: "sandbox-kill",
    cache,
    description:
      cache === "warm"
        ? "SIGKILL of the sandbox server, restarted on the same data directory with the buffer pool dumped just before the kill and loaded at start"
        : "SIGKILL of the sandbox server, restarted on the same data directory with no buffer pool load (cold cache)",
    run: async () => {
      const steps: CrashStep[] = [];
      if (cache === "warm") {
        steps.push(
          await step("buffer pool dump", "SET GLOBAL innodb_buffer_pool_dump_now = ON", async () => ({
            output: await dumpBufferPool(sandbox.target),
          })),
        );
      } else {
        // No page list to load: a dump left by an earlier clean shutdown would warm it.
        rmSync(join(sandbox.datadir, "ib_buffer_pool"), { force: true });
      }
      const crashAtEpochMs = epochNowMs();
      log(`crash: SIGKILL of the sandbox server (pid ${sandbox.pid}), ${cache} restart`);
      steps.push(
        await step("kill", `kill -KILL ${sandbox.pid}`, async () => ({
          output: await sandbox.kill().then(() => "killed"),
        })),
      );
      let readyEpochMs: number | null = null;
      const restart = await step(
        "restart",
        `start on the same data directory, innodb_buffer_pool_load_at_startup=${cache === "warm" ? "ON" : "OFF"}`,
        async () => {
          readyEpochMs = (
            await sandbox.restart([`--innodb-buffer-pool-load-at-startup=${cache === "warm" ? "ON" : "OFF"}`])
          ).readyEpochMs;
          return { output: "ready" };
        },
      );
      steps.push(restart);
      const failed = steps.find((s) => !s.ok);
      return {
        crashAtEpochMs,
        steps,
        restartMs: restart.ok && readyEpochMs !== null ? readyEpochMs - crashAtEpochMs : null,
        failure: failed ? `${failed.name}: ${failed.output}` : null,
      };
    },
  };
}

/**
 * The node the load writes to: the one holding most of the benchmark's connections. Read from the
 * servers, not assumed: after a failover the load is on whichever node took it.
 */
export async function nodeTakingWrites(targets: readonly TargetSpec[]): Promise<number> {
  let best = -1;
  let most = -1;
  for (const [index, target] of targets.entries()) {
    try {
      const n = await withAdmin(target, async (conn) => {
        const [rows] = await conn.query(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()",
          [target.user],
        );
        return Number((rows as { n: number }[])[0]?.n ?? 0);
      });
      if (n > most) {
        most = n;
        best = index;
      }
    } catch {
      // A node that is down takes no writes.
    }
  }
  if (best < 0) throw new Error("no node of the cluster answers");
  return best;
}

/**
 * A Galera sandbox: SIGKILL of the node taking the writes. The load's connections fail over to
 * the next node of the target's host list, as an Aurora cluster endpoint moves to a new writer;
 * downtime is until commits resume there. That node applied every write, so its cache is warm.
 * The killed node is then started again and rejoins (IST), so the cluster is whole for what follows.
 */
export function galeraFailover(cluster: GaleraCluster, log: (line: string) => void): CrashPlan {
  return {
    method: "galera-failover",
    cache: "warm",
    description:
      "SIGKILL of the Galera node taking the writes; the load fails over to the next node of the host list (warm: it applied every write); the killed node then restarts and rejoins",
    run: async () => {
      const steps: CrashStep[] = [];
      let writer = 0;
      steps.push(
        await step("find writer", "the node holding most benchmark connections", async () => {
          writer = await nodeTakingWrites(cluster.nodes.map((node) => node.target));
          return { output: cluster.nodes[writer]?.name ?? String(writer) };
        }),
      );
      const node = cluster.nodes[writer];
      const crashAtEpochMs = epochNowMs();
      log(`crash: SIGKILL of Galera ${node?.name} (pid ${node?.sandbox.pid}), the node taking writes`);
      steps.push(
        await step("kill", `kill -KILL ${node?.sandbox.pid}`, async () => {
          await cluster.kill(writer);
          return { output: "killed" };
        }),
      );
      steps.push(
        await step("rejoin", `restart ${node?.name} on its data directory; wait for Synced`, async () => {
          const { readyEpochMs, syncedEpochMs } = await cluster.restart(writer);
          return {
            output: `ready after ${Math.round(readyEpochMs - crashAtEpochMs)} ms, Synced after ${Math.round(syncedEpochMs - crashAtEpochMs)} ms`,
          };
        }),
      );
      const failed = steps.find((s) => !s.ok);
      return {
        crashAtEpochMs,
        steps,
        // The load does not wait for the killed node: its return is a step, not the restart time.
        restartMs: null,
        failure: failed ? `${failed.name}: ${failed.output}` : null,
      };
    },
  };
}

/** Lost-connection codes: the expected answer to a crash statement, whose instance dies under it. */
const LOST = new Set(["PROTOCOL_CONNECTION_LOST", "2013", "2006", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/** Aurora: ALTER SYSTEM CRASH INSTANCE (cache kept) or NODE (cache dropped); Aurora restarts itself. */
export function auroraCrash(target: TargetSpec, cache: "warm" | "cold", secrets: string[]): CrashPlan {
  const sql = crashStatement(cache);
  return {
    method: cache === "warm" ? "aurora-crash-instance" : "aurora-crash-node",
    cache,
    description: `${sql} on ${target.displayUrl}; Aurora restarts the instance itself`,
    run: async () => {
      const conn = await openAdminConnection(target, false);
      const crashAtEpochMs = epochNowMs();
      const sent = await step("crash", sql, async () => {
        try {
          await conn.query(sql);
          return { output: "the statement returned" };
        } catch (error) {
          const code = errorCode(error);
          if (LOST.has(code)) return { output: `connection lost (${code}), as a crash does` };
          return { ok: false, output: `${kept((error as Error).message, secrets)} (${code})` };
        }
      });
      conn.destroy();
      return {
        crashAtEpochMs,
        steps: [sent],
        restartMs: null,
        failure: sent.ok ? null : `crash: ${sent.output}`,
      };
    },
  };
}

async function shell(
  command: string,
  secrets: string[],
): Promise<{ exitCode: number | null; output: string; ok: boolean }> {
  const execa = await loadExeca();
  const result = await execa(command, { shell: true, all: true, reject: false, timeout: COMMAND_TIMEOUT_MS });
  const output = kept(String(result.all ?? ""), secrets);
  const timedOut = result.timedOut ? ` (timed out after ${COMMAND_TIMEOUT_MS / 1000} s)` : "";
  return { exitCode: result.exitCode ?? null, output: `${output}${timedOut}`, ok: result.exitCode === 0 };
}

/**
 * Any target: --crash-command, then --restart-command when given, each through the shell, with
 * their output kept. The crash time is when the crash command started.
 */
export function commandCrash(
  crashCommand: string,
  restartCommand: string | undefined,
  secrets: string[],
): CrashPlan {
  const shown = (command: string) => redactCommand(command, secrets);
  return {
    method: "command",
    cache: "unknown",
    description: `--crash-command ${JSON.stringify(shown(crashCommand))}${restartCommand ? ` then --restart-command ${JSON.stringify(shown(restartCommand))}` : ""}`,
    run: async () => {
      const crashAtEpochMs = epochNowMs();
      const steps = [await step("crash", shown(crashCommand), () => shell(crashCommand, secrets))];
      if (restartCommand)
        steps.push(await step("restart", shown(restartCommand), () => shell(restartCommand, secrets)));
      const failed = steps.find((s) => !s.ok);
      return {
        crashAtEpochMs,
        steps,
        restartMs: null,
        failure: failed
          ? `${failed.name} command exited ${failed.exitCode ?? "abnormally"}${failed.output ? `: ${failed.output.split("\n").at(-1)}` : ""}`
          : null,
      };
    },
  };
}
