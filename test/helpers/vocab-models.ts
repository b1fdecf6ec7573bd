/**
 * Real tokenizers for token-exact tests: the vocabulary-only GGUFs in the llama.cpp source
 * that node-llama-cpp ships as a git bundle. Extracted into .cache/llama.cpp on first use,
 * never committed, never downloaded.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./daemon-process.js";

const bundle = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
const checkout = path.join(repoRoot, ".cache", "llama.cpp");

/** The path of models/ggml-vocab-NAME.gguf, checked out of the bundle when missing. */
export function vocabModel(name: string): string {
  const relative = path.join("models", `ggml-vocab-${name}.gguf`);
  const file = path.join(checkout, relative);
  if (existsSync(file)) return file;
  if (!existsSync(path.join(checkout, ".git"))) execFileSync("git", ["clone", "--quiet", "--no-checkout", bundle, checkout], { stdio: "ignore" });
  execFileSync("git", ["-C", checkout, "checkout", "--quiet", "HEAD", "--", relative], { stdio: "ignore" });
  return file;
}
