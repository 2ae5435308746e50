import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrapResult } from "../clients/markers.js";
import type { Result } from "../result/schema.js";
import { clientResult } from "../testing/results.js";
import { UsageError } from "../util/errors.js";
import { mergeCommand, readShardInputs } from "./merge.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-merge-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A pod's log lines as `run --print-result` prints them, with kubectl's prefix. */
const podLines = (result: Result, prefix: string) =>
  [
    "aurora-write: measured",
    ...wrapResult(JSON.stringify(result, null, 1))
      .trimEnd()
      .split("\n"),
  ].map((line) => `${prefix} ${line}`);

function interleave(pods: string[][]): string {
  const out: string[] = [];
  for (let i = 0; i < Math.max(...pods.map((p) => p.length)); i++)
    for (const pod of pods) if (pod[i] !== undefined) out.push(pod[i] as string);
  return `${out.join("\n")}\n`;
}

describe("merge's inputs", () => {
  it("reads the results of pods whose log lines interleave (kubectl logs -f --prefix), naming each pod", () => {
    const log = join(dir, "run.log");
    writeFileSync(
      log,
      interleave([0, 1, 2].map((i) => podLines(clientResult(i, 3), `[pod/job-${i}-abcd${i}/client]`))),
    );
    const inputs = readShardInputs([log]);
    expect(inputs.map((i) => i.result.clients?.index).sort()).toEqual([0, 1, 2]);
    for (const input of inputs) {
      expect(input.source).toMatch(
        new RegExp(`^${log} \\(result \\d, from pod/job-${input.result.clients?.index}-abcd\\d/client\\)$`),
      );
    }
  });

  it("reads a log without prefixes as before", () => {
    const log = join(dir, "plain.log");
    writeFileSync(
      log,
      [0, 1].map((i) => wrapResult(JSON.stringify(clientResult(i, 2), null, 1))).join("noise\n"),
    );
    expect(readShardInputs([log]).map((i) => [i.source, i.result.clients?.index])).toEqual([
      [`${log} (result 1)`, 0],
      [`${log} (result 2)`, 1],
    ]);
  });

  it("refuses a client's damaged per-second histogram in one line naming the file and the field", async () => {
    const a = join(dir, "a.json");
    const b = join(dir, "b.json");
    const damaged = clientResult(1, 2);
    const scenario = damaged.scenarios[0] as Result["scenarios"][number];
    scenario.intervals = scenario.intervals.map((interval) => ({
      ...interval,
      histograms: { txn: Buffer.from("not a histogram").toString("base64") },
    }));
    writeFileSync(a, JSON.stringify(clientResult(0, 2)));
    writeFileSync(b, JSON.stringify(damaged));
    const error = await mergeCommand([a, b], { out: join(dir, "merged") }).then(
      () => new Error("merged"),
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      `${b}: scenarios[0].intervals[0].histograms.txn is not an encoded HDR histogram (Encoding not supported, only V2 is supported); the file was changed or damaged after run wrote it`,
    );
  });
});
