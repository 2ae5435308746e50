import { join } from "node:path";
import { HistogramLog } from "../live/hlog.js";
import { IntervalStream, intervalStreamFormat } from "../live/interval-stream.js";
import { DEFAULT_METRICS_HOST, MetricsEndpoint } from "../live/metrics-endpoint.js";
import { type LiveOutput, LiveOutputs } from "../live/second.js";
import { UsageError } from "../util/errors.js";
import { ioFailure } from "../util/paths-check.js";

/** Where a run's seconds go while it runs, besides the terminal: --out-intervals, --metrics-port/-host. */
export interface LiveOptions {
  /** --out-intervals FILE: .jsonl or .csv, a line per second. */
  outIntervals?: string;
  /** --metrics-port N: serve /metrics while the run lives; 0 lets the system pick a port. */
  metricsPort?: number;
  /** --metrics-host: the address /metrics listens on. */
  metricsHost?: string;
  /**
   * The run's part in `run --baseline`: its live seconds' trial labels start with it ("baseline:
   * aurora-write"), so the two runs' series, lines and tags are told apart on one dashboard.
   */
  runRole?: "baseline" | "target";
}

/** The run folder's HdrHistogram interval log, written by every run. */
export const HLOG_FILE = "histograms.hlog";

/** The live flags as commander gives them, checked; each error names its flag and what is allowed. */
export function parseLiveFlags(raw: {
  outIntervals?: string;
  metricsPort?: string;
  metricsHost?: string;
  runRole?: "baseline" | "target";
}): LiveOptions {
  const options: LiveOptions = raw.runRole ? { runRole: raw.runRole } : {};
  if (raw.outIntervals !== undefined) {
    intervalStreamFormat(raw.outIntervals);
    options.outIntervals = raw.outIntervals;
  }
  if (raw.metricsPort !== undefined) {
    const text = raw.metricsPort.trim();
    if (!/^\d+$/.test(text) || Number(text) > 65_535) {
      throw new UsageError(
        `--metrics-port: '${raw.metricsPort}' must be a TCP port from 0 to 65535 (0: any free port, printed when the run starts)`,
      );
    }
    options.metricsPort = Number(text);
  }
  if (raw.metricsHost !== undefined) {
    if (options.metricsPort === undefined)
      throw new UsageError("--metrics-host: the address of the metrics endpoint; give --metrics-port N too");
    if (raw.metricsHost.trim() === "")
      throw new UsageError("--metrics-host: give an address to listen on, such as 127.0.0.1 or 0.0.0.0");
    options.metricsHost = raw.metricsHost.trim();
  }
  return options;
}

/**
 * Opens the run's live outputs: the .hlog in the run folder always, the interval stream and the
 * metrics endpoint when asked. An output that cannot be opened stops the run before it starts,
 * with one line naming its flag; whatever was opened is closed again first.
 */
export async function openLiveOutputs(
  options: LiveOptions,
  outDir: string,
  log: (line: string) => void,
): Promise<LiveOutputs> {
  const opened: LiveOutput[] = [];
  try {
    const hlog = join(outDir, HLOG_FILE);
    opened.push(open(() => new HistogramLog(hlog), `opening ${hlog}`, "--out"));
    if (options.outIntervals !== undefined) {
      const path = options.outIntervals;
      opened.push(open(() => new IntervalStream(path), `opening ${path}`, "--out-intervals"));
    }
    if (options.metricsPort !== undefined) {
      const endpoint = new MetricsEndpoint({
        host: options.metricsHost ?? DEFAULT_METRICS_HOST,
        port: options.metricsPort,
      });
      try {
        await endpoint.start();
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      opened.push(endpoint);
      log(`metrics: serving ${endpoint.url} while the run lives`);
    }
  } catch (error) {
    await new LiveOutputs(opened).close();
    throw error;
  }
  return new LiveOutputs(opened, log);
}

function open<T>(make: () => T, doing: string, flag: string): T {
  try {
    return make();
  } catch (error) {
    throw ioFailure(error, doing, flag);
  }
}
