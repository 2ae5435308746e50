import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { addCheckedStack } from "../lib/checked-stack.js";
import { contextFromArgs } from "../lib/context.js";
import { costSummary, estimateCost, loadPrices } from "../lib/cost.js";
import { ParamError, resolveParams } from "../lib/params.js";
import { repositoryRoot, stageTool } from "../lib/stage-tool.js";

/**
 * `npm run synth [-- -c key=value ...]` writes the CloudFormation templates into cdk.out, offline;
 * `npx cdk deploy` runs this same file (cdk.json) with the CDK CLI's -c values.
 */
const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");

try {
  const app = new App({
    outdir: process.env.CDK_OUTDIR ?? join(appDir, "cdk.out"),
    context: contextFromArgs(process.argv.slice(2)),
  });
  // CDK's own context keys (feature flags) are not this app's parameters.
  const raw = Object.fromEntries(
    Object.entries(app.node.getAllContext()).filter(
      ([key]) => !key.includes(":") && !key.startsWith("aws-cdk"),
    ),
  );
  const params = resolveParams(raw);
  const prices = loadPrices(appDir);
  process.stderr.write(`${costSummary(estimateCost(params, prices))}\n`);
  const toolDir = stageTool(repositoryRoot(appDir), join(appDir, "cdk.out.tool"));
  addCheckedStack(app, params, toolDir);
  app.synth();
} catch (error) {
  if (error instanceof ParamError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
  // cdk-nag's findings, printed above by CDK: a one-line reason, not a stack trace.
  if (error instanceof Error && /Validation failed/.test(error.message)) {
    process.stderr.write(`error: ${error.message.split("\n")[0]}\n`);
    process.exit(1);
  }
  throw error;
}
