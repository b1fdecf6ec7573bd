/** The model catalog as data: the built-in one is well-formed, the validator refuses what is not, tiers pick by hardware. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CatalogError, loadCatalog, memoryNeeded, MODEL_ROLES, parseCatalog, recommendTier, type CatalogData, type MachineMemory } from "../../../daemon/src/catalog/catalog.js";
import { DownloadError } from "../../../daemon/src/catalog/download-error.js";
import { huggingFaceEndpoint, resolveModelRef, storeFileName } from "../../../daemon/src/catalog/model-ref.js";
import { BUILT_IN_CATALOG } from "../../../daemon/src/catalog/models-data.js";
import { packageRoot } from "../../../daemon/src/version.js";

const GiB = 1024 ** 3;
const clone = (): { models: Array<Record<string, unknown>>; tiers: Array<Record<string, unknown>> } => JSON.parse(JSON.stringify(BUILT_IN_CATALOG)) as never;

function refused(raw: unknown, message: RegExp): void {
  assert.throws(() => parseCatalog(raw), (error: unknown) => error instanceof CatalogError && message.test(error.message));
}

describe("model catalog", () => {
  const catalog: CatalogData = loadCatalog({});

  it("holds well-formed entries with unique names, every role served, every tier's models present in their roles", () => {
    assert.equal(parseCatalog(BUILT_IN_CATALOG).models.length, BUILT_IN_CATALOG.models.length);
    const names = catalog.models.map((m) => m.name);
    assert.equal(new Set(names).size, names.length);
    for (const role of MODEL_ROLES) assert.ok(catalog.models.some((m) => m.roles.includes(role)), `a ${role} model`);
    for (const tier of catalog.tiers) {
      for (const [role, name] of Object.entries(tier.models)) {
        const model = catalog.models.find((m) => m.name === name);
        assert.ok(model, `${tier.id}: ${name}`);
        assert.ok(model.roles.includes(role as (typeof MODEL_ROLES)[number]), `${tier.id}: ${name} as ${role}`);
      }
    }
    assert.deepEqual(catalog.tiers.map((t) => t.id), ["cpu", "vram-8", "vram-16", "vram-large", "apple"]);
  });

  it("has Qwen2.5-Coder 0.5B/1.5B/3B/7B base Q8_0 for completion, their Instruct twins for chat, the 0.5B as draft, Sweep for next edits", () => {
    for (const size of ["0.5b", "1.5b", "3b", "7b"]) {
      const base = catalog.models.find((m) => m.name === `qwen2.5-coder-${size}`);
      const instruct = catalog.models.find((m) => m.name === `qwen2.5-coder-${size}-instruct`);
      assert.ok(base?.roles.includes("completion") && base.quantization === "Q8_0" && base.format === "fim-qwen", size);
      assert.ok(instruct?.roles.includes("chat") && instruct.format === "chatml", `${size} instruct`);
    }
    const tierDrafts = new Set(catalog.tiers.map((t) => t.models.draft).filter((d) => d !== undefined));
    assert.deepEqual([...tierDrafts], ["qwen2.5-coder-0.5b"]);
    assert.deepEqual(catalog.models.filter((m) => m.roles.includes("nextEdit")).map((m) => m.name), ["sweep-next-edit-0.5b", "sweep-next-edit-1.5b"]);
  });

  it("is described model by model and tier by tier in docs/models.md", () => {
    const doc = readFileSync(path.join(packageRoot(), "docs", "models.md"), "utf8");
    for (const model of catalog.models) assert.match(doc, new RegExp(`^\\| \`${model.name.replace(/\./g, "\\.")}\` \\|`, "m"), model.name);
    for (const tier of catalog.tiers) assert.match(doc, new RegExp(`^\\| \`${tier.id}\` \\|`, "m"), tier.id);
  });

  it("refuses a malformed catalog with what is wrong", () => {
    const duplicate = clone();
    duplicate.models.push({ ...duplicate.models[0]! });
    refused(duplicate, /two models are named "qwen2.5-coder-0.5b"/);
    const missing = clone();
    (missing.tiers[0]!.models as Record<string, string>).chat = "no-such-model";
    refused(missing, /tier "cpu": names a model "no-such-model" the catalog does not hold/);
    const wrongRole = clone();
    (wrongRole.tiers[0]!.models as Record<string, string>).chat = "qwen2.5-coder-1.5b";
    refused(wrongRole, /gives "qwen2.5-coder-1.5b" the role chat, which that model does not list/);
    const badHash = clone();
    badHash.models[0]!.sha256 = "ABC";
    refused(badHash, /sha256 that is not 64 lower-case hex digits/);
    const extraField = clone();
    extraField.models[1]!.md5 = "x";
    refused(extraField, /unknown field "md5"/);
    const badUri = clone();
    badUri.models[1]!.uri = "ftp://example.com/model.gguf";
    refused(badUri, /needs a uri/);
    const badSize = clone();
    badSize.models[1]!.sizeBytes = -1;
    refused(badSize, /needs sizeBytes/);
    refused({ models: "nope" }, /needs a models array/);
  });

  it("recommends llama.vscode's tier for the hardware", () => {
    const machine = (m: Partial<MachineMemory>): MachineMemory => ({ platform: "linux", arch: "x64", ramTotalBytes: 32 * GiB, vramTotalBytes: null, ...m });
    assert.equal(recommendTier(catalog, machine({}))?.id, "cpu");
    assert.equal(recommendTier(catalog, machine({ vramTotalBytes: 6 * GiB }))?.id, "vram-8");
    assert.equal(recommendTier(catalog, machine({ vramTotalBytes: 8 * GiB }))?.id, "vram-8");
    assert.equal(recommendTier(catalog, machine({ vramTotalBytes: 12 * GiB }))?.id, "vram-16");
    assert.equal(recommendTier(catalog, machine({ vramTotalBytes: 24 * GiB }))?.id, "vram-large");
    assert.equal(recommendTier(catalog, machine({ platform: "darwin", arch: "arm64", ramTotalBytes: 32 * GiB }))?.id, "apple");
    assert.equal(recommendTier(catalog, machine({ platform: "darwin", arch: "arm64", ramTotalBytes: 8 * GiB }))?.id, "vram-8");
  });

  it("sizes memory as weights plus the KV cache of the context", () => {
    const model = catalog.models.find((m) => m.name === "qwen2.5-coder-1.5b")!;
    // 28 layers × 2 KV heads × 128 × (K and V) × 2 bytes = 28,672 bytes per token.
    assert.equal(memoryNeeded(model, 4096), model.sizeBytes + 28_672 * 4096);
    assert.equal(memoryNeeded(model, 1 << 20), model.sizeBytes + 28_672 * model.contextLength, "never past the model's context");
  });

  it("adds a team's catalog file (HEARTH_CATALOG) and refuses a broken one", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-catalog-"));
    try {
      const file = path.join(dir, "team.json");
      const teamModel = { ...clone().models[1]!, name: "team-model", uri: "https://models.example.com/team.gguf" };
      writeFileSync(file, JSON.stringify({ models: [teamModel], tiers: [{ id: "team", title: "Team", when: { device: "cpu" }, models: { completion: "team-model" } }] }));
      const merged = loadCatalog({ HEARTH_CATALOG: file });
      assert.ok(merged.models.some((m) => m.name === "team-model"));
      assert.equal(recommendTier(merged, { platform: "linux", arch: "x64", ramTotalBytes: 8 * GiB, vramTotalBytes: null })?.id, "team", "a team's tier comes first");
      writeFileSync(file, JSON.stringify({ models: [{ ...teamModel, name: "qwen2.5-coder-1.5b" }] }));
      assert.throws(() => loadCatalog({ HEARTH_CATALOG: file }), /two models are named "qwen2.5-coder-1.5b"/);
      writeFileSync(file, "{ not json");
      assert.throws(() => loadCatalog({ HEARTH_CATALOG: file }), (e: unknown) => e instanceof CatalogError && /Could not read the catalog file/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("resolves names, hf: URIs and URLs, and refuses what it cannot fetch", () => {
    assert.equal(resolveModelRef("qwen2.5-coder-3b", catalog).uri, "hf:ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF/qwen2.5-coder-3b-q8_0.gguf");
    assert.equal(resolveModelRef("hf:ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF/qwen2.5-coder-3b-q8_0.gguf", catalog).model?.name, "qwen2.5-coder-3b", "a catalog model's URI carries its checks");
    assert.equal(resolveModelRef("hf:someone/Some-GGUF:Q4_K_M", catalog).model, undefined);
    const code = (spec: string): string => {
      try {
        resolveModelRef(spec, catalog);
        return "accepted";
      } catch (error) {
        return error instanceof DownloadError ? error.code : "other";
      }
    };
    assert.equal(code("no-such-model"), "HEARTH_ERR_UNKNOWN_MODEL");
    assert.equal(code("hf:only-a-user"), "HEARTH_ERR_DOWNLOAD_SOURCE");
    assert.equal(code("hf:u/r/../../etc/passwd.gguf"), "HEARTH_ERR_DOWNLOAD_SOURCE");
    assert.equal(code("http://models.example.com/m.gguf"), "HEARTH_ERR_DOWNLOAD_SOURCE", "plain http only to this machine");
    assert.equal(code("http://127.0.0.1:8080/m.gguf"), "accepted");
    assert.equal(code("https://user:pw@example.com/m.gguf"), "HEARTH_ERR_DOWNLOAD_SOURCE");
  });

  it("stores a URI under one file name, the same each time, and honours a valid HF_ENDPOINT only", () => {
    assert.equal(storeFileName("hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF"), "hf_ggml-org_Qwen2.5-Coder-1.5B-Q8_0-GGUF_latest.gguf");
    assert.equal(storeFileName("hf:u/r/sub/m.gguf"), "hf_u_r_m.gguf");
    const url = storeFileName("https://example.com/a/model.gguf");
    assert.match(url, /^url_[0-9a-f]{12}_model\.gguf$/);
    assert.equal(storeFileName("https://example.com/a/model.gguf"), url);
    assert.notEqual(storeFileName("https://example.com/b/model.gguf"), url);
    assert.equal(huggingFaceEndpoint({}), "https://huggingface.co/");
    assert.equal(huggingFaceEndpoint({ HF_ENDPOINT: "https://hf-mirror.example.com" }), "https://hf-mirror.example.com/");
    assert.equal(huggingFaceEndpoint({ MODEL_ENDPOINT: "https://llama-mirror.example.com/hf/" }), "https://llama-mirror.example.com/hf/", "llama.cpp's variable too");
    assert.equal(huggingFaceEndpoint({ HF_ENDPOINT: "https://a.example.com", MODEL_ENDPOINT: "https://b.example.com" }), "https://a.example.com/");
    assert.throws(() => huggingFaceEndpoint({ HF_ENDPOINT: "not a url" }), /HF_ENDPOINT is not a URL/);
    assert.throws(() => huggingFaceEndpoint({ HF_ENDPOINT: "ftp://mirror" }), /http\(s\) base URL/);
  });
});
