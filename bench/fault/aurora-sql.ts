import type { ResolvedFault } from "../scenario/resolve.js";

/**
 * Aurora MySQL's fault-injection statements (ALTER SYSTEM CRASH / SIMULATE), sent by the master
 * user to the instance they should hit. Durations go in whole seconds.
 */

/** Warm: the database process restarts with its cache kept; cold: NODE also drops the cache. */
export function crashStatement(cache: "warm" | "cold"): string {
  return `ALTER SYSTEM CRASH ${cache === "warm" ? "INSTANCE" : "NODE"}`;
}

function where(fault: ResolvedFault): string {
  if (fault.disk !== undefined) return ` IN DISK ${fault.disk}`;
  if (fault.node !== undefined) return ` IN NODE ${fault.node}`;
  return "";
}

/** The SIMULATE statement of one fault, lasting fault.forMs. */
export function faultStatement(fault: ResolvedFault): string {
  const forSeconds = Math.max(1, Math.round(fault.forMs / 1000));
  const pct = Number(fault.percent.toFixed(2));
  const interval = ` FOR INTERVAL ${forSeconds} SECOND`;
  switch (fault.kind) {
    case "disk-congestion":
      return `ALTER SYSTEM SIMULATE ${pct} PERCENT DISK CONGESTION BETWEEN ${fault.minMs ?? 0} AND ${fault.maxMs ?? 0} MILLISECONDS${where(fault)}${interval}`;
    case "disk-failure":
      return `ALTER SYSTEM SIMULATE ${pct} PERCENT DISK FAILURE${where(fault)}${interval}`;
    case "replica-failure":
      return `ALTER SYSTEM SIMULATE ${pct} PERCENT READ REPLICA FAILURE ${fault.replica ? `TO "${fault.replica}"` : "TO ALL"}${interval}`;
  }
}
