import { type App, Validations } from "aws-cdk-lib";
import nag from "cdk-nag";
import { suppressKnownFindings } from "./nag.js";
import type { BenchParams } from "./params.js";
import { ReinventBenchStack } from "./stack.js";

/**
 * The stack as the app synthesizes it: cdk-nag's AwsSolutions checks over the app, the findings
 * kept on purpose acknowledged (`acknowledge: false` shows what the checks find without them).
 */
export function addCheckedStack(
  app: App,
  params: BenchParams,
  toolDir: string,
  acknowledge = true,
): ReinventBenchStack {
  const stack = new ReinventBenchStack(app, "ReinventBench", {
    params,
    toolDir,
    env: { region: params.region },
    description:
      "reinvent-bench: Aurora MySQL, an RDS MySQL baseline and the client machines that measure them",
  });
  if (acknowledge) suppressKnownFindings(stack, params);
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
