import { marked } from "marked";
import type { Result } from "../result/schema.js";
import { type ChartRef, renderMarkdown } from "./markdown.js";

/** A chart drawn for the report: where the Markdown links it, and its SVG. */
export interface DrawnChart extends ChartRef {
  svg: string;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { background: #f3f3f3; padding: 0.1rem 0.3rem; border-radius: 3px; font-size: 0.85rem; }
figure.chart { margin: 1.5rem 0; }
figure.chart svg { max-width: 100%; height: auto; }
`;

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * report.html: the Markdown report's content in one self-contained file that opens offline, with
 * each chart's SVG inlined where the Markdown links it. A pure function of result.json and the
 * charts drawn from it.
 */
export function renderHtml(result: Result, charts: readonly DrawnChart[]): string {
  const markdown = renderMarkdown(result, charts);
  let body = marked.parse(markdown, { async: false, gfm: true }) as string;
  for (const chart of charts) {
    const image = new RegExp(`<img src="${chart.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"[^>]*>`, "g");
    const figure = `<figure class="chart" data-chart="${escapeHtml(chart.path)}">${chart.svg}<figcaption>${escapeHtml(chart.title)}</figcaption></figure>`;
    body = body.replace(image, () => figure);
  }
  const title = `reinvent-bench report, ${result.startedAt}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
