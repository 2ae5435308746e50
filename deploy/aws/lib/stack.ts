import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as rds from "aws-cdk-lib/aws-rds";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Asset } from "aws-cdk-lib/aws-s3-assets";
import type { Construct } from "constructs";
import { clientScript } from "./client-script.js";
import type { BenchParams } from "./params.js";

export interface BenchStackProps extends StackProps {
  params: BenchParams;
  /** A folder holding the tool's sources as the clients build them (bin/stage-tool.ts makes it). */
  toolDir: string;
}

const DB_USER = "bench";
const DATABASE = "sbtest";
/** RDS's generated passwords leave these out: they would need quoting in a URL or a shell. */
const EXCLUDED_PASSWORD_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\";

/**
 * Aurora MySQL (a writer and `replicas` readers), an RDS MySQL baseline on io1 storage with a binlog
 * replica, and `clients` machines in the writer's zone, in a cluster placement group. The clients
 * read the databases' generated secrets, run their share of the claims, upload their results to
 * the stack's bucket and stop.
 */
export class ReinventBenchStack extends Stack {
  readonly clientInstances: ec2.Instance[] = [];
  readonly results: s3.Bucket;

  constructor(scope: Construct, id: string, props: BenchStackProps) {
    super(scope, id, props);
    const p = props.params;

    const vpc = new ec2.Vpc(this, "Vpc", {
      availabilityZones: [p.availabilityZone, p.secondAvailabilityZone],
      // One NAT gateway: the clients fetch Node.js packages and npm modules, nothing reaches them.
      natGateways: 1,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: "clients", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: "databases", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // S3 without the NAT gateway: the tool's bundle down, the results up.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    vpc.addFlowLog("FlowLog", { trafficType: ec2.FlowLogTrafficType.REJECT });

    const clientSg = new ec2.SecurityGroup(this, "ClientSg", {
      vpc,
      description:
        "reinvent-bench clients: no inbound, outbound to the databases, S3, Secrets Manager, package mirrors",
      allowAllOutbound: true,
    });
    const dbSg = new ec2.SecurityGroup(this, "DatabaseSg", {
      vpc,
      description: "reinvent-bench databases: MySQL from the clients only",
      allowAllOutbound: false,
    });
    dbSg.addIngressRule(clientSg, ec2.Port.tcp(3306), "MySQL from the benchmark clients");

    const instanceType = new ec2.InstanceType(p.dbInstanceClass);
    // What every database here shares: the isolated subnets, reached by the clients only; a
    // generated secret; and a benchmark's lifetime, deleted with the stack without a final snapshot.
    const placedInVpc = {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [dbSg],
    };
    const benchmarkDatabase = {
      iamAuthentication: true,
      cloudwatchLogsExports: ["error"],
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    };
    const generatedCredentials = () =>
      rds.Credentials.fromGeneratedSecret(DB_USER, { excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS });

    const aurora = new rds.DatabaseCluster(this, "Aurora", {
      engine: rds.DatabaseClusterEngine.auroraMysql({
        version: rds.AuroraMysqlEngineVersion.of(`8.0.mysql_aurora.${p.auroraVersion}`, "8.0"),
      }),
      credentials: generatedCredentials(),
      defaultDatabaseName: DATABASE,
      writer: rds.ClusterInstance.provisioned("writer", {
        instanceType,
        availabilityZone: p.availabilityZone,
        publiclyAccessible: false,
      }),
      readers: Array.from({ length: p.replicas }, (_, i) =>
        rds.ClusterInstance.provisioned(`reader${i + 1}`, { instanceType, publiclyAccessible: false }),
      ),
      ...placedInVpc,
      ...benchmarkDatabase,
      storageEncrypted: true,
      backup: { retention: Duration.days(1) },
    });

    let baseline: rds.DatabaseInstance | undefined;
    let baselineReplica: rds.DatabaseInstanceReadReplica | undefined;
    if (p.baseline) {
      baseline = new rds.DatabaseInstance(this, "MysqlBaseline", {
        engine: rds.DatabaseInstanceEngine.mysql({
          version: rds.MysqlEngineVersion.of(
            p.baselineVersion,
            p.baselineVersion.split(".").slice(0, 2).join("."),
          ),
        }),
        instanceType,
        credentials: generatedCredentials(),
        databaseName: DATABASE,
        // The paper's MySQL ran on 30K provisioned-IOPS EBS; io1 is RDS's provisioned-IOPS storage.
        storageType: rds.StorageType.IO1,
        iops: p.baselineIops,
        allocatedStorage: p.baselineStorageGb,
        availabilityZone: p.availabilityZone,
        multiAz: false,
        ...placedInVpc,
        ...benchmarkDatabase,
        storageEncrypted: true,
        // Binary logs (and so a read replica) need automated backups on.
        backupRetention: Duration.days(1),
      });
      if (p.baselineReplica) {
        baselineReplica = new rds.DatabaseInstanceReadReplica(this, "MysqlBaselineReplica", {
          sourceDatabaseInstance: baseline,
          instanceType,
          storageType: rds.StorageType.IO1,
          iops: p.baselineIops,
          availabilityZone: p.availabilityZone,
          ...placedInVpc,
          // Encrypted as its source is (RDS takes the source's encryption; it may not be set here).
          ...benchmarkDatabase,
        });
        Validations.of(baselineReplica).acknowledge({
          id: "AwsSolutions-RDS2",
          reason:
            "A read replica is encrypted as its source is; RDS refuses the setting on the replica itself.",
        });
      }
    }

    const results = new s3.Bucket(this, "Results", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.results = results;
    const tool = new Asset(this, "Tool", { path: props.toolDir });

    const role = new iam.Role(this, "ClientRole", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
      description: "reinvent-bench clients: read the database secrets and the tool, write their results",
    });
    aurora.secret?.grantRead(role);
    baseline?.secret?.grantRead(role);
    // Least privilege, narrower than CDK's grants: the one bundle object, and uploads under this
    // run's prefix of the stack's own bucket.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["s3:GetObject"],
        resources: [tool.bucket.arnForObjects(tool.s3ObjectKey)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["s3:PutObject"],
        resources: [results.arnForObjects(`runs/${p.runId}/*`)],
      }),
    );

    const placement = new ec2.PlacementGroup(this, "ClientPlacement", {
      strategy: ec2.PlacementGroupStrategy.CLUSTER,
    });
    const replicaHosts = aurora.instanceEndpoints.slice(1).map((endpoint) => endpoint.hostname);
    for (let index = 0; index < p.clients; index++) {
      const script = clientScript(p, index, {
        region: p.region,
        toolBucket: tool.s3BucketName,
        toolKey: tool.s3ObjectKey,
        resultsBucket: results.bucketName,
        auroraSecretArn: aurora.secret?.secretArn ?? "",
        auroraReplicaHosts: replicaHosts,
        ...(baseline?.secret ? { mysqlSecretArn: baseline.secret.secretArn } : {}),
        ...(baselineReplica ? { mysqlReplicaHost: baselineReplica.dbInstanceEndpointAddress } : {}),
      });
      const client = new ec2.Instance(this, `Client${index}`, {
        vpc,
        vpcSubnets: {
          subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
          availabilityZones: [p.availabilityZone],
        },
        instanceType: new ec2.InstanceType(p.clientInstanceType),
        machineImage: ec2.MachineImage.latestAmazonLinux2023(),
        securityGroup: clientSg,
        role,
        placementGroup: placement,
        requireImdsv2: true,
        detailedMonitoring: true,
        ebsOptimized: true,
        blockDevices: [
          { deviceName: "/dev/xvda", volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true }) },
        ],
        userData: ec2.UserData.custom(script),
      });
      client.node.addDependency(aurora);
      if (baselineReplica) client.node.addDependency(baselineReplica);
      else if (baseline) client.node.addDependency(baseline);
      client.instance.tags.setTag("reinvent-bench:client-index", String(index));
      client.instance.tags.setTag("reinvent-bench:run-id", p.runId);
      this.clientInstances.push(client);
    }

    const ids = this.clientInstances.map((c) => c.instanceId);
    const prefix = `s3://${results.bucketName}/runs/${p.runId}`;
    const folders = (side: string) => this.clientInstances.map((_, i) => `results/client-${i}/${side}-write`);
    const merge = (side: string) =>
      `npx reinvent-bench merge ${folders(side).join(" ")} --out results/${side}-write-merged`;
    new CfnOutput(this, "WaitCommand", {
      description: "Waits until every client has uploaded its results and stopped",
      value: `aws ec2 wait instance-stopped --region ${p.region} --instance-ids ${ids.join(" ")}`,
    });
    new CfnOutput(this, "DownloadCommand", {
      description: "Downloads every client's results",
      value: `aws s3 sync ${prefix} results`,
    });
    new CfnOutput(this, "MergeCommand", {
      description: "Joins the clients' write runs into one result and report",
      value: p.baseline ? `${merge("aurora")} && ${merge("mysql")}` : merge("aurora"),
    });
    new CfnOutput(this, "ReportCommand", {
      description: "Redraws a result's report (client 0 ran the read, lag and crash claims)",
      value: "npx reinvent-bench report results/aurora-write-merged/result.json",
    });
    new CfnOutput(this, "DestroyCommand", {
      description: "Empties the results bucket and deletes everything the stack made",
      value: `aws s3 rm --recursive s3://${results.bucketName} && (cd deploy/aws && npx cdk destroy ${this.stackName})`,
    });
    new CfnOutput(this, "ResultsBucket", { value: results.bucketName });
  }
}
