/**
 * Derives a precision variant with llama.cpp's own `llama_model_quantize`, called through
 * FFI (koffi) in the libllama that node-llama-cpp ships, so every llama.cpp type works
 * offline with no extra binary. It runs in a child process (`hearth quantize`): it is CPU
 * heavy and synchronous, and the daemon must keep answering meanwhile.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** llama.cpp's `enum llama_ftype` for the types Hearth offers to derive. */
export const LLAMA_FTYPES: Record<string, number> = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q8_0: 7,
  Q5_0: 8,
  Q5_1: 9,
  Q2_K: 10,
  Q3_K_M: 12,
  Q4_K_S: 14,
  Q4_K_M: 15,
  Q5_K_S: 16,
  Q5_K_M: 17,
  Q6_K: 18,
  BF16: 32,
};

/** The folder of node-llama-cpp's prebuilt binaries for this platform (where libllama lives). */
export function llamaBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const platformPackage = `@node-llama-cpp/${process.platform === "win32" ? "win" : process.platform === "darwin" ? "mac" : process.platform}-${process.arch}`;
  // The package exports only its entry (dist/index.js); its bins/ folder sits beside dist/.
  const entry = require.resolve(platformPackage, { paths: [path.dirname(require.resolve("node-llama-cpp"))] });
  const bins = path.join(path.dirname(path.dirname(entry)), "bins");
  const [dir] = readdirSync(bins);
  if (!dir) throw new Error(`no binaries in ${bins}`);
  return path.join(bins, dir);
}

function libllamaPath(dir: string): string {
  const name = readdirSync(dir).find((f) => /^(lib)?llama(\.v[\d.]+)?\.(so|dylib|dll)$/.test(f));
  if (!name) throw new Error(`libllama not found in ${dir}`);
  return path.join(dir, name);
}

/**
 * Quantizes `input` into `output` as `type` (a key of LLAMA_FTYPES). Synchronous: call it
 * from a worker process. Throws when llama.cpp reports failure.
 */
const ALLOW_REQUANTIZE_OFFSET = 16;

export async function quantizeModelFile(input: string, output: string, type: string, threads: number): Promise<void> {
  const ftype = LLAMA_FTYPES[type];
  if (ftype === undefined) throw new RangeError(`cannot derive ${type}; known types: ${Object.keys(LLAMA_FTYPES).join(", ")}`);
  if (!existsSync(input)) throw new Error(`source model ${input} does not exist`);
  const koffi = (await import("koffi")).default;
  const lib = koffi.load(libllamaPath(llamaBinaryDir()));
  // Only the first two fields are touched; the rest of the struct keeps llama.cpp's defaults.
  // Declared larger than any version's struct: by-value returns of this size go through a
  // caller-provided buffer on every ABI Hearth runs on, so the callee writes only its part.
  const Params = koffi.struct("hearth_llama_model_quantize_params", { nthread: "int32", ftype: "int32", rest: koffi.array("uint8", 504) });
  const backendInit = lib.func("void llama_backend_init()");
  const defaultParams = lib.func("llama_model_quantize_default_params", Params, []);
  const quantize = lib.func("llama_model_quantize", "uint32", ["str", "str", koffi.pointer(Params)]);
  backendInit();
  const params = defaultParams() as { nthread: number; ftype: number; rest: number[] };
  params.nthread = threads;
  params.ftype = ftype;
  // allow_requantize (the bool after four 32-bit fields, offset 16, in every llama.cpp since
  // the field appeared): a Q8_0 file may be made into Q4_0; F16/F32 sources ignore it.
  params.rest[ALLOW_REQUANTIZE_OFFSET - 8] = 1;
  const status = quantize(input, output, params) as number;
  if (status !== 0) throw new Error(`llama_model_quantize failed with status ${status} (${input} → ${type})`);
}
