import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Result } from "../result/schema.js";
import { chartsFor } from "./charts.js";
import { type DrawnChart, renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { renderSvg, svgToPng } from "./render-charts.js";

export interface WrittenReports {
  markdown: string;
  html: string;
  charts: string[];
}

function writeAtomically(path: string, data: string | Buffer): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

/**
 * Writes report.md, report.html (self-contained) and charts/ (SVG and PNG) for a result into `dir`. Everything in them is derived
 * from `result`; nothing is measured again.
 */
export async function writeReports(result: Result, dir: string): Promise<WrittenReports> {
  const chartDir = join(dir, "charts");
  mkdirSync(chartDir, { recursive: true });
  const drawn: DrawnChart[] = [];
  const written: string[] = [];
  for (const chart of chartsFor(result)) {
    const svg = await renderSvg(chart);
    const svgPath = join(chartDir, `${chart.name}.svg`);
    writeAtomically(svgPath, svg);
    writeAtomically(join(chartDir, `${chart.name}.png`), svgToPng(svg));
    written.push(svgPath);
    drawn.push({
      path: `charts/${chart.name}.svg`,
      title: chart.title,
      svg,
      ...(chart.scenarioId ? { scenarioId: chart.scenarioId } : {}),
    });
  }
  const markdown = join(dir, "report.md");
  writeAtomically(markdown, renderMarkdown(result, drawn));
  const html = join(dir, "report.html");
  writeAtomically(html, renderHtml(result, drawn));
  return { markdown, html, charts: written };
}
