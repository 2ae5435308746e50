import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { ResultPromise } from "execa";
import mysql from "mysql2/promise";
import type { TargetSpec } from "../target/url.js";
import { addCleanup } from "../util/cleanup.js";
import { TargetError } from "../util/errors.js";
import { loadExeca } from "../util/load-execa.js";
import { ensureWritableDir } from "../util/paths-check.js";
import { epochNowMs, sleep } from "../util/timer.js";
import { findServerBinary, type ServerBinary } from "./find.js";
import { freePort } from "./port.js";
import { type SandboxSizing, sandboxSettings, type ThreadHandling } from "./settings.js";
import { startWatchdog, type Watchdog } from "./watchdog.js";

export interface SandboxInfo {
  flavor: ServerBinary["flavor"];
  version: string;
  binary: string;
  dir: string;
  port: number;
  /** Server options the sandbox was sized with, as given on its command line (or in its options file). */
  settings: Record<string, string>;
  /** Further options given after the sized ones (they win where both set the same option). */
  extraArgs: string[];
  /** True when the data directory already existed (tables in it may be reused). */
  reusedDatadir: boolean;
  startMs: number;
}

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 120_000;
const USER = "bench";
/** A restart's readiness is polled this often: its ready time is late by at most this. */
const RESTART_POLL_MS = 10;
/** What a Galera node answers to statements before it has joined its cluster. */
const ER_UNKNOWN_COM_ERROR = 1047;

/**
 * Options one flavor needs and the other would refuse. MySQL 8 starts its X plugin on port 33060,
 * which two sandboxes would share; "loose-" because MySQL 5.7 has no such option and refuses to
 * start on an unknown one.
 */
export function flavorArgs(flavor: ServerBinary["flavor"]): string[] {
  return flavor === "mysql" ? ["--loose-mysqlx=OFF"] : [];
}

export function defaultSandboxDir(binary: ServerBinary): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const safeVersion = binary.version.replace(/[^A-Za-z0-9._-]/g, "_");
  return join(cache, "reinvent-bench", `sandbox-${binary.flavor}-${safeVersion}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * A MySQL or MariaDB server that the tool starts on 127.0.0.1, sized for the run, and stops on every
 * exit path. Its data directory lives in a cache folder so a loaded dataset survives between runs.
 */
export class Sandbox {
  private stopped = false;
  /** Stops the server if this process dies without doing it (see startWatchdog). */
  private watchdog: Watchdog | undefined;
  private removeCleanup: () => void = () => {};

  private constructor(
    readonly info: SandboxInfo,
    readonly target: TargetSpec,
    private child: ResultPromise,
    private readonly log: (line: string) => void,
    /** The server's command line, for a restart on the same data directory and port. */
    private readonly args: string[],
  ) {}

  static async start(options: {
    dir?: string;
    sizing: SandboxSizing;
    log: (line: string) => void;
    /**
     * How the server serves connections, in place of the sized default (MariaDB's thread pool):
     * set here rather than in extraArgs, so the command line names it once.
     */
    threadHandling?: ThreadHandling;
    /** Further server options (--name=value), after the sized ones so they win. */
    extraArgs?: string[];
    /**
     * Options to give in an options file in the folder (my.cnf, read with --defaults-file in place
     * of --no-defaults) rather than on the command line, by group ("mysqld", "sst", ...). Sized
     * settings its "mysqld" group sets are left off the command line, where they would win. For
     * programs the server runs that read its command line and options files (Galera's SST script).
     */
    optionsFile?: Record<string, Record<string, string>>;
  }): Promise<Sandbox> {
    const binary = await findServerBinary();
    // Before the folder is taken: settings this flavor cannot have are refused with nothing to undo.
    const sized = sandboxSettings(options.sizing, binary.flavor, { threadHandling: options.threadHandling });
    const dir = resolve(options.dir ?? defaultSandboxDir(binary));
    // A file in the way or a read-only place: one line naming --sandbox-dir (exit 2), not mkdir's words.
    ensureWritableDir(dir, { what: "sandbox folder", flag: "--sandbox-dir" });
    const lockPath = join(dir, "lock");
    const lockPid = readPid(lockPath);
    if (lockPid && lockPid !== process.pid && processAlive(lockPid)) {
      throw new TargetError(
        `sandbox folder ${dir} is in use by process ${lockPid}; wait for it or pass --sandbox-dir`,
      );
    }
    writeFileSync(lockPath, String(process.pid));
    const datadir = join(dir, "data");
    await stopLeftover(dir, datadir, options.log);

    const reusedDatadir = existsSync(join(datadir, "mysql"));
    if (!reusedDatadir) {
      options.log(`sandbox: initialising a ${binary.flavor} ${binary.version} data directory in ${datadir}`);
      try {
        await initialise(binary, datadir);
      } catch (error) {
        // Interrupted or failed: the folder is free again (a stale lock would refuse the next run).
        rmSync(lockPath, { force: true });
        throw error;
      }
    }
    const inFile = options.optionsFile?.mysqld ?? {};
    const settings = { ...sized, ...inFile };
    const fileNames = new Set(Object.keys(inFile).map((name) => name.replace(/_/g, "-")));
    const onCommandLine = Object.entries(sized).filter(([name]) => !fileNames.has(name));
    const defaultsArg = options.optionsFile
      ? `--defaults-file=${writeOptionsFile(dir, options.optionsFile)}`
      : "--no-defaults";
    const socketPath = join(dir, "mysqld.sock");
    let lastError = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const args = [
        defaultsArg,
        `--datadir=${datadir}`,
        `--socket=${socketPath}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--pid-file=${join(dir, "server.pid")}`,
        `--log-error=${join(dir, "error.log")}`,
        ...(process.getuid?.() === 0 ? ["--user=root"] : []),
        ...flavorArgs(binary.flavor),
        ...onCommandLine.map(([name, value]) =>
          name.startsWith("skip-") && value === "ON" ? `--${name}` : `--${name}=${value}`,
        ),
        ...(options.extraArgs ?? []),
      ];
      const startMs = Date.now();
      // Not detached: the server ignores SIGINT from the terminal, and execa's cleanup stops it if
      // this process dies without reaching its own cleanup.
      const execa = await loadExeca();
      const child = execa(binary.path, args, { stdio: "ignore", reject: false, cleanup: true });
      let exited = false;
      void child.then(() => {
        exited = true;
      });
      const password = await waitReadyAndProvision(socketPath, dir, () => exited);
      if (password === undefined) {
        if (!exited) child.kill("SIGKILL");
        await child;
        lastError = tailOf(join(dir, "error.log")) || `not ready within ${READY_TIMEOUT_MS / 1000} s`;
        if (/address already in use/i.test(lastError)) continue;
        break;
      }
      writeFileSync(join(dir, "server.pid"), String(child.pid));
      const info: SandboxInfo = {
        flavor: binary.flavor,
        version: binary.version,
        binary: binary.path,
        dir,
        port,
        settings,
        extraArgs: options.extraArgs ?? [],
        reusedDatadir,
        startMs,
      };
      const target: TargetSpec = {
        host: "127.0.0.1",
        port,
        user: USER,
        password,
        database: "sbtest",
        tls: "disabled",
        displayUrl: `mysql://${USER}:***@127.0.0.1:${port}/sbtest`,
      };
      const sandbox = new Sandbox(info, target, child, options.log, args);
      sandbox.removeCleanup = addCleanup(() => sandbox.stop());
      if (child.pid) sandbox.watchdog = startWatchdog(child.pid);
      options.log(
        `sandbox: ${binary.flavor} ${binary.version} ready on 127.0.0.1:${port} (pid ${child.pid}, ${Date.now() - startMs} ms)`,
      );
      return sandbox;
    }
    rmSync(lockPath, { force: true });
    throw new TargetError(`sandbox server did not start: ${lastError || "no error log"}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The server's options as started (for a run of the same server on its data, --wsrep-recover). */
  get commandLine(): readonly string[] {
    return this.args;
  }

  /** The server's data directory. */
  get datadir(): string {
    return join(this.info.dir, "data");
  }

  /**
   * Kills the server with SIGKILL, as a power cut would: no shutdown, no buffer pool dump, dirty
   * pages lost; InnoDB recovers from its redo log at the next start. Resolves once it is gone.
   */
  async kill(): Promise<void> {
    this.watchdog?.cancel();
    const pid = this.child.pid;
    if (pid && processAlive(pid)) this.child.kill("SIGKILL");
    await this.child;
    this.log(`sandbox: killed (pid ${pid})`);
  }

  /**
   * Starts the server again on the same data directory and port, after kill(): crash recovery runs
   * before it takes connections. `extraArgs` apply to this start only. Resolves when it answers.
   */
  async restart(extraArgs: string[] = []): Promise<{ readyEpochMs: number }> {
    if (this.stopped) throw new Error("sandbox: restart after stop");
    const socketPath = join(this.info.dir, "mysqld.sock");
    const startMs = Date.now();
    const execa = await loadExeca();
    const child = execa(this.info.binary, [...this.args, ...extraArgs], {
      stdio: "ignore",
      reject: false,
      cleanup: true,
    });
    this.child = child;
    let exited = false;
    void child.then(() => {
      exited = true;
    });
    let readyEpochMs = 0;
    const password = await waitReadyAndProvision(
      socketPath,
      this.info.dir,
      () => exited,
      () => {
        readyEpochMs = epochNowMs();
      },
      RESTART_POLL_MS,
    );
    if (password === undefined) {
      if (!exited) child.kill("SIGKILL");
      await child;
      throw new TargetError(
        `sandbox server did not restart: ${tailOf(join(this.info.dir, "error.log")) || "no error log"}`,
      );
    }
    writeFileSync(join(this.info.dir, "server.pid"), String(child.pid));
    if (child.pid) this.watchdog = startWatchdog(child.pid);
    this.log(
      `sandbox: restarted on 127.0.0.1:${this.info.port} (pid ${child.pid}, ${Date.now() - startMs} ms)`,
    );
    return { readyEpochMs };
  }

  /** Stops the server (SIGTERM, then SIGKILL if it will not go) and releases the folder. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.removeCleanup();
    this.watchdog?.cancel();
    const pid = this.child.pid;
    if (pid && processAlive(pid)) {
      this.child.kill("SIGTERM");
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (processAlive(pid) && Date.now() < deadline) {
        await Promise.race([this.child, sleep(100)]);
      }
      if (processAlive(pid)) this.child.kill("SIGKILL");
      await this.child;
    }
    rmSync(join(this.info.dir, "server.pid"), { force: true });
    rmSync(join(this.info.dir, "lock"), { force: true });
    this.log(`sandbox: stopped (pid ${pid})`);
  }
}

async function initialise(binary: ServerBinary, datadir: string): Promise<void> {
  mkdirSync(datadir, { recursive: true });
  const tmpdir = join(datadir, "..", "tmp");
  mkdirSync(tmpdir, { recursive: true });
  const asRoot = process.getuid?.() === 0 ? ["--user=root"] : [];
  const execa = await loadExeca();
  const result =
    binary.flavor === "mariadb" && binary.installDb
      ? await execa(
          binary.installDb,
          [
            "--no-defaults",
            `--datadir=${datadir}`,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            // A private temporary folder: initialisers running at once in a shared /tmp collide.
            `--tmpdir=${tmpdir}`,
            ...asRoot,
          ],
          { reject: false, all: true },
        )
      : await execa(
          binary.path,
          ["--no-defaults", "--initialize-insecure", `--datadir=${datadir}`, ...asRoot],
          {
            reject: false,
            all: true,
          },
        );
  if (result.exitCode !== 0) {
    rmSync(datadir, { recursive: true, force: true });
    const tail = String(result.all ?? "")
      .trim()
      .split("\n")
      .slice(-3)
      .join(" | ");
    throw new TargetError(`sandbox: initialising the data directory failed: ${tail}`);
  }
}

/** A server a killed earlier run left behind in this folder: ours by its pid file and command line. */
async function stopLeftover(dir: string, datadir: string, log: (line: string) => void): Promise<void> {
  const pid = readPid(join(dir, "server.pid"));
  if (!pid || !processAlive(pid) || !commandLine(pid).includes(datadir)) return;
  log(`sandbox: stopping a server left by an earlier run (pid ${pid})`);
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) process.kill(pid, "SIGKILL");
}

/** Writes `dir`/my.cnf with the given option groups; returns its path. */
function writeOptionsFile(dir: string, groups: Record<string, Record<string, string>>): string {
  const path = join(dir, "my.cnf");
  const text = Object.entries(groups)
    .map(([group, values]) =>
      [`[${group}]`, ...Object.entries(values).map(([name, value]) => `${name}=${value}`)].join("\n"),
    )
    .join("\n\n");
  writeFileSync(path, `${text}\n`);
  return path;
}

function tailOf(path: string): string {
  try {
    return readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .filter((line) => /error|fatal|abort/i.test(line))
      .slice(-3)
      .join(" | ");
  } catch {
    return "";
  }
}

/**
 * Waits until the server answers on its socket, then makes sure the benchmark user exists with a
 * password of its own (kept in the sandbox folder, readable by its owner only). Returns undefined
 * if the server exited or never became ready.
 */
async function waitReadyAndProvision(
  socketPath: string,
  dir: string,
  hasExited: () => boolean,
  /** Called when the server first takes a connection, before provisioning. */
  onReady: () => void = () => {},
  /** How often to try; a restart under measurement tries often, so its ready time is close. */
  pollMs = 100,
): Promise<string | undefined> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let answered = false;
  while (Date.now() < deadline && !hasExited()) {
    let conn: mysql.Connection | undefined;
    try {
      conn = await mysql.createConnection({ socketPath, user: "root", password: "" });
    } catch {
      await sleep(pollMs);
      continue;
    }
    if (!answered) onReady();
    answered = true;
    try {
      const credentialsPath = join(dir, "credentials.json");
      let password: string;
      try {
        password = (JSON.parse(readFileSync(credentialsPath, "utf8")) as { password: string }).password;
      } catch {
        password = randomBytes(18).toString("base64url");
        writeFileSync(credentialsPath, JSON.stringify({ user: USER, password }), { mode: 0o600 });
      }
      // Kept out of the binary log: a replicating sandbox would otherwise log the password in clear
      // text and replay these statements on its replicas.
      await conn.query("SET SESSION sql_log_bin = 0");
      await conn.query(`CREATE USER IF NOT EXISTS '${USER}'@'127.0.0.1' IDENTIFIED BY ?`, [password]);
      await conn.query(`ALTER USER '${USER}'@'127.0.0.1' IDENTIFIED BY ?`, [password]);
      await conn.query(`GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'127.0.0.1' WITH GRANT OPTION`);
      await conn.query("CREATE DATABASE IF NOT EXISTS sbtest");
      return password;
    } catch (error) {
      // A Galera node takes connections while it is still joining its cluster, and refuses
      // statements until it has joined ("WSREP has not yet prepared node for application use").
      if ((error as { errno?: number }).errno !== ER_UNKNOWN_COM_ERROR) throw error;
    } finally {
      await conn.end();
    }
    await sleep(pollMs);
  }
  return undefined;
}
