import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultOf, writeScenario } from "../testing/results.js";
import { ExitCode, LocalIoError, UsageError } from "../util/errors.js";
import type { Result } from "./schema.js";
import { type ResultFileOps, writeResultAtomically } from "./write.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-write-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
const freshDir = () => join(dir, `out-${++counter}`);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected an error, none was thrown");
}

const enospc = () =>
  Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write" });

/** Writes part of the file, as a full disk does, then fails. */
const fullDisk: ResultFileOps = {
  writeFileSync: (path, data) => {
    writeFileSync(path, data.slice(0, 10));
    throw enospc();
  },
  renameSync: () => {
    throw new Error("not reached");
  },
};

function checkpoint(status: Result["status"]): Result {
  return { ...resultOf([writeScenario()]), status };
}

describe("writeResultAtomically", () => {
  it("writes result.json and leaves no temporary file", () => {
    const out = freshDir();
    const path = writeResultAtomically(out, checkpoint("complete"));
    expect(path).toBe(join(out, "result.json"));
    expect(JSON.parse(readFileSync(path, "utf8")).status).toBe("complete");
    expect(readdirSync(out)).toEqual(["result.json"]);
  });

  it("on a full disk: one line naming the file (exit 4), no temporary file, the last result.json as it was", () => {
    const out = freshDir();
    const path = writeResultAtomically(out, checkpoint("interrupted"));
    const before = readFileSync(path, "utf8");
    const error = thrown(() => writeResultAtomically(out, checkpoint("complete"), fullDisk));
    expect(error).toBeInstanceOf(LocalIoError);
    expect((error as LocalIoError).exitCode).toBe(ExitCode.localIo);
    expect(ExitCode.localIo).toBe(4);
    expect(error.message).toBe(
      `result: cannot write ${path}: no space left on device (ENOSPC); free space there or name another folder with --out`,
    );
    expect(readdirSync(out)).toEqual(["result.json"]);
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("a failed rename is reported the same way, and the temporary file removed", () => {
    const out = freshDir();
    const error = thrown(() =>
      writeResultAtomically(out, checkpoint("complete"), {
        writeFileSync,
        renameSync: () => {
          throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" });
        },
      }),
    );
    expect(error).toBeInstanceOf(LocalIoError);
    expect(error.message).toBe(
      `result: cannot write ${join(out, "result.json")}: input/output error (EIO); name another folder with --out`,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it.runIf(existsSync("/dev/full"))("on a real full device (/dev/full, whatever the user's rights)", () => {
    const out = freshDir();
    const path = writeResultAtomically(out, checkpoint("interrupted"));
    const before = readFileSync(path, "utf8");
    // The temporary file the writer opens is a link to /dev/full, where every write fails with ENOSPC.
    symlinkSync("/dev/full", join(out, `.result.json.${process.pid}.tmp`));
    const error = thrown(() => writeResultAtomically(out, checkpoint("complete")));
    expect(error).toBeInstanceOf(LocalIoError);
    expect(error.message).toMatch(
      /^result: cannot write .+result\.json: no space left on device \(ENOSPC\);/,
    );
    expect(readdirSync(out)).toEqual(["result.json"]);
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("--out naming a file: one line naming --out (exit 2), not mkdir's EEXIST", () => {
    const file = join(dir, "not-a-folder");
    writeFileSync(file, "x");
    const error = thrown(() => writeResultAtomically(file, checkpoint("complete")));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.usage);
    expect(error.message).toBe(`result folder ${file} is a file, not a folder; name a folder with --out`);
    const under = thrown(() => writeResultAtomically(join(file, "sub"), checkpoint("complete")));
    expect(under).toBeInstanceOf(UsageError);
    expect(under.message).toBe(
      `result folder ${join(file, "sub")} cannot be created: ${file} is a file, not a folder; name a folder with --out`,
    );
  });
});
