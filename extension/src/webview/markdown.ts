/**
 * Renders the model's markdown to HTML for the explain panel, through markdown-it (CommonMark
 * with GitHub's tables and strikethrough). The model's text is untrusted, and so is the code
 * it quotes (a prompt can be injected through the code it explains): raw HTML is off, so any
 * tag it writes comes out as text; links are shown as text with their address (http and
 * https only; any other scheme stays the literal markdown) and never followed; images are
 * not loaded. Code blocks are highlighted (highlight.ts). A half-streamed document renders
 * too: an open code fence runs to the end. vscode-free.
 */
import MarkdownIt, { type MarkdownIt as Renderer } from "markdown-it";
import { highlightCode, knownLanguage } from "./highlight.js";

export interface RenderOptions {
  /** The language of a code block whose fence names none (the language of the code explained). */
  defaultLanguage?: string;
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

const SAFE_LINK = /^https?:\/\//i;
/** Table cells' alignment as classes: the page's CSP allows no inline style attributes. */
const ALIGN_CLASSES: Readonly<Record<string, string>> = { "text-align:left": "align-left", "text-align:center": "align-center", "text-align:right": "align-right" };

function createRenderer(): Renderer {
  const md = new MarkdownIt("default", { html: false, linkify: false, typographer: false });
  // An image would be a request the page's CSP refuses anyway; `![alt](url)` reads as `!` and a link.
  md.disable("image");
  // markdown-it refuses javascript:, vbscript:, file: and data: already; only web addresses pass here.
  md.validateLink = (url) => SAFE_LINK.test(url.trim());
  const rules = md.renderer.rules;
  rules.link_open = (tokens, idx) => `<span class="link" title="${escapeHtml(String(tokens[idx]?.attrGet("href") ?? ""))}">`;
  rules.link_close = () => "</span>";
  for (const cell of ["th_open", "td_open"] as const) {
    rules[cell] = (tokens, idx) => {
      const token = tokens[idx];
      const align = ALIGN_CLASSES[String(token?.attrGet("style") ?? "")];
      const tag = cell === "th_open" ? "th" : "td";
      return align ? `<${tag} class="${align}">` : `<${tag}>`;
    };
  }
  rules.fence = (tokens, idx, _options, env) => {
    const defaultLanguage = typeof env?.defaultLanguage === "string" ? env.defaultLanguage : "";
    const token = tokens[idx];
    const info = (token?.info ?? "").trim().split(/\s+/)[0] ?? "";
    const language = knownLanguage(info) ?? knownLanguage(info === "" ? defaultLanguage : "");
    // markdown-it keeps the block's last newline; the <pre> would show it as an empty line.
    const code = (token?.content ?? "").replace(/\n$/, "");
    const highlighted = language === null ? null : highlightCode(code, language);
    const label = info !== "" ? info : (language ?? "");
    const attributes = label !== "" ? ` data-language="${escapeHtml(label)}"` : "";
    const codeClass = highlighted !== null ? ` class="hljs language-${escapeHtml(language ?? "")}"` : "";
    return `<pre${attributes}><code${codeClass}>${highlighted ?? escapeHtml(code)}</code></pre>\n`;
  };
  return md;
}

const renderer = createRenderer();

export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  return renderer.render(markdown, { ...options });
}
