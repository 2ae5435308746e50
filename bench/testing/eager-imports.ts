import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";

/**
 * What a module loads as soon as it is evaluated, read from its source without running it: its
 * static imports and re-exports (type-only ones aside: the compiler drops them), and the
 * `require()` and `import()` calls of its top level. A load written inside a function happens when
 * the function is called: that is how a module defers an expensive package, and it is not listed.
 */
export function eagerSpecifiers(source: string): string[] {
  const file = ts.createSourceFile("module.ts", source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node, inFunction: boolean): void => {
    if (ts.isImportDeclaration(node) && !isTypeOnlyImport(node)) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !isTypeOnlyExport(node)) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (!inFunction && ts.isCallExpression(node) && isLoadCall(node)) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) found.push(argument.text);
    }
    node.forEachChild((child) => visit(child, inFunction || ts.isFunctionLike(node)));
  };
  visit(file, false);
  return found;
}

/** `import type ...`, or `import { type A, type B }` with nothing else: gone once compiled. */
function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    !clause.name &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return (
    clause !== undefined &&
    ts.isNamedExports(clause) &&
    clause.elements.length > 0 &&
    clause.elements.every((element) => element.isTypeOnly)
  );
}

/** `require("...")` or `import("...")`. */
function isLoadCall(node: ts.CallExpression): boolean {
  return (
    node.expression.kind === ts.SyntaxKind.ImportKeyword ||
    (ts.isIdentifier(node.expression) && node.expression.text === "require")
  );
}

/** A package's name from a bare specifier: "vega-lite", "@resvg/resvg-js", "ajv" of "ajv/dist/x". */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

/** The modules an entry loads at once, and the package specifiers they load, each with its chain. */
export interface EagerGraph {
  /** Source files, as paths from the package root ("bench/x/y.ts"), each with the file that loads it. */
  files: Map<string, string | null>;
  /** Bare specifiers ("vega", "ajv/dist/runtime/equal") with the file that loads each first. */
  specifiers: Map<string, string>;
}

/**
 * Every module `entry` (a path from `root`, "bench/commands/run.ts") loads before any of its
 * functions is called, following relative imports (".js" read as its ".ts" source) to the bare
 * specifiers they end in; `node:` modules aside.
 */
export function eagerGraph(root: string, entry: string): EagerGraph {
  const files = new Map<string, string | null>([[entry, null]]);
  const specifiers = new Map<string, string>();
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const specifier of eagerSpecifiers(readFileSync(join(root, file), "utf8"))) {
      if (specifier.startsWith("./") || specifier.startsWith("../")) {
        const imported = join(dirname(file), specifier).replace(/\.js$/, ".ts");
        if (!files.has(imported)) {
          files.set(imported, file);
          queue.push(imported);
        }
      } else if (!specifier.startsWith("node:") && !specifiers.has(specifier)) {
        specifiers.set(specifier, file);
      }
    }
  }
  return { files, specifiers };
}

/** "bench/cli.ts -> bench/commands/run.ts -> ...": how `file` is reached from the graph's entry. */
export function chainTo(graph: EagerGraph, file: string): string {
  const chain: string[] = [];
  for (let at: string | null | undefined = file; at; at = graph.files.get(at)) chain.unshift(at);
  return chain.join(" -> ");
}
