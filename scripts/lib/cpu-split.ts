import { execa } from "execa";

/**
 * Which CPUs a sandbox server and the clients get when they must not share cores: the server the
 * upper half, the clients the lower half (on 2 CPUs: the server CPU 1, each client CPU 0). What a
 * client machine of its own gives: neither tool's threads compete with the server's for a core.
 */
export interface CpuSplit {
  serverCpus: number[];
  clientCpus: number[];
}

export function splitCpus(cpuCount: number): CpuSplit {
  if (!Number.isInteger(cpuCount) || cpuCount < 2) {
    throw new Error(`--split-cores: needs at least 2 CPUs, this machine has ${cpuCount}`);
  }
  const clientCount = Math.floor(cpuCount / 2);
  const all = Array.from({ length: cpuCount }, (_, cpu) => cpu);
  return { clientCpus: all.slice(0, clientCount), serverCpus: all.slice(clientCount) };
}

/** taskset's CPU list: "0", "0,1". */
export const cpuList = (cpus: readonly number[]): string => cpus.join(",");

/** A command run on the given CPUs only: taskset execs it, so its pid and command line stay its own. */
export function onCpus(
  cpus: readonly number[],
  file: string,
  args: string[],
): { file: string; args: string[] } {
  return { file: "taskset", args: ["--cpu-list", cpuList(cpus), file, ...args] };
}

/**
 * Confines every thread of a running process to the CPUs (taskset -a); threads it starts later
 * inherit the mask from the thread that starts them. Returns the mask taskset then reports.
 */
export async function pinProcess(pid: number, cpus: readonly number[]): Promise<string> {
  await execa("taskset", ["--all-tasks", "--cpu-list", "--pid", cpuList(cpus), String(pid)]);
  const { stdout } = await execa("taskset", ["--cpu-list", "--pid", String(pid)]);
  // "pid 123's current affinity list: 1"
  return stdout.slice(stdout.lastIndexOf(":") + 1).trim();
}
