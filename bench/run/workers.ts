import { availableParallelism } from "node:os";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "0:0:0:0:0:0:0:1"]);

/** A server on this machine (the sandbox, or a loopback target) competes with the client for its cores. */
export function sharesMachine(target: { host: string } | undefined): boolean {
  return target === undefined || LOOPBACK.has(target.host) || target.host.startsWith("127.");
}

/**
 * Default worker threads: one per core, less one core when the server runs on this machine (the
 * sandbox, or a loopback target), whose threads need it. Measured on 2 cores with the server on
 * them (read mix, 16 x 25,000 rows): one worker gave 60,400 reads/s at 7.5 us of client CPU per
 * statement at 16 connections against 48,300 at 15.1 us for two, 60,400 against 53,300 at 256 and
 * 47,300 against 40,300 at 1,000; the write mix at 16 was even (24,800 against 24,800 writes/s) at
 * 13.1 against 14.9 us. A second thread there takes CPU from the server it is measuring.
 */
export function defaultWorkers(cores = availableParallelism(), serverOnThisMachine = false): number {
  return Math.max(1, serverOnThisMachine ? cores - 1 : cores);
}

/**
 * How many workers starved ones are raised to (metrics/worker-starvation.ts): two per core. With one
 * thread per connection on the server, one worker on 2 cores got 0.32-0.47 of a core against 256 busy
 * server threads (0.68x sysbench's reads/s); four took 0.91-0.94x.
 */
export function adaptiveWorkerCeiling(cores = availableParallelism()): number {
  return Math.max(2, 2 * cores);
}

/**
 * Default worker threads of an open-loop step: one per OPEN_LOOP_RATE_PER_WORKER updates/s, at most
 * one per core. At fixed rates the cost is in wake-ups (a timer and a reply per op), and a second
 * worker doubles them: measured on 2 cores at 2,000 updates/s, one worker used 65 us of CPU per
 * update against 83 us for two; one worker sends well past 10,000 statements/s.
 */
export const OPEN_LOOP_RATE_PER_WORKER = 10_000;

export function defaultOpenLoopWorkers(
  ratePerSec: number,
  cores = availableParallelism(),
  serverOnThisMachine = false,
): number {
  return Math.max(
    1,
    Math.min(defaultWorkers(cores, serverOnThisMachine), Math.ceil(ratePerSec / OPEN_LOOP_RATE_PER_WORKER)),
  );
}
