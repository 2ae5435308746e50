import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { WrittenReports } from "../report/write-reports.js";
import { readResultFile } from "../result/read.js";
import { ensureWritableDir, ioFailure } from "../util/paths-check.js";

/** `report <result.json> [--out DIR]`: renders report.md, report.html and the charts again from a result. */
export async function reportCommand(file: string, flags: { out?: string }): Promise<void> {
  // A result whose histograms are missing, null or damaged is refused here, naming the field.
  const result = readResultFile(file, { histograms: true });
  // Beside the result: in its folder when a run folder was named.
  const dir = resolve(flags.out ?? (statSync(file).isDirectory() ? file : dirname(file)));
  ensureWritableDir(dir, { what: "report folder", flag: "--out" });
  // The renderers load only once the result is read and the folder checked: a refused input is
  // answered without the cost of loading Vega and resvg.
  const { writeReports } = await import("../report/write-reports.js");
  let written: WrittenReports;
  try {
    written = await writeReports(result, dir);
  } catch (error) {
    throw ioFailure(error, `report: cannot write in ${dir}`, "--out");
  }
  process.stderr.write(
    `report: ${written.markdown}, ${written.html} and ${written.charts.length} charts (SVG and PNG) in ${dir}/charts\n`,
  );
}
