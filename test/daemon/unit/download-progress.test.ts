/** A download's progress as a person sees it: a redrawn bar on a terminal, a line per 10% in a log. */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { progressPrinter } from "../../../daemon/src/cli/download-progress.js";

class Recorder extends Writable {
  text = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe("download progress", () => {
  it("writes one plain line per 10% step when the output is not a terminal", () => {
    const out = new Recorder(false);
    let clock = 0;
    const printer = progressPrinter(out, "pull x:", () => clock);
    const total = 10_000_000;
    for (let received = 0; received <= total; received += 250_000) {
      clock += 100;
      printer.update({ receivedBytes: received, totalBytes: total });
    }
    printer.finish();
    const lines = out.text.trimEnd().split("\n");
    assert.deepEqual(lines.map((l) => /(\d+)%/.exec(l)?.[1]), ["0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100"]);
    // 250 kB per 100 ms is 2.5 MB/s; halfway, 5 MB remain: 2 s.
    assert.equal(lines[5], "pull x: 50% (5.0 MB of 10.0 MB, 2.5 MB/s, ETA 2s)");
    assert.ok(!out.text.includes("\r"), "no carriage returns in a log");
  });

  it("redraws one line with a bar, percent, MB/s and ETA on a terminal, and ends it", () => {
    const out = new Recorder(true);
    let clock = 0;
    const printer = progressPrinter(out, "pull x:", () => clock);
    const total = 4_000_000;
    for (let received = 0; received <= total; received += 1_000_000) {
      clock += 1000;
      printer.update({ receivedBytes: received, totalBytes: total });
    }
    printer.finish();
    const frames = out.text.split("\r\x1b[2K").filter(Boolean);
    assert.equal(frames.length, 5);
    assert.equal(frames[2], "pull x: [############............]  50% 2.0 MB of 4.0 MB, 1.0 MB/s, ETA 2s");
    assert.ok(out.text.endsWith("100% 4.0 MB of 4.0 MB, 1.0 MB/s, ETA 0s\n"));
  });
});
