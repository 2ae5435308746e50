import { describe, expect, it } from "vitest";
import { extractResultBlocks, extractResults, wrapResult } from "./markers.js";

/** A pod's printed result: indented as run --print-result prints it. */
const json = (index: number) =>
  JSON.stringify(
    { tool: { name: "reinvent-bench" }, clients: { index }, scenarios: [{ id: "w", n: [1, 2] }] },
    null,
    1,
  );

const linesOf = (index: number, noise: string[] = []) => [
  ...noise,
  `client ${index}: measured`,
  ...wrapResult(json(index)).trimEnd().split("\n"),
  `result: client-${index}/result.json (complete)`,
];

/** kubectl logs -f --prefix of several pods: one line of each in turn. */
function interleave(pods: { prefix: string; lines: string[] }[]): string {
  const out: string[] = [];
  const longest = Math.max(...pods.map((pod) => pod.lines.length));
  for (let i = 0; i < longest; i++) {
    for (const pod of pods) {
      const line = pod.lines[i];
      if (line !== undefined) out.push(`${pod.prefix} ${line}`);
    }
  }
  return `${out.join("\n")}\n`;
}

describe("results between markers in a log", () => {
  it("reads a log without prefixes as before, several results in order", () => {
    const log = [...linesOf(0), ...linesOf(1)].join("\n");
    expect(extractResults(log)).toEqual([json(0), json(1)]);
    expect(extractResultBlocks(log).map((b) => b.source)).toEqual([undefined, undefined]);
    expect(extractResults("no markers here\n")).toEqual([]);
  });

  it("reads one pod's prefixed log, CRLF line ends too", () => {
    const log = interleave([{ prefix: "[pod/job-0-abcde/client]", lines: linesOf(0) }]).replace(
      /\n/g,
      "\r\n",
    );
    expect(extractResults(log)).toEqual([json(0)]);
  });

  it("puts each pod's result together from the lines of two or three pods interleaved line by line", () => {
    const pods = [
      { prefix: "[pod/job-0-abcde/client]", lines: linesOf(0) },
      { prefix: "[pod/job-1-fghij/client]", lines: linesOf(1, ["starting", "waiting for the others"]) },
      { prefix: "[pod/job-2-klmno/client]", lines: linesOf(2, ["starting"]) },
    ];
    for (const some of [pods.slice(0, 2), pods]) {
      const blocks = extractResultBlocks(interleave(some));
      expect(blocks.map((b) => b.source).sort()).toEqual(some.map((pod) => pod.prefix.slice(1, -1)).sort());
      for (const block of blocks) {
        const index = Number(/job-(\d)/.exec(block.source ?? "")?.[1]);
        expect(block.text).toBe(json(index));
        expect(JSON.parse(block.text).clients.index).toBe(index);
      }
    }
  });

  it("drops a pod's result that never ended, keeping the others", () => {
    const cut = linesOf(1).slice(0, 6);
    const blocks = extractResultBlocks(
      interleave([
        { prefix: "[pod/job-0-abcde/client]", lines: linesOf(0) },
        { prefix: "[pod/job-1-fghij/client]", lines: cut },
      ]),
    );
    expect(blocks).toEqual([{ text: json(0), source: "pod/job-0-abcde/client" }]);
  });
});
