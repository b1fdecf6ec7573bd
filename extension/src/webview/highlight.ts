/**
 * Syntax highlighting for the code blocks of an explanation: highlight.js's core with the
 * most common languages registered by hand (about 70 KB of the extension's bundle; the full
 * build would add ~900 KB). A block in another language shows as plain text. The output is
 * HTML with every character of the code escaped and `hljs-*` classes on token spans; media/explain.css
 * colours those classes with the theme's variables. vscode-free.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, c, cpp, csharp, diff, go, java, javascript, json, python, rust, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
/** VS Code's language ids that highlight.js knows by another name (its own aliases cover ts, py, sh, html…). */
hljs.registerAliases(["typescriptreact", "tsx"], { languageName: "typescript" });
hljs.registerAliases(["javascriptreact", "jsx"], { languageName: "javascript" });
hljs.registerAliases(["shellscript", "sh", "zsh", "console"], { languageName: "bash" });
hljs.registerAliases(["jsonc", "json5"], { languageName: "json" });
hljs.registerAliases(["objective-c", "cuda-cpp"], { languageName: "cpp" });
// highlight.js warns on the console for unknown languages; none is asked for here unknown.
hljs.configure({ ignoreUnescapedHTML: true });

/** The name highlight.js knows `language` by (a fence's info word or a VS Code language id), or null. */
export function knownLanguage(language: string): string | null {
  const name = language.trim().toLowerCase();
  if (name === "" || name.length > 64) return null;
  return hljs.getLanguage(name) ? name : null;
}

/**
 * Highlighted blocks, least recently used first. A streamed explanation is rendered whole
 * after every piece of text: its finished blocks come back unchanged each time, and
 * highlighting them again would cost ten times the rest of the render.
 */
const cache = new Map<string, string>();
const CACHE_ENTRIES = 64;

/** `code` as escaped HTML with token spans, or null when the language is not one registered here. */
export function highlightCode(code: string, language: string): string | null {
  const name = knownLanguage(language);
  if (name === null) return null;
  const key = `${name}\n${code}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const html = hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  cache.set(key, html);
  // The entries not used by the last render go first: a streaming block's earlier versions.
  for (const oldest of cache.keys()) {
    if (cache.size <= CACHE_ENTRIES) break;
    cache.delete(oldest);
  }
  return html;
}
