import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readResultIn, runCli, startTestServer, tempDir } from "../testing/servers.js";

const SMALL = [
  "--tables",
  "1",
  "--table-size",
  "200",
  "--connections",
  "2",
  "--warmup",
  "0s",
  "--duration",
  "1s",
];

/** A throwaway CA for this test only, made with openssl. */
async function makeCa(dir: string): Promise<void> {
  await execa(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=rb-test-ca",
      "-keyout",
      "ca-key.pem",
      "-out",
      "ca.pem",
    ],
    { cwd: dir },
  );
}

/** A server certificate for `address`, signed by the test CA: `<name>.pem` and `<name>-key.pem`. */
async function issueServerCertificate(dir: string, address: string, name: string): Promise<void> {
  const run = (args: string[]) => execa("openssl", args, { cwd: dir });
  await run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${address}`,
    "-keyout",
    `${name}-key.pem`,
    "-out",
    `${name}.csr`,
  ]);
  writeFileSync(join(dir, `${name}.cnf`), `subjectAltName=IP:${address}\n`);
  await run([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca-key.pem",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    `${name}.cnf`,
    "-out",
    `${name}.pem`,
  ]);
}

describe("TLS targets", () => {
  const certs = tempDir("rb-certs-");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    await makeCa(certs);
    await issueServerCertificate(certs, "127.0.0.1", "server");
    server = await startTestServer({
      extraArgs: [
        `--ssl-ca=${join(certs, "ca.pem")}`,
        `--ssl-cert=${join(certs, "server.pem")}`,
        `--ssl-key=${join(certs, "server-key.pem")}`,
        // The server refuses any connection without TLS, so a passing run proves TLS was used.
        "--require-secure-transport=ON",
      ],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("runs with ssl-mode=REQUIRED", async () => {
    const run = await runCli([
      "run",
      "aurora-read",
      ...SMALL,
      "--target",
      `${server.url}?ssl-mode=REQUIRED`,
      "--out",
      tempDir("rb-out-"),
    ]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
  }, 60_000);

  it("runs prepared statements over TLS (--protocol binary), the server counting every execution", async () => {
    const out = tempDir("rb-out-");
    const run = await runCli([
      "run",
      "aurora-read",
      ...SMALL,
      "--protocol",
      "binary",
      "--target",
      `${server.url}?ssl-mode=REQUIRED`,
      "--out",
      out,
    ]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.exitCode).toBe(0);
    const scenario = readResultIn(out).scenarios[0];
    const executions = scenario?.serverCounters?.checks.find((c) => c.counter === "Com_stmt_execute");
    expect(executions?.client).toBeGreaterThan(0);
    expect(executions?.server).toBe(executions?.client);
  }, 60_000);

  it("verifies the server against a CA given with ssl-ca", async () => {
    const url = `${server.url}?ssl-mode=VERIFY_IDENTITY&ssl-ca=${join(certs, "ca.pem")}`;
    const run = await runCli(["run", "aurora-read", ...SMALL, "--target", url, "--out", tempDir("rb-out-")]);
    expect(run.exitCode).toBe(0);
  }, 60_000);

  it("refuses a server whose certificate another CA signed", async () => {
    const other = tempDir("rb-other-ca-");
    await makeCa(other);
    const url = `${server.url}?ssl-mode=VERIFY_CA&ssl-ca=${join(other, "ca.pem")}`;
    const run = await runCli(["run", "aurora-read", ...SMALL, "--target", url, "--out", tempDir("rb-out-")]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/certificate/i);
  }, 60_000);

  it("checks the host name under VERIFY_IDENTITY, not under VERIFY_CA", async () => {
    // A certificate from the same CA, but for another address.
    await issueServerCertificate(certs, "127.0.0.2", "other");
    const other = await startTestServer({
      extraArgs: [
        `--ssl-ca=${join(certs, "ca.pem")}`,
        `--ssl-cert=${join(certs, "other.pem")}`,
        `--ssl-key=${join(certs, "other-key.pem")}`,
      ],
    });
    try {
      const ca = join(certs, "ca.pem");
      const identity = await runCli([
        "run",
        "aurora-read",
        ...SMALL,
        "--target",
        `${other.url}?ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca}`,
        "--out",
        tempDir("rb-out-"),
      ]);
      expect(identity.exitCode).toBe(3);
      expect(identity.stderr).toMatch(/does not name 127\.0\.0\.1|altnames/);
      expect(identity.stderr).not.toContain(other.target.password);
      const caOnly = await runCli([
        "run",
        "aurora-read",
        ...SMALL,
        "--target",
        `${other.url}?ssl-mode=VERIFY_CA&ssl-ca=${ca}`,
        "--out",
        tempDir("rb-out-"),
      ]);
      expect(caOnly.exitCode).toBe(0);
    } finally {
      await other.stop();
    }
  }, 90_000);

  it("fails with exit 3 when TLS is off and the server requires it", async () => {
    const run = await runCli([
      "run",
      "aurora-read",
      ...SMALL,
      "--target",
      server.url,
      "--out",
      tempDir("rb-out-"),
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/secure transport|1045|3159|insecure/i);
    expect(run.stderr).not.toContain(server.target.password);
  }, 60_000);
});
