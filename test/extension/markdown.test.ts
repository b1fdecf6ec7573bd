/** The explain panel's markdown renderer: useful formatting, and no markup from the model's text. */
import assert from "node:assert/strict";
import { escapeHtml, renderInline, renderMarkdown } from "../../extension/src/webview/markdown.js";

describe("renderMarkdown", () => {
  it("escapes every HTML character of the model's text", () => {
    const html = renderMarkdown('<script>alert("x")</script> & <img src=x onerror=alert(1)>');
    assert.ok(!html.includes("<script"), html);
    assert.ok(!html.includes("<img"), html);
    assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img"), html);
  });

  it("keeps markup out of code blocks, code spans and link targets", () => {
    const html = renderMarkdown('```html\n<b onclick="x()">hi</b>\n```\nUse `<div>` and [a](https://x.test/"onmouseover="alert).');
    assert.ok(html.includes('<pre data-language="html"><code>&lt;b onclick=&quot;x()&quot;&gt;hi&lt;/b&gt;</code></pre>'), html);
    assert.ok(html.includes("<code>&lt;div&gt;</code>"), html);
    assert.ok(!/<a\s/.test(html), "links are never followed");
    assert.ok(html.includes('<span class="link" title="https://x.test/&quot;onmouseover=&quot;alert">a</span>'), html);
  });

  it("renders headings, lists, emphasis and quotes", () => {
    const html = renderMarkdown("# Title\n\nSome **bold** and *em* text.\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted");
    assert.equal(
      html,
      ["<h1>Title</h1>", "<p>Some <strong>bold</strong> and <em>em</em> text.</p>", "<ul><li>one</li><li>two</li></ul>", "<ol><li>first</li><li>second</li></ol>", "<blockquote>quoted</blockquote>"].join("\n"),
    );
  });

  it("renders a half-streamed code fence up to the end", () => {
    assert.equal(renderMarkdown("Look:\n```ts\nconst a = 1;"), '<p>Look:</p>\n<pre data-language="ts"><code>const a = 1;</code></pre>');
  });

  it("does not format inside code spans", () => {
    assert.equal(renderInline("`**not bold**` **bold**"), "<code>**not bold**</code> <strong>bold</strong>");
  });

  it("escapes quotes too", () => {
    assert.equal(escapeHtml(`'"<>&`), "&#39;&quot;&lt;&gt;&amp;");
  });
});
