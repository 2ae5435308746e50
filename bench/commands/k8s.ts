import { stringify } from "yaml";
import { toolVersion } from "../run/environment.js";
import { loadCatalog, selectScenarios } from "../scenario/load.js";
import { resolveScenario } from "../scenario/resolve.js";
import { parseTargetUrl } from "../target/url.js";
import { UsageError } from "../util/errors.js";
import { parseRunFlags } from "./run-flags.js";

/**
 * `k8s`: the manifests that run a scenario from N client pods as one run: a Secret holding the
 * target URL (with its password, base64 as Secrets are), and an Indexed Job whose pods are the
 * clients (`JOB_COMPLETION_INDEX` is the client index) and meet in the target before each phase.
 * Each pod prints its result between markers; `merge` reads them from `kubectl logs`.
 */

export interface K8sFlags {
  clients?: string;
  target?: string;
  image?: string;
  runId?: string;
  namespace?: string;
  duration?: string;
  warmup?: string;
  connections?: string;
  /** --protocol text|binary, passed to every client. */
  protocol?: string;
  quick?: boolean;
}

/** Kubernetes names: lower-case letters, digits and dashes, not starting or ending with a dash. */
function dnsName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** A flag's value as an error shows it: control characters escaped, so the message stays one line. */
function shown(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));
}

/** RFC 1123 DNS label, as Kubernetes checks namespaces, label values and pod host names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL = 63;

export function isDnsLabel(text: string): boolean {
  return text.length <= MAX_LABEL && DNS_LABEL.test(text);
}

const JOB_PREFIX = "reinvent-bench-";
const SECRET_SUFFIX = "-target";
/**
 * The longest run id (once made a name) that keeps every name made from it whole: the Secret
 * `reinvent-bench-<id>-target`, and the Job `reinvent-bench-<id>`, which is also a label value
 * (job-name) and, with `-<index>`, each pod's host name.
 */
const MAX_RUN_ID_NAME = MAX_LABEL - JOB_PREFIX.length - SECRET_SUFFIX.length;

export interface K8sManifests {
  secret: Record<string, unknown>;
  job: Record<string, unknown>;
  jobName: string;
  runId: string;
  clients: number;
}

export function buildManifests(scenarioName: string, flags: K8sFlags, now = new Date()): K8sManifests {
  if (flags.target === undefined)
    throw new UsageError("--target: give the URL of the database the clients share");
  if (flags.namespace !== undefined && !isDnsLabel(flags.namespace)) {
    throw new UsageError(
      `--namespace: '${shown(flags.namespace)}' is not a Kubernetes namespace; give at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  if (flags.image !== undefined && !/^[^\s\p{Cc}]+$/u.test(flags.image)) {
    throw new UsageError(
      `--image: '${shown(flags.image)}' is not an image reference; give a name with no spaces in it, such as registry.example.com/reinvent-bench:0.1.0`,
    );
  }
  // Checked here so a malformed URL fails now, not in every pod.
  parseTargetUrl(flags.target, "--target");
  const selection = selectScenarios([scenarioName], loadCatalog());
  if (selection.scenarios.length !== 1) {
    throw new UsageError(`k8s: give one scenario (such as aurora-write), not the suite ${scenarioName}`);
  }
  const { file, scenario } = selection.scenarios[0] as (typeof selection.scenarios)[number];
  const clients =
    flags.clients === undefined
      ? scenario.load.clients
      : /^\d+$/.test(flags.clients) && Number(flags.clients) >= 1 && Number(flags.clients) <= 1000
        ? Number(flags.clients)
        : (() => {
            throw new UsageError(`--clients: '${flags.clients}' must be a whole number from 1 to 1,000`);
          })();
  // The same checks a client will make, before anything is sent to a cluster.
  const { overrides } = parseRunFlags({
    ...(flags.duration === undefined ? {} : { duration: flags.duration }),
    ...(flags.warmup === undefined ? {} : { warmup: flags.warmup }),
    ...(flags.connections === undefined ? {} : { connections: flags.connections }),
    ...(flags.protocol === undefined ? {} : { protocol: flags.protocol }),
  });
  const resolved = resolveScenario(file, scenario, {
    ...overrides,
    clients,
    clientIndex: 0,
    ...(flags.quick ? { quick: true } : {}),
  });
  if (resolved.load.ratesPerSec || resolved.crash || resolved.replication || resolved.faults) {
    throw new UsageError(
      `k8s: ${resolved.id} runs from one client only; use the throughput scenarios (aurora-write, aurora-read)`,
    );
  }
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 13).toLowerCase();
  // The default keeps the time whole: a long scenario id gives way, so the names stay whole.
  const runId =
    flags.runId ?? `${resolved.id.slice(0, MAX_RUN_ID_NAME - stamp.length - 1).replace(/-+$/, "")}-${stamp}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
    throw new UsageError(`--run-id: '${shown(runId)}' must be 1-128 letters, digits, '.', '-' or '_'`);
  }
  const runName = dnsName(runId);
  if (runName.length > MAX_RUN_ID_NAME) {
    throw new UsageError(
      `--run-id: '${runId}' is too long to name the Job and the Secret (${JOB_PREFIX}<id>${SECRET_SUFFIX} must be at most ${MAX_LABEL} characters); give at most ${MAX_RUN_ID_NAME} characters`,
    );
  }
  const jobName = `${JOB_PREFIX}${runName}`;
  const secretName = `${jobName}${SECRET_SUFFIX}`;
  const namespace = flags.namespace === undefined ? {} : { namespace: flags.namespace };
  const labels = { "app.kubernetes.io/name": "reinvent-bench", "reinvent-bench/run": runName };
  // Every name and label value made here, as Kubernetes will check it (each pod's host name is the
  // Job's name and its index).
  for (const name of [jobName, secretName, runName, `${jobName}-${clients - 1}`]) {
    if (!isDnsLabel(name)) throw new Error(`k8s: made a name Kubernetes would refuse: '${name}'`);
  }
  const passThrough: string[] = [];
  if (flags.quick) passThrough.push("--quick");
  for (const [flag, value] of [
    ["--duration", flags.duration],
    ["--warmup", flags.warmup],
    ["--connections", flags.connections],
    ["--protocol", flags.protocol],
  ] as const) {
    if (value !== undefined) passThrough.push(flag, value);
  }
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: secretName, ...namespace, labels },
    type: "Opaque",
    data: { url: Buffer.from(flags.target, "utf8").toString("base64") },
  };
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: jobName, ...namespace, labels },
    spec: {
      completionMode: "Indexed",
      completions: clients,
      parallelism: clients,
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          // One client per node where the cluster has room, as AWS's clients were separate machines.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchLabels: labels },
                    topologyKey: "kubernetes.io/hostname",
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: "client",
              image: flags.image ?? `reinvent-bench:${toolVersion()}`,
              args: [
                "run",
                resolved.id,
                "--target",
                "env:TARGET_URL",
                "--clients",
                String(clients),
                "--client-index",
                "$(JOB_COMPLETION_INDEX)",
                "--run-id",
                runId,
                "--print-result",
                "--out",
                "/tmp/result",
                ...passThrough,
              ],
              env: [
                {
                  name: "TARGET_URL",
                  valueFrom: { secretKeyRef: { name: secretName, key: "url" } },
                },
                {
                  name: "JOB_COMPLETION_INDEX",
                  valueFrom: {
                    fieldRef: {
                      fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                    },
                  },
                },
              ],
              resources: {
                requests: { cpu: "2", memory: "1Gi" },
                limits: { memory: "2Gi" },
              },
            },
          ],
        },
      },
    },
  };
  return { secret, job, jobName, runId, clients };
}

/** The manifests as one YAML stream, with how to apply them and collect the results. */
export function renderManifests(m: K8sManifests, namespace?: string): string {
  const ns = namespace ? ` -n ${namespace}` : "";
  const header = [
    `# reinvent-bench: ${m.clients} client pods of run ${m.runId}, meeting in the target before each phase.`,
    "# The image: docker build -t <registry>/reinvent-bench:<tag> . (the Dockerfile at the repository root), then --image.",
    "# Run and collect:",
    `#   kubectl apply${ns} -f this.yaml`,
    `#   kubectl wait${ns} --for=condition=complete job/${m.jobName} --timeout=2h`,
    `#   kubectl logs${ns} -l job-name=${m.jobName} --tail=-1 --prefix --max-log-requests ${Math.max(5, m.clients)} > ${m.runId}.log`,
    `#   npx reinvent-bench merge ${m.runId}.log --out results/${m.runId}`,
    `#   kubectl delete${ns} -f this.yaml`,
    "# The Secret holds the target URL with its password (base64, as Secrets do); the Job refers to it only.",
  ].join("\n");
  // No YAML anchors: every tool that reads manifests reads them plainly.
  const plain = { aliasDuplicateObjects: false };
  return `${header}\n---\n${stringify(m.secret, plain)}---\n${stringify(m.job, plain)}`;
}

export async function k8sCommand(scenario: string, flags: K8sFlags): Promise<void> {
  const manifests = buildManifests(scenario, flags);
  process.stdout.write(renderManifests(manifests, flags.namespace));
}
