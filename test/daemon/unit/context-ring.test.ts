import assert from "node:assert/strict";
import { chunkAround, ContextRing, overlap } from "../../../daemon/src/prompt/context-ring.js";

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;
const chunk = (uri: string, text: string) => ({ uri, name: uri, text });

describe("context-ring", () => {
  it("keeps queued chunks out of prompts until promoted", () => {
    const ring = new ContextRing(words);
    ring.add(chunk("file:///a.ts", "export const a = 1;\nexport const b = 2;"));
    assert.deepEqual(ring.chunksFor("file:///b.ts"), []);
    assert.equal(ring.promote(), true);
    assert.equal(ring.chunksFor("file:///b.ts").length, 1);
    assert.equal(ring.promote(), false, "nothing queued: prompts stay the same");
  });

  it("never offers a document its own chunks", () => {
    const ring = new ContextRing(words);
    ring.add(chunk("file:///a.ts", "const own = true;"));
    ring.promote();
    assert.deepEqual(ring.chunksFor("file:///a.ts"), []);
  });

  it("merges a chunk that mostly repeats another (typing in the same place)", () => {
    const ring = new ContextRing(words);
    const base = Array.from({ length: 20 }, (_, i) => `line number ${i};`).join("\n");
    ring.add(chunk("file:///a.ts", base));
    ring.add(chunk("file:///a.ts", `${base}\nline number 20;`));
    ring.promote();
    assert.equal(ring.size.active, 1);
    assert.match(ring.chunksFor("file:///x.ts")[0]?.text ?? "", /line number 20/);
  });

  it("drops the oldest chunks beyond the token budget", () => {
    const ring = new ContextRing(words, { maxChunks: 16, maxTokens: 10, duplicateThreshold: 0.9 });
    ring.add(chunk("file:///1.ts", "one two three four five"));
    ring.add(chunk("file:///2.ts", "six seven eight nine ten"));
    ring.add(chunk("file:///3.ts", "eleven twelve thirteen fourteen fifteen"));
    ring.promote();
    assert.deepEqual(ring.chunksFor("file:///x.ts").map((c) => c.name), ["file:///2.ts", "file:///3.ts"]);
  });

  it("measures overlap by meaningful lines and cuts chunks around a line", () => {
    assert.equal(overlap("abc\ndef", "def\nabc\nxyz"), 1);
    assert.equal(overlap("abc\nqqq", "abc"), 0.5);
    const text = Array.from({ length: 100 }, (_, i) => `l${i}`).join("\n");
    const around = chunkAround(text, 50, 5).split("\n");
    assert.deepEqual([around[0], around[around.length - 1]], ["l45", "l54"]);
  });
});
