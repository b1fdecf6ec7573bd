import assert from "node:assert/strict";
import { EditHistory, revertEvent } from "../../../daemon/src/next-edit/edit-history.js";

const URI = "file:///w/a.ts";

/** A history on a clock the test moves. */
function history(options: { maxEvents?: number; maxBytes?: number } = {}) {
  let now = 0;
  const h = new EditHistory({ now: () => now, ...options });
  let text = Array.from({ length: 60 }, (_, i) => `line ${i}`).join("\n");
  const original = text;
  return {
    h,
    get text() {
      return text;
    },
    original,
    advance(ms: number) {
      now += ms;
    },
    /** Replaces line `line`'s text. */
    setLine(line: number, value: string) {
      const lines = text.split("\n");
      lines[line] = value;
      const next = lines.join("\n");
      h.record(URI, text, next);
      text = next;
    },
    insertLine(line: number, value: string) {
      const lines = text.split("\n");
      lines.splice(line, 0, value);
      const next = lines.join("\n");
      h.record(URI, text, next);
      text = next;
    },
  };
}

describe("next-edit history", () => {
  it("merges keystrokes in the same region within a second into the event in progress", () => {
    const t = history();
    t.setLine(10, "line 10x");
    t.advance(300);
    t.setLine(10, "line 10xy");
    t.advance(300);
    t.setLine(12, "line 12z");
    const events = t.h.events(URI);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]?.oldLines, ["line 10", "line 11", "line 12"]);
    assert.deepEqual(events[0]?.newLines, ["line 10xy", "line 11", "line 12z"]);
    assert.equal(events[0]?.startLine, 10);
    assert.equal(revertEvent(t.text.split("\n"), events[0]!).join("\n"), t.original, "reverting the event gives the text before it");
  });

  it("starts a new event after a pause, or more than 8 lines away", () => {
    const t = history();
    t.setLine(10, "a");
    t.advance(1500);
    t.setLine(10, "ab");
    t.advance(100);
    t.setLine(30, "far");
    t.advance(100);
    t.setLine(19, "nine lines below the first");
    assert.deepEqual(
      t.h.events(URI).map((e) => [e.startLine, e.oldLines, e.newLines]),
      [
        [10, ["line 10"], ["a"]],
        [10, ["a"], ["ab"]],
        [30, ["line 30"], ["far"]],
        [19, ["line 19"], ["nine lines below the first"]],
      ],
    );
  });

  it("follows inserted lines: a new line then typing on it is one event", () => {
    const t = history();
    t.insertLine(5, "");
    t.advance(200);
    t.setLine(5, "const x = 1;");
    const events = t.h.events(URI);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]?.oldLines, []);
    assert.deepEqual(events[0]?.newLines, ["const x = 1;"]);
  });

  it("drops an event typed and taken back", () => {
    const t = history();
    t.setLine(3, "line 3!");
    t.advance(100);
    t.setLine(3, "line 3");
    assert.equal(t.h.events(URI).length, 0);
  });

  it("keeps at most 10 events and a few KB, oldest out first", () => {
    const t = history();
    for (let i = 0; i < 14; i++) {
      t.setLine(i * 4, `edit ${i}`);
      t.advance(2000);
    }
    const events = t.h.events(URI);
    assert.equal(events.length, 10);
    assert.deepEqual(events[0]?.newLines, ["edit 4"]);
    const small = history({ maxBytes: 1000 });
    for (let i = 0; i < 5; i++) {
      small.setLine(i * 10, "x".repeat(300));
      small.advance(2000);
    }
    const kept = small.h.events(URI);
    assert.equal(kept.length, 3, "each event is about 310 bytes: three fit in 1000");
    assert.equal(kept[2]?.startLine, 40);
  });

  it("marks an accepted suggestion as its own event and never merges into it", () => {
    const t = history();
    t.setLine(10, "typed");
    t.advance(100);
    t.h.acceptNext(URI);
    t.setLine(11, "accepted");
    t.advance(100);
    t.setLine(11, "accepted, then typed");
    assert.deepEqual(
      t.h.events(URI).map((e) => [e.accepted, e.newLines]),
      [
        [false, ["typed"]],
        [true, ["accepted"]],
        [false, ["accepted, then typed"]],
      ],
    );
  });

  it("forgets a closed document", () => {
    const t = history();
    t.setLine(1, "x");
    assert.equal(t.h.size, 1);
    t.h.forget(URI);
    assert.equal(t.h.size, 0);
    assert.deepEqual(t.h.events(URI), []);
  });
});
