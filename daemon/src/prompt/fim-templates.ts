/**
 * Fill-in-the-middle prompt formats per model family, chosen from the model's own special
 * tokens (a vocabulary that has `<fim_prefix>` and `<file_sep>` is StarCoder-style, one with
 * `<｜fim▁begin｜>` DeepSeek-Coder, …), overridable by name. Each renders the same layout the
 * cache needs (everything before the middle's text is stable while the user types), in the
 * family's own tokens, with other files' chunks in the family's way: as repository entries
 * (`<file_sep>path`) where the family was trained on them, else under a comment header in
 * the document's own language (no `//` header in a Python file).
 *
 * Pure and token-agnostic: the engine supplies how to look up a special token and how to
 * tokenize text.
 */
import type { ContextChunk } from "./fim-prompt.js";

export type FimFamilyName = "qwen" | "starcoder" | "deepseek-coder" | "codellama" | "codestral" | "codegemma" | "gguf";

export const FIM_FAMILY_NAMES: readonly FimFamilyName[] = ["qwen", "starcoder", "deepseek-coder", "codellama", "codestral", "codegemma", "gguf"];

export interface FimFamily {
  name: FimFamilyName;
  /** The special tokens' texts; null for "gguf", whose ids come from the GGUF's metadata. */
  prefix: string | null;
  suffix: string | null;
  /** Null where the middle follows the prefix directly (Codestral's suffix-first order). */
  middle: string | null;
  /** psm: prefix, suffix, then the middle; spm: suffix first, then the prefix, which the middle continues. */
  order: "psm" | "spm";
  /** Repository format: each other file is `fileSeparator path\ntext`, then the current file's entry. */
  fileSeparator: string | null;
  repoName: string | null;
}

export const FIM_FAMILIES: Record<FimFamilyName, FimFamily> = {
  qwen: { name: "qwen", prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>", order: "psm", fileSeparator: "<|file_sep|>", repoName: "<|repo_name|>" },
  starcoder: { name: "starcoder", prefix: "<fim_prefix>", suffix: "<fim_suffix>", middle: "<fim_middle>", order: "psm", fileSeparator: "<file_sep>", repoName: "<repo_name>" },
  "deepseek-coder": { name: "deepseek-coder", prefix: "<｜fim▁begin｜>", suffix: "<｜fim▁hole｜>", middle: "<｜fim▁end｜>", order: "psm", fileSeparator: null, repoName: null },
  codellama: { name: "codellama", prefix: "▁<PRE>", suffix: "▁<SUF>", middle: "▁<MID>", order: "psm", fileSeparator: null, repoName: null },
  codestral: { name: "codestral", prefix: "[PREFIX]", suffix: "[SUFFIX]", middle: null, order: "spm", fileSeparator: null, repoName: null },
  codegemma: { name: "codegemma", prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>", order: "psm", fileSeparator: "<|file_separator|>", repoName: null },
  gguf: { name: "gguf", prefix: null, suffix: null, middle: null, order: "psm", fileSeparator: null, repoName: null },
};

/**
 * The family whose tokens the vocabulary has, most specific first; "gguf" (the GGUF's own
 * FIM token ids) when none matches. `isSpecial(text)` tells whether `text` is one token.
 */
export function detectFimFamily(isSpecial: (text: string) => boolean, architecture = ""): FimFamilyName {
  if (isSpecial("<｜fim▁begin｜>")) return "deepseek-coder";
  if (isSpecial("[SUFFIX]") && isSpecial("[PREFIX]")) return "codestral";
  if (isSpecial("▁<PRE>") || isSpecial("<PRE>")) return "codellama";
  if (isSpecial("<|fim_prefix|>")) return isSpecial("<|file_separator|>") || architecture.startsWith("gemma") ? "codegemma" : "qwen";
  if (isSpecial("<fim_prefix>")) return "starcoder";
  return "gguf";
}

/** A family as this vocabulary can render it: repository tokens it lacks are dropped. */
export function usableFamily(family: FimFamily, isSpecial: (text: string) => boolean): FimFamily {
  return {
    ...family,
    fileSeparator: family.fileSeparator !== null && isSpecial(family.fileSeparator) ? family.fileSeparator : null,
    repoName: family.repoName !== null && isSpecial(family.repoName) ? family.repoName : null,
  };
}

const LINE_COMMENT: Record<string, string> = {
  python: "#",
  ruby: "#",
  shellscript: "#",
  perl: "#",
  r: "#",
  yaml: "#",
  toml: "#",
  dockerfile: "#",
  makefile: "#",
  powershell: "#",
  elixir: "#",
  julia: "#",
  lua: "--",
  sql: "--",
  haskell: "--",
  elm: "--",
  ada: "--",
  clojure: ";;",
  lisp: ";;",
  scheme: ";;",
  erlang: "%",
  latex: "%",
  matlab: "%",
  vb: "'",
  bat: "REM",
};

const BLOCK_COMMENT: Record<string, [string, string]> = {
  html: ["<!--", "-->"],
  xml: ["<!--", "-->"],
  markdown: ["<!--", "-->"],
  vue: ["<!--", "-->"],
  svelte: ["<!--", "-->"],
  css: ["/*", "*/"],
};

/** A chunk's header line as a comment in the document's language (`//` where unknown). */
export function commentHeader(languageId: string, name: string): string {
  const block = BLOCK_COMMENT[languageId];
  if (block) return `${block[0]} ${name} ${block[1]}\n`;
  return `${LINE_COMMENT[languageId] ?? "//"} ${name}\n`;
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** Other files' chunks as one text under comment headers: the families without a repository format. */
export function commentedChunks(chunks: readonly ContextChunk[], languageId: string): string {
  return chunks.map((chunk) => `${commentHeader(languageId, chunk.name)}${withNewline(chunk.text)}`).join("");
}

/** One piece of a rendered prompt: a special token (by text, or the GGUF's FIM role) or plain text. */
export type PromptPiece = { special: string } | { fim: "prefix" | "suffix" | "middle" } | { text: string };

export interface FimParts {
  chunks: readonly ContextChunk[];
  above: string;
  suffix: string;
  languageId: string;
  /** The current file's path, for the repository format's entry. */
  fileName: string;
  /** The workspace's name, for the repository format's header. */
  repoName: string;
}

/**
 * The pieces of everything before the middle's text. Text pieces end at special tokens
 * (where tokenizers split anyway), so tokenizing them one by one gives the tokens the whole
 * rendered prompt has.
 */
export function renderHead(family: FimFamily, parts: FimParts): PromptPiece[] {
  const token = (text: string | null, role: "prefix" | "suffix" | "middle"): PromptPiece => (text === null ? { fim: role } : { special: text });
  const pieces: PromptPiece[] = [];
  const text = (value: string): void => {
    if (value !== "") pieces.push({ text: value });
  };
  const repository = family.fileSeparator !== null && parts.chunks.length > 0;
  if (repository) {
    if (family.repoName !== null) {
      pieces.push({ special: family.repoName });
      text(`${parts.repoName}\n`);
    }
    for (const chunk of parts.chunks) {
      pieces.push({ special: family.fileSeparator as string });
      text(`${chunk.name}\n${withNewline(chunk.text)}`);
    }
    pieces.push({ special: family.fileSeparator as string });
    text(`${parts.fileName}\n`);
  }
  const prefixText = `${repository ? "" : commentedChunks(parts.chunks, parts.languageId)}${parts.above}`;
  if (family.order === "spm") {
    pieces.push(token(family.suffix, "suffix"));
    text(parts.suffix);
    pieces.push(token(family.prefix, "prefix"));
    text(prefixText);
    return pieces;
  }
  pieces.push(token(family.prefix, "prefix"));
  text(prefixText);
  pieces.push(token(family.suffix, "suffix"));
  text(parts.suffix);
  if (family.middle !== null || family.name === "gguf") pieces.push(token(family.middle, "middle"));
  return pieces;
}

/** The rendered text of pieces, with special tokens written out: what the family's documentation shows. */
export function renderText(pieces: readonly PromptPiece[], fimTexts: { prefix: string; suffix: string; middle: string } = { prefix: "", suffix: "", middle: "" }): string {
  return pieces.map((p) => ("special" in p ? p.special : "fim" in p ? fimTexts[p.fim] : p.text)).join("");
}
