/**
 * The built-in model catalog, as plain data: which model serves which role, where it is
 * downloaded from, and what it costs. catalog.ts validates it when it is loaded (the same
 * check a team's own catalog file goes through), so a wrong entry fails a test, not a user.
 *
 * Every figure comes from the place `source` names. Sizes read from a hub's file listing are
 * rounded there to three significant figures (`sizeExact: false`); a sha256 is written only
 * where the hub's page shows it for that very file. `hf:user/repo` without a file name is
 * resolved through the hub's manifest (as `llama-server -hf` does), so no file name is guessed.
 *
 * Shapes (layers, KV heads, head size) are the Qwen2.5-Coder model cards' figures; they size
 * the KV cache. Sweep's next-edit models are fine-tunes of Qwen2.5-Coder of the same size.
 */
import type { CatalogData } from "./types.js";

const QWEN_CODER_CONTEXT = 32_768;
const SHAPE_0_5B = { layers: 24, kvHeads: 2, headDim: 64 };
const SHAPE_1_5B = { layers: 28, kvHeads: 2, headDim: 128 };
const SHAPE_3B = { layers: 36, kvHeads: 2, headDim: 128 };
const SHAPE_7B = { layers: 28, kvHeads: 4, headDim: 128 };

export const BUILT_IN_CATALOG: CatalogData = {
  models: [
    {
      name: "qwen2.5-coder-0.5b",
      title: "Qwen2.5-Coder 0.5B (base)",
      roles: ["completion", "draft"],
      uri: "hf:ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/qwen2.5-coder-0.5b-q8_0.gguf",
      quantization: "Q8_0",
      parameters: "0.49B",
      sizeBytes: 531_000_000,
      sizeExact: false,
      sha256: "d0f8cd6c49bab52a0abdbe47948518b1f4d9b1a8a2a6825099cea31cea10ac56",
      contextLength: QWEN_CODER_CONTEXT,
      format: "fim-qwen",
      shape: SHAPE_0_5B,
      licence: "Apache-2.0",
      source: "https://huggingface.co/ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/blob/ecdd60b1c25ab158bec6e1ab084aeebf9eae0af4/qwen2.5-coder-0.5b-q8_0.gguf",
    },
    {
      name: "qwen2.5-coder-1.5b",
      title: "Qwen2.5-Coder 1.5B (base)",
      roles: ["completion"],
      uri: "hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf",
      quantization: "Q8_0",
      parameters: "1.54B",
      sizeBytes: 1_650_000_000,
      sizeExact: false,
      contextLength: QWEN_CODER_CONTEXT,
      format: "fim-qwen",
      shape: SHAPE_1_5B,
      licence: "Apache-2.0",
      source: "https://huggingface.co/ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/tree/main (llama.vscode's `--fim-qwen-1.5b-default` preset)",
    },
    {
      name: "qwen2.5-coder-3b",
      title: "Qwen2.5-Coder 3B (base)",
      roles: ["completion"],
      uri: "hf:ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF/qwen2.5-coder-3b-q8_0.gguf",
      quantization: "Q8_0",
      parameters: "3.09B",
      sizeBytes: 3_290_000_000,
      sizeExact: false,
      sha256: "a522a906e299ed34db738b9626b2cd0da9e446c14674468a22fc2eae3dbd344d",
      contextLength: QWEN_CODER_CONTEXT,
      format: "fim-qwen",
      shape: SHAPE_3B,
      licence: "Qwen Research",
      source: "https://huggingface.co/ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF/blob/main/qwen2.5-coder-3b-q8_0.gguf",
    },
    {
      name: "qwen2.5-coder-7b",
      title: "Qwen2.5-Coder 7B (base)",
      roles: ["completion"],
      uri: "hf:ggml-org/Qwen2.5-Coder-7B-Q8_0-GGUF",
      quantization: "Q8_0",
      parameters: "7.61B",
      sizeBytes: 8_100_000_000,
      sizeExact: false,
      contextLength: QWEN_CODER_CONTEXT,
      format: "fim-qwen",
      shape: SHAPE_7B,
      licence: "Apache-2.0",
      source: "llama.vscode src/lists.ts (`--fim-qwen-7b-default`, \"HD: 8.1 GB\")",
    },
    {
      name: "qwen2.5-coder-0.5b-instruct",
      title: "Qwen2.5-Coder 0.5B Instruct",
      roles: ["chat"],
      uri: "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q8_0.gguf",
      quantization: "Q8_0",
      parameters: "0.49B",
      sizeBytes: 676_000_000,
      sizeExact: false,
      sha256: "e1a77721fa97d412f121878223eec81fb4ae6f271e18f922d746711f67b344d1",
      contextLength: QWEN_CODER_CONTEXT,
      format: "chatml",
      shape: SHAPE_0_5B,
      licence: "Apache-2.0",
      source: "https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/blob/main/qwen2.5-coder-0.5b-instruct-q8_0.gguf",
    },
    {
      name: "qwen2.5-coder-1.5b-instruct",
      title: "Qwen2.5-Coder 1.5B Instruct",
      roles: ["chat"],
      uri: "hf:ggml-org/Qwen2.5-Coder-1.5B-Instruct-Q8_0-GGUF/qwen2.5-coder-1.5b-instruct-q8_0.gguf",
      quantization: "Q8_0",
      parameters: "1.54B",
      sizeBytes: 1_650_000_000,
      sizeExact: false,
      contextLength: QWEN_CODER_CONTEXT,
      format: "chatml",
      shape: SHAPE_1_5B,
      licence: "Apache-2.0",
      source: "https://huggingface.co/ggml-org/Qwen2.5-Coder-1.5B-Instruct-Q8_0-GGUF/tree/main",
    },
    {
      name: "qwen2.5-coder-3b-instruct",
      title: "Qwen2.5-Coder 3B Instruct",
      roles: ["chat"],
      uri: "hf:ggml-org/Qwen2.5-Coder-3B-Instruct-Q8_0-GGUF",
      quantization: "Q8_0",
      parameters: "3.09B",
      // The listing of this repository was not read: the base 3B's Q8_0 size (same tensors).
      sizeBytes: 3_290_000_000,
      sizeExact: false,
      contextLength: QWEN_CODER_CONTEXT,
      format: "chatml",
      shape: SHAPE_3B,
      licence: "Qwen Research",
      source: "llama.vscode src/lists.ts (chat preset \"<= 16GB VRAM\"); size of the base 3B Q8_0",
    },
    {
      name: "qwen2.5-coder-7b-instruct",
      title: "Qwen2.5-Coder 7B Instruct",
      roles: ["chat"],
      uri: "hf:ggml-org/Qwen2.5-Coder-7B-Instruct-Q8_0-GGUF",
      quantization: "Q8_0",
      parameters: "7.61B",
      sizeBytes: 8_100_000_000,
      sizeExact: false,
      contextLength: QWEN_CODER_CONTEXT,
      format: "chatml",
      shape: SHAPE_7B,
      licence: "Apache-2.0",
      source: "llama.vscode src/lists.ts (chat preset \"> 16GB VRAM\"); 8.1 GB for qwen2.5-coder-7b-instruct-q8_0.gguf on the hub",
    },
    {
      name: "sweep-next-edit-0.5b",
      title: "Sweep Next-Edit 0.5B",
      roles: ["nextEdit"],
      uri: "hf:sweepai/sweep-next-edit-0.5B",
      quantization: "Q8_0",
      parameters: "0.5B",
      // No GGUF listing was read for this one: the Qwen2.5-Coder 0.5B Q8_0 size (same shape).
      sizeBytes: 531_000_000,
      sizeExact: false,
      contextLength: 8_192,
      format: "next-edit-sweep",
      shape: SHAPE_0_5B,
      licence: "Apache-2.0",
      source: "https://huggingface.co/collections/sweepai/sweep-next-edit (0.5B); size of Qwen2.5-Coder 0.5B Q8_0",
    },
    {
      name: "sweep-next-edit-1.5b",
      title: "Sweep Next-Edit 1.5B",
      roles: ["nextEdit"],
      uri: "hf:sweepai/sweep-next-edit-1.5b-GGUF/sweep-next-edit-1.5b.q8_0.v2.gguf",
      quantization: "Q8_0",
      parameters: "1.5B",
      sizeBytes: 1_500_000_000,
      sizeExact: false,
      contextLength: 8_192,
      format: "next-edit-sweep",
      shape: SHAPE_1_5B,
      licence: "Apache-2.0",
      source: "HF sweepai/sweep-next-edit-1.5b-GGUF (Q8_0 ≈1.5 GB, ctx 8192; blog.sweep.dev/posts/oss-next-edit)",
    },
  ],
  // llama.vscode's presets: 1.5B on a CPU or ≤ 8 GB of VRAM, 3B up to 16 GB, 7B above; chat
  // models are the Instruct twins. The 0.5B base drafts for the larger targets (same vocabulary).
  tiers: [
    {
      id: "cpu",
      title: "CPU only",
      when: { device: "cpu" },
      models: { completion: "qwen2.5-coder-1.5b", chat: "qwen2.5-coder-1.5b-instruct", nextEdit: "sweep-next-edit-0.5b" },
    },
    {
      id: "vram-8",
      title: "GPU, up to 8 GB of VRAM",
      when: { device: "gpu", maxMemoryGiB: 8 },
      models: { completion: "qwen2.5-coder-1.5b", chat: "qwen2.5-coder-1.5b-instruct", nextEdit: "sweep-next-edit-1.5b", draft: "qwen2.5-coder-0.5b" },
    },
    {
      id: "vram-16",
      title: "GPU, up to 16 GB of VRAM",
      when: { device: "gpu", maxMemoryGiB: 16 },
      models: { completion: "qwen2.5-coder-3b", chat: "qwen2.5-coder-3b-instruct", nextEdit: "sweep-next-edit-1.5b", draft: "qwen2.5-coder-0.5b" },
    },
    {
      id: "vram-large",
      title: "GPU, more than 16 GB of VRAM",
      when: { device: "gpu" },
      models: { completion: "qwen2.5-coder-7b", chat: "qwen2.5-coder-7b-instruct", nextEdit: "sweep-next-edit-1.5b", draft: "qwen2.5-coder-0.5b" },
    },
    {
      id: "apple",
      title: "Apple silicon, 16 GB of unified memory or more",
      when: { device: "apple", minMemoryGiB: 16 },
      models: { completion: "qwen2.5-coder-3b", chat: "qwen2.5-coder-3b-instruct", nextEdit: "sweep-next-edit-1.5b", draft: "qwen2.5-coder-0.5b" },
    },
  ],
};
