import { dirname, resolve } from "node:path";
import { writeReports } from "../report/write-reports.js";
import { readResultFile } from "../result/read.js";

/** `report <result.json> [--out DIR]`: renders report.md, report.html and the charts again from a result. */
export async function reportCommand(file: string, flags: { out?: string }): Promise<void> {
  const result = readResultFile(file);
  const dir = resolve(flags.out ?? dirname(file));
  const written = await writeReports(result, dir);
  process.stderr.write(
    `report: ${written.markdown}, ${written.html} and ${written.charts.length} charts (SVG and PNG) in ${dir}/charts\n`,
  );
}
