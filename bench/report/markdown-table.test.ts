import { describe, expect, it } from "vitest";
import { markdownCell, markdownTable } from "./markdown-table.js";

describe("markdownCell", () => {
  it("escapes a pipe and turns each line break into a space", () => {
    expect(markdownCell("a | b")).toBe("a \\| b");
    expect(markdownCell("first\nsecond\r\nthird")).toBe("first second third");
  });

  it("leaves HTML alone unless asked, then escapes it before the pipes", () => {
    expect(markdownCell("p99 < 15ms & <b>")).toBe("p99 < 15ms & <b>");
    expect(markdownCell("s<&>|x", { escapeHtml: true })).toBe("s&lt;&amp;&gt;\\|x");
  });
});

describe("markdownTable", () => {
  it("renders a header, a rule per column and one line per row, with no line break at the end", () => {
    expect(
      markdownTable(
        ["name", "value"],
        [
          ["a", "1"],
          ["b|c", "2\n3"],
        ],
      ),
    ).toBe(["| name | value |", "| --- | --- |", "| a | 1 |", "| b\\|c | 2 3 |"].join("\n"));
  });

  it("keeps the header and rule when there are no rows", () => {
    expect(markdownTable(["scenario", "check"], [])).toBe("| scenario | check |\n| --- | --- |");
  });

  it("escapes the header and every cell the same way, HTML too when asked", () => {
    expect(markdownTable(["a|b"], [["x < y"]], { escapeHtml: true })).toBe(
      "| a\\|b |\n| --- |\n| x &lt; y |",
    );
  });
});
