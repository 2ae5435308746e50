import { runCleanups } from "../../bench/util/cleanup.js";
import { ExitCode } from "../../bench/util/errors.js";
import { log } from "./log.js";

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Takes the signal handlers away (at the end of the script's own clean-up). */
  dispose(): void;
}

/**
 * SIGINT and SIGTERM for a script that starts servers and child processes. The first signal says
 * what will stop (`stopping`) and aborts `signal`, so the script winds down and cleans up along
 * its usual path; a second runs the registered clean-ups (bench/util/cleanup.ts), then
 * `beforeExit`, and exits 130 at once, for when winding down hangs.
 */
export function interruptOnSignals(stopping: string, beforeExit?: () => void): Interrupt {
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log(`\n${name}: ${stopping} (again to quit at once)`);
      abort.abort();
    } else {
      void runCleanups()
        .then(beforeExit)
        .finally(() => process.exit(ExitCode.interrupted));
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
