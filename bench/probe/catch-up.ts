import { performance } from "node:perf_hooks";
import { type ReplicationDialect, replicationDialect } from "../sandbox/topology.js";
import type { AdminConnection } from "../target/connection.js";
import type { ServerFacts } from "../target/facts.js";
import { TargetError } from "../util/errors.js";

/**
 * Waits until every replica has applied all the primary has committed (its GTID position), so a
 * step's lag is not inflated by the backlog of the step before. Returns the time it took, or null
 * when the server has no GTID position to wait for (Aurora replicas share storage and have none).
 */
export async function waitForReplicas(options: {
  primary: AdminConnection;
  replicas: readonly { name: string; conn: AdminConnection }[];
  facts: Pick<ServerFacts, "flavor" | "version">;
  timeoutSec: number;
}): Promise<number | null> {
  const dialect = dialectOf(options.facts);
  if (!dialect) return null;
  const startMs = performance.now();
  const [rows] = await options.primary.query(dialect.primaryPosition);
  const position = String((rows as { pos: string | null }[])[0]?.pos ?? "");
  if (position === "") return 0;
  await Promise.all(
    options.replicas.map(async ({ name, conn }) => {
      const [waited] = await conn.query(dialect.waitForPosition, [position, options.timeoutSec]);
      const code = Number((waited as { w: number | string | null }[])[0]?.w);
      // 0: reached; -1 (MariaDB) or 1 (MySQL): timed out; NULL: replication not running.
      if (code !== 0) {
        throw new TargetError(
          `${name} did not apply the primary's writes within ${options.timeoutSec} s (position ${position}); replication may be stopped or too far behind`,
        );
      }
    }),
  );
  return performance.now() - startMs;
}

function dialectOf(facts: Pick<ServerFacts, "flavor" | "version">): ReplicationDialect | null {
  if (facts.flavor !== "mariadb" && facts.flavor !== "mysql") return null;
  try {
    return replicationDialect(facts.flavor, facts.version);
  } catch {
    return null;
  }
}
