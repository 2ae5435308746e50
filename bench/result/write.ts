import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Result } from "./schema.js";

/**
 * Writes result.json through a temporary file and a rename, so a reader (or a crash of this
 * process) never sees half a file.
 */
export function writeResultAtomically(outDir: string, result: Result): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, "result.json");
  const temp = join(dirname(path), `.result.json.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(temp, path);
  return path;
}
