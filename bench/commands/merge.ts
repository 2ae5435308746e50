import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { claimsTable } from "../report/summary.js";
import { writeReports } from "../report/write-reports.js";
import { mergeResults, type ShardInput } from "../result/merge.js";
import { parseResultText, readResultFile } from "../result/read.js";
import { writeResultAtomically } from "../result/write.js";
import { extractResults } from "../shard/markers.js";
import { UsageError } from "../util/errors.js";

/**
 * The clients' results from each argument: a result.json, a run folder, or a log (such as
 * `kubectl logs` output) holding results between markers.
 */
export function readShardInputs(sources: string[]): ShardInput[] {
  const inputs: ShardInput[] = [];
  for (const source of sources) {
    let isDir = false;
    try {
      isDir = statSync(source).isDirectory();
    } catch {
      throw new UsageError(`${source}: no such file`);
    }
    if (isDir) {
      inputs.push({ source: join(source, "result.json"), result: readResultFile(source) });
      continue;
    }
    const text = readFileSync(source, "utf8");
    const blocks = extractResults(text);
    if (blocks.length === 0) {
      inputs.push({ source, result: readResultFile(source) });
      continue;
    }
    blocks.forEach((block, i) => {
      inputs.push({
        source: `${source} (result ${i + 1})`,
        result: parseResultText(block, `${source} (result ${i + 1})`),
      });
    });
  }
  return inputs;
}

/** `merge`: one result, report and charts from all the clients of a run. */
export async function mergeCommand(sources: string[], flags: { out?: string }): Promise<void> {
  const merged = mergeResults(readShardInputs(sources));
  const outDir = flags.out ?? join("results", `merged-${merged.clients?.runId ?? "run"}`);
  const path = writeResultAtomically(outDir, merged);
  const written = await writeReports(merged, outDir);
  process.stdout.write(`${claimsTable(merged)}\n`);
  process.stderr.write(
    `merged ${merged.clients?.count} clients of run ${merged.clients?.runId}: ${path}, ${written.markdown}\n`,
  );
}
