import { type Engine, startSandboxTargets } from "../sandbox/targets.js";
import { withAdmin } from "../target/connection.js";
import { inspectTarget, type TargetInspection } from "../target/inspect.js";
import { assertReplicating, type ReplicationCheck } from "../target/replication.js";
import type { TargetSpec } from "../target/url.js";
import { parseTargetUrl } from "../target/url.js";
import { TargetError, UsageError } from "../util/errors.js";
import { redactText } from "../util/redact.js";

export interface DoctorFlags {
  target?: string;
  replica?: string[];
  json?: boolean;
  engine?: string;
  replicas?: string;
  sandboxDir?: string;
}

export interface ReplicaVerdict {
  url: string;
  ok: boolean;
  check: ReplicationCheck | null;
  /** Why it was refused. */
  reason: string | null;
}

export interface DoctorReport {
  url: string;
  sandbox: Engine | null;
  inspection: TargetInspection;
  replicas: ReplicaVerdict[];
  /** Why a run could not use this target; empty when it can. */
  problems: string[];
}

export function parseEngine(value: string | undefined): Engine {
  if (value === undefined || value === "mariadb") return "mariadb";
  if (value === "galera") return "galera";
  throw new UsageError(`--engine: '${value}' is not an engine; use mariadb or galera`);
}

/** Checks each replica on its own, so one refused replica does not hide what the others are. */
async function checkReplicas(primary: TargetSpec, replicas: TargetSpec[]): Promise<ReplicaVerdict[]> {
  const out: ReplicaVerdict[] = [];
  for (const replica of replicas) {
    try {
      const [check] = await assertReplicating(primary, [replica]);
      out.push({ url: replica.displayUrl, ok: true, check: check ?? null, reason: null });
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      out.push({ url: replica.displayUrl, ok: false, check: null, reason: error.message });
    }
  }
  return out;
}

export async function diagnose(
  target: TargetSpec,
  replicas: TargetSpec[],
  sandbox: Engine | null,
): Promise<DoctorReport> {
  const inspection = await withAdmin(target, (conn) =>
    inspectTarget(conn, { database: target.database, ...(sandbox ? { sandbox } : {}) }),
  );
  const verdicts = await checkReplicas(target, replicas);
  const problems: string[] = [];
  const load = inspection.privileges.needs[0];
  if (load?.have === false)
    problems.push(`the user cannot ${load.what} (needs ${load.privileges.join(", ")})`);
  if (
    inspection.galera &&
    (inspection.galera.state !== "Synced" || inspection.galera.clusterStatus !== "Primary")
  )
    problems.push(
      `the Galera node is ${inspection.galera.state} in a ${inspection.galera.clusterStatus} component`,
    );
  for (const verdict of verdicts) if (!verdict.ok && verdict.reason) problems.push(verdict.reason);
  return { url: target.displayUrl, sandbox, inspection, replicas: verdicts, problems };
}

const mark = (have: boolean | null) => (have === null ? "[?]" : have ? "[ok]" : "[missing]");

export function renderDoctor(report: DoctorReport): string {
  const i = report.inspection;
  const lines: string[] = [];
  lines.push(
    `target:      ${report.url}${report.sandbox ? ` (a ${report.sandbox} sandbox started for this check)` : ""}`,
  );
  lines.push(`server:      ${i.flavor} ${i.version}`);
  lines.push(`             decided by: ${i.flavorSource}`);
  lines.push(`reached:     ${i.server}`);
  lines.push(`role:        ${i.role}`);
  lines.push(
    `binary log:  ${i.binaryLog.on ? `ON (${i.binaryLog.format ?? "?"})` : "OFF"}, gtid_mode ${i.binaryLog.gtidMode ?? "-"}`,
  );
  lines.push("settings that move the figures:");
  const width = Math.max(...i.settings.map((s) => `${s.name} = ${s.value ?? "-"}`.length), 10);
  for (const s of i.settings) lines.push(`  ${`${s.name} = ${s.value ?? "-"}`.padEnd(width)}  ${s.why}`);
  lines.push(
    `privileges:  ${i.privileges.checked ? `global: ${i.privileges.global.join(", ") || "none"}${i.privileges.database.length > 0 ? `; on the database: ${i.privileges.database.join(", ")}` : ""}` : "not readable"}`,
  );
  for (const need of i.privileges.needs) {
    lines.push(
      `  ${mark(need.have).padEnd(9)} ${need.what} (${need.privileges.join(need.all ? ", " : " or ")})${need.have === false ? `: without it, ${need.without}` : ""}`,
    );
  }
  lines.push("what a run will do here:");
  lines.push(`  replica-lag catch-up: ${i.plan.catchUp} (${i.plan.catchUpWhy})`);
  lines.push(`  crash-recovery:       ${i.plan.crash}`);
  lines.push(
    `  counter check:        ${i.plan.counterCheck.available ? "yes" : "no"} (${i.plan.counterCheck.why})`,
  );
  lines.push(`  fault injection:      ${i.plan.faults.available ? "yes" : "no"} (${i.plan.faults.why})`);
  if (report.replicas.length > 0) {
    lines.push("replicas:");
    for (const r of report.replicas) {
      lines.push(
        r.ok && r.check
          ? `  [ok]      ${r.url}: ${r.check.kind}${r.check.member ? ` ${r.check.member}` : ""}, checked by ${r.check.checkedBy.join(" + ") || "host"}`
          : `  [refused] ${r.url}: ${r.reason}`,
      );
    }
  }
  for (const warning of i.warnings) lines.push(`warning: ${warning}`);
  lines.push(
    report.problems.length === 0 ? "verdict: usable" : `verdict: NOT usable: ${report.problems.join("; ")}`,
  );
  return lines.join("\n");
}

/** `doctor`: what the tool sees of a target (or of a sandbox it starts), before a run is paid for. */
export async function doctorCommand(flags: DoctorFlags): Promise<void> {
  const engine = parseEngine(flags.engine);
  const replicaUrls = (flags.replica ?? []).map((url) => parseTargetUrl(url, "--replica"));
  if (replicaUrls.length > 0 && !flags.target) throw new UsageError("--replica: give --target too");
  if (flags.target && flags.engine)
    throw new UsageError("--engine: the sandbox's engine; with --target the engine is detected");
  let report: DoctorReport;
  if (flags.target) {
    const target = parseTargetUrl(flags.target);
    report = await diagnose(target, replicaUrls, null);
  } else {
    const sandbox = await startSandboxTargets({
      engine,
      replicas: flags.replicas,
      ...(flags.sandboxDir ? { dir: flags.sandboxDir } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    try {
      report = await diagnose(sandbox.primary, sandbox.replicas, engine);
    } finally {
      await sandbox.stop();
    }
  }
  const secrets = [
    ...(flags.target ? [parseTargetUrl(flags.target).password] : []),
    ...replicaUrls.map((r) => r.password),
  ].filter(Boolean);
  const text = flags.json ? JSON.stringify(report, null, 2) : renderDoctor(report);
  process.stdout.write(`${redactText(text, secrets)}\n`);
  if (report.problems.length > 0)
    throw new TargetError(`doctor: ${report.url} cannot be used: ${report.problems[0]}`);
}
