import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The folders of bench/, bottom to top. A file may import files of its own folder and of folders
 * below it, never above: imports run downward only. bench/cli.ts sits above every folder, and
 * scripts/ above bench/cli.ts. A new folder must be placed here deliberately.
 */
const ORDER = [
  "util",
  "metrics",
  "workload",
  "scenario",
  "target",
  "dataset",
  "executor",
  "probe",
  "result",
  "live",
  "sandbox",
  "clients",
  "fault",
  "report",
  "microbench",
  "run",
  "commands",
] as const;

/** Test helpers: neither checked nor ranked. */
const EXEMPT_FOLDERS = new Set(["testing"]);
/** The only file (test files aside) directly in bench/. */
const ROOT_FILES = ["cli.ts"];

const CLI = "(bench/cli.ts)";
const SCRIPTS = "(scripts)";

/** One source file and the files it imports, as paths from the package root with "/" ("bench/x/y.ts"). */
interface ImportRecord {
  file: string;
  imports: string[];
}

const isTestFile = (path: string) => path.endsWith(".test.ts");

/**
 * The relative module specifiers of a source text: `import ... from`, `import "..."`, `export ... from`
 * and `import("...")` (also in types). Comments and string contents are not read as imports.
 */
function relativeSpecifiers(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith("./") || specifier.startsWith("../"));
}

/** Posix path of a specifier imported by `file`, with ".js" read as its ".ts" source. */
function resolveSpecifier(file: string, specifier: string): string {
  const parts = file.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/").replace(/\.js$/, ".ts");
}

/** The layer a path belongs to: a bench/ folder, bench/cli.ts, scripts/; null for exempt or unranked paths. */
function layerOf(path: string, order: readonly string[]): { name: string; rank: number } | null {
  const parts = path.split("/");
  if (parts[0] === "scripts") return { name: SCRIPTS, rank: order.length + 1 };
  if (parts[0] !== "bench") return null;
  if (parts.length === 2) return { name: CLI, rank: order.length };
  const folder = parts[1] ?? "";
  const rank = order.indexOf(folder);
  return rank === -1 ? null : { name: folder, rank };
}

/** Every import that runs up, as "file -> imported file (folder rank a below folder rank b)". */
function upwardImports(records: readonly ImportRecord[], order: readonly string[] = ORDER): string[] {
  const found: string[] = [];
  for (const { file, imports } of records) {
    const from = layerOf(file, order);
    if (!from) continue;
    for (const imported of imports) {
      const to = layerOf(imported, order);
      if (to && to.rank > from.rank) {
        found.push(
          `${file} -> ${imported} (${from.name} rank ${from.rank} below ${to.name} rank ${to.rank})`,
        );
      }
    }
  }
  return found;
}

/** Folders of bench/ the order does not place. */
function unplacedFolders(folders: readonly string[], order: readonly string[] = ORDER): string[] {
  return folders.filter((folder) => !EXEMPT_FOLDERS.has(folder) && !order.includes(folder));
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = join(packageRoot, "bench");
const posix = (path: string) => relative(packageRoot, path).split(sep).join("/");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** The bench/ sources the rule applies to: non-test .ts files outside bench/testing/. */
function benchRecords(): ImportRecord[] {
  return filesUnder(benchDir)
    .map(posix)
    .filter((file) => file.endsWith(".ts") && !isTestFile(file))
    .filter((file) => !EXEMPT_FOLDERS.has(file.split("/")[1] ?? ""))
    .sort()
    .map((file) => ({
      file,
      imports: relativeSpecifiers(readFileSync(join(packageRoot, file), "utf8")).map((specifier) =>
        resolveSpecifier(file, specifier),
      ),
    }));
}

describe("bench/ layers", () => {
  it("imports run downward only", () => {
    expect(upwardImports(benchRecords())).toEqual([]);
  });

  it("every folder of bench/ that holds files is placed in the order", () => {
    const folders = readdirSync(benchDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && filesUnder(join(benchDir, entry.name)).length > 0)
      .map((entry) => entry.name)
      .sort();
    expect(unplacedFolders(folders)).toEqual([]);
  });

  it("bench/cli.ts is the only file directly in bench/ (test files aside)", () => {
    const files = readdirSync(benchDir, { withFileTypes: true })
      .filter((entry) => !entry.isDirectory() && !isTestFile(entry.name))
      .map((entry) => entry.name)
      .sort();
    expect(files).toEqual(ROOT_FILES);
  });
});

describe("the layer checker", () => {
  it("reads static, type-only, side-effect, re-export and dynamic imports, but not comments or strings", () => {
    const source = [
      'import { a } from "./a.js";',
      'import type { B } from "../b/b.js";',
      'import "./side-effect.js";',
      'export { c } from "../c/c.js";',
      'export * from "./d.js";',
      'const e = await import("../e/e.js");',
      'type F = import("../f/f.js").F;',
      'import { readFileSync } from "node:fs";',
      '// import { g } from "../g/g.js";',
      'const text = "import(\\"../h/h.js\\")";',
    ].join("\n");
    expect(relativeSpecifiers(source)).toEqual([
      "./a.js",
      "../b/b.js",
      "./side-effect.js",
      "../c/c.js",
      "./d.js",
      "../e/e.js",
      "../f/f.js",
    ]);
    expect(resolveSpecifier("bench/metrics/aggregate.ts", "../executor/protocol.js")).toBe(
      "bench/executor/protocol.ts",
    );
    expect(resolveSpecifier("bench/cli.ts", "./commands/run.js")).toBe("bench/commands/run.ts");
  });

  it("reports an import that runs up, and only those", () => {
    const records: ImportRecord[] = [
      {
        file: "bench/metrics/aggregate.ts",
        imports: ["bench/metrics/histogram.ts", "bench/util/errors.ts", "bench/executor/protocol.ts"],
      },
      { file: "bench/executor/load.ts", imports: ["bench/metrics/aggregate.ts", "bench/testing/x.ts"] },
      { file: "bench/util/format.ts", imports: ["bench/cli.ts", "scripts/gen-schemas.ts"] },
      { file: "bench/cli.ts", imports: ["bench/commands/run.ts", "scripts/gen-schemas.ts"] },
    ];
    expect(upwardImports(records)).toEqual([
      "bench/metrics/aggregate.ts -> bench/executor/protocol.ts (metrics rank 1 below executor rank 6)",
      "bench/util/format.ts -> bench/cli.ts (util rank 0 below (bench/cli.ts) rank 17)",
      "bench/util/format.ts -> scripts/gen-schemas.ts (util rank 0 below (scripts) rank 18)",
      "bench/cli.ts -> scripts/gen-schemas.ts ((bench/cli.ts) rank 17 below (scripts) rank 18)",
    ]);
  });

  it("reports a folder the order does not place, but not bench/testing", () => {
    expect(unplacedFolders(["metrics", "shard", "testing", "util"])).toEqual(["shard"]);
  });
});
