import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

/** What a client needs to build and run the tool, as the repository's Dockerfile copies it. */
export const TOOL_ENTRIES = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "bench",
  "scripts",
  "bin",
  "scenarios",
  "docs",
] as const;

/** The repository this app belongs to (deploy/aws is two folders below it). */
export function repositoryRoot(appDir: string): string {
  return resolve(appDir, "..", "..");
}

/**
 * Copies the tool's sources into `dir` (emptied first), leaving tests out: the clients build
 * them with `npm ci && npm run build` exactly as the Docker image does.
 */
export function stageTool(repoRoot: string, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of TOOL_ENTRIES) {
    cpSync(join(repoRoot, entry), join(dir, entry), {
      recursive: true,
      filter: (source) => !/\.test\.ts$/.test(source),
    });
  }
  return dir;
}
