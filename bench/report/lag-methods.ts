import type { ReplicaLag, ReplicationResult, ScenarioResult } from "../result/schema.js";

type TimedBy = NonNullable<ReplicaLag["method"]>;
type Asked = NonNullable<ReplicationResult["lagMethod"]>;

/** How a replica's sightings were timed; a result from before the GTID wait has no method: it polled. */
export function lagMethodOf(replica: Pick<ReplicaLag, "method">): TimedBy {
  return replica.method ?? "poll";
}

/**
 * Whether a replica's method needs its reason beside it: it is not the one asked for, or auto
 * settled for the poll (a coarser resolution the reader should be able to trace to its cause).
 */
export function methodNeedsReason(method: TimedBy, asked: Asked | undefined): boolean {
  const request = asked ?? "auto";
  return request === "auto" ? method === "poll" : method !== request;
}

/** A replica whose method needs its reason, once per distinct method and reason over the steps. */
export interface MethodNote {
  replica: string;
  method: TimedBy;
  reason: string;
}

export function lagMethodNotes(scenario: Pick<ScenarioResult, "steps" | "replication">): MethodNote[] {
  const asked = scenario.replication?.lagMethod;
  const notes = new Map<string, MethodNote>();
  for (const step of scenario.steps ?? []) {
    for (const replica of step.lag?.replicas ?? []) {
      const method = lagMethodOf(replica);
      if (!replica.methodReason || !methodNeedsReason(method, asked)) continue;
      const note = { replica: replica.name, method, reason: replica.methodReason };
      notes.set(JSON.stringify(note), note);
    }
  }
  return [...notes.values()];
}
