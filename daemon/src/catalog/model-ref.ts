/**
 * What `hearth pull`, `hearth rm` and `--model` accept, turned into something to fetch: a
 * catalog name, an `hf:` URI or an https URL. `hf:` goes to the Hugging Face endpoint, which
 * HF_ENDPOINT replaces with a mirror, as Hugging Face's own tools and llama.cpp do.
 */
import { createHash } from "node:crypto";
import { findCatalogModel, HF_URI, isHfUri, looksLikeCatalogName, type CatalogData, type CatalogModel } from "./catalog.js";
import { DownloadError } from "./download-error.js";

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co/";

/**
 * The hub to fetch `hf:` URIs from: HF_ENDPOINT when set (validated), else llama.cpp's
 * MODEL_ENDPOINT (which node-llama-cpp honoured before Hearth passed the endpoint itself),
 * else huggingface.co; always ends in "/".
 */
export function huggingFaceEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.HF_ENDPOINT?.trim() || env.MODEL_ENDPOINT?.trim();
  if (!raw) return DEFAULT_HF_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DownloadError("HEARTH_ERR_DOWNLOAD_SOURCE", `HF_ENDPOINT is not a URL: "${raw}".`, "Set HF_ENDPOINT to the mirror's base URL, e.g. https://hf-mirror.example.com, or unset it.");
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
    throw new DownloadError("HEARTH_ERR_DOWNLOAD_SOURCE", `HF_ENDPOINT must be an http(s) base URL without credentials or query: "${raw}".`, "Set HF_ENDPOINT to the mirror's base URL, e.g. https://hf-mirror.example.com.");
  }
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

export interface ModelRef {
  /** What was asked for. */
  spec: string;
  /** `hf:…` or an http(s) URL. */
  uri: string;
  /** The catalog entry, when a catalog name (or a catalog model's exact URI) was given. */
  model?: CatalogModel;
}

export interface HfParts {
  user: string;
  repo: string;
  /** The file inside the repository, when the URI names one. */
  file?: string;
  /** The tag (a quantization such as Q8_0) when the URI has one; "latest" otherwise. */
  tag: string;
}

export function parseHfUri(uri: string): HfParts | null {
  const match = isHfUri(uri) ? HF_URI.exec(uri) : null;
  if (!match) return null;
  const [, user, repo, tag, file] = match as unknown as [string, string, string, string | undefined, string | undefined];
  return { user, repo, ...(file !== undefined ? { file } : {}), tag: tag ?? "latest" };
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Resolves NAME | hf:URI | https URL; refuses anything else with what to type instead. */
export function resolveModelRef(spec: string, catalog: CatalogData): ModelRef {
  if (spec.startsWith("hf:")) {
    if (!parseHfUri(spec)) {
      throw new DownloadError("HEARTH_ERR_DOWNLOAD_SOURCE", `"${spec}" is not an hf: URI Hearth can fetch.`, "Write hf:USER/REPO, hf:USER/REPO:QUANT (e.g. :Q8_0) or hf:USER/REPO/FILE.gguf.");
    }
    const model = catalog.models.find((m) => m.uri === spec);
    return { spec, uri: spec, ...(model ? { model } : {}) };
  }
  if (/^https?:\/\//i.test(spec)) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new DownloadError("HEARTH_ERR_DOWNLOAD_SOURCE", `"${spec}" is not a URL.`, "Give an https:// URL of a .gguf file.");
    }
    if (url.username || url.password) throw new DownloadError("HEARTH_ERR_DOWNLOAD_SOURCE", "A download URL may not carry credentials.", "Remove the user:password@ part.");
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
      throw new DownloadError("HEARTH_ERR_DOWNLOAD_SOURCE", `${url.href} is plain http to another machine: the file could be changed on the way.`, "Use https://, or an hf: URI through an HF_ENDPOINT mirror you trust.");
    }
    const model = catalog.models.find((m) => m.uri === url.href);
    return { spec, uri: url.href, ...(model ? { model } : {}) };
  }
  const model = looksLikeCatalogName(spec) ? findCatalogModel(catalog, spec) : undefined;
  if (!model) {
    throw new DownloadError(
      "HEARTH_ERR_UNKNOWN_MODEL",
      `"${spec}" is no model of the catalog, nor an hf: URI or https URL.`,
      `Run \`hearth models\` for the catalog's names, or give hf:USER/REPO[/FILE.gguf] or an https:// URL.`,
    );
  }
  return { spec, uri: model.uri, model };
}

/** Keeps a file name to safe characters. */
function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
}

/**
 * The file name a pulled model is stored under: derived from its URI alone, so the same URI
 * always lands on (and is found at) the same file, with no index to keep in step.
 */
export function storeFileName(uri: string): string {
  const hf = parseHfUri(uri);
  if (hf) {
    const last = hf.file ? hf.file.split("/").at(-1)! : `${hf.tag}.gguf`;
    return safe(`hf_${hf.user}_${hf.repo}_${last}`).slice(0, 200);
  }
  const url = new URL(uri);
  const base = safe(decodeURIComponent(url.pathname.split("/").at(-1) || "model")).slice(0, 120);
  const key = createHash("sha256").update(url.href).digest("hex").slice(0, 12);
  return `url_${key}_${base.endsWith(".gguf") ? base : `${base}.gguf`}`;
}
