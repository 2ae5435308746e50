import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { contextFromArgs } from "../lib/context.js";
import { estimateCost, formatCost, loadPrices } from "../lib/cost.js";
import { ParamError, resolveParams } from "../lib/params.js";

/** `npm run cost [-- -c key=value ...]`: what the stack would cost, before deploying it. */
const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
try {
  const params = resolveParams(contextFromArgs(process.argv.slice(2)));
  const prices = loadPrices(appDir);
  process.stdout.write(`${formatCost(estimateCost(params, prices), prices)}\n`);
} catch (error) {
  if (!(error instanceof ParamError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(2);
}
