import { LeanChannel, Mysql2Channel } from "../executor/channel.js";
import { FailoverConnector } from "../executor/failover-connector.js";
import { PrepareError } from "../executor/prepare.js";
import type { HotPath } from "../executor/protocol.js";
import type { ResolvedScenario } from "../scenario/resolve.js";
import { identityToVerify, loadConnection } from "../target/connection.js";
import type { TargetSpec } from "../target/url.js";
import { TargetError } from "../util/errors.js";
import { redactText } from "../util/redact.js";
import { compileWorkload } from "../workload/program.js";
import { protocolOf } from "../workload/protocol.js";

/** Binary protocol: the statements the load's connections hold at once on the server, all of them. */
export function preparedStatementsOf(scenario: ResolvedScenario): number {
  if (protocolOf(scenario.workload) !== "binary") return 0;
  return scenario.load.connections * compileWorkload(scenario.workload, scenario.dataset).prepared.length;
}

/**
 * Binary protocol: one connection prepares every statement the load's connections will, the way
 * they will (the same hot path), before the load starts. A statement the server refuses fails the
 * run here, in one line naming it, instead of as every load connection failing to open.
 */
export async function checkStatementsPrepare(
  scenario: Pick<ResolvedScenario, "id" | "workload" | "dataset">,
  target: TargetSpec,
  hotPath: HotPath,
): Promise<void> {
  if (protocolOf(scenario.workload) !== "binary") return;
  const { prepared } = compileWorkload(scenario.workload, scenario.dataset);
  const verifyHost = identityToVerify(target);
  const connector = new FailoverConnector(
    { ...loadConnection(target), hotPath, ...(verifyHost ? { verifyHost } : {}) },
    prepared,
  );
  let opened: Awaited<ReturnType<FailoverConnector["open"]>>;
  try {
    opened = await connector.openAtStart();
  } catch (error) {
    // Not reaching the server is the load's to report, as without prepared statements.
    if (!(error instanceof PrepareError)) return;
    throw new TargetError(
      `${scenario.id}: ${redactText(error.message, target.password ? [target.password] : [])} (${error.code})`,
    );
  }
  // Said goodbye to (COM_QUIT), as the load's connections are: the server frees its statements.
  const ignore = () => {};
  const channel =
    hotPath === "lean"
      ? new LeanChannel(opened.conn, ignore, opened.shared, opened.prepared)
      : new Mysql2Channel(opened.conn, ignore);
  await new Promise<void>((resolve) => channel.close(resolve));
}
