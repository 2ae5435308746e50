import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.js";
import { parseRunFlags, parseShare, type RawRunFlags } from "./run-flags.js";

function errorOf(flags: RawRunFlags): UsageError {
  try {
    parseRunFlags(flags);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(flags)}`);
}

describe("parseRunFlags", () => {
  it("sets no override when no flag is given", () => {
    const options = parseRunFlags({});
    expect(options.overrides).toEqual({});
    expect(options.target).toBeUndefined();
    expect(options.out).toBeUndefined();
    expect(options.sandboxDir).toBeUndefined();
    // Without --workers, the run decides from where the server is (see defaultWorkers).
    expect(options.workers).toBeUndefined();
    expect(Number.isInteger(options.seed)).toBe(true);
    expect(options.seed).toBeGreaterThanOrEqual(0);
    expect(options.seed).toBeLessThan(2 ** 31);
  });

  it("turns every valid flag into its override", () => {
    const options = parseRunFlags({
      duration: "10m",
      warmup: "0",
      connections: "64",
      clients: "4",
      tables: "250",
      tableSize: "25000",
      quick: true,
      workers: "8",
      seed: "42",
      out: "results/x",
    });
    expect(options.overrides).toEqual({
      durationMs: 600_000,
      warmupMs: 0,
      connectionsPerClient: 64,
      clients: 4,
      tables: 250,
      tableSize: 25_000,
      quick: true,
    });
    expect(options.workers).toBe(8);
    expect(options.seed).toBe(42);
    expect(options.out).toBe("results/x");
  });

  it("accepts the limits of each whole-number flag", () => {
    const options = parseRunFlags({
      connections: "100000",
      clients: "1000",
      tables: "100000",
      tableSize: "1000000000",
      workers: "256",
      seed: String(2 ** 31),
    });
    expect(options.overrides).toMatchObject({
      connectionsPerClient: 100_000,
      clients: 1000,
      tables: 100_000,
      tableSize: 1_000_000_000,
    });
    expect(options.workers).toBe(256);
    expect(options.seed).toBe(2 ** 31);
    expect(parseRunFlags({ connections: " 7 " }).overrides.connectionsPerClient).toBe(7);
  });

  it("leaves quick unset when the flag is false", () => {
    expect(parseRunFlags({ quick: false }).overrides).toEqual({});
  });

  it("parses the target URL", () => {
    const options = parseRunFlags({ target: "mysql://app:pw@db:3307/bench" });
    expect(options.target).toMatchObject({
      host: "db",
      port: 3307,
      user: "app",
      password: "pw",
      database: "bench",
    });
  });

  it("keeps the sandbox folder when there is no target", () => {
    expect(parseRunFlags({ sandboxDir: "/tmp/sb" }).sandboxDir).toBe("/tmp/sb");
  });

  const bad: [keyof RawRunFlags, string, string][] = [
    ["duration", "0", "--duration"],
    ["duration", "0s", "--duration"],
    ["duration", "soon", "--duration"],
    ["duration", "-5s", "--duration"],
    ["warmup", "later", "--warmup"],
    ["warmup", "-1", "--warmup"],
    ["connections", "0", "--connections"],
    ["connections", "1.5", "--connections"],
    ["connections", "ten", "--connections"],
    ["connections", "100001", "--connections"],
    ["connections", "-3", "--connections"],
    ["connections", "", "--connections"],
    ["clients", "0", "--clients"],
    ["clients", "1001", "--clients"],
    ["tables", "0", "--tables"],
    ["tables", "100001", "--tables"],
    ["tableSize", "0", "--table-size"],
    ["tableSize", "1000000001", "--table-size"],
    ["tableSize", "1e6", "--table-size"],
    ["workers", "0", "--workers"],
    ["workers", "257", "--workers"],
    ["seed", "0", "--seed"],
    ["seed", "abc", "--seed"],
    ["seed", String(2 ** 31 + 1), "--seed"],
    ["target", "postgres://u:p@h/db", "--target"],
    ["target", "mysql://h/db?nope=1", "--target"],
  ];

  it.each(bad)("rejects %s=%j, naming %s", (key, value, flag) => {
    const error = errorOf({ [key]: value });
    expect(error.message.startsWith(`${flag}: `), error.message).toBe(true);
    expect(error.exitCode).toBe(2);
  });

  it("says what a whole-number flag allows", () => {
    expect(errorOf({ clients: "5000" }).message).toBe(
      "--clients: '5000' must be a whole number from 1 to 1,000",
    );
    expect(errorOf({ tableSize: "0" }).message).toBe(
      "--table-size: '0' must be a whole number from 1 to 1,000,000,000",
    );
  });

  it("says what a duration flag allows, and that --duration must be more than 0", () => {
    expect(errorOf({ duration: "0" }).message).toBe(
      "--duration: '0' must be a duration such as 60s, 10m or 500ms, more than 0",
    );
    expect(errorOf({ warmup: "x" }).message).toBe(
      "--warmup: 'x' must be a duration such as 60s, 10m or 500ms",
    );
  });

  it("allows a zero warmup but not a zero duration", () => {
    expect(parseRunFlags({ warmup: "0s" }).overrides.warmupMs).toBe(0);
    expect(errorOf({ duration: "0ms" }).message).toMatch(/^--duration: /);
  });

  // Node's timers take at most 2^31-1 ms (24.8 days); past it, a phase's timer fired every
  // millisecond with a TimeoutOverflowWarning each time.
  it("refuses durations longer than this tool can time: 24 days, warm-up and measured phase together", () => {
    expect(errorOf({ duration: "700h" }).message).toBe(
      "--duration: '700h' is longer than the longest run this tool can time (24 days); give at most 576h",
    );
    expect(errorOf({ warmup: "2147484s" }).message).toMatch(
      /^--warmup: '2147484s' is longer than the longest run this tool can time \(24 days\); give at most 576h$/,
    );
    expect(errorOf({ duration: `${"9".repeat(400)}h` }).message).toMatch(/^--duration: '9+h' is longer than/);
    expect(errorOf({ duration: "300h", warmup: "300h" }).message).toBe(
      "--duration: '300h' with --warmup '300h' is longer than the longest run this tool can time (24 days); give at most 576h together",
    );
    const shard = { target: "mysql://u@h/db", clientIndex: "0", runId: "r1" };
    expect(errorOf({ ...shard, barrierTimeout: "577h" }).message).toMatch(
      /^--barrier-timeout: '577h' is longer than the longest wait this tool can time \(24 days\)/,
    );
    // --unreachable-after keeps its own, tighter range.
    expect(errorOf({ unreachableAfter: "700h" }).message).toBe(
      "--unreachable-after: '700h' must be from 1s to 1h",
    );
    // Up to the limit is fine.
    expect(parseRunFlags({ duration: "576h" }).overrides.durationMs).toBe(576 * 3_600_000);
    expect(parseRunFlags({ duration: "570h", warmup: "6h" }).overrides).toMatchObject({
      durationMs: 570 * 3_600_000,
      warmupMs: 6 * 3_600_000,
    });
    expect(parseRunFlags({ ...shard, barrierTimeout: "576h" }).client?.barrierTimeoutMs).toBe(
      576 * 3_600_000,
    );
  });

  it("rejects --sandbox-dir together with --target", () => {
    const error = errorOf({ target: "mysql://h/db", sandboxDir: "/tmp/sb" });
    expect(error.message).toBe("--sandbox-dir: only applies without --target");
  });

  it("does not repeat the target's password in its error", () => {
    const error = errorOf({ target: "mysql://app:Sup3rS3cret@host:99999/db" });
    expect(error.message).toMatch(/^--target: /);
    expect(error.message).not.toContain("Sup3rS3cret");
  });
});

describe("--hot-path", () => {
  it("defaults to lean and accepts mysql2", () => {
    expect(parseRunFlags({}).hotPath).toBe("lean");
    expect(parseRunFlags({ hotPath: "mysql2" }).hotPath).toBe("mysql2");
  });

  it("rejects anything else, naming the flag", () => {
    expect(() => parseRunFlags({ hotPath: "fast" })).toThrow("--hot-path: 'fast' must be lean or mysql2");
  });
});

describe("replica-lag flags", () => {
  it("parses --rates in order, --replicas and repeated --replica URLs", () => {
    const options = parseRunFlags({
      rates: "1000, 2000,5000,10000,13800,2.5",
      replicas: "15",
    });
    expect(options.overrides.ratesPerSec).toEqual([1000, 2000, 5000, 10000, 13800, 2.5]);
    expect(options.overrides.replicas).toBe(15);
    const given = parseRunFlags({
      target: "mysql://u:secret@10.0.0.1/db",
      replica: ["mysql://u:secret@10.0.0.2/db", "mysql://u:secret@10.0.0.3:3307/db"],
    });
    expect(given.replicas.map((r) => r.displayUrl)).toEqual([
      "mysql://u:***@10.0.0.2/db",
      "mysql://u:***@10.0.0.3:3307/db",
    ]);
  });

  it("rejects a rate of 0, text, an empty item or one past the limit, naming the flag and the item", () => {
    for (const [rates, item] of [
      ["0", "0"],
      ["2000,abc", "abc"],
      ["2000,,13800", ""],
      ["-5", "-5"],
      ["1e9", "1e9"],
      ["20000000", "20000000"],
    ] as const) {
      expect(errorOf({ rates }).message).toBe(
        `--rates: '${item}' is not a rate; give updates per second above 0 and up to 10,000,000, separated by commas, such as 2000,13800`,
      );
    }
  });

  it("limits --replicas to the topology's 1..31 and refuses it beside --replica", () => {
    expect(errorOf({ replicas: "0" }).message).toMatch(
      /^--replicas: '0' must be a whole number from 1 to 31/,
    );
    expect(errorOf({ replicas: "32" }).message).toMatch(/^--replicas:/);
    expect(errorOf({ target: "mysql://u@h/db", replica: ["mysql://u@r/db"], replicas: "2" }).message).toMatch(
      /^--replicas: sets the sandbox's replica count/,
    );
  });

  it("needs --target for --replica, and checks each URL as --replica", () => {
    expect(errorOf({ replica: ["mysql://u@r/db"] }).message).toMatch(
      /^--replica: give the primary with --target/,
    );
    expect(errorOf({ target: "mysql://u@h/db", replica: ["http://r"] }).message).toMatch(/^--replica:/);
  });
});

describe("--max-errors", () => {
  it("takes a percentage or a fraction from 0 to 1", () => {
    expect(parseRunFlags({ maxErrors: "5%" }).maxErrorShare).toBe(0.05);
    expect(parseRunFlags({ maxErrors: "0.25" }).maxErrorShare).toBe(0.25);
    expect(parseRunFlags({ maxErrors: "0" }).maxErrorShare).toBe(0);
    expect(parseRunFlags({}).maxErrorShare).toBeUndefined();
  });

  it("refuses anything else in one line naming the flag", () => {
    for (const bad of ["2", "150%", "-1%", "ten", ""]) {
      expect(() => parseShare("--max-errors", bad)).toThrow(
        new UsageError(
          `--max-errors: '${bad}' is not a share; give a percentage such as 10% or a fraction from 0 to 1`,
        ),
      );
    }
  });
});

describe("sweeps by flag", () => {
  it("a list to --connections or --table-size is a sweep, in the order given", () => {
    expect(parseRunFlags({ connections: "4,16,64" }).overrides.sweep).toEqual({
      parameter: "connections",
      values: [4, 16, 64],
      flag: "--connections",
    });
    expect(parseRunFlags({ tableSize: "25000, 2500" }).overrides.sweep).toEqual({
      parameter: "tableSize",
      values: [25_000, 2500],
      flag: "--table-size",
    });
    expect(parseRunFlags({ connections: "16" }).overrides).toEqual({ connectionsPerClient: 16 });
  });

  it("refuses two lists, repeated values, bad numbers and too many points, naming the flag", () => {
    expect(errorOf({ connections: "4,16", tableSize: "10,20" }).message).toBe(
      "--table-size: a sweep varies one parameter; give a list to --connections or --table-size, not both",
    );
    expect(errorOf({ connections: "4,4" }).message).toMatch(
      /^--connections: '4,4' must list 2 to 32 different values/,
    );
    expect(errorOf({ connections: "4,x" }).message).toMatch(/^--connections: 'x' must be a whole number/);
    const many = Array.from({ length: 33 }, (_, i) => i + 1).join(",");
    expect(errorOf({ tableSize: many }).message).toMatch(
      /^--table-size: .* must list 2 to 32 different values/,
    );
  });
});

describe("--lag-method", () => {
  it("is left unset (auto) when not given, and takes auto, gtid-wait or poll", () => {
    expect(parseRunFlags({}).lagMethod).toBeUndefined();
    for (const method of ["auto", "gtid-wait", "poll"] as const)
      expect(parseRunFlags({ lagMethod: method }).lagMethod).toBe(method);
    expect(parseRunFlags({ lagMethod: " poll " }).lagMethod).toBe("poll");
  });

  it("refuses anything else in one line naming the flag and the allowed values (exit 2)", () => {
    for (const bad of ["wait", "GTID-WAIT", "", "gtid"]) {
      const error = errorOf({ lagMethod: bad });
      expect(error.message).toBe(`--lag-method: '${bad}' must be auto, gtid-wait or poll`);
      expect(error.exitCode).toBe(2);
    }
  });

  it("is accepted beside --baseline and --baseline-replica (run.ts hands it to both runs)", () => {
    const options = parseRunFlags({
      target: "mysql://u:p@h1/db",
      replica: ["mysql://u:p@h2/db"],
      baseline: "mysql://u:p@b1/db",
      baselineReplica: ["mysql://u:p@b2/db"],
      lagMethod: "gtid-wait",
    });
    expect(options.lagMethod).toBe("gtid-wait");
  });
});

describe("--protocol", () => {
  it("is the scenario's own unless given: text or binary", () => {
    expect(parseRunFlags({}).overrides.protocol).toBeUndefined();
    expect(parseRunFlags({ protocol: "binary" }).overrides.protocol).toBe("binary");
    expect(parseRunFlags({ protocol: "text" }).overrides.protocol).toBe("text");
  });

  it("refuses anything else in one line naming the flag and the values", () => {
    expect(() => parseRunFlags({ protocol: "prepared" })).toThrow(
      new UsageError("--protocol: 'prepared' must be text or binary"),
    );
  });
});
