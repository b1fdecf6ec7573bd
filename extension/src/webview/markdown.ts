/**
 * Renders the model's markdown to HTML for the explain panel. The model's text is untrusted:
 * every character of it is HTML-escaped first and only fixed tags are added around it, so no
 * markup the model writes (or a prompt injected through the code it explains) can reach the
 * DOM as markup. Links are shown as text with their address, never followed. It renders a
 * half-streamed document too (an open code fence runs to the end). vscode-free.
 */

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** Inline markup on one line of already-split text: code spans first, so nothing inside them is formatted. */
export function renderInline(text: string): string {
  const parts = text.split(/(`[^`\n]+`)/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part)
        .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
        .replace(/__([^_\n]+)__/g, "<strong>$1</strong>")
        .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, "$1<em>$2</em>")
        .replace(/(^|[^_\w])_([^_\n]+)_(?!\w)/g, "$1<em>$2</em>")
        .replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, '<span class="link" title="$2">$1</span>');
    })
    .join("");
}

type Block =
  | { kind: "code"; language: string; lines: string[] }
  | { kind: "heading"; level: number; text: string }
  | { kind: "list"; ordered: boolean; items: string[] }
  | { kind: "quote"; lines: string[] }
  | { kind: "paragraph"; lines: string[] };

function parseBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    const fence = /^\s*(```|~~~)\s*([\w+#.-]*)/.exec(line);
    if (fence) {
      const code: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? "").trimStart().startsWith(fence[1] ?? "```")) code.push(lines[i++] ?? "");
      i++;
      blocks.push({ kind: "code", language: fence[2] ?? "", lines: code });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push({ kind: "heading", level: heading[1]?.length ?? 1, text: heading[2] ?? "" });
      i++;
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1] ?? "");
      const items: string[] = [];
      while (i < lines.length) {
        const m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i] ?? "");
        if (!m || /\d/.test(m[1] ?? "") !== ordered) break;
        items.push(m[2] ?? "");
        i++;
      }
      blocks.push({ kind: "list", ordered, items });
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i] ?? "")) quoted.push((lines[i++] ?? "").replace(/^\s*>\s?/, ""));
      blocks.push({ kind: "quote", lines: quoted });
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length) {
      const next = lines[i] ?? "";
      if (next.trim() === "" || /^\s*(```|~~~)/.test(next) || /^#{1,6}\s/.test(next) || /^\s*([-*+]|\d+[.)])\s+/.test(next) || /^\s*>/.test(next)) break;
      paragraph.push(next);
      i++;
    }
    blocks.push({ kind: "paragraph", lines: paragraph });
  }
  return blocks;
}

export function renderMarkdown(markdown: string): string {
  return parseBlocks(markdown)
    .map((block) => {
      switch (block.kind) {
        case "code": {
          const language = block.language ? ` data-language="${escapeHtml(block.language)}"` : "";
          return `<pre${language}><code>${escapeHtml(block.lines.join("\n"))}</code></pre>`;
        }
        case "heading":
          return `<h${block.level}>${renderInline(block.text)}</h${block.level}>`;
        case "list": {
          const tag = block.ordered ? "ol" : "ul";
          return `<${tag}>${block.items.map((item) => `<li>${renderInline(item)}</li>`).join("")}</${tag}>`;
        }
        case "quote":
          return `<blockquote>${block.lines.map(renderInline).join("<br>")}</blockquote>`;
        case "paragraph":
          return `<p>${block.lines.map(renderInline).join("\n")}</p>`;
      }
    })
    .join("\n");
}
