import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { machineFacts, writeJsonReport } from "./json-report.js";

describe("writeJsonReport", () => {
  it("writes indented JSON with a final newline, creating the folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "json-report-test-"));
    try {
      const path = join(dir, "a", "b", "report.json");
      writeJsonReport(path, { status: "complete", rows: [1] });
      expect(readFileSync(path, "utf8")).toBe('{\n  "status": "complete",\n  "rows": [\n    1\n  ]\n}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("machineFacts", () => {
  it("names the CPUs and the Node version, in that order", () => {
    const facts = machineFacts();
    expect(Object.keys(facts)).toEqual(["cpus", "cpuModel", "node"]);
    expect(facts.cpus).toBeGreaterThan(0);
    expect(facts.node).toBe(process.version);
  });
});
