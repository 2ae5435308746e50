import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

  it("refuses a namespace or an image Kubernetes would reject, naming the flag and the rule", () => {
    for (const namespace of ["BAD NS: {x}", "", "Bench", "-bench", "bench-", "bench.ns", "a".repeat(64)]) {
      expect(() => buildManifests("aurora-write", { target: URL, namespace }), namespace).toThrow(
        /^--namespace: '.*' is not a Kubernetes namespace; give at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit$/,
      );
    }
    for (const namespace of ["bench", "b", "bench-2", "0", "a".repeat(63)]) {
      const ok = buildManifests("aurora-write", { target: URL, namespace });
      expect((ok.job.metadata as { namespace: string }).namespace).toBe(namespace);
    }
    for (const image of ["", " ", "reinvent bench:1", "reinvent-bench:1\n", "reg/img:1\tx"]) {
      expect(() => buildManifests("aurora-write", { target: URL, image }), JSON.stringify(image)).toThrow(
        /^--image: '[\s\S]*' is not an image reference; give a name with no spaces in it/,
      );
    }
    // One line, whatever the value holds.
    expect(() => buildManifests("aurora-write", { target: URL, namespace: "a\nb" })).toThrow(
      /^--namespace: 'a\\nb' is not a Kubernetes namespace; [^\n]*$/,
    );
    const withImage = buildManifests("aurora-write", {
      target: URL,
      image: "registry.example.com:5000/rb:0.1",
    });
    expect(JSON.stringify(withImage.job)).toContain('"image":"registry.example.com:5000/rb:0.1"');
  });

  it("makes whole DNS-label names from the run id, or refuses one too long to", () => {
    const names = (runId?: string) => {
      const m = buildManifests("aurora-write", { target: URL, ...(runId ? { runId } : {}), clients: "1000" });
      const meta = (o: Record<string, unknown>) =>
        o.metadata as { name: string; labels: Record<string, string> };
      return {
        job: meta(m.job).name,
        secret: meta(m.secret).name,
        run: meta(m.job).labels["reinvent-bench/run"] as string,
        runId: m.runId,
      };
    };
    const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    const longest = "Run_2025.01-".padEnd(41, "x");
    for (const runId of [undefined, "demo-1", "Demo_1.a", longest]) {
      const n = names(runId);
      // The pods' host names are the Job's name and the index: at most 63 too.
      for (const name of [n.job, n.secret, n.run, `${n.job}-999`]) {
        expect(name, name).toMatch(label);
        expect(name.length, name).toBeLessThanOrEqual(63);
      }
      expect(n.secret).toBe(`${n.job}-target`);
    }
    expect(names(longest).job).toBe(`reinvent-bench-${longest.toLowerCase().replace(/[_.]/g, "-")}`);
    // Cut short, two run ids that differ at their end would have named the same Job.
    expect(() => names(`${longest}y`)).toThrow(
      /^--run-id: 'Run_2025.01-x+y' is too long to name the Job and the Secret \(reinvent-bench-<id>-target must be at most 63 characters\); give at most 41 characters$/,
    );
  });

  it("keeps the time in a default run id, whatever the scenario id's length", () => {
    const now = new Date("2025-01-02T03:04:05Z");
    expect(buildManifests("aurora-write", { target: URL }, now).runId).toBe("aurora-write-20250102-0304");
    const dir = mkdtempSync(join(tmpdir(), "k8s-"));
    try {
      const file = join(dir, "long.yaml");
      const id = `aurora-write-${"long-".repeat(10)}id`;
      const yaml = readFileSync(join(packageRoot(), "scenarios", "aurora-write.yaml"), "utf8");
      writeFileSync(file, yaml.replace(/^id: aurora-write$/m, `id: ${id}`));
      const m = buildManifests(file, { target: URL }, now);
      expect(m.runId).toBe("aurora-write-long-long-long-20250102-0304");
      expect(m.jobName).toBe(`reinvent-bench-${m.runId}`);
      const args = (m.job.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
        .containers[0]?.args;
      expect(args?.[1]).toBe(id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks --duration, --warmup and --connections as a client would, before they reach the pods", () => {
    expect(() => buildManifests("aurora-write", { target: URL, duration: "700h" })).toThrow(
      /^--duration: '700h' is longer than the longest run this tool can time \(24 days\)/,
    );
    expect(() => buildManifests("aurora-write", { target: URL, warmup: "soon" })).toThrow(
      /^--warmup: 'soon'/,
    );
    expect(() => buildManifests("aurora-write", { target: URL, connections: "0" })).toThrow(
      /^--connections: '0'/,
    );
    expect(() => buildManifests("aurora-write", { target: URL, protocol: "http" })).toThrow(
      /^--protocol: 'http'/,
    );
  });

  it("passes --protocol to every client pod", () => {
    const m = buildManifests("aurora-write", { target: URL, protocol: "binary" });
    const args = JSON.stringify(m.job);
    expect(args).toContain('"--protocol","binary"');
    expect(JSON.stringify(buildManifests("aurora-write", { target: URL }).job)).not.toContain("--protocol");
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
