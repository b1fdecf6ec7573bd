import path from "node:path";
import { loadCatalog } from "../../catalog/catalog.js";
import { resolveModelRef } from "../../catalog/model-ref.js";
import { removePulled } from "../../catalog/model-store.js";
import { parseArgs, UsageError } from "../../args.js";
import { homeFrom } from "../common.js";

export const rmHelp = `Usage: hearth rm NAME|hf:USER/REPO[/FILE.gguf]|https://URL [--home DIR]

Deletes a model \`hearth pull\` downloaded (and any partial download of it).
`;

export async function rm(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ["help"], value: ["home"] });
  if (args.flags.has("help")) {
    process.stdout.write(rmHelp);
    return 0;
  }
  const [spec, ...extra] = args.positional;
  if (!spec || extra.length > 0) throw new UsageError("rm takes one NAME, hf: URI or https URL");
  const removed = await removePulled(path.join(homeFrom(args), "models"), resolveModelRef(spec, loadCatalog()));
  for (const file of removed) process.stdout.write(`Removed ${file}\n`);
  return 0;
}
