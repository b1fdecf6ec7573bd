/** The catalog's shape: shared by the built-in data (models-data.ts) and its validator (catalog.ts). */
export const MODEL_ROLES = ["completion", "chat", "nextEdit", "draft"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** The prompt format a model was trained on. */
export const MODEL_FORMATS = ["fim-qwen", "chatml", "next-edit-sweep"] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

export interface ModelShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

export interface CatalogModel {
  /** What users type: `hearth pull qwen2.5-coder-1.5b`, `--model qwen2.5-coder-1.5b`. */
  name: string;
  title: string;
  roles: ModelRole[];
  /** `hf:user/repo[/file.gguf]` or an https URL. */
  uri: string;
  quantization: string;
  parameters: string;
  sizeBytes: number;
  /** False when the size was read rounded (a hub's listing): then it is checked within that rounding. */
  sizeExact: boolean;
  sha256?: string;
  contextLength: number;
  format: ModelFormat;
  shape: ModelShape;
  licence: string;
  /** Where the figures come from. */
  source: string;
}

export type TierDevice = "cpu" | "gpu" | "apple";

export interface CatalogTier {
  id: string;
  title: string;
  /** gpu: the first gpu tier whose maxMemoryGiB holds the VRAM (none: no upper bound); apple: unified memory of at least minMemoryGiB. */
  when: { device: TierDevice; maxMemoryGiB?: number; minMemoryGiB?: number };
  models: Partial<Record<ModelRole, string>>;
}

export interface CatalogData {
  models: CatalogModel[];
  tiers: CatalogTier[];
}
