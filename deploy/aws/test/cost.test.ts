import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { costSummary, estimateCost, formatCost, loadPrices, type PriceTable } from "../lib/cost.js";
import { resolveParams } from "../lib/params.js";

const prices = loadPrices(join(import.meta.dirname, ".."));

const table = (over: Partial<PriceTable["regions"][string]>): PriceTable => ({
  currency: "USD",
  compiled: "2026-12-01",
  note: "",
  sources: [{ id: "t", url: "https://example.com", what: "test", date: "2026-12" }],
  regions: { "us-east-1": over },
  figureSources: {},
});

describe("cost estimate", () => {
  it("adds the priced items per hour, monthly storage over 730 hours, and a run of the stated hours", () => {
    const params = resolveParams({ clients: "2", replicas: "1", baselineReplica: "false" });
    const e = estimateCost(
      params,
      table({
        auroraMysqlInstancePerHour: { "db.r6g.8xlarge": 4 },
        rdsMysqlSingleAzInstancePerHour: { "db.r6g.8xlarge": 3 },
        rdsIo1StoragePerGbMonth: 0.73,
        rdsIo1ProvisionedIopsPerMonth: 0.073,
        ec2LinuxPerHour: { "r6i.8xlarge": 2 },
        natGatewayPerHour: 0.05,
        secretsManagerPerSecretMonth: 7.3,
      }),
      3,
    );
    // 2 x 4 + 3 + 1000 x 0.73 / 730 + 30000 x 0.073 / 730 + 2 x 2 + 0.05 + 2 x 7.3 / 730
    expect(e.perHour).toBeCloseTo(8 + 3 + 1 + 3 + 4 + 0.05 + 0.02, 10);
    expect(e.perRun).toBeCloseTo(e.perHour * 3, 10);
    expect(e.unpriced).toEqual([]);
  });

  it("names what the table has no price for and calls the totals a floor", () => {
    const e = estimateCost(resolveParams({}), table({ ec2LinuxPerHour: { "r6i.8xlarge": 2 } }));
    expect(e.perHour).toBeCloseTo(8, 10);
    expect(e.unpriced).toContain("Aurora MySQL db.r6g.8xlarge (writer + 1 reader)");
    expect(formatCost(e, table({}))).toMatch(/total: at least \$8\.00 per hour/);
    expect(costSummary(e)).toMatch(
      /^estimated cost at least \$8\.00 per hour, at least \$16\.00 for a default run of about 2 h/,
    );
  });

  it("the committed table: dated, every figure with a source that is listed", () => {
    expect(prices.compiled).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const ids = new Set(prices.sources.map((s) => s.id));
    const figures: string[] = [];
    for (const [region, values] of Object.entries(prices.regions)) {
      for (const [key, value] of Object.entries(values)) {
        if (typeof value === "number") figures.push(`${region}.${key}`);
        else
          for (const name of Object.keys(value as Record<string, number>))
            figures.push(`${region}.${key}.${name}`);
      }
    }
    expect(figures.length).toBeGreaterThan(10);
    for (const figure of figures) expect(ids.has(prices.figureSources[figure] ?? "")).toBe(true);
    // The default stack's clients and Aurora instances are priced in the default region.
    expect(estimateCost(resolveParams({}), prices).unpriced).not.toContain("EC2 r6i.8xlarge clients");
  });
});
