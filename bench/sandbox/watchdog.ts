import { spawn } from "node:child_process";

/** A process that stops a server if this tool dies without stopping it (kill -9, OOM killer). */
export interface Watchdog {
  /** The watchdog's own pid. */
  readonly pid: number | undefined;
  /** The tool stops the server itself from now on: the watchdog goes. */
  cancel(): void;
}

/** Seconds the server is given to shut down (SIGTERM) before it is killed. */
const GRACE_S = 60;

/**
 * Checks every second that the tool (`toolPid`) lives; once it is gone, sends the server SIGTERM,
 * then SIGKILL after GRACE_S if it still runs. A shell loop of its own, detached, so a SIGKILL of
 * the tool, which runs no cleanup, cannot take it along; Node has no way to ask the kernel for a
 * parent-death signal. It acts only on the one pid it was given.
 */
export function startWatchdog(serverPid: number, toolPid: number = process.pid): Watchdog {
  const script = [
    'tool="$1"; server="$2"; grace="$3"',
    'while kill -0 "$tool" 2>/dev/null; do sleep 1; done',
    'kill -TERM "$server" 2>/dev/null || exit 0',
    'i=0; while kill -0 "$server" 2>/dev/null && [ "$i" -lt "$grace" ]; do sleep 1; i=$((i+1)); done',
    'kill -KILL "$server" 2>/dev/null',
  ].join("\n");
  const child = spawn(
    "/bin/sh",
    ["-c", script, "reinvent-bench-watchdog", String(toolPid), String(serverPid), String(GRACE_S)],
    { detached: true, stdio: "ignore" },
  );
  child.on("error", () => {});
  child.unref();
  let cancelled = false;
  return {
    pid: child.pid,
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    },
  };
}
