import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { PhaseName } from "../metrics/interval.js";
import {
  CONTENT_TYPES,
  type ExpositionFormat,
  formatForAccept,
  renderMetrics,
} from "./metrics-exposition.js";
import { MetricsState } from "./metrics-state.js";
import type { LagSample, LiveContext, LiveOutput, LiveSecond, ReplicaReport } from "./second.js";

export interface MetricsEndpointOptions {
  /** Address to listen on; 127.0.0.1 unless the scraper runs elsewhere. */
  host?: string;
  /** TCP port; 0 lets the system pick one (read it from `port` after start()). */
  port: number;
}

export const DEFAULT_METRICS_HOST = "127.0.0.1";
export const METRICS_PATH = "/metrics";
/** Longest close() waits for a scraper to see the run's last seconds. */
export const LINGER_MAX_MS = 5000;

/** host:port, with an IPv6 address in brackets. */
function addressText(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A listen failure as one line that names the option to change. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const at = addressText(host, port);
  if (error.code === "EADDRINUSE")
    return new Error(`--metrics-port ${port}: ${at} is already in use; choose another port`);
  if (error.code === "EACCES") return new Error(`--metrics-port ${port}: not allowed to listen on ${at}`);
  if (error.code === "EADDRNOTAVAIL")
    return new Error(`--metrics-port ${port}: ${host} is not an address of this host`);
  return new Error(`--metrics-port ${port}: cannot listen on ${at}: ${error.message}`);
}

/**
 * The run's live figures at GET /metrics for Prometheus to scrape, in OpenMetrics text (or the 0.0.4
 * text for clients that do not ask for OpenMetrics). A second is recorded when it arrives and the
 * text is rendered per scrape, so the run's loop never waits on a scraper.
 */
export class MetricsEndpoint implements LiveOutput {
  readonly state = new MetricsState({ holdNewSeries: true });
  /** Scrapes served, by the format they were given: tells which format a scraper asked for. */
  readonly scrapes: Record<ExpositionFormat, number> = { openmetrics: 0, prometheus: 0 };
  private server: Server | null = null;
  /** When the last scrape was served, and the time between the last two (a scraper's interval). */
  private lastScrapeAtMs: number | null = null;
  private scrapeGapMs: number | null = null;
  /** MetricsState.scrapes when the last figure arrived. */
  private scrapesAtLastFigure = 0;
  /** Called by the next scrape, while close() waits for it. */
  private scraped: (() => void) | null = null;
  private listeningPort: number;
  readonly host: string;

  constructor(options: MetricsEndpointOptions) {
    this.host = options.host ?? DEFAULT_METRICS_HOST;
    this.listeningPort = options.port;
  }

  /** The port it listens on (the one the system picked when asked for 0). */
  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://${addressText(this.host, this.listeningPort)}${METRICS_PATH}`;
  }

  /** Listens; rejects with a one-line error naming --metrics-port when the address cannot be had. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => this.serve(request, response));
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) =>
        reject(listenError(error, this.host, this.listeningPort));
      server.once("error", failed);
      server.listen(this.listeningPort, this.host, () => {
        server.off("error", failed);
        resolve();
      });
    });
    // A failure after listening (rare: too many open files) must not end the run.
    server.on("error", () => {});
    // The run's own work keeps the process alive; an endpoint left open must not.
    server.unref();
    const address = server.address();
    if (address && typeof address === "object") this.listeningPort = address.port;
    this.server = server;
  }

  second(second: LiveSecond): void {
    this.state.addSecond(second);
    this.scrapesAtLastFigure = this.state.scrapes;
  }

  lag(sample: LagSample): void {
    this.state.addLag(sample);
    this.scrapesAtLastFigure = this.state.scrapes;
  }

  replicaReport(report: ReplicaReport): void {
    this.state.addReplicaReport(report);
  }

  phaseEnd(context: LiveContext, phase: PhaseName): void {
    this.state.endPhase(context, phase);
  }

  /** The text of one scrape; the scrape is counted, so series it served at zero show their counts next time. */
  private render(format: ExpositionFormat): string {
    const text = renderMetrics(this.state, format);
    this.state.markScraped();
    const nowMs = Date.now();
    if (this.lastScrapeAtMs !== null) this.scrapeGapMs = nowMs - this.lastScrapeAtMs;
    this.lastScrapeAtMs = nowMs;
    return text;
  }

  /**
   * Whether a scraper has yet to see the run's last figures: it scrapes this endpoint, and no scrape
   * has come since the last second (or one came, but served a new series at zero).
   */
  private lastFiguresUnseen(): boolean {
    if (this.lastScrapeAtMs === null) return false;
    return this.state.scrapes <= this.scrapesAtLastFigure || this.state.hasHeldSeries();
  }

  /**
   * Waits, when something scrapes the endpoint, for the scrapes that show the run's last seconds:
   * closing at once would leave them out of Prometheus (its last sample 1-3 s short of result.json).
   * Bounded by 1.5 scrape intervals a scrape, at most LINGER_MAX_MS in all.
   */
  private async linger(): Promise<void> {
    const deadlineMs = Date.now() + LINGER_MAX_MS;
    while (this.lastFiguresUnseen() && Date.now() < deadlineMs) {
      const waitMs = Math.min(deadlineMs - Date.now(), Math.max(100, (this.scrapeGapMs ?? 1000) * 1.5));
      const before = this.state.scrapes;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.scraped = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.scraped = null;
      // A scraper that stopped coming: no longer wait for it.
      if (this.state.scrapes === before) return;
    }
  }

  /** Stops listening and ends open connections (a scraper's keep-alive too), so the port is free. */
  async close(): Promise<void> {
    if (!this.server) return;
    await this.linger();
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== METRICS_PATH) {
      reply(response, 404, "text/plain; charset=utf-8", `not found: the figures are at ${METRICS_PATH}\n`);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      reply(response, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
      return;
    }
    try {
      const format = formatForAccept(request.headers.accept);
      this.scrapes[format]++;
      // A close() waiting for this scrape goes on once its reply has left, not while it is written.
      response.once("finish", () => this.scraped?.());
      reply(response, 200, CONTENT_TYPES[format], this.render(format), request.method === "HEAD");
    } catch (error) {
      reply(
        response,
        500,
        "text/plain; charset=utf-8",
        `${error instanceof Error ? error.message : error}\n`,
      );
    }
  }
}

function reply(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headOnly = false,
) {
  const bytes = Buffer.from(body, "utf8");
  response.writeHead(status, { "Content-Type": contentType, "Content-Length": bytes.length });
  response.end(headOnly ? undefined : bytes);
}
