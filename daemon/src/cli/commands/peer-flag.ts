/**
 * `hearth bench --peer VALUE`, for the completion and the next-edit bench alike: either a
 * llama-server to drive as a plain client (`llama-server=URL`) or another Hearth daemon with
 * its own flags (`hearth=FLAGS`), which each bench turns into its own configuration.
 */
import { parseArgs, UsageError, type ParsedArgs } from "../../args.js";

export interface LlamaServerPeer {
  kind: "llama-server";
  label: "llama-server";
  url: string;
}

export function parsePeerFlag<T>(value: string, hearthFlags: readonly string[], hearthConfig: (args: ParsedArgs, label: string) => T): LlamaServerPeer | T {
  const eq = value.indexOf("=");
  const kind = eq === -1 ? value : value.slice(0, eq);
  const rest = eq === -1 ? "" : value.slice(eq + 1).trim();
  if (kind === "llama-server") {
    if (!/^https?:\/\//.test(rest)) throw new UsageError(`--peer llama-server=URL needs an http(s) URL, e.g. llama-server=http://127.0.0.1:8012; got "${rest}"`);
    return { kind: "llama-server", label: "llama-server", url: rest.replace(/\/+$/, "") };
  }
  if (kind === "hearth") {
    const args = parseArgs(rest === "" ? [] : rest.split(/\s+/), { value: hearthFlags });
    if (args.positional.length > 0) throw new UsageError(`--peer hearth=FLAGS takes only flags; got "${args.positional.join(" ")}"`);
    return hearthConfig(args, rest === "" ? "hearth (2)" : `hearth ${rest}`);
  }
  throw new UsageError(`--peer must be llama-server=URL or hearth=FLAGS; got "${value}"`);
}
