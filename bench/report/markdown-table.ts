/**
 * Markdown tables for the report, `compare --markdown` and the gate's step summary: a header row,
 * a `---` rule under each column, then one line per row, every cell escaped so the table stays whole.
 */

export interface CellOptions {
  /**
   * Also escape &, < and > as HTML entities: for text shown where HTML is rendered (a GitHub step
   * summary), so a threshold such as "p99 < 15ms" is not read as the start of a tag.
   */
  escapeHtml?: boolean;
}

/** One table cell, or one line of text beside a table: a pipe or a line break would end the cell. */
export function markdownCell(text: string, options: CellOptions = {}): string {
  const safe = options.escapeHtml
    ? text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    : text;
  return safe.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** The table as lines joined by "\n", with no line break after the last row. */
export function markdownTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  options: CellOptions = {},
): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((text) => markdownCell(text, options)).join(" | ")} |`;
  return [line(head), `| ${head.map(() => "---").join(" | ")} |`, ...rows.map(line)].join("\n");
}
