import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { extractResultBlocks } from "../clients/markers.js";
import { claimsTable } from "../report/summary.js";
import type { WrittenReports } from "../report/write-reports.js";
import { mergeResults, type ShardInput } from "../result/merge.js";
import { checkHistograms, parseResultText, readResultFile } from "../result/read.js";
import type { Result } from "../result/schema.js";
import { writeResultAtomically } from "../result/write.js";
import { BenchError, UsageError } from "../util/errors.js";
import { describeIoError, ioFailure } from "../util/paths-check.js";

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
      inputs.push({
        source: join(source, "result.json"),
        result: readResultFile(source, { histograms: true }),
      });
      continue;
    }
    let text: string;
    try {
      text = readFileSync(source, "utf8");
    } catch (error) {
      throw new UsageError(`${source}: cannot be read (${describeIoError(error)})`);
    }
    const blocks = extractResultBlocks(text);
    if (blocks.length === 0) {
      inputs.push({ source, result: readResultFile(source, { histograms: true }) });
      continue;
    }
    blocks.forEach((block, i) => {
      // Named by its pod when kubectl's --prefix gave one, so a message points at the pod.
      const name = `${source} (result ${i + 1}${block.source ? `, from ${block.source}` : ""})`;
      inputs.push({ source: name, result: parseResultText(block.text, name, { histograms: true }) });
    });
  }
  return inputs;
}

/** `merge`: one result, report and charts from all the clients of a run. */
export async function mergeCommand(sources: string[], flags: { out?: string }): Promise<void> {
  const inputs = readShardInputs(sources);
  let merged: Result;
  try {
    merged = mergeResults(inputs);
  } catch (error) {
    if (error instanceof BenchError) throw error;
    // A histogram of a second that does not decode: name the file and the field.
    for (const input of inputs) checkHistograms(input.result, input.source, { intervals: true });
    throw error;
  }
  const outDir = flags.out ?? join("results", `merged-${merged.clients?.runId ?? "run"}`);
  const path = writeResultAtomically(outDir, merged);
  // Loaded once the inputs are merged: a refused input is answered without loading the renderers.
  const { writeReports } = await import("../report/write-reports.js");
  let written: WrittenReports;
  try {
    written = await writeReports(merged, outDir);
  } catch (error) {
    throw ioFailure(error, `merge: cannot write the report in ${outDir}`, "--out");
  }
  process.stdout.write(`${claimsTable(merged)}\n`);
  process.stderr.write(
    `merged ${merged.clients?.count} clients of run ${merged.clients?.runId}: ${path}, ${written.markdown}\n`,
  );
}
