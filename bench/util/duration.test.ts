import { describe, expect, it } from "vitest";
import { formatDurationMs, MAX_TIMED_MS, parseDurationMs, tooLongToTime } from "./duration.js";

describe("parseDurationMs", () => {
  it("parses each unit into milliseconds", () => {
    expect(parseDurationMs("1500ms")).toBe(1500);
    expect(parseDurationMs("600s")).toBe(600_000);
    expect(parseDurationMs("10m")).toBe(600_000);
    expect(parseDurationMs("1h")).toBe(3_600_000);
  });

  it("reads a bare number as seconds", () => {
    expect(parseDurationMs("60")).toBe(60_000);
    expect(parseDurationMs("0")).toBe(0);
    expect(parseDurationMs(2)).toBe(2000);
    expect(parseDurationMs(0.5)).toBe(500);
    expect(parseDurationMs(0)).toBe(0);
  });

  it("accepts decimals, rounding to whole milliseconds", () => {
    expect(parseDurationMs("1.5s")).toBe(1500);
    expect(parseDurationMs("0.25m")).toBe(15_000);
    expect(parseDurationMs("2.5")).toBe(2500);
    expect(parseDurationMs("1.4ms")).toBe(1);
    expect(parseDurationMs("1.6ms")).toBe(2);
  });

  it("allows spaces around the number and unit", () => {
    expect(parseDurationMs("  5s ")).toBe(5000);
    expect(parseDurationMs("5 s")).toBe(5000);
    expect(parseDurationMs("\t3 m\n")).toBe(180_000);
  });

  it("rejects anything else", () => {
    for (const text of [
      "",
      " ",
      "s",
      "5x",
      "5 sec",
      "-5s",
      "+5s",
      "5S",
      "1e3",
      "1,5s",
      ".5s",
      "5.s",
      "5s5",
      "ms5",
      "Infinity",
    ]) {
      expect(parseDurationMs(text), JSON.stringify(text)).toBeUndefined();
    }
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(parseDurationMs(value), String(value)).toBeUndefined();
    }
  });
});

describe("formatDurationMs", () => {
  it("uses hours for whole hours", () => {
    expect(formatDurationMs(3_600_000)).toBe("1h");
    expect(formatDurationMs(7_200_000)).toBe("2h");
  });

  it("uses seconds for whole seconds below an hour, as sysbench's --time and AWS's method do", () => {
    expect(formatDurationMs(600_000)).toBe("600s");
    expect(formatDurationMs(5_400_000)).toBe("5400s");
    expect(formatDurationMs(60_000)).toBe("60s");
    expect(formatDurationMs(540_000)).toBe("540s");
    expect(formatDurationMs(8000)).toBe("8s");
    expect(formatDurationMs(610_000)).toBe("610s");
    expect(formatDurationMs(0)).toBe("0s");
  });

  it("uses milliseconds otherwise", () => {
    expect(formatDurationMs(1500)).toBe("1500ms");
    expect(formatDurationMs(1)).toBe("1ms");
    expect(formatDurationMs(600_001)).toBe("600001ms");
  });

  it("round-trips through parseDurationMs", () => {
    for (const ms of [0, 1, 999, 1000, 1500, 8000, 60_000, 600_000, 3_600_000, 5_400_000, 90_061_001]) {
      expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
    }
  });
});

describe("tooLongToTime", () => {
  it("leaves room under Node's longest timer (2^31-1 ms) for the lead before a phase", () => {
    expect(MAX_TIMED_MS).toBe(24 * 86_400_000);
    expect(2 ** 31 - 1 - MAX_TIMED_MS).toBeGreaterThan(3_600_000);
  });

  it("accepts up to 24 days and refuses more, naming the flag and the limit", () => {
    expect(tooLongToTime("--duration", "576h", parseDurationMs("576h") as number)).toBeUndefined();
    expect(tooLongToTime("--duration", "60s", 60_000)).toBeUndefined();
    expect(tooLongToTime("--duration", " 700h ", parseDurationMs("700h") as number)).toBe(
      "--duration: '700h' is longer than the longest run this tool can time (24 days); give at most 576h",
    );
    expect(tooLongToTime("--barrier-timeout", "577h", parseDurationMs("577h") as number, "wait")).toMatch(
      /^--barrier-timeout: '577h' is longer than the longest wait this tool can time \(24 days\)/,
    );
    // A number too large to hold is refused too, not taken as "no limit".
    const huge = parseDurationMs(`${"9".repeat(400)}h`) as number;
    expect(tooLongToTime("--warmup", "9...9h", huge)).toMatch(/^--warmup: /);
  });
});
