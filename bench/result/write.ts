import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LocalIoError } from "../util/errors.js";
import { describeIoError, ensureWritableDir, remedyFor } from "../util/paths-check.js";
import type { Result } from "./schema.js";

/** The file operations the writer uses; tests give failing ones (a full disk) in their place. */
export interface ResultFileOps {
  writeFileSync: (path: string, data: string) => void;
  renameSync: (from: string, to: string) => void;
}

const nodeFileOps: ResultFileOps = { writeFileSync, renameSync };

/**
 * Writes result.json through a temporary file and a rename, so a reader (or a crash of this
 * process) never sees half a file. The folder is made first (a file in the way or a place that
 * cannot be written is a UsageError naming --out). A write that fails (disk full, I/O error)
 * removes the temporary file, leaves the last result.json written as it was, and is a one-line
 * LocalIoError (exit 4) naming the file.
 */
export function writeResultAtomically(
  outDir: string,
  result: Result,
  ops: ResultFileOps = nodeFileOps,
): string {
  ensureWritableDir(outDir, { what: "result folder", flag: "--out" });
  const path = join(outDir, "result.json");
  const temp = join(dirname(path), `.result.json.${process.pid}.tmp`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  try {
    ops.writeFileSync(temp, text);
    ops.renameSync(temp, path);
  } catch (error) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // The write's error is the one to report.
    }
    throw new LocalIoError(
      `result: cannot write ${path}: ${describeIoError(error)}; ${remedyFor(error, "--out")}`,
    );
  }
  return path;
}
