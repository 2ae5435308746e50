import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, UsageError } from "../util/errors.js";
import { findServerBinary } from "./find.js";
import { Sandbox } from "./server.js";

// Sandbox.start looks for the server binary first; the folder is checked before anything starts.
const hasBinary = await findServerBinary().then(
  () => true,
  () => false,
);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-sandbox-folder-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const start = (folder: string) =>
  Sandbox.start({ dir: folder, sizing: { connections: 10, tables: 1, tableSize: 10 }, log: () => {} });

describe.runIf(hasBinary)("the sandbox folder (--sandbox-dir)", () => {
  it("a file: one line naming --sandbox-dir, exit 2, nothing started", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const error = await start(file).then(
      () => new Error("started"),
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.usage);
    expect(error.message).toBe(
      `sandbox folder ${file} is a file, not a folder; name a folder with --sandbox-dir`,
    );
    const under = join(file, "topology-1", "template");
    await expect(start(under)).rejects.toThrow(
      `sandbox folder ${under} cannot be created: ${file} is a file, not a folder; name a folder with --sandbox-dir`,
    );
  });

  it.runIf(existsSync("/proc/self"))(
    "a place that takes no folders: one line naming --sandbox-dir",
    async () => {
      const error = await start("/proc/rb-sandbox/x").then(
        () => new Error("started"),
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(
        /^sandbox folder \/proc\/rb-sandbox\/x cannot be created: .*; name another folder with --sandbox-dir$/,
      );
    },
  );
});
