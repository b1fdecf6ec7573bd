import path from "node:path";
import { loadCatalog } from "../../catalog/catalog.js";
import { resolveModelRef } from "../../catalog/model-ref.js";
import { pullModel } from "../../catalog/model-store.js";
import { intFlag, parseArgs, stringFlag, UsageError } from "../../args.js";
import { formatBytes, progressPrinter } from "../download-progress.js";
import { homeFrom } from "../common.js";

export const pullHelp = `Usage: hearth pull NAME|hf:USER/REPO[/FILE.gguf]|https://URL [options]

Downloads a model into Hearth's home (<home>/models/pulled, files 0600), where
\`hearth serve --model NAME\` (or the same hf: URI) finds it offline. A dropped
connection is resumed (HTTP Range), here and by running the same pull again; the
size, and the sha256 where the catalog has one, are checked before the file is kept.

NAME is a catalog model (\`hearth models\` lists them). hf: URIs go to
https://huggingface.co, or to the mirror HF_ENDPOINT names.

Options:
  --sha256 HEX   insist on this sha256 (for a URI the catalog does not describe)
  --size BYTES   insist on this exact size
  --home DIR     Hearth's home (default: HEARTH_HOME, else the user cache folder)
  --json         print the result as JSON, no progress
  --quiet        no progress
`;

export async function pull(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ["help", "json", "quiet"], value: ["home", "sha256", "size"] });
  if (args.flags.has("help")) {
    process.stdout.write(pullHelp);
    return 0;
  }
  const [spec, ...extra] = args.positional;
  if (!spec || extra.length > 0) throw new UsageError("pull takes one NAME, hf: URI or https URL");
  const sha256 = stringFlag(args, "sha256")?.toLowerCase();
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new UsageError("--sha256 must be 64 hex digits");
  const size = args.flags.has("size") ? intFlag(args, "size", 0, 1, Number.MAX_SAFE_INTEGER) : undefined;
  const json = args.flags.has("json");
  const quiet = json || args.flags.has("quiet");
  const ref = resolveModelRef(spec, loadCatalog());
  const printer = quiet ? null : progressPrinter(process.stdout, `hearth pull ${spec}:`);
  const result = await pullModel(ref, {
    modelsDir: path.join(homeFrom(args), "models"),
    ...(sha256 !== undefined ? { sha256 } : {}),
    ...(size !== undefined ? { sizeBytes: size } : {}),
    ...(printer ? { onProgress: (p) => printer.update(p) } : {}),
  }).finally(() => printer?.finish());
  if (json) {
    process.stdout.write(`${JSON.stringify({ spec, uri: ref.uri, name: ref.model?.name ?? null, ...result }, null, 2)}\n`);
  } else if (result.alreadyPulled) {
    process.stdout.write(`${spec} is already downloaded: ${result.path} (${formatBytes(result.bytes)})\n`);
  } else {
    const resumed = result.resumedFrom > 0 ? `, resumed from ${formatBytes(result.resumedFrom)}` : "";
    process.stdout.write(`Saved ${spec} to ${result.path} (${formatBytes(result.bytes)}, sha256 ${result.sha256}${resumed})\n`);
  }
  return 0;
}
