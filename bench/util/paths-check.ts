import { mkdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LocalIoError, UsageError } from "./errors.js";

/** Words for the error codes a local file or folder gives most often. */
const WORDS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "input/output error",
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is a file, not a folder",
  EEXIST: "already exists",
  EISDIR: "is a folder",
  ENAMETOOLONG: "name too long",
  ELOOP: "too many symbolic links",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EFBIG: "file too large",
};

/**
 * Codes that say the place itself is wrong (the user should name another), as opposed to this
 * machine failing (disk full, I/O error).
 */
const PLACE_CODES = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOENT",
  "ENOTDIR",
  "EEXIST",
  "EISDIR",
  "ENAMETOOLONG",
  "ELOOP",
  "EINVAL",
]);

const codeOf = (error: unknown): string | undefined =>
  (error as NodeJS.ErrnoException | undefined)?.code ?? undefined;

/** A file system error in words with its code, "no space left on device (ENOSPC)", on one line. */
export function describeIoError(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code && WORDS[code]) return `${WORDS[code]} (${code})`;
  // Node's own form: "ECODE: description, syscall 'path'".
  const described = code ? new RegExp(`^${code}: ([^,]+)`).exec(message)?.[1] : undefined;
  if (code) return `${described ?? "failed"} (${code})`;
  return message.split("\n")[0] ?? "failed";
}

/** True when the error is about the place (name another folder), false when the disk failed. */
export function isPlaceError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && PLACE_CODES.has(code);
}

export interface FolderRole {
  /** How the folder is named in messages: "result folder", "sandbox folder". */
  what: string;
  /** The flag that chooses another one: "--out", "--sandbox-dir". */
  flag: string;
}

/** What to do about a file system error: free space, or name another folder with `flag`. */
export function remedyFor(error: unknown, flag: string): string {
  const code = codeOf(error);
  return code === "ENOSPC" || code === "EDQUOT"
    ? `free space there or name another folder with ${flag}`
    : `name another folder with ${flag}`;
}

function problem(role: FolderRole, dir: string, what: string, error: unknown): Error {
  const message = `${role.what} ${dir} ${what}: ${describeIoError(error)}; ${remedyFor(error, role.flag)}`;
  return isPlaceError(error) ? new UsageError(message) : new LocalIoError(message);
}

/**
 * Makes sure `dir` is a folder this process can create files in, creating it and its missing
 * parents. A file in the way, or a place that cannot be created or written (read-only, no
 * permission) is a one-line UsageError naming the folder and `role.flag`; a failing disk (full,
 * I/O error) is a LocalIoError. Folders are made one at a time: mkdirSync's recursive mode loops
 * forever on Node 20 where a parent exists but refuses new folders with ENOENT (under /proc).
 */
export function ensureWritableDir(dir: string, role: FolderRole): void {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch (error) {
      const code = codeOf(error);
      const parent = dirname(current);
      if ((code === "ENOENT" || code === "ENOTDIR") && parent !== current) {
        missing.unshift(current);
        current = parent;
        continue;
      }
      throw problem(role, dir, "cannot be reached", error);
    }
    if (!isDirectory) {
      const why = current === dir ? "is a file" : `cannot be created: ${current} is a file`;
      throw new UsageError(`${role.what} ${dir} ${why}, not a folder; name a folder with ${role.flag}`);
    }
    break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Made meanwhile by another process: fine if it is a folder.
      if (codeOf(error) === "EEXIST" && statSync(folder, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw problem(role, dir, "cannot be created", error);
    }
  }
  // Permission bits do not stop root, and a read-only mount or a pseudo file system may accept
  // what access(2) asks: only creating a file tells.
  const probe = join(dir, `.reinvent-bench-write-check-${process.pid}`);
  try {
    writeFileSync(probe, "");
  } catch (error) {
    throw problem(role, dir, "cannot be written", error);
  }
  try {
    unlinkSync(probe);
  } catch {
    // An empty file left behind costs nothing.
  }
}

/**
 * A file system error (one with an errno code) of `doing` as a one-line error: a place problem
 * naming `flag` (UsageError), or the disk's (LocalIoError). Any other error is returned as it is.
 */
export function ioFailure(error: unknown, doing: string, flag: string): unknown {
  const code = codeOf(error);
  if (!code || !/^E[A-Z0-9]+$/.test(code)) return error;
  const message = `${doing}: ${describeIoError(error)}; ${remedyFor(error, flag)}`;
  return isPlaceError(error) ? new UsageError(message) : new LocalIoError(message);
}
