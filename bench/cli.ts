import { Command, CommanderError } from "commander";
import { runCleanups } from "./util/cleanup.js";
import { installEarlySignalExit } from "./util/early-signals.js";
import { BenchError, ExitCode, UsageError } from "./util/errors.js";
import { redactText } from "./util/redact.js";

/**
 * The parser of an option given at most once: commander keeps the last of a repeated option,
 * which would quietly drop the first (a second --target, a second --duration).
 */
function once(flag: string): (value: string, previous: string | undefined) => string {
  return (value, previous) => {
    if (previous !== undefined) throw new UsageError(`${flag}: given twice; give it once`);
    return value;
  };
}

/**
 * The command line. The only place that maps errors to exit codes and prints them: one line each
 * (several for a scenario file with several problems), no stack trace, passwords redacted.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("reinvent-bench")
    .description(
      "Re-runs Amazon Aurora's re:Invent 2014 performance claims against any MySQL-compatible database.",
    )
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(redactText(text)) })
    .showHelpAfterError(false);
  let exitCode = 0;

  program
    .command("run")
    .description(
      "Run suites, scenario ids or scenario files (default target: a sandbox server started and stopped by the tool)",
    )
    .argument("<scenarios...>", "suite id, scenario id or path to a scenario .yaml")
    .option(
      "--target <url>",
      "mysql://user:password@host:port/db[?ssl-mode=REQUIRED|VERIFY_CA|VERIFY_IDENTITY&ssl-ca=FILE]",
      once("--target"),
    )
    .option(
      "--duration <time>",
      "measured phase length, for example 60s or 10m (AWS: 600s)",
      once("--duration"),
    )
    .option("--warmup <time>", "warm-up length, reported and excluded (0 for none)", once("--warmup"))
    .option("--connections <n>", "connections per client (sysbench threads)", once("--connections"))
    .option(
      "--clients <n>",
      "client machines the load stands for; this process runs all of them",
      once("--clients"),
    )
    .option("--tables <n>", "number of sbtest tables", once("--tables"))
    .option("--table-size <n>", "rows per table", once("--table-size"))
    .option("--quick", "a scaled-down run of each scenario (short, few connections, small dataset)")
    .option("--out <dir>", "folder for result.json (default results/<suite>-<time>/)", once("--out"))
    .option("--workers <n>", "load worker threads (default: one per core)", once("--workers"))
    .option(
      "--sandbox-dir <dir>",
      "sandbox server folder (default: a cache folder, reused between runs)",
      once("--sandbox-dir"),
    )
    .option(
      "--seed <n>",
      "seed of the parameter generator, for a repeatable statement stream",
      once("--seed"),
    )
    .option(
      "--hot-path <path>",
      "lean (default: our own statement framing over mysql2's socket) or mysql2 (its query path)",
      once("--hot-path"),
    )
    .option(
      "--protocol <protocol>",
      "text (default, as AWS's runs: SQL text) or binary (prepared statements, as sysbench 1.0); overrides the scenario's workload.protocol",
      once("--protocol"),
    )
    .option(
      "--baseline <url>",
      "also run the same scenarios on this target (such as stock MySQL) and compare: a = baseline, b = --target",
      once("--baseline"),
    )
    .option(
      "--rates <list>",
      "fixed-rate steps, updates per second, such as 1000,2000,5000,10000,13800",
      once("--rates"),
    )
    .option(
      "--replicas <n>",
      "replicas the sandbox starts for replica-lag (1 to 31; the claim: 15); with --engine galera, nodes besides the first (1 to 8, default 2)",
      once("--replicas"),
    )
    .option(
      "--engine <engine>",
      "the sandbox: mariadb (default; binlog replicas for replica-lag) or galera (a cluster of 1 + --replicas nodes; the load fails over between them)",
      once("--engine"),
    )
    .option(
      "--replica <url>",
      "a replica of --target to measure lag on (repeat for more)",
      (url: string, previous: string[] = []) => [...previous, url],
    )
    .option(
      "--out-intervals <file>",
      "while the run goes, one line per second to FILE (.jsonl or .csv): result.json's intervals with the server's figures",
      once("--out-intervals"),
    )
    .option(
      "--metrics-port <port>",
      "serve OpenMetrics/Prometheus text at http://HOST:PORT/metrics while the run lives (0: any free port)",
      once("--metrics-port"),
    )
    .option(
      "--metrics-host <address>",
      "the address --metrics-port listens on (default 127.0.0.1)",
      once("--metrics-host"),
    )
    .option(
      "--lag-method <method>",
      "how replica-lag times each heartbeat on a replica: auto (default: a GTID wait where the replica allows one, else reads of the heartbeat row about every ms), gtid-wait (refuses the run if a replica cannot) or poll",
      once("--lag-method"),
    )
    .option(
      "--baseline-replica <url>",
      "with --baseline: a replica of the baseline to measure lag on (repeat for more)",
      (url: string, previous: string[] = []) => [...previous, url],
    )
    .option(
      "--crash-command <shell>",
      "crash-recovery on a target that is neither the sandbox nor Aurora: the shell command that crashes it",
      once("--crash-command"),
    )
    .option(
      "--restart-command <shell>",
      "run after --crash-command, when the target does not come back by itself",
      once("--restart-command"),
    )
    .option(
      "--client-index <i>",
      "run client I's share only (0-based), one of --clients processes meeting in the target",
      once("--client-index"),
    )
    .option("--run-id <id>", "with --client-index: the id every client of the run shares", once("--run-id"))
    .option(
      "--barrier-timeout <time>",
      "with --client-index: how long to wait for the other clients (default 10m)",
      once("--barrier-timeout"),
    )
    .option(
      "--print-result",
      "also print result.json to stdout between markers (for `merge` to read from logs)",
    )
    .option(
      "--unreachable-after <time>",
      "a phase with no open connection for this long ends and the run fails; a statement unanswered this long is an error, TIMEOUT (default 30s)",
      once("--unreachable-after"),
    )
    .option(
      "--max-errors <share>",
      "a scenario whose failed transactions pass this share of all is failed, exit 3: 10% or 0.1 (default 10%)",
      once("--max-errors"),
    )
    .action(async (names: string[], flags) => {
      const { runCommand } = await import("./commands/run.js");
      exitCode = await runCommand(names, flags, argv.slice(2));
    });

  program
    .command("doctor")
    .description(
      "What the tool sees of a target before a run: flavor and how it was decided, role and topology, privileges, settings, what each run will do (default: a sandbox it starts)",
    )
    .option("--target <url>", "mysql://user:password@host:port/db (several hosts: host1:3306,host2:3306)")
    .option(
      "--replica <url>",
      "a replica (or Aurora reader, or Galera node) of --target to check (repeat for more)",
      (url: string, previous: string[] = []) => [...previous, url],
    )
    .option("--json", "print the findings as JSON")
    .option("--engine <engine>", "without --target: the sandbox to start, mariadb (default) or galera")
    .option("--replicas <n>", "without --target: replicas (mariadb) or further nodes (galera, default 2)")
    .option(
      "--sandbox-dir <dir>",
      "without --target: folder for the sandbox servers (default: a temporary one)",
    )
    .action(async (flags) => {
      const { doctorCommand } = await import("./commands/doctor.js");
      await doctorCommand(flags);
    });

  program
    .command("list")
    .description("List suites and scenarios, with the claim each one checks")
    .action(async () => {
      const { listCommand } = await import("./commands/list.js");
      process.stdout.write(`${listCommand()}\n`);
    });

  program
    .command("report")
    .description("Render report.md and the charts (SVG and PNG) again from a result.json")
    .argument("<result>", "a result.json written by run")
    .option("--out <dir>", "folder for the report (default: the result's folder)")
    .action(async (file: string, flags: { out?: string }) => {
      const { reportCommand } = await import("./commands/report.js");
      await reportCommand(file, flags);
    });

  program
    .command("merge")
    .description("Join the results of a run's clients (--client-index) into one result, report and charts")
    .argument(
      "<results...>",
      "each client's result.json or run folder, or logs holding results between markers (kubectl logs)",
    )
    .option("--out <dir>", "folder for the merged result (default results/merged-<run id>/)")
    .action(async (sources: string[], flags: { out?: string }) => {
      const { mergeCommand } = await import("./commands/merge.js");
      await mergeCommand(sources, flags);
    });

  program
    .command("k8s")
    .description(
      "Print a Kubernetes Indexed Job (and a Secret for the target) that runs a scenario from N client pods",
    )
    .argument("<scenario>", "a throughput scenario, such as aurora-write")
    .option("--clients <n>", "client pods (default: the scenario's clients; aurora-write: 4)")
    .option("--target <url>", "the database the clients share (its password goes into the Secret only)")
    .option(
      "--image <image>",
      "the client image, built from the Dockerfile (default reinvent-bench:<version>)",
    )
    .option("--run-id <id>", "the id the clients meet under (default: the scenario and the time)")
    .option("--namespace <ns>", "namespace of the Job and the Secret")
    .option("--duration <time>", "measured phase, passed to every client")
    .option("--warmup <time>", "warm-up, passed to every client")
    .option("--connections <n>", "connections per client, passed to every client")
    .option("--protocol <protocol>", "text or binary (prepared statements), passed to every client")
    .option("--quick", "each client runs the scenario's --quick shape")
    .action(async (scenario: string, flags) => {
      const { k8sCommand } = await import("./commands/k8s.js");
      await k8sCommand(scenario, flags);
    });

  program
    .command("gate")
    .description("Check a result against its thresholds and/or a baseline (exit 0 pass, 1 fail, 2 bad input)")
    .argument("<result>", "a result.json written by run")
    .option("--baseline <file>", "a baseline result.json to check for regressions against")
    .option("--max-regression <pct>", "allowed drop in throughput or rise in p99, 5% or 0.05 (default 5%)")
    .option("--strict", "fail on changes that are within the noise (inconclusive) instead of warning")
    .option("--junit <file>", "also write the checks as JUnit XML")
    .action(
      async (
        file: string,
        flags: { baseline?: string; maxRegression?: string; strict?: boolean; junit?: string },
      ) => {
        const { gateCommand } = await import("./commands/gate.js");
        exitCode = await gateCommand(file, flags);
      },
    );

  program
    .command("compare")
    .description(
      "Compare results side by side (two or more): each later result.json against the first, with confidence intervals",
    )
    .argument(
      "<results...>",
      "result.json files or run folders, two or more; the first is a (the base), the others b, c...",
    )
    .option("--confidence <level>", "confidence level of the intervals, 0.5 to 0.999 (default 0.95)")
    .option("--json <file>", "also write the comparison as JSON")
    .option("--markdown", "print Markdown instead of the table")
    .option("--charts <dir>", "also draw throughput and lag per scenario, one series per result, as SVG")
    .action(
      async (
        files: string[],
        flags: { confidence?: string; json?: string; markdown?: boolean; charts?: string },
      ) => {
        const { compareCommand } = await import("./commands/compare.js");
        exitCode = await compareCommand(files, flags);
      },
    );

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof BenchError) {
      process.stderr.write(
        `${error.message
          .split("\n")
          .map((line) => `error: ${redactText(line)}`)
          .join("\n")}\n`,
      );
      return error.exitCode;
    }
    process.stderr.write(`error: ${redactText((error as Error)?.message ?? String(error))}\n`);
    return ExitCode.target;
  }
  return exitCode;
}

// `run` saves what it measured on an interrupt once its handlers are in; before that, it says there is nothing.
if (process.argv[2] === "run") installEarlySignalExit();
const code = await main(process.argv).finally(runCleanups);
process.exit(code);
