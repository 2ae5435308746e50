import type { ScenarioResult } from "../result/schema.js";

/** What happened to the target or the connections during the phase, as marks on its timeline. */
export function timelineEvents(
  scenario: ScenarioResult,
): { from: number; to: number; event: string; detail: string }[] {
  const events: { from: number; to: number; event: string; detail: string }[] = [];
  const crash = scenario.crashes?.at(-1);
  if (crash) {
    events.push({
      from: crash.atMs / 1000,
      to: crash.atMs / 1000,
      event: "crash",
      detail: `${crash.method} (${crash.cache})`,
    });
  }
  for (const fault of scenario.faults ?? []) {
    if (fault.sentAtMs === null) continue;
    events.push({
      from: fault.sentAtMs / 1000,
      to: (fault.sentAtMs + fault.forMs) / 1000,
      event: `fault: ${fault.kind}`,
      detail: fault.ok ? fault.sql : `${fault.sql}: ${fault.error}`,
    });
  }
  for (const interval of scenario.intervals) {
    const lost = interval.connections?.lost ?? 0;
    const back = interval.connections?.reconnected ?? 0;
    if (lost > 0 || back > 0) {
      events.push({
        from: interval.t,
        to: interval.t + 1,
        event: "connections lost / reopened",
        detail: `${lost} lost, ${back} reopened`,
      });
    }
  }
  return events;
}

export type TimelineEvents = ReturnType<typeof timelineEvents>;

/** The events as the timeline charts mark them: a shaded span for each, a red rule at a crash. */
export function eventLayers(events: TimelineEvents): object[] {
  if (events.length === 0) return [];
  return [
    {
      data: { values: events },
      mark: { type: "rect", opacity: 0.25 },
      encoding: {
        x: { field: "from", type: "quantitative" },
        x2: { field: "to" },
        fill: { field: "event", type: "nominal", title: "event" },
        tooltip: [{ field: "event" }, { field: "detail" }],
      },
    },
    {
      data: { values: events.filter((e) => e.from === e.to) },
      mark: { type: "rule", strokeWidth: 2, color: "#d62728" },
      encoding: { x: { field: "from", type: "quantitative" }, tooltip: [{ field: "detail" }] },
    },
  ];
}
