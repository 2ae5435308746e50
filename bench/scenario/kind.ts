/**
 * What a scenario runs, each kind with a runner of its own: a closed loop for as long as it lasts
 * (throughput), one fixed-rate step per rate (rate-steps), or a load the target is crashed under
 * (crash).
 */
export const SCENARIO_KINDS = ["throughput", "rate-steps", "crash"] as const;

export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** The fields that make each kind what it is, as a scenario file writes them. */
interface KindFields {
  kind?: unknown;
  load?: { rates?: unknown } | null;
  crash?: unknown;
  sweep?: unknown;
}

/**
 * The kind a file without `kind:` has, read from its fields as runs chose before kinds were named:
 * fixed rates first, then a crash, else throughput.
 */
export function kindFromFields(scenario: KindFields): ScenarioKind {
  if (scenario.load?.rates !== undefined) return "rate-steps";
  if (scenario.crash !== undefined) return "crash";
  return "throughput";
}

/** A named kind that its fields contradict, as "kind: ..." lines; none when they agree or no kind is named. */
export function kindProblems(scenario: KindFields | null): string[] {
  if (scenario && scenario.kind === undefined && scenario.sweep !== undefined) {
    const derived = kindFromFields(scenario);
    if (derived !== "throughput")
      return [`sweep: sweeps run throughput scenarios only; this one runs as '${derived}'`];
  }
  const kind = scenario?.kind;
  if (typeof kind !== "string" || !(SCENARIO_KINDS as readonly string[]).includes(kind)) return [];
  const rates = scenario?.load?.rates !== undefined;
  const crash = scenario?.crash !== undefined;
  const problems: string[] = [];
  if (kind === "rate-steps" && !rates)
    problems.push("kind: 'rate-steps' needs load.rates, one step per rate");
  if (kind === "crash" && !crash) problems.push("kind: 'crash' needs crash (when, windows, caches)");
  if (kind !== "rate-steps" && rates)
    problems.push(`kind: '${kind}' runs no fixed-rate steps; load.rates belongs to kind 'rate-steps'`);
  if (kind !== "crash" && crash)
    problems.push(`kind: '${kind}' crashes nothing; crash belongs to kind 'crash'`);
  return problems;
}
