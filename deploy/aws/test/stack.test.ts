import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { parseRunFlags, type RawRunFlags } from "../../../bench/commands/run-flags.js";
import { loadCatalog, selectScenarios } from "../../../bench/scenario/load.js";
import { addCheckedStack } from "../lib/checked-stack.js";
import { clientRuns, clientScript, URL_VARS } from "../lib/client-script.js";
import { type BenchParams, resolveParams } from "../lib/params.js";
import type { ReinventBenchStack } from "../lib/stack.js";

/** A stand-in for the tool's bundle: the tests check the stack, not the build. */
function toolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rb-cdk-tool-"));
  writeFileSync(join(dir, "package.json"), "{}");
  return dir;
}

interface Synth {
  template: Template;
  json: Record<string, unknown>;
  stack: ReinventBenchStack;
}

/** Synthesizes the stack as bin/app.ts does, cdk-nag's checks included. */
function synth(raw: Record<string, unknown>, acknowledge = true): Synth {
  const params = resolveParams(raw);
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "rb-cdk-out-")) });
  const stack = addCheckedStack(app, params, toolDir(), acknowledge);
  const assembly = app.synth();
  const json = JSON.parse(
    readFileSync(join(assembly.directory, "ReinventBench.template.json"), "utf8"),
  ) as Record<string, unknown>;
  return { template: Template.fromJSON(json), json, stack };
}

const resources = (json: Record<string, unknown>, type: string) =>
  Object.entries(
    json.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
  ).filter(([, r]) => r.Type === type);

describe("the AWS stack, default parameters", () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({});
  }, 120_000);

  it("Aurora MySQL: the engine version named, a writer and one reader of the claims' class counterpart, encrypted", () => {
    s.template.hasResourceProperties("AWS::RDS::DBCluster", {
      Engine: "aurora-mysql",
      EngineVersion: "8.0.mysql_aurora.3.10.3",
      StorageEncrypted: true,
      DatabaseName: "sbtest",
    });
    const instances = resources(s.json, "AWS::RDS::DBInstance").filter(
      ([, r]) => r.Properties.Engine === "aurora-mysql",
    );
    expect(instances).toHaveLength(2);
    for (const [, r] of instances) expect(r.Properties.DBInstanceClass).toBe("db.r6g.8xlarge");
    expect(instances.filter(([, r]) => r.Properties.AvailabilityZone === "us-east-1a")).toHaveLength(1);
  });

  it("the MySQL baseline: RDS MySQL 8.0 of the same class on 30K-IOPS io1, Single-AZ, with a binlog replica", () => {
    s.template.hasResourceProperties("AWS::RDS::DBInstance", {
      Engine: "mysql",
      EngineVersion: "8.0.44",
      DBInstanceClass: "db.r6g.8xlarge",
      StorageType: "io1",
      Iops: 30000,
      AllocatedStorage: "1000",
      MultiAZ: false,
      StorageEncrypted: true,
      AvailabilityZone: "us-east-1a",
    });
    s.template.hasResourceProperties("AWS::RDS::DBInstance", {
      SourceDBInstanceIdentifier: Match.anyValue(),
      DBInstanceClass: "db.r6g.8xlarge",
      Iops: 30000,
    });
  });

  it("four clients of the claims' class counterpart in the writer's zone, one cluster placement group", () => {
    const clients = resources(s.json, "AWS::EC2::Instance");
    expect(clients).toHaveLength(4);
    s.template.resourceCountIs("AWS::EC2::PlacementGroup", 1);
    s.template.hasResourceProperties("AWS::EC2::PlacementGroup", { Strategy: "cluster" });
    const subnets = Object.fromEntries(resources(s.json, "AWS::EC2::Subnet"));
    for (const [, client] of clients) {
      expect(client.Properties.InstanceType).toBe("r6i.8xlarge");
      expect(client.Properties.AvailabilityZone).toBe("us-east-1a");
      expect(JSON.stringify(client.Properties.PlacementGroupName)).toMatch(/"ClientPlacement[0-9A-F]+"/);
      expect(client.Properties.EbsOptimized).toBe(true);
      const subnet = (client.Properties.SubnetId as { Ref: string }).Ref;
      expect(subnets[subnet]?.Properties.AvailabilityZone).toBe("us-east-1a");
    }
  });

  it("generated secrets for the databases' user, and a bucket encrypted, private and TLS-only", () => {
    s.template.resourceCountIs("AWS::SecretsManager::Secret", 2);
    s.template.allResourcesProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"bench"}',
        GenerateStringKey: "password",
      }),
    });
    s.template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    s.template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("the databases are reachable on 3306 from the clients' group only; nothing is open to the internet", () => {
    const ingress = resources(s.json, "AWS::EC2::SecurityGroupIngress");
    expect(ingress).toHaveLength(1);
    expect(ingress[0]?.[1].Properties).toMatchObject({
      IpProtocol: "tcp",
      FromPort: 3306,
      ToPort: 3306,
      SourceSecurityGroupId: { "Fn::GetAtt": [expect.stringMatching(/^ClientSg/), "GroupId"] },
      GroupId: { "Fn::GetAtt": [expect.stringMatching(/^DatabaseSg/), "GroupId"] },
    });
    for (const [, group] of resources(s.json, "AWS::EC2::SecurityGroup")) {
      expect(JSON.stringify(group.Properties.SecurityGroupIngress ?? [])).not.toContain("0.0.0.0/0");
    }
    for (const [, db] of resources(s.json, "AWS::RDS::DBInstance"))
      expect(db.Properties.PubliclyAccessible).not.toBe(true);
  });

  it("the clients may read the two secrets and the tool's bundle object, and write under this run's prefix only", () => {
    const policies = resources(s.json, "AWS::IAM::Policy").filter(([id]) => id.startsWith("ClientRole"));
    expect(policies).toHaveLength(1);
    const document = policies[0]?.[1].Properties.PolicyDocument as { Statement: Record<string, unknown>[] };
    const statements = document.Statement;
    const text = JSON.stringify(statements);
    expect(statements.map((st) => st.Action)).toEqual([
      ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      "s3:GetObject",
      "s3:PutObject",
    ]);
    expect(statements.map((st) => st.Resource)).toEqual([
      { Ref: expect.stringMatching(/^AuroraSecretAttachment/) },
      { Ref: expect.stringMatching(/^MysqlBaselineSecretAttachment/) },
      expect.anything(),
      {
        "Fn::Join": [
          "",
          [{ "Fn::GetAtt": [expect.stringMatching(/^Results/), "Arn"] }, "/runs/aurora-claims-1/*"],
        ],
      },
    ]);
    // The bundle grant names one object key, not the asset bucket's every object.
    expect(JSON.stringify(statements[2]?.Resource)).toMatch(/\.zip"\]\]\}$/);
    expect(text).not.toMatch(/"Resource":"\*"/);
    expect(resources(s.json, "AWS::IAM::ManagedPolicy")).toHaveLength(0);
  });

  it("no password in the template, its outputs or the clients' user data: they read the generated secrets at boot", () => {
    const text = JSON.stringify(s.json);
    // The databases' master passwords are dynamic references, resolved by CloudFormation from the secret.
    for (const type of ["AWS::RDS::DBCluster", "AWS::RDS::DBInstance"]) {
      for (const [, db] of resources(s.json, type)) {
        if (!("MasterUserPassword" in db.Properties)) continue;
        expect(JSON.stringify(db.Properties.MasterUserPassword)).toMatch(
          /^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"[A-Za-z0-9]+"\},":SecretString:password::\}\}"\]\]\}$/,
        );
      }
    }
    // The one URL template is the script's, filled from the secret at boot (jq's \(.password|@uri)).
    const withoutTemplate = text.replaceAll(/\\+\(\.(username|password)\|@uri\)/g, "");
    expect(text).toContain("(.password|@uri)");
    expect(withoutTemplate).not.toMatch(/mysql:\/\/[^$"\s]*:[^@"\s]+@/);
    for (const [, client] of resources(s.json, "AWS::EC2::Instance")) {
      const userData = JSON.stringify(client.Properties.UserData);
      expect(userData).toContain("secretsmanager get-secret-value");
      expect(userData).not.toMatch(/password["']?\s*[:=]/i);
    }
  });

  it("outputs the commands to wait, download, merge, report and destroy", () => {
    const outputs = Object.keys((s.json.Outputs ?? {}) as Record<string, unknown>);
    for (const name of [
      "WaitCommand",
      "DownloadCommand",
      "MergeCommand",
      "ReportCommand",
      "DestroyCommand",
    ]) {
      expect(outputs).toContain(name);
    }
  });
});

describe("the clients' command lines", () => {
  const url = (name: string) => `mysql://bench:pw@${name}.example:3306/sbtest`;
  const values: Record<string, string> = {
    [URL_VARS.aurora]: url("aurora"),
    [URL_VARS.auroraReplica(0)]: url("reader-1"),
    [URL_VARS.auroraReplica(1)]: url("reader-2"),
    [URL_VARS.mysql]: url("mysql"),
    [URL_VARS.mysqlReplica]: url("mysql-replica"),
  };

  /** An argument list as `run` takes it: scenario names, then --flags (repeated ones gathered). */
  function parse(args: string[]): { names: string[]; flags: RawRunFlags } {
    expect(args[0]).toBe("run");
    const names: string[] = [];
    const flags: Record<string, unknown> = {};
    for (let i = 1; i < args.length; i++) {
      const word = args[i] as string;
      if (!word.startsWith("--")) {
        names.push(word);
        continue;
      }
      const key = word.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const value = (values[args[i + 1] as string] ?? (args[i + 1] as string)).replace("$RESULTS", "/tmp/r");
      i++;
      if (key === "replica" || key === "baselineReplica")
        flags[key] = [...((flags[key] as string[]) ?? []), value];
      else flags[key] = value;
    }
    return { names, flags: flags as RawRunFlags };
  }

  it("are accepted by the tool's own flag parser, on scenarios that exist, for every client", () => {
    const params: BenchParams = resolveParams({ replicas: "2", duration: "600s" });
    const catalog = loadCatalog();
    for (let index = 0; index < params.clients; index++) {
      for (const run of clientRuns(params, index)) {
        const { names, flags } = parse(run.args);
        expect(selectScenarios(names, catalog).scenarios.length).toBeGreaterThan(0);
        expect(() => parseRunFlags(flags)).not.toThrow();
      }
    }
  });

  it("split the write claim over every client on each target; client 0 alone runs read, lag and crash", () => {
    const params = resolveParams({ replicas: "2" });
    expect(clientRuns(params, 1).map((r) => r.name)).toEqual(["aurora-write", "mysql-write"]);
    expect(clientRuns(params, 0).map((r) => r.name)).toEqual([
      "aurora-write",
      "mysql-write",
      "read",
      "replica-lag",
      "crash-recovery",
    ]);
    const write = parse(clientRuns(params, 3)[0]?.args ?? []).flags;
    expect(write).toMatchObject({ clients: "4", clientIndex: "3", runId: "aurora-claims-1-aurora" });
    const lag = parse(clientRuns(params, 0)[3]?.args ?? []).flags;
    expect(lag.replica).toEqual([url("reader-1"), url("reader-2")]);
    expect(lag.baselineReplica).toEqual([url("mysql-replica")]);
    // A renamed flag fails here: the parser refuses what it does not know.
    expect(() => parseRunFlags({ ...write, clientIndex: "first" })).toThrow(/--client-index/);
  });

  it("make a user-data script bash accepts (bash -n), every run's exit status kept beside its results", () => {
    const script = clientScript(resolveParams({ replicas: "2" }), 0, {
      region: "us-east-1",
      toolBucket: "tool-bucket",
      toolKey: "tool.zip",
      resultsBucket: "results-bucket",
      auroraSecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:aurora",
      auroraReplicaHosts: ["reader-1.example", "reader-2.example"],
      mysqlSecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:mysql",
      mysqlReplicaHost: "mysql-replica.example",
    });
    const file = join(mkdtempSync(join(tmpdir(), "rb-ud-")), "user-data.sh");
    writeFileSync(file, script);
    expect(spawnSync("bash", ["-n", file], { encoding: "utf8" })).toMatchObject({ status: 0, stderr: "" });
    expect(script.match(/>> "\$RESULTS\/status.txt"/g)).toHaveLength(5);
    expect(script).toContain("trap 'upload; shutdown -h now' EXIT");
  });

  it("are the lines each client's user data runs", () => {
    const s = synth({ clients: "2", baseline: "false", baselineReplica: "false", replicas: "0" });
    const clients = resources(s.json, "AWS::EC2::Instance");
    expect(clients).toHaveLength(2);
    const script = JSON.stringify(clients[1]?.[1].Properties.UserData);
    expect(script).toContain(
      './bin/reinvent-bench.js run aurora-write --target \\"$AURORA_URL\\" --clients 2 --client-index 1 --run-id aurora-claims-1-aurora --out \\"$RESULTS/aurora-write\\"',
    );
    expect(script).not.toContain("MYSQL_URL");
    s.template.resourceCountIs("AWS::RDS::DBCluster", 1);
    expect(resources(s.json, "AWS::RDS::DBInstance")).toHaveLength(1);
  }, 120_000);
});

describe("cdk-nag", () => {
  it("passes with each kept finding acknowledged, and fails the synth without the acknowledgements", () => {
    expect(() => synth({ replicas: "0" })).not.toThrow();
    expect(() => synth({ replicas: "0" }, false)).toThrow(
      /Acknowledge with 'AwsSolutions::AwsSolutions-RDS10'/,
    );
  }, 120_000);
});

describe("parameters", () => {
  it("default to the claims' method and refuse bad values in one line naming the key", () => {
    const p = resolveParams({});
    expect(p).toMatchObject({ region: "us-east-1", availabilityZone: "us-east-1a", clients: 4, replicas: 1 });
    expect(() => resolveParams({ clients: "0" })).toThrow(
      "context clients: '0' is not a whole number from 1 to 16",
    );
    expect(() => resolveParams({ replicas: "16" })).toThrow(
      /^context replicas: '16' is not a whole number from 0 to 15$/,
    );
    expect(() => resolveParams({ region: "ap-south-1" })).toThrow(
      /^context region: 'ap-south-1' is not one of/,
    );
    expect(() => resolveParams({ availabilityZone: "us-west-2a" })).toThrow(/is not a zone of us-east-1/);
    expect(() => resolveParams({ baselineIops: "60000" })).toThrow(/needs at least 1200 GiB of io1 storage/);
    expect(() => resolveParams({ colour: "blue" })).toThrow(/^context colour: not a parameter of this app/);
    expect(resolveParams({ dbInstanceClass: "db.r7g.8xlarge" }).dbInstanceClass).toBe("r7g.8xlarge");
  });
});
