import Table from "cli-table3";
import { runHotPathBench } from "./hot-path.js";

const bench = await runHotPathBench(Number(process.env.BENCH_TIME_MS ?? 500));
const table = new Table({
  head: ["operation", "ns/op (mean)", "ns/op (p50)", "ops/s", "samples"],
  style: { head: [], border: [] },
});
for (const task of bench.tasks) {
  const result = task.result;
  if (result?.state !== "completed") {
    table.push([task.name, "-", "-", "-", result?.state ?? "not run"]);
    continue;
  }
  table.push([
    task.name,
    (result.latency.mean * 1e6).toFixed(0),
    (result.latency.p50 * 1e6).toFixed(0),
    Math.round(result.throughput.mean).toLocaleString("en-US"),
    String(result.latency.samplesCount),
  ]);
}
process.stdout.write(`${table.toString()}\n`);
