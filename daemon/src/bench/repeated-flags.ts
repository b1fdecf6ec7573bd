/**
 * Flags that may be given more than once (`--trace A --trace B`, `--peer …`). The CLI's
 * parser keeps the last value of a flag, so these are taken out of argv first.
 */
import { UsageError } from "../args.js";

export function takeRepeated(argv: readonly string[], names: readonly string[]): { rest: string[]; values: Map<string, string[]> } {
  const rest: string[] = [];
  const values = new Map<string, string[]>(names.map((n) => [n, []]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? (eq === -1 ? arg.slice(2) : arg.slice(2, eq)) : null;
    const list = name === null ? undefined : values.get(name);
    if (list === undefined) {
      rest.push(arg);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    list.push(value);
  }
  return { rest, values };
}
