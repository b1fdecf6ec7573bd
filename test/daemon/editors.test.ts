/**
 * Real editors against `hearth lsp --stdio`: Debian's Neovim (0.7, its built-in LSP client,
 * headless) and Emacs 28 with eglot (batch), each getting a completion from a daemon the
 * bridge starts on a generated model. .ci/run installs both from Debian's packages.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyChanges } from "../../daemon/src/documents.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import type { NextEdit } from "../../daemon/src/protocol.js";
import { hearthBin, repoRoot, runCli, tempHome } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

const SOURCE = "function sum(values) {\n  let total = 0;\n  for (const value of values) total += value;\n  return \n}\n";

function which(binary: string): string {
  try {
    return execFileSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`${binary} is not installed: apt-get install neovim emacs-nox elpa-eglot (.ci/run does)`);
  }
}

/** Runs an editor on a fresh project with a fresh daemon home; returns what its script wrote. */
async function runEditor(command: string, args: (file: string) => string[], model: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; log: string }> {
  const home = tempHome();
  const root = path.join(tempHome("hearth-editor-"), "project");
  mkdirSync(root, { recursive: true });
  // A git repository: editors find the project root (project.el, root_dir) from it.
  execFileSync("git", ["init", "-q", root]);
  const file = path.join(root, "sum.js");
  writeFileSync(file, SOURCE);
  const out = path.join(root, "..", "result.txt");
  const child = spawn(command, args(file), {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HEARTH_OUT: out, HEARTH_FILE: file, HEARTH_ROOT: root, HEARTH_HOME: home, HEARTH_BIN: hearthBin, HEARTH_NODE: process.execPath, HEARTH_MODEL: model, ...extraEnv },
  });
  let log = "";
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  let result = "";
  try {
    result = readFileSync(out, "utf8");
  } catch {
    result = "(the editor wrote no result)";
  }
  await runCli(["stop", "--home", home]);
  rmSync(home, { recursive: true, force: true });
  rmSync(path.dirname(root), { recursive: true, force: true });
  return { code, out: result, log };
}

describe("real editors through hearth lsp --stdio", function () {
  this.timeout(180_000);
  let model: string;
  before(async () => {
    model = (await testModels()).target;
  });

  it("Neovim 0.7's built-in LSP client gets a completion item", async () => {
    const nvim = which("nvim");
    const script = path.join(repoRoot, "test", "editors", "neovim-complete.lua");
    const { code, out, log } = await runEditor(nvim, () => ["--headless", "-u", "NONE", "-i", "NONE", "-c", `luafile ${script}`], model);
    assert.match(out, /^OK /, `${out}\n${log.slice(-2000)}`);
    assert.equal(code, 0);
    assert.ok(out.split("\n").slice(1).join("\n").length > 0, "the item inserts text");
  });

  it("Neovim 0.7 running the next-edit snippet of docs/editors.md gets an answer and applies it on <leader>a", async () => {
    const nvim = which("nvim");
    // The snippet as the docs show it: the fenced Lua block of the "Next-edit suggestions" section.
    const docs = readFileSync(path.join(repoRoot, "docs", "editors.md"), "utf8");
    const section = docs.slice(docs.indexOf("## Next-edit suggestions"));
    const snippet = /```lua\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(snippet, "docs/editors.md has the Lua snippet under Next-edit suggestions");
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-snippet-"));
    const snippetFile = path.join(dir, "next-edit.lua");
    writeFileSync(snippetFile, snippet);
    // Qwen2.5-Coder's tokenizer on generated weights: the edits are meaningless, but the daemon's.
    const spec = { ...syntheticPresets["tiny-draft"], name: "hearth-tiny-qwen2.5-coder", vocabSize: 151936, vocabulary: "qwen2.5-coder" as const };
    const nextEditModel = await ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    const script = path.join(repoRoot, "test", "editors", "neovim-next-edit.lua");
    try {
      const { code, out, log } = await runEditor(nvim, () => ["--headless", "-u", "NONE", "-i", "NONE", "-c", `luafile ${script}`], model, { HEARTH_SNIPPET: snippetFile, HEARTH_NEXT_EDIT_MODEL: nextEditModel });
      assert.match(out, /^OK /, `${out}\n${log.slice(-2000)}`);
      assert.equal(code, 0);
      const answer = JSON.parse(out.slice(3)) as { before: string; edits: NextEdit[] | null; marks: number; after: string | null; format: string };
      assert.equal(answer.format, "sweep", "the daemon's next-edit answer reached the snippet");
      assert.match(answer.before, /function sum\(items\)/, "the edit before the request");
      if (answer.edits !== null) {
        assert.ok(answer.marks > 0, "the edits are shown as extmarks");
        const expected = applyChanges(answer.before, [...answer.edits].reverse().map((edit) => ({ range: edit.range, text: edit.newText })));
        // Neovim keeps a buffer's final newline ('eol', 'fixeol') even where an edit's text drops it.
        assert.equal(answer.after, expected.endsWith("\n") ? expected : `${expected}\n`, "<leader>a applied exactly the daemon's edits");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Emacs 28 with eglot gets completion candidates at point", async () => {
    const emacs = which("emacs");
    const script = path.join(repoRoot, "test", "editors", "eglot-complete.el");
    const { code, out, log } = await runEditor(emacs, () => ["--batch", "-l", script], model);
    assert.match(out, /^OK /, `${out}\n${log.slice(-2000)}`);
    assert.equal(code, 0);
  });
});
