import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";
import { describe, expect, it } from "vitest";
import { lagScenario, resultOf, writeScenario } from "../testing/results.js";
import { tempDir } from "../testing/servers.js";
import { chartsFor } from "./charts.js";
import { writeReports } from "./write-reports.js";

/** Debian's chromium (installed by .ci/run), or the browser CHROMIUM_PATH names. */
function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = candidates.find((path): path is string => !!path && existsSync(path));
  if (!found) throw new Error("no chromium: apt-get install -y chromium (or set CHROMIUM_PATH)");
  return found;
}

describe("report.html in a real headless browser", () => {
  it("opens offline, draws every chart with its marks, and logs no error", async () => {
    const result = resultOf([writeScenario(), lagScenario()]);
    const dir = tempDir("rb-html-");
    const written = await writeReports(result, dir);
    // Self-contained: no reference to the chart files or to anything online.
    const html = readFileSync(written.html, "utf8");
    expect(html).not.toMatch(/<img|<script|<link|https?:\/\/(?!www\.w3\.org)/);
    const browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warn") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(String(error)));
      page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
      await page.goto(pathToFileURL(join(dir, "report.html")).href, { waitUntil: "load" });
      const drawn = await page.$$eval("figure.chart", (figures) =>
        figures.map((figure) => {
          const svg = figure.querySelector("svg");
          const box = svg?.getBoundingClientRect();
          // The data marks Vega drew (points, bars, lines), as the browser lays them out: a bar or a
          // point with no area, or a line with no length, was not drawn.
          const marks = [...(svg?.querySelectorAll('[role="graphics-symbol"]') ?? [])].map((mark) => {
            const r = mark.getBoundingClientRect();
            return {
              kind: mark.getAttribute("aria-roledescription") ?? "",
              width: r.width,
              height: r.height,
            };
          });
          // Axes, legends, titles and rules carry the same role; the data marks are these kinds.
          const data = marks.filter((m) =>
            ["point", "bar", "line", "line mark", "area", "circle", "square"].includes(m.kind),
          );
          return {
            chart: figure.getAttribute("data-chart"),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: data.length,
            undrawn: data.filter((m) =>
              m.kind.startsWith("line") ? m.width < 1 : m.width < 1 || m.height < 1,
            ).length,
          };
        }),
      );
      expect(drawn.map((d) => d.chart)).toEqual(chartsFor(result).map((c) => `charts/${c.name}.svg`));
      for (const chart of drawn) {
        expect(chart.width, chart.chart ?? "").toBeGreaterThan(200);
        expect(chart.height, chart.chart ?? "").toBeGreaterThan(100);
        expect(chart.marks, chart.chart ?? "").toBeGreaterThan(0);
        expect(chart.undrawn, chart.chart ?? "").toBe(0);
      }
      const tables = await page.$$eval("table", (found) => found.length);
      expect(tables).toBeGreaterThanOrEqual(4);
      expect(await page.$eval("body", (body) => body.textContent ?? "")).toContain("14,705 writes/s");
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
