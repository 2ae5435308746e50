import type { Result } from "../result/schema.js";
import { startGaleraSandbox } from "../sandbox/galera-sandbox.js";
import { Sandbox } from "../sandbox/server.js";
import { DEFAULT_GALERA_REPLICAS } from "../sandbox/targets.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { withAdmin } from "../target/connection.js";
import { readServerFacts } from "../target/facts.js";
import { inspectTarget, type TargetInspection } from "../target/inspect.js";
import { describeMeasuredEnvironment } from "./environment.js";
import type { RunOptions } from "./options.js";
import { preparedStatementsOf } from "./prepare-check.js";
import type { OneServer, RunContext } from "./runner.js";
import { defaultWorkers, sharesMachine } from "./workers.js";

/**
 * The run's one server for the scenarios that share one: --target as given, else a sandbox (one
 * MariaDB server, or a Galera cluster with --engine galera) sized for the largest of them. Its
 * facts and what doctor would say of it are read once, over one connection.
 */
export async function openOneServer(
  scenarios: readonly ResolvedScenario[],
  settings: RunOptions,
  log: (line: string) => void,
): Promise<OneServer & { inspection: TargetInspection; stop: () => Promise<void> }> {
  let server: Omit<OneServer, "facts">;
  if (settings.target) {
    server = { target: settings.target };
  } else {
    const largest = scenarios.reduce((a, b) =>
      a.dataset.tables * a.dataset.tableSize >= b.dataset.tables * b.dataset.tableSize ? a : b,
    );
    const sizing = {
      connections: Math.max(...scenarios.map((s) => s.load.connections)),
      tables: largest.dataset.tables,
      tableSize: largest.dataset.tableSize,
      // The binary protocol's statements, every connection its own: room for the largest run's.
      preparedStatements: Math.max(...scenarios.map(preparedStatementsOf)),
    };
    if (settings.engine === "galera") {
      const galera = await startGaleraSandbox({
        nodes: 1 + (settings.overrides.replicas ?? DEFAULT_GALERA_REPLICAS),
        sizing,
        ...(settings.sandboxDir ? { parentDir: settings.sandboxDir } : {}),
        log,
      });
      server = { target: galera.target, galera };
    } else {
      const sandbox = await Sandbox.start({
        ...(settings.sandboxDir ? { dir: settings.sandboxDir } : {}),
        sizing,
        log,
      });
      server = { target: sandbox.target, sandbox };
    }
  }
  const stop = async () => {
    await server.sandbox?.stop();
    await server.galera?.stop();
  };
  try {
    const { target } = server;
    const { facts, inspection } = await withAdmin(target, async (admin) => {
      const facts = await readServerFacts(admin);
      // What doctor shows, kept with the figures it explains.
      const inspection = await inspectTarget(admin, {
        database: target.database,
        facts,
        ...(server.sandbox
          ? { sandbox: "mariadb" as const }
          : server.galera
            ? { sandbox: "galera" as const }
            : {}),
      });
      if (!server.sandbox && !server.galera)
        await admin.query(`CREATE DATABASE IF NOT EXISTS \`${target.database.replace(/`/g, "``")}\``);
      return { facts, inspection };
    });
    return { ...server, facts, inspection, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** result.json's environment.target for the run's one server. */
export function describeOneServer(
  server: OneServer & { inspection: TargetInspection },
): Result["environment"]["target"] {
  const { target, facts, sandbox, galera } = server;
  return {
    url: target.displayUrl,
    version: facts.version,
    flavor: facts.flavor,
    flavorSource: facts.flavorSource,
    variables: facts.variables,
    inspection: server.inspection,
    sandbox: sandbox
      ? {
          binary: sandbox.info.binary,
          flavor: sandbox.info.flavor,
          version: sandbox.info.version,
          dir: sandbox.info.dir,
          port: sandbox.info.port,
          settings: sandbox.info.settings,
          reusedDatadir: sandbox.info.reusedDatadir,
          sharesMachineWithClient: true,
        }
      : galera
        ? galera.describe()
        : null,
  };
}

/** The run's one server, which every one-server kind runs on. */
export function oneServerOf(ctx: RunContext): OneServer {
  if (!ctx.server) throw new Error("no server for a one-server scenario");
  return ctx.server;
}

export function isSandboxed(server: OneServer): boolean {
  return !!server.sandbox || !!server.galera;
}

/** Workers on the run's one server: --workers, else one per core (less one beside a local server). */
export function oneServerWorkers(ctx: RunContext, server: OneServer): number {
  return (
    ctx.settings.workers ?? defaultWorkers(undefined, isSandboxed(server) || sharesMachine(server.target))
  );
}

/** The measured environment's words for the run's one server. */
export function oneServerEnvironment(
  ctx: RunContext,
  server: OneServer,
  scenario: ResolvedScenario,
  workers: number,
): string {
  return describeMeasuredEnvironment(
    ctx.client,
    {
      flavor: server.facts.flavor,
      version: server.facts.version,
      sandbox: isSandboxed(server),
      sameMachine: sharesMachine(server.target),
    },
    scenario.load.connections,
    workers,
  );
}
