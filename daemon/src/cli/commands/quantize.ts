import { defaultThreadCount, LLAMA_FTYPES, quantizeModelFile } from "../../backends.js";
import { intFlag, parseArgs, UsageError } from "../../args.js";

export const quantizeHelp = `Usage: hearth quantize INPUT.gguf OUTPUT.gguf TYPE [--threads N]

Derives a precision variant with llama.cpp's llama_model_quantize (the daemon runs this
itself when you switch to a derived variant). TYPE: ${Object.keys(LLAMA_FTYPES).join(", ")}.
`;

export async function quantize(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ["help"], value: ["threads"] });
  if (args.flags.has("help")) {
    process.stdout.write(quantizeHelp);
    return 0;
  }
  const [input, output, type] = args.positional;
  if (!input || !output || !type || args.positional.length !== 3) throw new UsageError("quantize takes INPUT OUTPUT TYPE");
  if (!(type in LLAMA_FTYPES)) throw new UsageError(`unknown TYPE ${type}`);
  await quantizeModelFile(input, output, type, intFlag(args, "threads", defaultThreadCount(), 1, 1024));
  return 0;
}
