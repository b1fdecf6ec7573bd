/** Inline completions and next-edit suggestions take turns at the cursor: the rule without VS Code. */
import assert from "node:assert/strict";
import { CursorTurns, type CursorSpot } from "../../extension/src/next-edit/cursor-turns.js";

const spot = (over: Partial<CursorSpot> = {}): CursorSpot => ({ uri: "file:///a.ts", version: 3, line: 4, character: 7, ...over });

describe("CursorTurns", () => {
  it("holds next edits back while a completion is in flight in the document, and lets them go when it ends with nothing", () => {
    const turns = new CursorTurns();
    let changes = 0;
    turns.onDidChange(() => changes++);
    assert.equal(turns.nextEditMayGo(spot()), true);
    const id = turns.completionStarted("file:///a.ts");
    assert.equal(turns.nextEditMayGo(spot()), false);
    assert.equal(turns.nextEditHeldBy(spot({ line: 9 })), "completion-in-flight", "anywhere in that document");
    assert.equal(turns.nextEditMayGo(spot({ uri: "file:///b.ts" })), true, "another document is free");
    turns.completionEnded(id, null);
    assert.equal(turns.nextEditMayGo(spot()), true);
    assert.equal(changes, 1, "the end is announced, so a waiting next edit asks");
  });

  it("holds next edits back while the completion shows at the cursor; the cursor moving or the text changing frees the spot", () => {
    const turns = new CursorTurns();
    const id = turns.completionStarted("file:///a.ts");
    turns.completionEnded(id, spot());
    assert.equal(turns.nextEditHeldBy(spot()), "completion-shown");
    assert.equal(turns.nextEditMayGo(spot({ character: 8 })), true, "the cursor moved: the ghost text is gone");
    assert.equal(turns.nextEditMayGo(spot({ version: 4 })), true, "accepted or typed past: a newer version");
    // A later request in the document that offers nothing takes the shown one with it.
    const again = turns.completionStarted("file:///a.ts");
    turns.completionEnded(again, null);
    assert.equal(turns.nextEditMayGo(spot()), true);
  });

  it("counts several completions in flight: the spot frees only when the last ends", () => {
    const turns = new CursorTurns();
    const first = turns.completionStarted("file:///a.ts");
    const second = turns.completionStarted("file:///a.ts");
    turns.completionEnded(first, null);
    assert.equal(turns.nextEditMayGo(spot()), false);
    turns.completionEnded(second, null);
    assert.equal(turns.nextEditMayGo(spot()), true);
    turns.completionEnded(second, spot());
    assert.equal(turns.nextEditMayGo(spot()), true, "an id ended twice changes nothing");
  });

  it("keeps the provider's own completions out of a document while a next-edit suggestion shows there", () => {
    const turns = new CursorTurns();
    const id = turns.completionStarted("file:///a.ts");
    turns.completionEnded(id, spot());
    turns.nextEditShown("file:///a.ts");
    assert.equal(turns.completionMayGo("file:///a.ts"), false);
    assert.equal(turns.completionMayGo("file:///b.ts"), true);
    assert.equal(turns.nextEditMayGo(spot()), true, "the suggestion replaced the completion it found");
    turns.nextEditGone();
    assert.equal(turns.completionMayGo("file:///a.ts"), true);
  });

  it("stops telling a listener once it is disposed", () => {
    const turns = new CursorTurns();
    let changes = 0;
    const subscription = turns.onDidChange(() => changes++);
    turns.nextEditShown("file:///a.ts");
    subscription.dispose();
    turns.nextEditGone();
    assert.equal(changes, 1);
  });
});
