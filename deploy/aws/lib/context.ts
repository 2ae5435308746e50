import { ParamError } from "./params.js";

/** `-c key=value` pairs given after `npm run synth --` or `npm run cost --`. */
export function contextFromArgs(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const pair = arg === "-c" || arg === "--context" ? args[++i] : arg.replace(/^--context=/, "");
    const match = /^([^=]+)=(.*)$/.exec(pair ?? "");
    if (!match) throw new ParamError(`'${arg}': give parameters as -c key=value`);
    context[match[1] as string] = match[2] as string;
  }
  return context;
}
