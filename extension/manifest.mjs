// The VS Code extension manifest parts of package.json (main, activation, contributes…),
// kept here and merged in by `node extension/manifest.mjs`: it sets only these keys and
// leaves every other key (dependencies, scripts other than "package", bin…) as it is.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = path.join(root, "package.json");

const explainWhen = "editorTextFocus || editorHasSelection";
const suggestionVisible = "inlineSuggestionVisible && editorTextFocus && !editorReadonly";

export const manifest = {
  displayName: "Hearth",
  publisher: "hearth",
  icon: "media/hearth.png",
  categories: ["Programming Languages", "Machine Learning", "Other"],
  keywords: ["completion", "inline", "local", "llama", "gguf", "private"],
  main: "./dist/extension.cjs",
  // It starts the daemon (Node + native llama.cpp binaries) where the workspace is.
  extensionKind: ["workspace"],
  capabilities: { untrustedWorkspaces: { supported: true }, virtualWorkspaces: false },
  // onWebviewPanel: the explain panel left open comes back after a reload (main.ts's serializer).
  activationEvents: ["onStartupFinished", "onWebviewPanel:hearth.explain"],
  contributes: {
    commands: [
      { command: "hearth.explainSelection", title: "Explain Selection", category: "Hearth", icon: "$(comment-discussion)" },
      { command: "hearth.switchPrecision", title: "Switch Precision", category: "Hearth" },
      { command: "hearth.showStatus", title: "Show Status", category: "Hearth" },
      { command: "hearth.togglePause", title: "Pause/Resume Completions", category: "Hearth" },
      { command: "hearth.restartDaemon", title: "Restart Daemon", category: "Hearth" },
      { command: "hearth.setRemoteApiKey", title: "Set Remote API Key", category: "Hearth" },
      { command: "hearth.openLog", title: "Open Log", category: "Hearth" },
      { command: "hearth.openDaemonLog", title: "Open Daemon Log", category: "Hearth" },
      { command: "hearth.stopExplain", title: "Stop Explaining", category: "Hearth" },
      { command: "hearth.enableLanguage", title: "Turn On Completions for This Language", category: "Hearth" },
      { command: "hearth.acceptWord", title: "Accept Next Word of Suggestion", category: "Hearth" },
      { command: "hearth.acceptLine", title: "Accept Next Line of Suggestion", category: "Hearth" },
    ],
    menus: {
      "editor/context": [{ command: "hearth.explainSelection", when: explainWhen, group: "hearth@1" }],
      commandPalette: [
        { command: "hearth.explainSelection", when: "editorIsOpen" },
        // Not for a server backend, whose precision is the server's (main.ts sets the key).
        { command: "hearth.switchPrecision", when: "hearth.canSwitchPrecision" },
        // Only while an explanation runs (the explain controller sets the key).
        { command: "hearth.stopExplain", when: "hearth.explaining" },
        { command: "hearth.enableLanguage", when: "editorIsOpen" },
        { command: "hearth.acceptWord", when: "inlineSuggestionVisible" },
        { command: "hearth.acceptLine", when: "inlineSuggestionVisible" },
      ],
    },
    keybindings: [
      { command: "hearth.acceptWord", key: "ctrl+right", mac: "cmd+right", when: suggestionVisible },
      { command: "hearth.acceptLine", key: "ctrl+alt+right", mac: "ctrl+cmd+right", when: suggestionVisible },
      { command: "hearth.explainSelection", key: "ctrl+alt+e", mac: "cmd+alt+e", when: "editorTextFocus" },
    ],
    configuration: {
      title: "Hearth",
      properties: {
        "hearth.model.path": {
          type: "string",
          default: "",
          markdownDescription:
            "The model the daemon loads: a `.gguf` file path, an `hf:` URI (downloaded once into the daemon's home, e.g. `hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF`) or `generated:NAME` (a small synthetic test model). Empty: `$HEARTH_MODEL`, else the daemon's default. Takes effect when the daemon restarts.",
          scope: "machine",
        },
        "hearth.model.draft": {
          type: "string",
          default: "",
          markdownDescription: "A smaller model with the same vocabulary for speculative decoding (path or `hf:` URI). Empty: prompt-lookup speculation only. Takes effect when the daemon restarts.",
          scope: "machine",
        },
        "hearth.model.contextSize": {
          type: "integer",
          default: 4096,
          minimum: 256,
          maximum: 1048576,
          markdownDescription: "Context size in tokens of each workspace's KV cache. Bigger sees more of the file but uses more memory. Takes effect when the daemon restarts.",
          scope: "machine",
        },
        "hearth.daemon.memoryBudgetMB": {
          type: "integer",
          default: 0,
          minimum: 0,
          markdownDescription: "Memory the daemon may use for live KV caches, in MB; least recently used workspaces are saved to disk beyond it. `0` lets the daemon decide. Takes effect when the daemon restarts.",
          scope: "machine",
        },
        "hearth.daemon.gpu": {
          type: "string",
          enum: ["auto", "cuda", "vulkan", "metal", "off"],
          default: "auto",
          markdownDescription: "The GPU backend the daemon uses; `off` runs on the CPU. Takes effect when the daemon restarts.",
          scope: "machine",
        },
        "hearth.daemon.home": {
          type: "string",
          default: "",
          markdownDescription: "The daemon's home folder (discovery file, logs, models, saved caches). Empty: `$HEARTH_HOME`, else the user's cache folder. Windows using the same home share one daemon.",
          scope: "machine",
        },
        "hearth.completion.languages": {
          type: "object",
          default: { "*": true, plaintext: false, markdown: false, scminput: false },
          additionalProperties: { type: "boolean" },
          markdownDescription: "Inline completions per language id: `true` on, `false` off; `\"*\"` is the default for languages not listed.",
        },
        "hearth.backend": {
          type: "string",
          default: "local",
          pattern: "^(local|(llama-server|openai)=https?://.+)$",
          markdownDescription:
            "What runs the model: `local` (the daemon loads `hearth.model.path` on this machine), `llama-server=URL` (llama.cpp's server, e.g. `llama-server=http://gpu-box:8080`: Hearth's FIM prompt through `/completion`, one slot per workspace) or `openai=URL` (an OpenAI-compatible server such as vLLM: `/v1/completions`). The key goes in **Hearth: Set Remote API Key** (kept in VS Code's secret storage).",
        },
        "hearth.remote.insecureHttp": {
          type: "boolean",
          default: false,
          markdownDescription: "Allow `hearth.backend` to be plain `http://` to another machine (a network you trust). Off: such a server must be `https://`, so your code and key never cross the network in clear text.",
        },
        "hearth.remote.model": {
          type: "string",
          default: "",
          markdownDescription: "The model to ask an OpenAI-compatible server for; empty for the first it lists.",
        },
        "hearth.model.fimTemplate": {
          type: "string",
          enum: ["auto", "qwen", "starcoder", "deepseek-coder", "codellama", "codestral", "codegemma", "gguf"],
          default: "auto",
          markdownDescription: "The fill-in-the-middle prompt format: `auto` picks it from the model's own special tokens; name a family to override (the daemon refuses one the model's vocabulary can't render).",
        },
        "hearth.context.exclude": {
          type: "array",
          items: { type: "string" },
          default: [".env*", "*.pem", "*.key", "id_*", "*.p12", "*.pfx", ".npmrc", ".netrc", "credentials*"],
          markdownDescription: "Files that never reach the daemon, so they are in no prompt and no saved KV cache: globs matched on the file's path (a pattern without `/` matches the file name). What `#files.exclude#` hides is excluded too.",
        },
        "hearth.completion.debounceMs": {
          type: "integer",
          default: 120,
          minimum: 0,
          maximum: 2000,
          markdownDescription: "How long to wait after a keystroke before asking for a completion; a newer keystroke cancels the wait (and any request in flight).",
        },
        "hearth.completion.adaptiveDebounce": {
          type: "boolean",
          default: true,
          markdownDescription: "Follow your typing rhythm: wait a little longer than your usual gap between keys while you type fast, and only `#hearth.completion.debounceMs#` when you pause.",
        },
        "hearth.completion.maxTokens": {
          type: "integer",
          default: 128,
          minimum: 1,
          maximum: 1024,
          markdownDescription: "The most tokens one inline completion may generate.",
        },
        "hearth.explain.maxTokens": {
          type: "integer",
          default: 512,
          minimum: 1,
          maximum: 4096,
          markdownDescription: "The most tokens one explanation may generate.",
        },
        "hearth.trace.server": {
          type: "string",
          enum: ["off", "messages", "verbose"],
          default: "off",
          markdownDescription: "Log the JSON-RPC traffic with the daemon to the Hearth output channel (for debugging).",
        },
      },
    },
  },
};

const pkg = JSON.parse(readFileSync(file, "utf8"));
Object.assign(pkg, manifest);
pkg.scripts = { ...pkg.scripts, package: "node scripts/package-vsix.mjs" };
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
process.stdout.write(`merged the extension manifest into ${path.relative(process.cwd(), file) || file}\n`);
