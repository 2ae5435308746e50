/**
 * The app's parameters: CDK context values (`-c key=value`, or `npm run synth -- -c key=value`), each
 * checked here with a one-line error naming the key and what it allows. The defaults follow how AWS
 * measured the claims: one instance class for every database, 4 client machines in the writer's
 * availability zone, a MySQL baseline on provisioned-IOPS storage as the paper's 30K-IOPS EBS.
 */

export interface BenchParams {
  region: string;
  /** The writer's zone: the clients are placed in it, as AWS's were. */
  availabilityZone: string;
  /** A second zone, which an RDS subnet group needs; nothing runs there unless RDS fails over. */
  secondAvailabilityZone: string;
  /** Database instance class without the "db." prefix (r3.8xlarge in the claims). */
  dbInstanceClass: string;
  /** Aurora MySQL version 3 release, such as 3.10.3 (MySQL 8.0 compatible). */
  auroraVersion: string;
  /** Aurora readers besides the writer (the claims: up to 15). */
  replicas: number;
  /** An RDS MySQL baseline of the same class; false leaves it (and its replica) out. */
  baseline: boolean;
  /** RDS MySQL engine version of the baseline, such as 8.0.44. */
  baselineVersion: string;
  /** Provisioned IOPS of the baseline's io1 storage (the paper: 30,000). */
  baselineIops: number;
  baselineStorageGb: number;
  /** A binlog read replica of the baseline, for the replica-lag contrast. */
  baselineReplica: boolean;
  /** Client machines (the write claim: 4). */
  clients: number;
  clientInstanceType: string;
  /** The id every client's split run meets under; results go under runs/<runId>/ in the bucket. */
  runId: string;
  /** The measured phase of each throughput run, as the tool's --duration (AWS: 600s); empty: the scenario's. */
  duration: string;
}

export const DEFAULTS: BenchParams = {
  region: "us-east-1",
  availabilityZone: "",
  secondAvailabilityZone: "",
  dbInstanceClass: "r6g.8xlarge",
  auroraVersion: "3.10.3",
  replicas: 1,
  baseline: true,
  baselineVersion: "8.0.44",
  baselineIops: 30_000,
  baselineStorageGb: 1000,
  baselineReplica: true,
  clients: 4,
  clientInstanceType: "r6i.8xlarge",
  runId: "aurora-claims-1",
  duration: "",
};

/** Regions the price table covers and the README names; others are refused rather than guessed. */
export const REGIONS = ["us-east-1", "us-west-2", "eu-west-1"] as const;

export class ParamError extends Error {}

type Raw = Record<string, unknown>;

const KEYS = Object.keys(DEFAULTS) as (keyof BenchParams)[];

function text(raw: Raw, key: keyof BenchParams, pattern: RegExp, allowed: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  const s = String(value).trim();
  if (!pattern.test(s)) throw new ParamError(`context ${key}: '${s}' is not ${allowed}`);
  return s;
}

function whole(raw: Raw, key: keyof BenchParams, min: number, max: number): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  const s = String(value).trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < min || n > max) {
    throw new ParamError(`context ${key}: '${s}' is not a whole number from ${min} to ${max}`);
  }
  return n;
}

function flag(raw: Raw, key: keyof BenchParams): boolean | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new ParamError(`context ${key}: '${String(value)}' is not true or false`);
}

/** The parameters from context values; unknown keys are refused, so a misspelling is not ignored. */
export function resolveParams(raw: Raw): BenchParams {
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key as keyof BenchParams)) {
      throw new ParamError(`context ${key}: not a parameter of this app (known: ${KEYS.join(", ")})`);
    }
  }
  const region = text(raw, "region", /^[a-z]{2}-[a-z]+-\d$/, "a region name") ?? DEFAULTS.region;
  if (!(REGIONS as readonly string[]).includes(region)) {
    throw new ParamError(
      `context region: '${region}' is not one of ${REGIONS.join(", ")} (the regions priced)`,
    );
  }
  const zone = /^[a-z]{2}-[a-z]+-\d[a-z]$/;
  const availabilityZone =
    text(raw, "availabilityZone", zone, "a zone name such as us-east-1a") ?? `${region}a`;
  const secondAvailabilityZone =
    text(raw, "secondAvailabilityZone", zone, "a zone name such as us-east-1b") ?? `${region}b`;
  for (const [key, az] of [
    ["availabilityZone", availabilityZone],
    ["secondAvailabilityZone", secondAvailabilityZone],
  ] as const) {
    if (!az.startsWith(region)) throw new ParamError(`context ${key}: '${az}' is not a zone of ${region}`);
  }
  if (availabilityZone === secondAvailabilityZone) {
    throw new ParamError("context secondAvailabilityZone: must differ from availabilityZone");
  }
  const dbInstanceClass = (
    text(
      raw,
      "dbInstanceClass",
      /^(db\.)?[a-z][a-z0-9-]*\.[a-z0-9]+$/,
      "an instance class such as r6g.8xlarge",
    ) ?? DEFAULTS.dbInstanceClass
  ).replace(/^db\./, "");
  const params: BenchParams = {
    region,
    availabilityZone,
    secondAvailabilityZone,
    dbInstanceClass,
    auroraVersion:
      text(raw, "auroraVersion", /^3\.\d{2}\.\d+$/, "an Aurora MySQL 3 release such as 3.10.3") ??
      DEFAULTS.auroraVersion,
    replicas: whole(raw, "replicas", 0, 15) ?? DEFAULTS.replicas,
    baseline: flag(raw, "baseline") ?? DEFAULTS.baseline,
    baselineVersion:
      text(raw, "baselineVersion", /^8\.[04]\.\d+$/, "an RDS MySQL 8.0 or 8.4 version such as 8.0.44") ??
      DEFAULTS.baselineVersion,
    baselineIops: whole(raw, "baselineIops", 1000, 256_000) ?? DEFAULTS.baselineIops,
    baselineStorageGb: whole(raw, "baselineStorageGb", 100, 65_536) ?? DEFAULTS.baselineStorageGb,
    baselineReplica: flag(raw, "baselineReplica") ?? DEFAULTS.baselineReplica,
    clients: whole(raw, "clients", 1, 16) ?? DEFAULTS.clients,
    clientInstanceType:
      text(
        raw,
        "clientInstanceType",
        /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
        "an EC2 instance type such as r6i.8xlarge",
      ) ?? DEFAULTS.clientInstanceType,
    runId:
      text(raw, "runId", /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "1-63 letters, digits, '.', '_' or '-'") ??
      DEFAULTS.runId,
    duration: text(raw, "duration", /^(\d+(ms|s|m|h))?$/, "a duration such as 600s") ?? DEFAULTS.duration,
  };
  // io1 allows at most 50 IOPS per GiB: the storage must carry the IOPS asked for.
  if (params.baseline && params.baselineIops > params.baselineStorageGb * 50) {
    throw new ParamError(
      `context baselineIops: ${params.baselineIops} needs at least ${Math.ceil(params.baselineIops / 50)} GiB of io1 storage (50 IOPS per GiB); baselineStorageGb is ${params.baselineStorageGb}`,
    );
  }
  if (params.baselineReplica && !params.baseline) {
    throw new ParamError("context baselineReplica: true needs baseline true (it replicates the baseline)");
  }
  return params;
}
