import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuList, onCpus, pinProcess, splitCpus } from "./cpu-split.js";

/** The CPUs a thread may run on, from /proc (Cpus_allowed_list: "0-1", "1", "0,2"). */
function allowedCpus(pid: number, tid = pid): string {
  const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? "";
}

describe("splitCpus", () => {
  it("gives the server the upper half and the clients the lower half", () => {
    expect(splitCpus(2)).toEqual({ clientCpus: [0], serverCpus: [1] });
    expect(splitCpus(5)).toEqual({ clientCpus: [0, 1], serverCpus: [2, 3, 4] });
    expect(cpuList([0, 1])).toBe("0,1");
  });

  it("refuses a machine with one CPU, naming the flag", () => {
    expect(() => splitCpus(1)).toThrow("--split-cores: needs at least 2 CPUs, this machine has 1");
  });

  it("runs a command through taskset with its own arguments after the list", () => {
    expect(onCpus([0], "sysbench", ["--threads=16", "run"])).toEqual({
      file: "taskset",
      args: ["--cpu-list", "0", "sysbench", "--threads=16", "run"],
    });
  });
});

describe("pinProcess", () => {
  it("confines every thread of a running process, and the ones it starts later", async () => {
    // A process with a thread of its own (a worker), which starts another after being pinned.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const { Worker } = require("node:worker_threads");
         new Worker("setInterval(() => {}, 1000)", { eval: true });
         process.stdin.once("data", () => { new Worker("setInterval(() => {}, 1000)", { eval: true }); console.log("started"); });
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    try {
      const pid = child.pid as number;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const reported = await pinProcess(pid, [1]);
      expect(reported).toBe("1");
      const started = new Promise((resolve) => child.stdout?.once("data", resolve));
      child.stdin?.write("go\n");
      await started;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { readdirSync } = await import("node:fs");
      const tids = readdirSync(`/proc/${pid}/task`).map(Number);
      expect(tids.length).toBeGreaterThan(2);
      for (const tid of tids) expect(allowedCpus(pid, tid)).toBe("1");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
