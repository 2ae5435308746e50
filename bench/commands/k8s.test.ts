import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { packageRoot } from "../util/paths.js";
import { buildManifests, renderManifests } from "./k8s.js";

type AttributeMap = { name: string; baseName: string; type: string }[];
const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeMap }>;

/** Every field a known one of the Kubernetes API type, of the type it declares (client-node's models). */
function problems(value: unknown, type: string, path: string): string[] {
  if (value === undefined || value === null) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return [`${path}: must be a list (${type})`];
    return value.flatMap((item, i) => problems(item, array[1] as string, `${path}[${i}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== "object" || Array.isArray(value)) return [`${path}: must be a map`];
    return Object.entries(value).flatMap(([k, v]) => problems(v, map[1] as string, `${path}.${k}`));
  }
  if (type === "string") return typeof value === "string" ? [] : [`${path}: must be a string`];
  if (type === "number") return typeof value === "number" ? [] : [`${path}: must be a number`];
  if (type === "boolean") return typeof value === "boolean" ? [] : [`${path}: must be a boolean`];
  if (type === "IntOrString")
    return ["string", "number"].includes(typeof value) ? [] : [`${path}: int or string`];
  if (type === "any" || type === "object" || type === "Date") return [];
  const model = models[type]?.getAttributeTypeMap?.();
  if (!model) return [`${path}: unknown type ${type}`];
  if (typeof value !== "object" || Array.isArray(value)) return [`${path}: must be an object (${type})`];
  const fields = new Map(model.map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([k, v]) => {
    const fieldType = fields.get(k);
    return fieldType === undefined
      ? [`${path}.${k}: not a field of ${type}`]
      : problems(v, fieldType, `${path}.${k}`);
  });
}

const URL = "mysql://admin:Sup3rS3cret@db.example.com:3306/sbtest";

describe("k8s manifests", () => {
  const m = buildManifests("aurora-write", { target: URL, runId: "demo-1", duration: "600s" });

  it("is an Indexed Job of N client pods, valid against the Kubernetes API types", () => {
    expect(problems(m.job, "V1Job", "job")).toEqual([]);
    expect(problems(m.secret, "V1Secret", "secret")).toEqual([]);
    // The checker itself catches a wrong field and a wrong type.
    expect(problems({ spec: { completions: "4", paralelism: 4 } }, "V1Job", "job")).toEqual([
      "job.spec.completions: must be a number",
      "job.spec.paralelism: not a field of V1JobSpec",
    ]);
    const spec = m.job.spec as Record<string, unknown>;
    expect([spec.completionMode, spec.completions, spec.parallelism]).toEqual(["Indexed", 4, 4]);
    const container = (spec.template as { spec: { containers: { args: string[]; env: unknown[] }[] } }).spec
      .containers[0] as { args: string[]; env: { name: string }[] };
    expect(container.args).toEqual([
      "run",
      "aurora-write",
      "--target",
      "env:TARGET_URL",
      "--clients",
      "4",
      "--client-index",
      "$(JOB_COMPLETION_INDEX)",
      "--run-id",
      "demo-1",
      "--print-result",
      "--out",
      "/tmp/result",
      "--duration",
      "600s",
    ]);
    expect(container.env.map((e) => e.name)).toEqual(["TARGET_URL", "JOB_COMPLETION_INDEX"]);
  });

  it("keeps the password out of the Job: only the Secret holds the URL, base64", () => {
    const job = JSON.stringify(m.job);
    expect(job).not.toContain("Sup3rS3cret");
    expect(job).not.toContain(Buffer.from(URL).toString("base64"));
    const data = (m.secret as { data: { url: string } }).data;
    expect(Buffer.from(data.url, "base64").toString("utf8")).toBe(URL);
    const text = renderManifests(m);
    expect(text).not.toContain("Sup3rS3cret");
    const docs = parseAllDocuments(text).map((d) => d.toJSON());
    expect(docs.map((d) => d?.kind)).toEqual(["Secret", "Job"]);
    expect(docs[1]).toEqual(JSON.parse(JSON.stringify(m.job)));
    expect(text).toContain("npx reinvent-bench merge demo-1.log");
  });

  it("refuses scenarios that run from one client, and bad input, with one line", () => {
    expect(() => buildManifests("crash-recovery", { target: URL })).toThrow(
      /crash-recovery runs from one client only/,
    );
    expect(() => buildManifests("aurora-write", {})).toThrow(/--target: give the URL/);
    expect(() => buildManifests("aurora-write", { target: URL, clients: "0" })).toThrow(
      /--clients: '0' must be/,
    );
    expect(() => buildManifests("aurora-write", { target: URL, runId: "a b" })).toThrow(/--run-id: 'a b'/);
  });

  it("the Dockerfile copies only what the repository has, and runs the CLI", () => {
    const dockerfile = readFileSync(join(packageRoot(), "Dockerfile"), "utf8");
    for (const line of dockerfile.split("\n").filter((l) => l.startsWith("COPY ") && !l.includes("--from"))) {
      for (const source of line.split(/\s+/).slice(1, -1)) {
        expect(existsSync(join(packageRoot(), source)), source).toBe(true);
      }
    }
    expect(dockerfile).toMatch(/ENTRYPOINT \["\/app\/bin\/reinvent-bench.js"\]/);
    expect(parse("a: 1")).toEqual({ a: 1 });
  });
});
