import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeWorkDir, removeWorkDir } from "./work-dir.js";

describe("work folder", () => {
  it("is made new under the temporary folder with the prefix", () => {
    const a = makeWorkDir("work-dir-test-");
    const b = makeWorkDir("work-dir-test-");
    try {
      expect(dirname(a)).toBe(tmpdir());
      expect(basename(a).startsWith("work-dir-test-")).toBe(true);
      expect(a).not.toBe(b);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it("is removed with its contents, or kept and named", () => {
    const removed = makeWorkDir("work-dir-test-");
    writeFileSync(join(removed, "file"), "x");
    const lines: string[] = [];
    removeWorkDir(removed, false, (line) => lines.push(line));
    expect(existsSync(removed)).toBe(false);
    expect(lines).toEqual([]);

    const kept = makeWorkDir("work-dir-test-");
    try {
      removeWorkDir(kept, true, (line) => lines.push(line));
      expect(existsSync(kept)).toBe(true);
      expect(lines).toEqual([`kept ${kept}`]);
    } finally {
      rmSync(kept, { recursive: true, force: true });
    }
  });
});
