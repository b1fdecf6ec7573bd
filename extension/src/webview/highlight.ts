/**
 * Syntax highlighting for the code blocks of an explanation: highlight.js's core with the
 * languages an explanation most often quotes registered by hand (the full build would add
 * ~900 KB to the extension's bundle for languages it rarely sees). The output is HTML with
 * every character of the code escaped and `hljs-*` classes on token spans; media/explain.css
 * colours those classes with the theme's variables. vscode-free.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown, php, python, ruby, rust, sql, typescript, xml, yaml };
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

/** `code` as escaped HTML with token spans, or null when the language is not one registered here. */
export function highlightCode(code: string, language: string): string | null {
  const name = knownLanguage(language);
  if (name === null) return null;
  return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
}
