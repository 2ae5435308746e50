/**
 * Exit codes, in one place. The CLI is the only code that turns an error into one of these.
 */
export const ExitCode = {
  ok: 0,
  /** A gate or threshold failed. */
  gateFailed: 1,
  /** Usage or bad input: unknown scenario, malformed file, bad flag. */
  usage: 2,
  /** The target could not be used: unreachable, too small, missing server binary. */
  target: 3,
  /**
   * A local file or folder could not be read or written for a reason outside the command line:
   * disk full, quota, I/O error (a folder the user named that cannot be used is usage, 2).
   */
  localIo: 4,
  /** SIGINT or SIGTERM. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user can fix; its message is printed on one line, without a stack trace. */
export class BenchError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue) {
    super(message);
    this.name = "BenchError";
    this.exitCode = exitCode;
  }
}

export class UsageError extends BenchError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = "UsageError";
  }
}

export class TargetError extends BenchError {
  constructor(message: string) {
    super(message, ExitCode.target);
    this.name = "TargetError";
  }
}

/** This machine's disk or files failed the tool (disk full, I/O error), not the target or the input. */
export class LocalIoError extends BenchError {
  constructor(message: string) {
    super(message, ExitCode.localIo);
    this.name = "LocalIoError";
  }
}

/** Several problems found at once (for example every schema error in a scenario file). */
export class ValidationError extends UsageError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ValidationError";
    this.problems = problems;
  }
}
