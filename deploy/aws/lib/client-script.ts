import type { BenchParams } from "./params.js";

/**
 * What one client machine runs, as argument lists for the tool (tests parse them with the tool's
 * own flag parser) and as the user-data script around them. Target URLs are shell variables the
 * script fills from Secrets Manager at boot: no password is ever in a template or in user data.
 */

/** Shell variables holding the targets' URLs (set by the script, never printed). */
export const URL_VARS = {
  aurora: "$AURORA_URL",
  auroraReplica: (i: number) => `$AURORA_REPLICA_${i + 1}_URL`,
  mysql: "$MYSQL_URL",
  mysqlReplica: "$MYSQL_REPLICA_URL",
} as const;

/** One run of the tool on a client, and the result folder it writes under the client's results. */
export interface ClientRun {
  name: string;
  args: string[];
}

/** The runs of client `index`, in order: the split write claim on each target, then client 0's own. */
export function clientRuns(params: BenchParams, index: number): ClientRun[] {
  const duration = params.duration ? ["--duration", params.duration] : [];
  const split = (target: string, side: string) => [
    "run",
    "aurora-write",
    "--target",
    target,
    "--clients",
    String(params.clients),
    "--client-index",
    String(index),
    "--run-id",
    `${params.runId}-${side}`,
    ...duration,
    "--out",
    `$RESULTS/${side}-write`,
  ];
  const runs: ClientRun[] = [{ name: "aurora-write", args: split(URL_VARS.aurora, "aurora") }];
  if (params.baseline) runs.push({ name: "mysql-write", args: split(URL_VARS.mysql, "mysql") });
  if (index !== 0) return runs;
  // One client, as the read claim was measured (1,000 threads from one machine); the baseline
  // first, then Aurora, and the two compared.
  const baseline = params.baseline ? ["--baseline", URL_VARS.mysql] : [];
  runs.push({
    name: "read",
    args: [
      "run",
      "aurora-read",
      "--target",
      URL_VARS.aurora,
      ...baseline,
      ...duration,
      "--out",
      "$RESULTS/read",
    ],
  });
  if (params.replicas > 0) {
    const replicas = Array.from({ length: params.replicas }, (_, i) => [
      "--replica",
      URL_VARS.auroraReplica(i),
    ]);
    const baselineReplica =
      params.baseline && params.baselineReplica
        ? ["--baseline", URL_VARS.mysql, "--baseline-replica", URL_VARS.mysqlReplica]
        : [];
    runs.push({
      name: "replica-lag",
      args: [
        "run",
        "replica-lag",
        "--target",
        URL_VARS.aurora,
        ...replicas.flat(),
        ...baselineReplica,
        "--out",
        "$RESULTS/replica-lag",
      ],
    });
  }
  // ALTER SYSTEM CRASH on the writer, warm then cold; the baseline has no SQL to crash it with.
  runs.push({
    name: "crash-recovery",
    args: ["run", "crash-recovery", "--target", URL_VARS.aurora, "--out", "$RESULTS/crash-recovery"],
  });
  return runs;
}

/** Where the script finds what it needs: resolved by CloudFormation (tokens) when synthesized. */
export interface ScriptInputs {
  region: string;
  toolBucket: string;
  toolKey: string;
  resultsBucket: string;
  auroraSecretArn: string;
  /** Each Aurora reader's own instance endpoint (replica-lag needs each replica's own server). */
  auroraReplicaHosts: string[];
  mysqlSecretArn?: string;
  mysqlReplicaHost?: string;
}

/** Quotes a word for bash unless it is a variable reference the script fills in. */
function shellWord(word: string): string {
  if (/^\$[A-Z_0-9]+(\/[a-z-]+)?$/.test(word)) return `"${word}"`;
  if (/^[A-Za-z0-9._,:=/-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/** The client's user data: install Node.js and the tool, fill the URLs, run, upload, shut down. */
export function clientScript(params: BenchParams, index: number, inputs: ScriptInputs): string {
  const prefix = `runs/${params.runId}/client-${index}`;
  const lines = [
    "#!/bin/bash",
    "# reinvent-bench client: installs Node.js and the tool, runs its share, uploads, shuts down.",
    "set -uo pipefail",
    "exec >>/var/log/reinvent-bench.log 2>&1",
    `export AWS_DEFAULT_REGION=${inputs.region}`,
    "RESULTS=/opt/reinvent-bench/results",
    'mkdir -p /opt/reinvent-bench/tool "$RESULTS"',
    // Whatever happens below, what was measured goes to the bucket and the machine stops.
    `upload() { aws s3 cp --recursive --only-show-errors "$RESULTS" "s3://${inputs.resultsBucket}/${prefix}/"; }`,
    "trap 'upload; shutdown -h now' EXIT",
    "set -e",
    "dnf install -y -q nodejs22 nodejs22-npm jq unzip",
    `aws s3 cp --only-show-errors "s3://${inputs.toolBucket}/${inputs.toolKey}" /opt/reinvent-bench/tool.zip`,
    "cd /opt/reinvent-bench/tool && unzip -q ../tool.zip",
    "npm-22 ci --no-audit --no-fund && npm-22 run build && npm-22 prune --omit=dev",
    // A URL from a generated secret: user and password URL-encoded; the host is the secret's
    // (the writer's endpoint) or the one given (a reader's own endpoint). Never echoed.
    "url() {",
    '  local host=""; [ "$#" -lt 2 ] || host="$2"',
    '  aws secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text |',
    '    jq -r --arg host "$host" \'"mysql://\\(.username|@uri):\\(.password|@uri)@\\(if $host == "" then .host else $host end):\\(.port)/sbtest"\'',
    "}",
    `AURORA_URL="$(url ${inputs.auroraSecretArn})"`,
    ...inputs.auroraReplicaHosts.map(
      (host, i) => `AURORA_REPLICA_${i + 1}_URL="$(url ${inputs.auroraSecretArn} ${host})"`,
    ),
    ...(inputs.mysqlSecretArn ? [`MYSQL_URL="$(url ${inputs.mysqlSecretArn})"`] : []),
    ...(inputs.mysqlSecretArn && inputs.mysqlReplicaHost
      ? [`MYSQL_REPLICA_URL="$(url ${inputs.mysqlSecretArn} ${inputs.mysqlReplicaHost})"`]
      : []),
    "set +e",
    "cd /opt/reinvent-bench/tool",
    ...clientRuns(params, index).flatMap((run) => [
      `./bin/reinvent-bench.js ${run.args.map(shellWord).join(" ")}`,
      `echo "${run.name} exit $?" >> "$RESULTS/status.txt"`,
    ]),
  ];
  return `${lines.join("\n")}\n`;
}
