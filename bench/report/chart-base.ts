import type { TopLevelSpec } from "vega-lite";

export interface ChartSpec {
  /** File name without extension, such as throughput-aurora-write. */
  name: string;
  title: string;
  /** The scenario the chart belongs to; undefined for the whole run. */
  scenarioId?: string;
  spec: TopLevelSpec;
}

const WIDTH = 640;
const HEIGHT = 300;
/** The frame every chart of the report shares (size, font, white background). */
export const CHART_BASE = {
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  width: WIDTH,
  height: HEIGHT,
  background: "white",
  config: {
    font: "sans-serif",
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11, labelLimit: 320 },
  },
} as const;
