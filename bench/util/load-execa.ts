import type { execa } from "execa";

/**
 * execa, loaded when a child process is first started rather than when its caller's module is:
 * execa and its dependencies cost about 60 ms of CPU to load, which every `run` paid at start-up,
 * though a run on a given --target (no sandbox, no crash command) starts no process at all.
 */
export async function loadExeca(): Promise<typeof execa> {
  return (await import("execa")).execa;
}
