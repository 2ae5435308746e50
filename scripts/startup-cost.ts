/**
 * startup-cost: what each command costs as a whole process when it has little or nothing to do,
 * CPU time (user + system, all threads) and peak memory, side by side; the median of several rounds,
 * the commands taking turns in each round so that a drift of the machine's speed spreads over all.
 *
 *   npm run startup-cost -- [--rounds 5] [--result FILE] [--cli FILE] [--keep]
 *
 * The commands: --help; `run` refused at its flags (after loading the run's modules); `run` refused
 * at connecting (a --target nothing listens on: the scenarios are loaded and checked, the live
 * outputs opened, the connection refused); `compare`, `report` and `gate` on one result (by default
 * a small one made up here; --result to use a real one). `report` draws its charts: most of its CPU
 * is that work, not start-up. --cli times another build (another checkout's bin/reinvent-bench.js),
 * to set two side by side. Each process is timed by GNU time (/usr/bin/time), which reads the
 * kernel's account of the finished process. No server is needed.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { markdownTable } from "../bench/report/markdown-table.js";
import { writesResult } from "../bench/testing/results.js";
import { packageRoot } from "../bench/util/paths.js";
import { log } from "./lib/log.js";
import { optionsOrExit, parseFlags, wholeNumber } from "./lib/options.js";
import { GNU_TIME, hasGnuTime, runTimed, type TimedRun } from "./lib/timed-process.js";
import { makeWorkDir, removeWorkDir } from "./lib/work-dir.js";

const USAGE = "usage: npm run startup-cost -- [--rounds 5] [--result FILE] [--cli FILE] [--keep]";
const MAX_ROUNDS = 50;
/** A command that has not ended by then is not starting up: something is wrong. */
const COMMAND_TIMEOUT_MS = 60_000;

interface Options {
  rounds: number;
  result: string | undefined;
  /** The command line program to time: bin/reinvent-bench.js of a build. */
  cli: string;
  keep: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const values = parseFlags(argv, {
    rounds: { type: "string", default: "5" },
    result: { type: "string" },
    cli: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return undefined;
  return {
    rounds: wholeNumber("--rounds", values.rounds, 1, MAX_ROUNDS),
    result: values.result === undefined ? undefined : resolve(values.result),
    cli: resolve(values.cli ?? join(packageRoot(), "bin", "reinvent-bench.js")),
    keep: values.keep,
  };
}

interface Case {
  name: string;
  args: string[];
  /** The exit code that says the command got as far as meant (and no further). */
  exitCode: number;
}

/** The commands, in the order they run in each round and are printed. */
function cases(result: string, work: string): Case[] {
  return [
    { name: "--help", args: ["--help"], exitCode: 0 },
    {
      name: "run, refused at its flags",
      args: ["run", "aurora-write", "--metrics-port", "99999"],
      exitCode: 2,
    },
    {
      name: "run, refused at connecting",
      // Port 1 on this machine: nothing listens there, so the connection is refused at once.
      args: [
        "run",
        "aurora-write",
        "--target",
        "mysql://bench:bench@127.0.0.1:1/sbtest",
        "--out",
        join(work, "run"),
      ],
      exitCode: 3,
    },
    { name: "compare", args: ["compare", result, result], exitCode: 0 },
    {
      name: "report (draws the charts)",
      args: ["report", result, "--out", join(work, "report")],
      exitCode: 0,
    },
    { name: "gate", args: ["gate", result, "--baseline", result], exitCode: 0 },
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

const cpuSec = (run: TimedRun) => run.cpuUserSec + run.cpuSystemSec;
const MIB = 1024 * 1024;

function row(name: string, runs: readonly TimedRun[]): string[] {
  const cpu = runs.map(cpuSec);
  return [
    name,
    median(cpu).toFixed(2),
    `${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}`,
    median(runs.map((run) => run.cpuUserSec)).toFixed(2),
    median(runs.map((run) => run.cpuSystemSec)).toFixed(2),
    (median(runs.map((run) => run.rssPeakBytes)) / MIB).toFixed(0),
    median(runs.map((run) => run.wallSec)).toFixed(2),
  ];
}

async function main(options: Options): Promise<number> {
  if (!hasGnuTime()) {
    log(`error: needs GNU time at ${GNU_TIME} (Debian and Ubuntu: apt-get install time)`);
    return 2;
  }
  const work = makeWorkDir("rb-startup-cost-");
  try {
    let result = options.result;
    if (result === undefined) {
      result = join(work, "result.json");
      // Five seconds of one write scenario: enough for every command to have something to read.
      writeFileSync(result, `${JSON.stringify(writesResult([1000, 1100, 1050, 980, 1020]), null, 2)}\n`);
    }
    const all = cases(result, work);
    const runs = new Map<string, TimedRun[]>(all.map((c) => [c.name, []]));
    const figuresFile = join(work, "time.txt");
    // One round more than counted, first: it warms the file cache, and its figures are dropped.
    for (let round = 0; round <= options.rounds; round++) {
      for (const c of all) {
        const run = await runTimed(process.execPath, [options.cli, ...c.args], {
          cwd: work,
          figuresFile,
          timeoutMs: COMMAND_TIMEOUT_MS,
        });
        if (run.exitCode !== c.exitCode) {
          log(
            `error: ${c.name}: exit ${run.exitCode}, expected ${c.exitCode}, so it did not stop where it is meant to: ${run.stderrTail}`,
          );
          return 1;
        }
        if (round > 0) runs.get(c.name)?.push(run);
      }
      log(round === 0 ? "warm-up round done" : `round ${round} of ${options.rounds} done`);
    }
    const head = ["command", "CPU s", "CPU s min–max", "user s", "sys s", "peak RSS MB", "wall s"];
    process.stdout.write(
      `${markdownTable(
        head,
        all.map((c) => row(c.name, runs.get(c.name) ?? [])),
      )}\n`,
    );
    process.stdout.write(
      `\nmedians of ${options.rounds} rounds; CPU is user + system of the whole process (all threads); ${options.cli}, node ${process.version}\n`,
    );
    return 0;
  } finally {
    removeWorkDir(work, options.keep, log);
  }
}

const parsed = optionsOrExit(process.argv.slice(2), parseOptions, USAGE);
process.exitCode = "exitCode" in parsed ? parsed.exitCode : await main(parsed.options);
