import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { Comparison } from "../report/compare.js";
import { perSecondScenario, resultOn, writesResult } from "../testing/results.js";
import { UsageError } from "../util/errors.js";
import { compareCommand, loadResultFile, parseConfidence } from "./compare.js";

const dir = mkdtempSync(join(tmpdir(), "reinvent-bench-compare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function usageMessage(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("loadResultFile", () => {
  it("names a missing file", async () => {
    const missing = join(dir, "nope.json");
    expect(await usageMessage(() => loadResultFile(missing))).toBe(`${missing}: no such file`);
  });

  it("names a file that is not JSON", async () => {
    const path = write("text.json", "not json at all");
    const message = await usageMessage(() => loadResultFile(path));
    expect(message.startsWith(`${path}: not JSON (`)).toBe(true);
    expect(message).not.toContain("\n");
  });

  it("names a JSON file another tool wrote", async () => {
    const path = write("other.json", { tool: { name: "sysbench" }, schemaVersion: 1 });
    expect(await usageMessage(() => loadResultFile(path))).toBe(
      `${path}: not a reinvent-bench result (tool.name is "sysbench")`,
    );
    const noTool = write("array.json", [1, 2]);
    expect(await usageMessage(() => loadResultFile(noTool))).toBe(
      `${noTool}: not a reinvent-bench result (tool.name is missing)`,
    );
  });

  it("names a result of another schema version", async () => {
    const path = write("v2.json", { ...writesResult([1, 2]), schemaVersion: 2 });
    expect(await usageMessage(() => loadResultFile(path))).toBe(
      `${path}: result schemaVersion 2 is not supported (this version reads 1)`,
    );
  });

  it("names the first field compare needs that is missing", async () => {
    const result = writesResult([1, 2]);
    const { intervals: _intervals, ...scenario } = result.scenarios[0] ?? {};
    const path = write("partial.json", { ...result, scenarios: [scenario] });
    expect(await usageMessage(() => loadResultFile(path))).toBe(
      `${path}: not a complete reinvent-bench result (scenarios[0].intervals is missing or malformed)`,
    );
  });

  it("reads the result.json of a run's folder", async () => {
    const runDir = join(dir, "run-1");
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, "result.json"), JSON.stringify(writesResult([1, 2])));
    const loaded = await loadResultFile(runDir);
    expect(loaded.file).toBe(runDir);
    expect(loaded.result.scenarios[0]?.id).toBe("aurora-write");
    const emptyDir = join(dir, "run-empty");
    mkdirSync(emptyDir, { recursive: true });
    expect(await usageMessage(() => loadResultFile(emptyDir))).toBe(
      `${join(emptyDir, "result.json")}: no such file`,
    );
  });
});

describe("parseConfidence", () => {
  it("defaults to 0.95 and accepts 0.5 to 0.999", () => {
    expect(parseConfidence(undefined)).toBe(0.95);
    expect(parseConfidence("0.5")).toBe(0.5);
    expect(parseConfidence(" 0.999 ")).toBe(0.999);
  });

  it("refuses anything else with a clear message", () => {
    for (const bad of ["95", "0.4", "1", "abc", ""]) {
      expect(() => parseConfidence(bad)).toThrow(UsageError);
    }
    expect(() => parseConfidence("95")).toThrow(
      "--confidence must be a number from 0.5 to 0.999 (such as 0.95), got '95'",
    );
  });
});

describe("compareCommand", () => {
  it("needs at least two files", async () => {
    expect(await usageMessage(() => compareCommand([write("one.json", writesResult([1, 2]))], {}))).toMatch(
      /^compare needs at least two results \(a and b\), got 1/,
    );
  });

  it("stops at the first bad file, naming it", async () => {
    const good = write("good.json", writesResult([9, 10, 11]));
    const bad = write("bad.json", "{");
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    expect(await usageMessage(() => compareCommand([good, bad], {}))).toMatch(
      new RegExp(`^${bad}: not JSON`),
    );
    expect(stdout).not.toHaveBeenCalled();
  });

  it("prints the table, writes the JSON and returns 0", async () => {
    const a = write("a.json", writesResult([9, 10, 11], "mysql"));
    const b = write("b.json", writesResult([18, 20, 22], "aurora-mysql"));
    const jsonOut = join(dir, "out", "comparison.json");
    let printed = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed += String(chunk);
      return true;
    });
    expect(await compareCommand([a, b], { json: jsonOut })).toBe(0);
    // [9, 10, 11] against [18, 20, 22]: ratio 2, Fieller's 95% interval [1.590396, 2.515096].
    expect(printed).toMatch(
      /aurora-write\s*│ writesPerSec\s*│ 10\.0\/s\s*│ 20\.0\/s\s*│ 2\.00\s*│ \[1\.59, 2\.52\]\s*│ b faster/,
    );
    const saved = JSON.parse(readFileSync(jsonOut, "utf8")) as Comparison;
    expect(saved.confidence).toBe(0.95);
    expect(saved.pairs[0]?.scenarios[0]?.metrics[0]).toMatchObject({
      metric: "writesPerSec",
      ratio: 2,
      verdict: "b faster",
    });
    expect(saved.pairs[0]?.awsClaims.checks[0]).toMatchObject({ id: "write", verdict: "not met" });
  });

  it("prints Markdown with --markdown", async () => {
    const a = write("ma.json", writesResult([9, 10, 11]));
    const b = write("mb.json", writesResult([9, 10, 11], "mariadb"));
    let printed = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed += String(chunk);
      return true;
    });
    expect(await compareCommand([a, b], { markdown: true, confidence: "0.9" })).toBe(0);
    expect(printed).toContain("| scenario | metric | a | b | b/a | 90% CI | verdict |");
    expect(printed).toContain("| aurora-write | writesPerSec | 10.0/s | 10.0/s | 1.00 |");
    expect(printed).toContain("| inconclusive |");
  });
});

describe("compareCommand with three results", () => {
  /** Prints of compareCommand, caught. */
  function capture(): { out: () => string; err: () => string } {
    let out = "";
    let err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    return { out: () => out, err: () => err };
  }

  // a (MySQL) 10 writes/s, b twice that, c half: ratios 2 and 0.5, Fieller's 95% intervals
  // [1.590396, 2.515096] and [0.397599, 0.628774] (scale-free: stats.test.ts's worked example).
  const three = () => [
    write("3a.json", writesResult([9, 10, 11], "mysql")),
    write("3b.json", writesResult([18, 20, 22], "aurora-mysql")),
    write("3c.json", writesResult([4.5, 5, 5.5], "aurora-mysql")),
  ];

  it("prints one column group per result, in argument order, and writes the JSON", async () => {
    const [a = "", b = "", c = ""] = three();
    const jsonOut = join(dir, "out3", "comparison.json");
    const printed = capture();
    expect(await compareCommand([a, b, c], { json: jsonOut })).toBe(0);
    expect(printed.out()).toContain(`a (base): ${a} (mysql 8.0.36,`);
    expect(printed.out()).toMatch(
      /aurora-write\s*│ writesPerSec\s*│ 10\.0\/s\s*│ 20\.0\/s\s*│ 2\.00\s*│ \[1\.59, 2\.52\]\s*│ b faster\s*│ 5\.00\/s\s*│ 0\.500\s*│ \[0\.398, 0\.629\]\s*│ c slower/,
    );
    const saved = JSON.parse(readFileSync(jsonOut, "utf8")) as Comparison;
    expect(saved.results?.map((r) => [r.name, r.file])).toEqual([
      ["a", a],
      ["b", b],
      ["c", c],
    ]);
    const cells = saved.scenarios?.[0]?.rows[0]?.cells ?? [];
    expect(cells.map((cell) => [cell?.value, cell?.ratio, cell?.verdict])).toEqual([
      [10, null, "base"],
      [20, 2, "faster"],
      [5, 0.5, "slower"],
    ]);
    expect(cells[2]?.interval?.low).toBeCloseTo(0.397599, 6);
    expect(saved.pairs.map((pair) => pair.b.file)).toEqual([b, c]);
  });

  it("prints the side-by-side Markdown with --markdown", async () => {
    const [a = "", b = "", c = ""] = three();
    const printed = capture();
    expect(await compareCommand([a, b, c], { markdown: true })).toBe(0);
    expect(printed.out()).toContain(
      "| aurora-write | writesPerSec | 10.0/s | 20.0/s | 2.00 | [1.59, 2.52] | b faster | 5.00/s | 0.500 | [0.398, 0.629] | c slower |",
    );
  });

  it("shows a result that lacks a scenario as absent", async () => {
    const a = write(
      "4a.json",
      resultOn("a", [
        perSecondScenario("aurora-write", { writesPerSec: [9, 10, 11] }),
        perSecondScenario("aurora-read", { readsPerSec: [9, 10, 11] }),
      ]),
    );
    const b = write(
      "4b.json",
      resultOn("b", [perSecondScenario("aurora-write", { writesPerSec: [9, 10, 11] })]),
    );
    const c = write(
      "4c.json",
      resultOn("c", [perSecondScenario("aurora-read", { readsPerSec: [27, 30, 33] })]),
    );
    const printed = capture();
    expect(await compareCommand([a, b, c], { markdown: true })).toBe(0);
    expect(printed.out()).toContain(
      "| aurora-write | writesPerSec | 10.0/s | 10.0/s | 1.00 | [0.795, 1.26] | inconclusive | absent | - | - | - |",
    );
    expect(printed.out()).toContain(
      "| aurora-read | readsPerSec | 10.0/s | absent | - | - | - | 30.0/s | 3.00 | [2.39, 3.77] | c faster |",
    );
  });

  it("refuses a result with no scenario in common with the base, naming it, before printing", async () => {
    const [a = "", b = ""] = three();
    const other = write(
      "other-scenario.json",
      resultOn("x", [perSecondScenario("replica-lag", { writesPerSec: [1, 2] })]),
    );
    const printed = capture();
    expect(await usageMessage(() => compareCommand([a, b, other], {}))).toBe(
      `${other}: no scenario in common with ${a} (its scenarios: replica-lag; the base's: aurora-write): nothing to compare`,
    );
    expect(await usageMessage(() => compareCommand([a, other], {}))).toMatch(
      new RegExp(`^${other}: no scenario in common`),
    );
    const empty = write("empty.json", resultOn("e", []));
    expect(await usageMessage(() => compareCommand([empty, a, b], {}))).toBe(
      `${empty}: the base result has no scenario: nothing to compare`,
    );
    expect(printed.out()).toBe("");
  });

  it("names a file that is not a result among three", async () => {
    const [a = "", b = ""] = three();
    const bad = write("not-a-result.json", { tool: { name: "sysbench" } });
    capture();
    expect(await usageMessage(() => compareCommand([a, b, bad], {}))).toBe(
      `${bad}: not a reinvent-bench result (tool.name is "sysbench")`,
    );
  });

  it("draws one SVG per chart with --charts, one series per result", async () => {
    const [a = "", b = "", c = ""] = three();
    const chartDir = join(dir, "charts3");
    const printed = capture();
    expect(await compareCommand([a, b, c], { charts: chartDir })).toBe(0);
    expect(readdirSync(chartDir)).toEqual(["compare-throughput-aurora-write.svg"]);
    const svg = readFileSync(join(chartDir, "compare-throughput-aurora-write.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    // The legend, in argument order (each label cut short where the path runs long).
    const legend = [...svg.matchAll(/>([abc]: [^<]*)</g)].map((m) => m[1]?.split(",")[0]);
    expect(legend).toEqual(["a: mysql 8.0.36", "b: aurora-mysql 8.0.36", "c: aurora-mysql 8.0.36"]);
    expect(printed.err()).toBe(`compare: 1 chart (SVG) in ${chartDir}\n`);
  });

  it("refuses a --charts that is a file, before printing", async () => {
    const [a = "", b = "", c = ""] = three();
    const file = write("charts-file", "x");
    const printed = capture();
    expect(await usageMessage(() => compareCommand([a, b, c], { charts: file }))).toBe(
      `chart folder ${file} is a file, not a folder; name a folder with --charts`,
    );
    expect(printed.out()).toBe("");
    expect(existsSync(join(file, "compare-throughput-aurora-write.svg"))).toBe(false);
  });
});
