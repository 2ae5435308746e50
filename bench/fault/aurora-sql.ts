import type { ResolvedFault } from "../scenario/resolve.js";

/**
 * Aurora MySQL's fault-injection statements (ALTER SYSTEM CRASH / SIMULATE), sent by the master
 * user to the instance they should hit. Durations go in whole seconds. AWS's guide describes their
 * effect on the instance or cluster ("the Aurora DB cluster randomly marks disk segments as
 * faulting"), not on the session that sends them, so they go over a connection of their own.
 */

/** Warm: the database process restarts with its cache kept; cold: NODE also drops the cache. */
export function crashStatement(cache: "warm" | "cold"): string {
  return `ALTER SYSTEM CRASH ${cache === "warm" ? "INSTANCE" : "NODE"}`;
}

/**
 * Where a disk fault lands, as AWS's grammar writes it: `[ IN DISK index | NODE index ]` (the
 * Aurora MySQL user guide, "Testing Amazon Aurora MySQL using fault injection queries", unchanged
 * since 2018). Read as written, the alternatives are `IN DISK index` and `NODE index`; the guide
 * gives no example with an index, so `IN NODE index` is not used.
 */
function where(fault: ResolvedFault): string {
  if (fault.disk !== undefined) return ` IN DISK ${fault.disk}`;
  if (fault.node !== undefined) return ` NODE ${fault.node}`;
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
