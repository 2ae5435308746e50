import { ExitCode } from "./errors.js";

/**
 * Until `run` installs its own handlers (which stop the load and save what was measured), an
 * interrupt has nothing to save: it says so and exits 130, rather than dying without a word.
 */
const early = (signal: NodeJS.Signals) => {
  process.stderr.write(`\n${signal}: interrupted before the run began; no result.json was written\n`);
  process.exit(ExitCode.interrupted);
};

export function installEarlySignalExit(): void {
  process.on("SIGINT", early);
  process.on("SIGTERM", early);
}

export function removeEarlySignalExit(): void {
  process.off("SIGINT", early);
  process.off("SIGTERM", early);
}
