import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile } from "vega-lite";
import type { ChartSpec } from "./charts.js";

/**
 * Renders a chart with Vega (the SVG renderer runs in Node without a browser or canvas) and
 * rasterises the SVG to PNG with resvg for slides and blogs. Vega is a maintained charting library
 * with a declarative grammar; hand-drawn SVG would be another thing to get wrong.
 */
export async function renderSvg(chart: ChartSpec): Promise<string> {
  const compiled = compile(chart.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at twice the SVG's size, for sharp slides. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return Buffer.from(resvg.render().asPng());
}
