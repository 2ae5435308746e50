import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A new empty folder under the system's temporary folder, its name starting with `prefix`. */
export function makeWorkDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes the folder, or with `keep` leaves it and says where it is (to look at what a run left). */
export function removeWorkDir(dir: string, keep: boolean, log: (line: string) => void): void {
  if (keep) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
