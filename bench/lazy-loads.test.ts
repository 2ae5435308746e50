import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chainTo, eagerGraph, eagerSpecifiers, packageOf } from "./testing/eager-imports.js";

/**
 * Packages that cost a command's start-up more CPU than the rest of it (measured with
 * scripts/startup-cost.ts), loaded where they are used instead: the report renderers when a report
 * or chart is drawn, the schema compilers never at run time (the validators are generated at build
 * time), execa when a child process is started, and hdr-histogram-js's encoding (with pako) at the
 * first histogram encoded or decoded.
 */
const LOADED_LATE = [
  "vega",
  "vega-lite",
  "@resvg/resvg-js",
  "marked",
  "ajv",
  "@sinclair/typebox",
  "execa",
  "hdr-histogram-js/dist/JsHistogram.encoding.js",
];

/** The generated validators' small helpers (string length, deep equality): not the compiler. */
const AJV_RUNTIME = "ajv/dist/runtime/";

function loadedLate(specifier: string): boolean {
  if (specifier.startsWith(AJV_RUNTIME)) return false;
  return LOADED_LATE.includes(specifier) || LOADED_LATE.includes(packageOf(specifier));
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Each module of bench/commands/: what bench/cli.ts imports when that command runs. */
const commandModules = readdirSync(join(packageRoot, "bench", "commands"))
  .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
  .map((name) => `bench/commands/${name}`)
  .sort();

/** The packages `entry` loads before any of its functions runs that should be loaded late, each with its chain. */
function earlyLoads(entry: string): string[] {
  const graph = eagerGraph(packageRoot, entry);
  return [...graph.specifiers]
    .filter(([specifier]) => loadedLate(specifier))
    .map(([specifier, file]) => `${specifier} <- ${chainTo(graph, file)}`);
}

describe("start-up loads", () => {
  it("bench/cli.ts loads commander and no command's module (each is imported when its command runs)", () => {
    const graph = eagerGraph(packageRoot, "bench/cli.ts");
    expect([...graph.specifiers.keys()]).toEqual(["commander"]);
    expect([...graph.files.keys()].filter((file) => file.startsWith("bench/commands/"))).toEqual([]);
  });

  it.each(commandModules)("%s loads no renderer, schema compiler or execa when imported", (entry) => {
    expect(earlyLoads(entry)).toEqual([]);
  });

  it("the commands that draw still reach the renderers, through a dynamic import", () => {
    for (const entry of ["bench/commands/report.ts", "bench/commands/merge.ts", "bench/run/session.ts"]) {
      const graph = eagerGraph(packageRoot, entry);
      expect(graph.files.has("bench/report/write-reports.ts")).toBe(false);
    }
    expect(eagerGraph(packageRoot, "bench/report/write-reports.ts").specifiers.has("vega")).toBe(true);
  });
});

describe("the start-up load reader", () => {
  it("reads static imports, re-exports and top-level require()/import(), not type-only or deferred loads", () => {
    const source = [
      'import { a } from "./a.js";',
      'import type { B } from "./b.js";',
      'import { type C } from "./c.js";',
      'import { type D, d } from "./d.js";',
      'import "side-effect";',
      'export { e } from "./e.js";',
      'export type { F } from "./f.js";',
      'export * from "./g.js";',
      'const h = require("h-package");',
      'const i = await import("i-package");',
      'function later() { return require("j-package"); }',
      'const k = async () => (await import("k-package")).k;',
      "class L { m() { return import('l-package'); } }",
      '// import { n } from "n-package";',
      'const text = "import(\\"o-package\\")";',
    ].join("\n");
    expect(eagerSpecifiers(source)).toEqual([
      "./a.js",
      "./d.js",
      "side-effect",
      "./e.js",
      "./g.js",
      "h-package",
      "i-package",
    ]);
  });

  it("names a package by its specifier, scoped or with a path", () => {
    expect(packageOf("vega")).toBe("vega");
    expect(packageOf("@resvg/resvg-js")).toBe("@resvg/resvg-js");
    expect(packageOf("ajv/dist/runtime/equal")).toBe("ajv");
    expect(loadedLate("ajv")).toBe(true);
    expect(loadedLate("ajv/dist/runtime/equal")).toBe(false);
    expect(loadedLate("hdr-histogram-js/dist/Int32Histogram.js")).toBe(false);
    expect(loadedLate("hdr-histogram-js/dist/JsHistogram.encoding.js")).toBe(true);
  });
});
