import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { TargetError } from "../util/errors.js";
import { loadExeca } from "../util/load-execa.js";

export type ServerFlavor = "mariadb" | "mysql";

export interface ServerBinary {
  path: string;
  flavor: ServerFlavor;
  /** As printed by --version, for example "10.11.19-MariaDB-0+deb12u1". */
  version: string;
  /** mariadb-install-db for MariaDB; undefined for MySQL, which initialises itself. */
  installDb?: string;
}

const SERVER_NAMES = ["mariadbd", "mysqld"];
const USUAL_DIRS = [
  "/usr/sbin",
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/bin",
  "/usr/local/mysql/bin",
  "/usr/local/mariadb/bin",
  "/opt/homebrew/bin",
  "/opt/homebrew/opt/mysql/bin",
  "/opt/homebrew/opt/mariadb/bin",
  "/usr/local/opt/mysql/bin",
  "/usr/local/opt/mariadb/bin",
  "/usr/libexec",
];

export const INSTALL_HINT =
  "no MySQL or MariaDB server binary found (looked for mariadbd and mysqld on PATH and in /usr/sbin and the usual install places); install one (Debian/Ubuntu: apt-get install mariadb-server; macOS: brew install mariadb) or pass --target mysql://user:password@host:port/db";

/** Where to look: PATH, then the usual install places. */
export function defaultSearchDirs(): string[] {
  return [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...USUAL_DIRS];
}

function candidates(searchDirs: string[]): string[] {
  const explicit = process.env.REINVENT_BENCH_MYSQLD ? [process.env.REINVENT_BENCH_MYSQLD] : [];
  const out: string[] = [...explicit];
  for (const dir of searchDirs) {
    for (const name of SERVER_NAMES) out.push(join(dir, name));
  }
  return [...new Set(out)];
}

function findInstallDb(serverPath: string): string | undefined {
  const dirs = [
    dirname(serverPath),
    join(dirname(serverPath), "..", "bin"),
    join(dirname(serverPath), "..", "scripts"),
  ];
  dirs.push(...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/local/bin");
  for (const dir of dirs) {
    for (const name of ["mariadb-install-db", "mysql_install_db"]) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

/** Finds mariadbd or mysqld; throws a one-line TargetError with how to get one when there is none. */
export async function findServerBinary(searchDirs = defaultSearchDirs()): Promise<ServerBinary> {
  const execa = await loadExeca();
  for (const path of candidates(searchDirs)) {
    if (!existsSync(path)) continue;
    let output: string;
    try {
      output = (await execa(path, ["--version"], { timeout: 15_000 })).stdout;
    } catch {
      continue;
    }
    const version = /Ver\s+(\S+)/.exec(output)?.[1] ?? output.trim();
    const flavor: ServerFlavor = /mariadb/i.test(output) ? "mariadb" : "mysql";
    if (flavor === "mariadb") {
      const installDb = findInstallDb(path);
      if (!installDb) continue;
      return { path, flavor, version, installDb };
    }
    return { path, flavor, version };
  }
  throw new TargetError(INSTALL_HINT);
}
