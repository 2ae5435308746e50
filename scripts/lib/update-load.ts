import { performance } from "node:perf_hooks";
import { type AdminConnection, openAdminConnection } from "../../bench/target/connection.js";
import type { TargetSpec } from "../../bench/target/url.js";
import { addCleanup } from "../../bench/util/cleanup.js";
import { redactText } from "../../bench/util/redact.js";
import { sleep } from "../../bench/util/timer.js";

/** Connections the background load is spread over: a few lanes, each on a schedule of its own. */
export const LOAD_CONNECTIONS = 4;

export interface LoadSummary {
  targetRate: number;
  connections: number;
  updates: number;
  /** Schedule slots passed over because an update came back later than its lane's next slot. */
  skippedSlots: number;
  elapsedMs: number;
  achievedRate: number;
  errors: string[];
}

export interface Load {
  stop(): Promise<LoadSummary>;
}

/**
 * UPDATEs of random sbtest1 rows at `rate` per second over a few connections, each lane on a fixed
 * schedule of its own (offset so the lanes interleave). Ends at stop() or after `limitMs`.
 */
export async function startLoad(
  target: TargetSpec,
  rate: number,
  tableSize: number,
  limitMs: number,
  secrets: string[],
): Promise<Load> {
  const lanes = Math.max(1, Math.min(LOAD_CONNECTIONS, rate));
  const conns: AdminConnection[] = [];
  const closeAll = async () => {
    await Promise.all(conns.map((conn) => conn.end().catch(() => conn.destroy())));
  };
  try {
    for (let i = 0; i < lanes; i++) conns.push(await openAdminConnection(target));
  } catch (error) {
    await closeAll();
    throw error;
  }
  const halt = new AbortController();
  const slotMs = 1000 / rate;
  const laneIntervalMs = slotMs * lanes;
  const errors: string[] = [];
  let updates = 0;
  let skippedSlots = 0;
  const startMs = performance.now();
  const deadline = setTimeout(() => halt.abort(), limitMs);
  const done = Promise.all(
    conns.map(async (conn, lane) => {
      const offsetMs = lane * slotMs;
      for (let slot = 0; !halt.signal.aborted; ) {
        const waitMs = startMs + offsetMs + slot * laneIntervalMs - performance.now();
        if (waitMs > 0) await sleep(waitMs, halt.signal);
        if (halt.signal.aborted) break;
        const id = 1 + Math.floor(Math.random() * tableSize);
        try {
          await conn.query("UPDATE sbtest1 SET k=k+1 WHERE id=?", [id]);
        } catch (error) {
          if (!halt.signal.aborted && errors.length < 5) {
            errors.push(redactText((error as Error).message ?? String(error), secrets));
          }
          break;
        }
        updates++;
        const next = Math.max(
          slot + 1,
          Math.floor((performance.now() - startMs - offsetMs) / laneIntervalMs) + 1,
        );
        skippedSlots += next - slot - 1;
        slot = next;
      }
    }),
  );
  let stopping: Promise<LoadSummary> | undefined;
  const stop = async (): Promise<LoadSummary> => {
    halt.abort();
    clearTimeout(deadline);
    await done;
    const elapsedMs = performance.now() - startMs;
    await closeAll();
    return {
      targetRate: rate,
      connections: lanes,
      updates,
      skippedSlots,
      elapsedMs: Math.round(elapsedMs),
      achievedRate: elapsedMs > 0 ? (updates * 1000) / elapsedMs : 0,
      errors,
    };
  };
  const removeCleanup = addCleanup(async () => {
    stopping ??= stop();
    await stopping;
  });
  return {
    stop: () => {
      removeCleanup();
      stopping ??= stop();
      return stopping;
    },
  };
}
