import { type CfnElement, Validations } from "aws-cdk-lib";
import type { BenchParams } from "./params.js";
import type { ReinventBenchStack } from "./stack.js";

/**
 * cdk-nag AwsSolutions findings this stack keeps on purpose, each acknowledged with its reason
 * (CDK's Validations API, cdk-nag 3). A finding not listed here fails the synth (bin/app.ts), so a
 * new one is either fixed or explained.
 */
export function suppressKnownFindings(stack: ReinventBenchStack, params: BenchParams): void {
  for (const finding of KNOWN_FINDINGS) Validations.of(stack).acknowledge(finding);
  // cdk-nag 3 asks for each wildcard of the clients' policy by name: the one left is the run's
  // prefix of the stack's own bucket, which the clients' uploads go under.
  const bucket = stack.getLogicalId(stack.results.node.defaultChild as CfnElement);
  const wildcards: [string, string][] = [
    [`Resource::<${bucket}.Arn>/runs/${params.runId}/*`, "write under this run's prefix only"],
  ];
  for (const [finding, why] of wildcards) {
    Validations.of(stack).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: `Clients ${why}.` });
  }
}

const KNOWN_FINDINGS: { id: string; reason: string }[] = [
  {
    id: "AwsSolutions-SMG4",
    reason:
      "The database secrets live only as long as the benchmark stack (hours); rotation would change the password under a running benchmark.",
  },
  {
    id: "AwsSolutions-S1",
    reason:
      "The results bucket holds benchmark output for the stack's short life and is emptied before it is destroyed; access logs would need a second bucket that outlives it.",
  },
  {
    id: "AwsSolutions-RDS11",
    reason:
      "MySQL's default port: the clients and the tool's examples use it; only the clients' group may reach it.",
  },
  {
    id: "AwsSolutions-RDS10",
    reason: "A benchmark's databases: destroyed with the stack, as the README's destroy command says.",
  },
  {
    id: "AwsSolutions-RDS14",
    reason:
      "Backtrack would add its own write overhead to Aurora's write path, which the write claim measures.",
  },
  {
    id: "AwsSolutions-RDS3",
    reason:
      "Single-AZ on purpose: the paper's MySQL baseline was one instance; Multi-AZ's synchronous standby would change what is measured.",
  },
  {
    id: "AwsSolutions-EC28",
    reason:
      "Detailed monitoring is on; the finding refers to autoscaling-style monitoring the clients do not use.",
  },
  {
    id: "AwsSolutions-EC29",
    reason:
      "The clients stop themselves after uploading their results and are destroyed with the stack; termination protection would block that.",
  },
];
