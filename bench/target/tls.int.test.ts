import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startTestServer, tempDir } from "../testing/servers.js";

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

/** A throwaway CA and a server certificate for 127.0.0.1, made with openssl for this test only. */
async function makeCertificates(dir: string): Promise<void> {
  const run = (args: string[]) => execa("openssl", args, { cwd: dir });
  await run([
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
  ]);
  await run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "server-key.pem",
    "-out",
    "server.csr",
  ]);
  await execa("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf"], { cwd: dir });
  await run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca-key.pem",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
    "-out",
    "server.pem",
  ]);
}

describe("TLS targets", () => {
  const certs = tempDir("rb-certs-");
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    await makeCertificates(certs);
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

  it("verifies the server against a CA given with ssl-ca", async () => {
    const url = `${server.url}?ssl-mode=VERIFY_IDENTITY&ssl-ca=${join(certs, "ca.pem")}`;
    const run = await runCli(["run", "aurora-read", ...SMALL, "--target", url, "--out", tempDir("rb-out-")]);
    expect(run.exitCode).toBe(0);
  }, 60_000);

  it("refuses a server whose certificate another CA signed", async () => {
    const other = tempDir("rb-other-ca-");
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
        "/CN=other",
        "-keyout",
        "k.pem",
        "-out",
        "ca.pem",
      ],
      { cwd: other },
    );
    const url = `${server.url}?ssl-mode=VERIFY_CA&ssl-ca=${join(other, "ca.pem")}`;
    const run = await runCli(["run", "aurora-read", ...SMALL, "--target", url, "--out", tempDir("rb-out-")]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/certificate/i);
  }, 60_000);

  it("checks the host name under VERIFY_IDENTITY, not under VERIFY_CA", async () => {
    // A certificate from the same CA, but for another address.
    const run = (args: string[]) => execa("openssl", args, { cwd: certs });
    await run([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.2",
      "-keyout",
      "other-key.pem",
      "-out",
      "other.csr",
    ]);
    await execa("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.2\\n' > other.cnf"], { cwd: certs });
    await run([
      "x509",
      "-req",
      "-in",
      "other.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "other.cnf",
      "-out",
      "other.pem",
    ]);
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
