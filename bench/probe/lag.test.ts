import { describe, expect, it } from "vitest";
import type { TargetSpec } from "../target/url.js";
import { UsageError } from "../util/errors.js";
import { auroraLagFor, quoteIdentifier, startLagProbe } from "./lag.js";

const target: TargetSpec = {
  host: "127.0.0.1",
  port: 1,
  user: "u",
  password: "secret-password",
  database: "sbtest",
  tls: "disabled",
  displayUrl: "mysql://u:***@127.0.0.1:1/sbtest",
};

describe("startLagProbe options", () => {
  it.each([
    [{ heartbeatIntervalMs: 0 }, /heartbeatIntervalMs must be a positive/],
    [{ pollIntervalMs: -1 }, /pollIntervalMs must be a non-negative/],
    [{ matchWindowMs: Number.NaN }, /matchWindowMs/],
    [{ method: "fast" as never }, /method must be one of auto, wait, poll, not 'fast'/],
    [{ waitsInFlight: 0 }, /waitsInFlight must be a whole number from 1 to 64/],
    [{ waitsInFlight: 1.5 }, /waitsInFlight/],
    [{ waitTimeoutMs: 0 }, /waitTimeoutMs must be a positive/],
  ])("refuses %o before connecting", async (options, message) => {
    const error = await startLagProbe({
      primary: target,
      replicas: [{ name: "r", target }],
      ...options,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it("refuses a replica's own method when it is not one", async () => {
    await expect(
      startLagProbe({ primary: target, replicas: [{ name: "r", target, method: "both" as never }] }),
    ).rejects.toThrow(/r's method must be one of auto, wait, poll/);
  });

  it("refuses no replicas and duplicate names", async () => {
    await expect(startLagProbe({ primary: target, replicas: [] })).rejects.toThrow(/no replicas/);
    await expect(
      startLagProbe({
        primary: target,
        replicas: [
          { name: "r", target },
          { name: "r", target },
        ],
      }),
    ).rejects.toThrow(/distinct/);
  });
});

describe("auroraLagFor", () => {
  const rows = [
    {
      serverId: "writer-1",
      sessionId: "MASTER_SESSION_ID",
      isWriter: true,
      lagMs: 0,
      lastUpdate: null,
      ageS: null,
    },
    { serverId: "reader-1", sessionId: "a-b-c", isWriter: false, lagMs: 17.5, lastUpdate: null, ageS: null },
  ];
  it("takes this reader's row, and nothing off Aurora", () => {
    expect(auroraLagFor(rows, "reader-1")).toBe(17.5);
    expect(auroraLagFor(rows, "reader-2")).toBeNull();
    expect(auroraLagFor(rows, "writer-1")).toBeNull();
    expect(auroraLagFor(undefined, "reader-1")).toBeNull();
  });
});

describe("quoteIdentifier", () => {
  it("quotes with backticks and doubles those inside", () => {
    expect(quoteIdentifier("sb`test")).toBe("`sb``test`");
  });
});
