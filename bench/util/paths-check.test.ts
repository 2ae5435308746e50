import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, LocalIoError, UsageError } from "./errors.js";
import { packageRoot } from "./paths.js";
import { describeIoError, ensureWritableDir, ioFailure } from "./paths-check.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-paths-check-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const OUT = { what: "result folder", flag: "--out" };
const SANDBOX = { what: "sandbox folder", flag: "--sandbox-dir" };

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected an error, none was thrown");
}

/**
 * Runs `call` (an expression of paths-check.ts's exports) in a child process as the user nobody
 * (setpriv, util-linux), and returns the name and message of what it threw, or "no error".
 */
function asNobody(call: string): string {
  const module = join(packageRoot(), "bench", "util", "paths-check.ts");
  const script = `import { ensureWritableDir } from ${JSON.stringify(module)};
try { ${call}; console.log("no error"); } catch (e) { console.log(e.constructor.name + ": " + e.message); }`;
  const tsx = join(packageRoot(), "node_modules", ".bin", "tsx");
  return execFileSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", tsx, "-e", script], {
    encoding: "utf8",
    env: { ...process.env, HOME: tmpdir() },
  }).trim();
}

const errno = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("ensureWritableDir", () => {
  it("creates a missing folder and its parents, and leaves no probe file", () => {
    const target = join(dir, "a", "b", "c");
    ensureWritableDir(target, OUT);
    expect(existsSync(target)).toBe(true);
    expect(readdirSync(target)).toEqual([]);
    // An existing folder is fine too.
    ensureWritableDir(target, OUT);
  });

  it("refuses a file named as the folder, naming the folder and the flag (exit 2)", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const error = thrown(() => ensureWritableDir(file, OUT));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.usage);
    expect(error.message).toBe(`result folder ${file} is a file, not a folder; name a folder with --out`);
  });

  it("names the file in the way when the folder would be under it", () => {
    const file = join(dir, "another-file");
    writeFileSync(file, "x");
    const under = join(file, "sub", "deeper");
    const error = thrown(() => ensureWritableDir(under, SANDBOX));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      `sandbox folder ${under} cannot be created: ${file} is a file, not a folder; name a folder with --sandbox-dir`,
    );
  });

  it.runIf(existsSync("/proc/self"))(
    "refuses a place that takes no folders (/proc) at once, where mkdir's recursive mode loops forever",
    () => {
      const error = thrown(() => ensureWritableDir("/proc/rb-no-such-folder/x", SANDBOX));
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(
        /^sandbox folder \/proc\/rb-no-such-folder\/x cannot be created: .+ \(E[A-Z]+\); name another folder with --sandbox-dir$/,
      );
    },
  );

  it("refuses a read-only folder (exit 2)", () => {
    const readOnly = join(dir, "read-only");
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    try {
      if (process.getuid?.() === 0) {
        // Root writes anywhere: the check runs as nobody, which the folder's mode does hold back.
        chmodSync(dir, 0o755);
        const message = asNobody(
          `ensureWritableDir(${JSON.stringify(join(readOnly, "x"))}, ${JSON.stringify(SANDBOX)})`,
        );
        expect(message).toMatch(
          /^UsageError: .*cannot be created: permission denied \(EACCES\); name another folder/,
        );
        return;
      }
      const error = thrown(() => ensureWritableDir(join(readOnly, "x"), SANDBOX));
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(/cannot be created: permission denied \(EACCES\); name another folder/);
    } finally {
      chmodSync(readOnly, 0o755);
    }
  });
});

describe("describeIoError and ioFailure", () => {
  it("words the usual codes and falls back to Node's own words", () => {
    expect(describeIoError(errno("ENOSPC", "ENOSPC: no space left on device, write"))).toBe(
      "no space left on device (ENOSPC)",
    );
    expect(describeIoError(errno("EXDEV", "EXDEV: cross-device link not permitted, rename 'a' -> 'b'"))).toBe(
      "cross-device link not permitted (EXDEV)",
    );
    expect(describeIoError(new Error("plain\nsecond line"))).toBe("plain");
  });

  it("makes a disk failure a LocalIoError (exit 4), a place problem a UsageError, and leaves others", () => {
    const full = ioFailure(
      errno("ENOSPC", "ENOSPC: no space left on device, write"),
      "report: cannot write in /r",
      "--out",
    );
    expect(full).toBeInstanceOf(LocalIoError);
    expect((full as LocalIoError).exitCode).toBe(4);
    expect((full as Error).message).toBe(
      "report: cannot write in /r: no space left on device (ENOSPC); free space there or name another folder with --out",
    );
    expect(ioFailure(errno("EROFS", "EROFS: read-only file system"), "x", "--out")).toBeInstanceOf(
      UsageError,
    );
    const other = new TypeError("Cannot convert undefined or null to object");
    expect(ioFailure(other, "x", "--out")).toBe(other);
  });
});
