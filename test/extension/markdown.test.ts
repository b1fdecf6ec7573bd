/** The explain panel's markdown renderer: useful formatting, highlighted code, and no markup from the model's text. */
import assert from "node:assert/strict";
import { highlightCode, knownLanguage } from "../../extension/src/webview/highlight.js";
import { escapeHtml, renderMarkdown } from "../../extension/src/webview/markdown.js";

describe("renderMarkdown", () => {
  it("renders a table, its alignment as classes (the page's CSP allows no style attributes)", () => {
    const html = renderMarkdown("| Method | Cost |\n| :--- | ---: |\n| `get` | **O(1)** |\n| <b>x</b> | 2 |");
    assert.match(html, /<table>\s*<thead>\s*<tr>\s*<th class="align-left">Method<\/th>\s*<th class="align-right">Cost<\/th>/);
    assert.match(html, /<td class="align-left"><code>get<\/code><\/td>\s*<td class="align-right"><strong>O\(1\)<\/strong><\/td>/);
    assert.ok(html.includes('<td class="align-left">&lt;b&gt;x&lt;/b&gt;</td>'), html);
    assert.ok(!html.includes("style="), html);
  });

  it("highlights a fenced code block: its tokens in hljs spans, its text escaped", () => {
    const html = renderMarkdown('```ts\nconst tag = "<b>";\nfunction f(n: number) { return n + 1; }\n```');
    assert.match(html, /^<pre data-language="ts"><code class="hljs language-ts">/);
    assert.ok(html.includes('<span class="hljs-keyword">const</span>'), html);
    assert.ok(html.includes('<span class="hljs-string">&quot;&lt;b&gt;&quot;</span>'), html);
    assert.ok(html.includes('<span class="hljs-title function_">f</span>'), html);
    assert.ok(html.includes('<span class="hljs-number">1</span>'), html);
    assert.ok(!html.includes("<b>"), html);
    assert.ok(html.endsWith("; }</code></pre>\n"), "no empty last line in the block");
  });

  it("highlights a fence without a language as the explained code's language, and an unknown one as plain escaped text", () => {
    assert.ok(renderMarkdown("```\ndef f(): pass\n```", { defaultLanguage: "python" }).includes('<span class="hljs-keyword">def</span>'));
    assert.ok(renderMarkdown("```\nconst a = 1;\n```", { defaultLanguage: "typescriptreact" }).includes('<code class="hljs language-typescriptreact"><span class="hljs-keyword">const</span>'));
    assert.equal(renderMarkdown("```cobol-ish\n<x> & y\n```", { defaultLanguage: "python" }), '<pre data-language="cobol-ish"><code>&lt;x&gt; &amp; y</code></pre>\n');
    assert.equal(renderMarkdown("```\n<x>\n```"), "<pre><code>&lt;x&gt;</code></pre>\n");
  });

  it("renders a half-streamed code fence up to the end", () => {
    assert.equal(renderMarkdown("Look:\n```python\nx = 1"), '<p>Look:</p>\n<pre data-language="python"><code class="hljs language-python">x = <span class="hljs-number">1</span></code></pre>\n');
  });

  it("shows inline and block HTML as text, never as markup", () => {
    const html = renderMarkdown('Watch <img src=x onerror=alert(1)> here.\n\n<script>alert("x")</script>\n\n<div onclick="x()">hi</div>');
    assert.ok(!/<(img|script|div)\b/i.test(html), html);
    assert.ok(html.includes("Watch &lt;img src=x onerror=alert(1)&gt; here."), html);
    assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), html);
    assert.ok(html.includes("&lt;div onclick=&quot;x()&quot;&gt;hi&lt;/div&gt;"), html);
  });

  it("makes no link of a javascript: (or any non-web) address; a web address shows as text with its address", () => {
    const html = renderMarkdown("[click](javascript:alert(1)) [data](data:text/html,<b>x</b>) [file](file:///etc/passwd) [ok](https://x.test/a?b=\"c\") <https://x.test/auto>");
    assert.ok(!/<a\b/.test(html), "links are never followed");
    assert.ok(html.includes("[click](javascript:alert(1))"), html);
    assert.ok(html.includes("[data](data:text/html,&lt;b&gt;x&lt;/b&gt;)"), html);
    assert.ok(html.includes("[file](file:///etc/passwd)"), html);
    assert.ok(html.includes('<span class="link" title="https://x.test/a?b=%22c%22">ok</span>'), html);
    assert.ok(html.includes('<span class="link" title="https://x.test/auto">https://x.test/auto</span>'), html);
    assert.equal((html.match(/class="link"/g) ?? []).length, 2, html);
  });

  it("loads no image: `!` and its alt text shown as a link", () => {
    const html = renderMarkdown("![logo](https://x.test/logo.png) ![x](javascript:alert(1))");
    assert.ok(!/<img\b/.test(html), html);
    assert.ok(html.includes('!<span class="link" title="https://x.test/logo.png">logo</span>'), html);
  });

  it("renders headings, lists, emphasis, strikethrough and quotes", () => {
    const html = renderMarkdown("# Title\n\nSome **bold**, *em* and ~~old~~ text.\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted");
    assert.equal(
      html,
      [
        "<h1>Title</h1>",
        "<p>Some <strong>bold</strong>, <em>em</em> and <s>old</s> text.</p>",
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
        "<ol>\n<li>first</li>\n<li>second</li>\n</ol>",
        "<blockquote>\n<p>quoted</p>\n</blockquote>",
        "",
      ].join("\n"),
    );
  });

  it("does not format inside code spans", () => {
    assert.equal(renderMarkdown("`**not bold** <i>` **bold**"), "<p><code>**not bold** &lt;i&gt;</code> <strong>bold</strong></p>\n");
  });

  it("escapes quotes too", () => {
    assert.equal(escapeHtml(`'"<>&`), "&#39;&quot;&lt;&gt;&amp;");
  });
});

describe("highlightCode", () => {
  it("knows the common languages by their fence names and VS Code's language ids, and no others", () => {
    for (const name of ["ts", "typescript", "javascriptreact", "py", "rust", "go", "java", "cpp", "csharp", "shellscript", "json", "yaml", "html", "xml", "diff"]) {
      assert.notEqual(knownLanguage(name), null, name);
    }
    assert.equal(knownLanguage("brainfuck"), null);
    assert.equal(knownLanguage(""), null);
    assert.equal(highlightCode("x", "brainfuck"), null);
  });

  it("gives a block rendered again (as streaming does, after every piece) the same HTML as the first time", () => {
    const blocks = Array.from({ length: 70 }, (_, i) => `\`\`\`python\ndef f${i}(x):\n    return x * ${i}  # "<${i}>"\n\`\`\``);
    const document = blocks.join("\n\n");
    const once = renderMarkdown(document);
    let streamed = "";
    for (let end = 1; end <= document.length; end += 97) streamed = renderMarkdown(document.slice(0, end));
    assert.equal(renderMarkdown(document), once);
    assert.equal(renderMarkdown(document.slice(0, document.length - ((document.length - 1) % 97))), streamed);
    assert.equal((once.match(/<span class="hljs-keyword">def<\/span>/g) ?? []).length, 70);
    for (let i = 0; i < 70; i++) assert.ok(once.includes(`<span class="hljs-title function_">f${i}</span>`) && once.includes(`&quot;&lt;${i}&gt;&quot;`), `block ${i}`);
  });

  it("escapes the code it highlights, whatever the language", () => {
    const html = highlightCode('<img src=x onerror=alert(1)> "&"', "html") ?? "";
    assert.ok(!html.includes("<img"), html);
    assert.ok(html.includes("&lt;"), html);
  });
});
