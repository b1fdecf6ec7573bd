/**
 * A small argument parser: `--name value`, `--name=value`, boolean flags, positionals. The CLI
 * shares it with code the CLI stands on (engine/spec-bench.ts, a script of its own, and the
 * bench's repeated flags), so it lives outside cli/: nothing below the CLI imports from cli/.
 */

export class UsageError extends Error {}

export interface FlagSpec {
  /** Boolean flags take no value. */
  boolean?: readonly string[];
  /** Flags that take a value. */
  value?: readonly string[];
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (spec.boolean?.includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (spec.value?.includes(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positional, flags };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === "string" ? value : undefined;
}

export function intFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const text = stringFlag(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}; got "${text}"`);
  return value;
}

/** `FILE:LINE:COL` with 1-based line and column, as compilers print them. */
export function parseFilePosition(spec: string): { file: string; line: number; column: number } {
  const match = /^(.+):(\d+):(\d+)$/.exec(spec);
  if (!match) throw new UsageError(`expected FILE:LINE:COL (1-based), got "${spec}"`);
  const line = Number(match[2]);
  const column = Number(match[3]);
  if (line < 1 || column < 1) throw new UsageError(`LINE and COL start at 1, got "${spec}"`);
  return { file: match[1] as string, line, column };
}

/** `FILE` or `FILE:START-END` with 1-based inclusive lines. */
export function parseFileRange(spec: string): { file: string; startLine: number | null; endLine: number | null } {
  const match = /^(.+):(\d+)-(\d+)$/.exec(spec);
  if (!match) return { file: spec, startLine: null, endLine: null };
  const startLine = Number(match[2]);
  const endLine = Number(match[3]);
  if (startLine < 1 || endLine < startLine) throw new UsageError(`expected FILE:START-END with 1 <= START <= END, got "${spec}"`);
  return { file: match[1] as string, startLine, endLine };
}
