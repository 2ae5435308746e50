import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../sandbox/port.js";
import { tempDir } from "./servers.js";

/** Debian's package (CI installs it); tests fail without it rather than skip. */
export const PROMETHEUS = "/usr/bin/prometheus";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value, for at most `timeoutMs`; the error says what was awaited. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last: ${last})` : ""}`);
}

/** One series of an instant query's answer: its labels and [seconds since epoch, value]. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One series of a range selector's answer: its labels and every stored [seconds, value]. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface ScrapeTarget {
  health: string;
  lastError: string;
  scrapeUrl: string;
}

/** A Prometheus server this process started, on 127.0.0.1, scraping its targets every second. */
export interface PrometheusServer {
  /** http://127.0.0.1:port, its HTTP API's root. */
  url: string;
  pid: number;
  /** An instant query's vector; `atEpochMs` is the API's time= parameter (default: now). */
  query(promql: string, atEpochMs?: number): Promise<VectorSample[]>;
  /** A range selector's samples (`metric[60s]`) as stored, at `atEpochMs`. */
  matrix(promql: string, atEpochMs?: number): Promise<MatrixSeries[]>;
  /** The value of a query that must answer with exactly one series. */
  single(promql: string, atEpochMs?: number): Promise<number>;
  targets(): Promise<ScrapeTarget[]>;
  /** The end of its output, to show when something fails. */
  log(): string;
  /** SIGTERM by PID, SIGKILL if it has not exited within 10 s; removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts Prometheus with a 1 s scrape interval on the given host:port targets (path /metrics), its
 * configuration and data in a temporary folder, and waits (30 s at most) until it says it is ready.
 */
export async function startPrometheus(targets: readonly string[]): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS))
    throw new Error(
      `${PROMETHEUS} is missing: install Debian's prometheus package (apt-get install prometheus)`,
    );
  const dir = tempDir("rb-prometheus-");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 900ms",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: reinvent-bench",
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-8000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (error) => keep(Buffer.from(`\n${error.message}\n`)));
  const log = () => output.split("\n").slice(-15).join("\n");
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;

  async function stop(): Promise<void> {
    const pid = child.pid;
    if (pid !== undefined && running()) {
      process.kill(pid, "SIGTERM");
      const stopped = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped && running()) {
        process.kill(pid, "SIGKILL");
        await Promise.race([exit, sleep(5000)]);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }

  async function api(promql: string, atEpochMs: number | undefined): Promise<unknown[]> {
    const time = atEpochMs === undefined ? "" : `&time=${(atEpochMs / 1000).toFixed(3)}`;
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}${time}`, {
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: unknown[] };
    };
    if (body.status !== "success") throw new Error(`${promql}: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  }

  const server: PrometheusServer = {
    url,
    pid: child.pid ?? -1,
    query: async (promql, atEpochMs) => (await api(promql, atEpochMs)) as VectorSample[],
    matrix: async (promql, atEpochMs) => (await api(promql, atEpochMs)) as MatrixSeries[],
    async single(promql, atEpochMs) {
      const result = (await api(promql, atEpochMs)) as VectorSample[];
      if (result.length !== 1)
        throw new Error(`${promql}: ${result.length} series, not 1: ${JSON.stringify(result)}`);
      return Number(result[0]?.value[1]);
    },
    async targets() {
      const response = await fetch(`${url}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
      const body = (await response.json()) as { data: { activeTargets: ScrapeTarget[] } };
      return body.data.activeTargets;
    },
    log,
    stop,
  };

  try {
    if (child.pid === undefined) throw new Error(`${PROMETHEUS} did not start:\n${log()}`);
    const exited = exit.then(() => {
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    });
    exited.catch(() => {});
    await Promise.race([
      exited,
      until(`prometheus ready at ${url}`, 30_000, async () => {
        const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        return response.ok ? true : null;
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return server;
}
