/**
 * shards-vs-one: the same load on one server from one process and from N client processes that
 * meet in the target (--client-index) and are merged, side by side, alternating, so what splitting a
 * run costs or changes can be read off: throughput, p99, how closely the clients started, and
 * whether the merged counts agree with the server's counters.
 *
 *   npm run shards-vs-one -- [--clients 4] [--connections 64] [--duration 15s] [--rounds 2]
 *
 * It starts a sandbox server in a temporary folder (removed afterwards) and stops it on every exit
 * path. On one machine the clients share its cores with each other and with the server, so this
 * measures the harness's overhead and precision, not a distributed setup's capacity.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import type { Result } from "../bench/result/schema.js";
import { Sandbox } from "../bench/sandbox/server.js";
import { packageRoot } from "../bench/util/paths.js";
import { log } from "./lib/log.js";
import { makeWorkDir, removeWorkDir } from "./lib/work-dir.js";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "4" },
    connections: { type: "string", default: "64" },
    duration: { type: "string", default: "15s" },
    rounds: { type: "string", default: "2" },
  },
});
const clients = Number(values.clients);
const rounds = Number(values.rounds);
const cli = join(packageRoot(), "bin", "reinvent-bench.js");
const load = [
  "--connections",
  String(values.connections),
  "--tables",
  "8",
  "--table-size",
  "10000",
  "--warmup",
  "3s",
  "--duration",
  String(values.duration),
];
const dir = makeWorkDir("rb-shards-vs-one-");
const read = (out: string) => JSON.parse(readFileSync(join(out, "result.json"), "utf8")) as Result;
const out = (name: string) => mkdtempSync(join(dir, `${name}-`));

const sandbox = await Sandbox.start({
  dir: join(dir, "server"),
  sizing: { connections: clients * Number(values.connections) + 64, tables: 8, tableSize: 10_000 },
  log: () => {},
});
const url = `mysql://${sandbox.target.user}:${sandbox.target.password}@127.0.0.1:${sandbox.target.port}/sbtest`;
const run = (args: string[]) => execa(cli, args, { reject: false, env: { ...process.env, CI: "true" } });
try {
  for (let round = 1; round <= rounds; round++) {
    const one = out("one");
    await run(["run", "aurora-write", ...load, "--clients", String(clients), "--target", url, "--out", one]);
    const a = read(one).scenarios[0];
    const outs = Array.from({ length: clients }, () => out("client"));
    const runId = `vs-one-${process.pid}-${round}`;
    const exits = await Promise.all(
      outs.map((o, i) =>
        run([
          "run",
          "aurora-write",
          ...load,
          "--clients",
          String(clients),
          "--client-index",
          String(i),
          "--run-id",
          runId,
          "--target",
          url,
          "--out",
          o,
        ]),
      ),
    );
    const merged = out("merged");
    await run(["merge", ...outs, "--out", merged]);
    const b = read(merged).scenarios[0];
    const starts = (b?.shards ?? []).map((s) => Date.parse(s.measuredFrom ?? ""));
    const uncertainty = Math.max(...(b?.shards ?? []).flatMap((s) => s.meetings.map((m) => m.uncertaintyMs)));
    console.log(
      `round ${round}: one process ${clients} x ${values.connections}: ${a?.throughput.writesPerSec.toFixed(0)} writes/s, txn p99 ${a?.latencyMs.txn?.p99.toFixed(1)} ms, ${a?.client?.cpuUsPerQuery?.toFixed(1)} us CPU/stmt`,
    );
    console.log(
      `round ${round}: ${clients} clients merged (exits ${exits.map((e) => e.exitCode).join(",")}): ${b?.throughput.writesPerSec.toFixed(0)} writes/s, txn p99 ${b?.latencyMs.txn?.p99.toFixed(1)} ms, ${b?.client?.cpuUsPerQuery?.toFixed(1)} us CPU/stmt, start skew ${Math.max(...starts) - Math.min(...starts)} ms, placement uncertainty ${uncertainty.toFixed(2)} ms, server counters ${b?.serverCounters?.ok ? "agree" : "DISAGREE"}`,
    );
  }
} finally {
  await sandbox.stop();
  removeWorkDir(dir, false, log);
}
