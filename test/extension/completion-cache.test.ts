/** The client cache: reuse while the user types what was suggested, and nothing else. */
import assert from "node:assert/strict";
import { CompletionCache, type CacheKey } from "../../extension/src/completion/completion-cache.js";

const uri = "file:///w/a.ts";
const prefix = "function area(r: number) {\n  return ";
const suffix = "\n}\n";
const at = (typed: string, over: Partial<CacheKey> = {}): CacheKey => ({ uri, prefix: prefix + typed, offset: prefix.length + typed.length, suffix, ...over });

describe("CompletionCache", () => {
  it("answers with the rest of the suggestion while the user types it", () => {
    const cache = new CompletionCache();
    cache.store(at(""), "Math.PI * r * r;");
    assert.deepEqual(cache.lookup(at("")), { remainder: "Math.PI * r * r;", typed: 0, truncated: false });
    assert.deepEqual(cache.lookup(at("Ma")), { remainder: "th.PI * r * r;", typed: 2, truncated: false });
    assert.deepEqual(cache.lookup(at("Math.PI * r")), { remainder: " * r;", typed: 11, truncated: false });
  });

  it("misses when the user types something else", () => {
    const cache = new CompletionCache();
    cache.store(at(""), "Math.PI * r * r;");
    assert.equal(cache.lookup(at("2 *")), null);
  });

  it("misses once the whole suggestion is typed", () => {
    const cache = new CompletionCache();
    cache.store(at(""), "r;");
    assert.equal(cache.lookup(at("r;")), null);
  });

  it("misses in another document, or when the text before the spot changed", () => {
    const cache = new CompletionCache();
    cache.store(at(""), "Math.PI * r * r;");
    assert.equal(cache.lookup(at("Ma", { uri: "file:///w/b.ts" })), null);
    assert.equal(cache.lookup({ ...at("Ma"), prefix: `// edited\n${prefix}Ma`, offset: prefix.length + 13 }), null);
    assert.equal(cache.lookup({ ...at("Ma"), prefix: prefix.replace("area", "size") + "Ma" }), null);
  });

  it("misses when the text after the cursor changed, but not for an auto-closed bracket", () => {
    const cache = new CompletionCache();
    cache.store(at(""), "Math.max(r, 0);");
    assert.equal(cache.lookup(at("Ma", { suffix: "\n  other();\n}\n" })), null);
    assert.deepEqual(cache.lookup(at("Math.max(", { suffix: `)${suffix}` })), { remainder: "r, 0);", typed: 9, truncated: false });
  });

  it("remembers that a suggestion was cut at its token limit", () => {
    const cache = new CompletionCache();
    cache.store(at(""), "a;\n  b(", true);
    assert.equal(cache.lookup(at("a"))?.truncated, true);
  });

  it("does not keep empty suggestions", () => {
    const cache = new CompletionCache();
    cache.store(at(""), "");
    assert.equal(cache.size, 0);
  });

  it("evicts the least recently used entry beyond its size", () => {
    const cache = new CompletionCache({ maxEntries: 2, prefixWindow: 64, suffixWindow: 16 });
    const key = (n: number): CacheKey => ({ uri, prefix: `line ${n} `, offset: n * 100, suffix: "" });
    cache.store(key(1), "one");
    cache.store(key(2), "two");
    assert.ok(cache.lookup(key(1)), "entry 1 is used, so entry 2 is the oldest");
    cache.store(key(3), "three");
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup(key(2)), null);
    assert.ok(cache.lookup(key(1)));
    assert.ok(cache.lookup(key(3)));
  });

  it("forgets a document and reports its hit rate", () => {
    const cache = new CompletionCache();
    assert.equal(cache.hitRate, null);
    cache.store(at(""), "Math.PI;");
    assert.ok(cache.lookup(at("M")));
    assert.equal(cache.lookup(at("x")), null);
    assert.equal(cache.hitRate, 0.5);
    cache.forget(uri);
    assert.equal(cache.size, 0);
  });
});
