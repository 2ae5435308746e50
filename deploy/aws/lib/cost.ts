import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchParams } from "./params.js";

/** prices.json: on-demand list prices by region, with their sources (see the file). */
export interface PriceTable {
  currency: string;
  compiled: string;
  note: string;
  sources: { id: string; url: string; what: string; date: string }[];
  regions: Record<string, RegionPrices>;
  figureSources: Record<string, string>;
}

export interface RegionPrices {
  auroraMysqlInstancePerHour?: Record<string, number>;
  rdsMysqlSingleAzInstancePerHour?: Record<string, number>;
  rdsIo1StoragePerGbMonth?: number;
  rdsIo1ProvisionedIopsPerMonth?: number;
  ec2LinuxPerHour?: Record<string, number>;
  natGatewayPerHour?: number;
  secretsManagerPerSecretMonth?: number;
}

/** The app's price table (prices.json in the app's folder). */
export function loadPrices(appDir: string): PriceTable {
  return JSON.parse(readFileSync(join(appDir, "prices.json"), "utf8")) as PriceTable;
}

/** AWS bills monthly storage and IOPS by the hour over a 730-hour month. */
const HOURS_PER_MONTH = 730;
/**
 * How long a default run keeps the stack up: RDS takes 15-30 minutes to create each database, the
 * clients install and load 6.25 million rows, run the claims on both targets, and upload; then the
 * stack is destroyed. An assumption, said beside the figure.
 */
export const DEFAULT_RUN_HOURS = 2;

export interface CostLine {
  item: string;
  count: number;
  /** Per hour for all `count`; null when the table has no price for it. */
  perHour: number | null;
  source: string | null;
}

export interface CostEstimate {
  region: string;
  lines: CostLine[];
  /** Sum of the lines that have a price. */
  perHour: number;
  runHours: number;
  perRun: number;
  /** Items the table has no price for: the totals leave them out. */
  unpriced: string[];
}

/** An estimate of the stack's cost from the price table; pure. */
export function estimateCost(
  params: BenchParams,
  prices: PriceTable,
  runHours = DEFAULT_RUN_HOURS,
): CostEstimate {
  const region = prices.regions[params.region] ?? {};
  const dbClass = `db.${params.dbInstanceClass}`;
  const lines: CostLine[] = [];
  const source = (path: string) => prices.figureSources[`${params.region}.${path}`] ?? null;
  const add = (item: string, count: number, unit: number | undefined, path: string, perMonth = false) => {
    if (count === 0) return;
    const perHour = unit === undefined ? null : (count * unit) / (perMonth ? HOURS_PER_MONTH : 1);
    lines.push({ item, count, perHour, source: unit === undefined ? null : source(path) });
  };
  add(
    `Aurora MySQL ${dbClass} (writer + ${params.replicas} reader${params.replicas === 1 ? "" : "s"})`,
    1 + params.replicas,
    region.auroraMysqlInstancePerHour?.[dbClass],
    `auroraMysqlInstancePerHour.${dbClass}`,
  );
  if (params.baseline) {
    const instances = params.baselineReplica ? 2 : 1;
    add(
      `RDS MySQL ${dbClass} Single-AZ (baseline${params.baselineReplica ? " + replica" : ""})`,
      instances,
      region.rdsMysqlSingleAzInstancePerHour?.[dbClass],
      `rdsMysqlSingleAzInstancePerHour.${dbClass}`,
    );
    add(
      `io1 storage, ${params.baselineStorageGb} GiB each`,
      instances * params.baselineStorageGb,
      region.rdsIo1StoragePerGbMonth,
      "rdsIo1StoragePerGbMonth",
      true,
    );
    add(
      `io1 provisioned IOPS, ${params.baselineIops.toLocaleString("en-US")} each`,
      instances * params.baselineIops,
      region.rdsIo1ProvisionedIopsPerMonth,
      "rdsIo1ProvisionedIopsPerMonth",
      true,
    );
  }
  add(
    `EC2 ${params.clientInstanceType} clients`,
    params.clients,
    region.ec2LinuxPerHour?.[params.clientInstanceType],
    `ec2LinuxPerHour.${params.clientInstanceType}`,
  );
  add("NAT gateway", 1, region.natGatewayPerHour, "natGatewayPerHour");
  add(
    "Secrets Manager secrets",
    params.baseline ? 2 : 1,
    region.secretsManagerPerSecretMonth,
    "secretsManagerPerSecretMonth",
    true,
  );
  const perHour = lines.reduce((sum, line) => sum + (line.perHour ?? 0), 0);
  return {
    region: params.region,
    lines,
    perHour,
    runHours,
    perRun: perHour * runHours,
    unpriced: lines.filter((line) => line.perHour === null).map((line) => line.item),
  };
}

/** The estimate in one line, as synth (and so `cdk deploy`) prints it before anything is made. */
export function costSummary(estimate: CostEstimate): string {
  const floor = estimate.unpriced.length > 0 ? "at least " : "";
  return `estimated cost ${floor}$${estimate.perHour.toFixed(2)} per hour, ${floor}$${estimate.perRun.toFixed(2)} for a default run of about ${estimate.runHours} h (on-demand list prices; npm run cost for the lines and what is not priced)`;
}

/** The estimate as the lines `npm run cost` prints. */
export function formatCost(estimate: CostEstimate, prices: PriceTable): string {
  const usd = (n: number) => `$${n.toFixed(2)}`;
  const out = [
    `Estimated cost in ${estimate.region} (on-demand list prices compiled ${prices.compiled}; an estimate, not a quote):`,
  ];
  for (const line of estimate.lines) {
    const price = line.perHour === null ? "no price in prices.json" : `${usd(line.perHour)}/h`;
    out.push(`  ${line.item}: ${price}${line.source ? ` [${line.source}]` : ""}`);
  }
  const floor = estimate.unpriced.length > 0 ? "at least " : "";
  out.push(
    `  total: ${floor}${usd(estimate.perHour)} per hour; ${floor}${usd(estimate.perRun)} for a default run (the stack up about ${estimate.runHours} h)`,
  );
  if (estimate.unpriced.length > 0) {
    out.push(`  not priced (left out of the totals): ${estimate.unpriced.join("; ")}`);
  }
  out.push(
    "  not counted: Aurora storage and I/O, data transfer, CloudWatch, RDS extended support for MySQL 8.0 past its standard support",
  );
  out.push(`  sources: ${prices.sources.map((s) => `${s.id} ${s.url} (${s.date})`).join("; ")}`);
  return out.join("\n");
}
