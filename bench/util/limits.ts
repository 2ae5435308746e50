import { readFileSync } from "node:fs";

/** This process's soft limit on open files (Linux /proc), or undefined where it cannot be read. */
export function openFilesSoftLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    if (!soft || soft === "unlimited") return undefined;
    const value = Number(soft);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
