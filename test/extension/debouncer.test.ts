/**
 * The latest-wins debounce: outcomes only (which waits go through), never how long they took.
 * Real timers with small delays; each wait settles on its own, so there is nothing to sleep on.
 */
import assert from "node:assert/strict";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { AdaptiveDelay, Debouncer, type DebounceOptions } from "../../daemon/src/client/debouncer.js";

const options: DebounceOptions = { baseMs: 5, adaptive: false, minMs: 1, maxMs: 50 };

describe("Debouncer", () => {
  it("lets only the latest of several quick calls through", async () => {
    const debouncer = new Debouncer(options);
    const results = await Promise.all([debouncer.wait(), debouncer.wait(), debouncer.wait()]);
    assert.deepEqual(results, [false, false, true]);
  });

  it("settles an older wait as soon as a newer call arrives", async () => {
    const debouncer = new Debouncer({ ...options, baseMs: 60_000 });
    const first = debouncer.wait();
    const second = debouncer.wait(undefined, { immediate: true });
    assert.equal(await first, false);
    assert.equal(await second, true);
  });

  it("gives up when the caller's token is cancelled", async () => {
    const debouncer = new Debouncer({ ...options, baseMs: 60_000 });
    const source = new CancellationTokenSource();
    const waiting = debouncer.wait(source.token);
    source.cancel();
    assert.equal(await waiting, false);
  });

  it("refuses a token that is already cancelled", async () => {
    const debouncer = new Debouncer(options);
    const source = new CancellationTokenSource();
    source.cancel();
    assert.equal(await debouncer.wait(source.token), false);
  });

  it("lets waits through one after another when they do not overlap", async () => {
    const debouncer = new Debouncer(options);
    assert.equal(await debouncer.wait(), true);
    assert.equal(await debouncer.wait(), true);
  });

  it("settles everything on dispose, and is idempotent", async () => {
    const debouncer = new Debouncer({ ...options, baseMs: 60_000 });
    const waiting = debouncer.wait();
    debouncer.dispose();
    debouncer.dispose();
    assert.equal(await waiting, false);
    assert.equal(await debouncer.wait(), false);
  });
});

describe("AdaptiveDelay", () => {
  const adaptive: DebounceOptions = { baseMs: 120, adaptive: true, minMs: 40, maxMs: 400 };

  it("uses the base delay until it has seen a rhythm", () => {
    const delay = new AdaptiveDelay(adaptive);
    assert.equal(delay.current(), 120);
    delay.record(0);
    assert.equal(delay.current(), 120);
  });

  it("waits a little longer than the gap between keys of a fast typist", () => {
    const delay = new AdaptiveDelay(adaptive);
    for (let t = 0; t <= 1000; t += 100) delay.record(t);
    assert.equal(delay.current(), 125);
  });

  it("stays within its bounds", () => {
    const fast = new AdaptiveDelay(adaptive);
    for (let t = 0; t <= 100; t += 10) fast.record(t);
    assert.equal(fast.current(), 40);
    const slow = new AdaptiveDelay(adaptive);
    for (let t = 0; t <= 9000; t += 900) slow.record(t);
    assert.equal(slow.current(), 400);
  });

  it("ignores pauses longer than a second", () => {
    const delay = new AdaptiveDelay(adaptive);
    delay.record(0);
    delay.record(100);
    delay.record(5000);
    assert.equal(delay.current(), 125);
  });

  it("is the fixed base when not adaptive", () => {
    const delay = new AdaptiveDelay({ ...adaptive, adaptive: false });
    for (let t = 0; t <= 1000; t += 50) delay.record(t);
    assert.equal(delay.current(), 120);
  });
});
