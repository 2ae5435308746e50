import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing/servers.js";
import { TargetError } from "../util/errors.js";
import { Sandbox } from "./server.js";

describe("a sandbox whose data directory cannot be initialised", () => {
  const saved = process.env.REINVENT_BENCH_MYSQLD;
  afterEach(() => {
    if (saved === undefined) delete process.env.REINVENT_BENCH_MYSQLD;
    else process.env.REINVENT_BENCH_MYSQLD = saved;
  });

  it("fails with the initialiser's words and leaves no lock on the folder", async () => {
    // A server binary that names itself MariaDB, and an initialiser that fails (as one killed by Ctrl-C does).
    const bin = tempDir("rb-fake-bin-");
    const server = join(bin, "mariadbd");
    writeFileSync(server, "#!/bin/sh\necho 'mariadbd  Ver 10.11.19-MariaDB for debian-linux-gnu'\n");
    writeFileSync(join(bin, "mariadb-install-db"), "#!/bin/sh\necho 'interrupted' >&2\nexit 130\n");
    chmodSync(server, 0o755);
    chmodSync(join(bin, "mariadb-install-db"), 0o755);
    process.env.REINVENT_BENCH_MYSQLD = server;
    const dir = tempDir("rb-lock-");
    await expect(
      Sandbox.start({ dir, sizing: { connections: 4, tables: 1, tableSize: 10 }, log: () => {} }),
    ).rejects.toThrow(TargetError);
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });
});
