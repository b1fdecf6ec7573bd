import assert from "node:assert/strict";
import { Scheduler, type JobHandle } from "../../../daemon/src/scheduler.js";

describe("scheduler", () => {
  it("runs jobs one at a time in arrival order", async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    let running = 0;
    const job = (name: string) => async () => {
      running++;
      assert.equal(running, 1);
      order.push(name);
      await new Promise((r) => setImmediate(r));
      running--;
      return name;
    };
    const results = await Promise.all([scheduler.submit(null, () => undefined, job("a")), scheduler.submit(null, () => undefined, job("b")), scheduler.submit(null, () => undefined, job("c"))]);
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(order, ["a", "b", "c"]);
  });

  it("supersedes an older job with the same key, queued or running", async () => {
    const scheduler = new Scheduler();
    let first: JobHandle | null = null;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const a = scheduler.submit("doc", (h) => (first = h), async (h) => {
      await gate;
      return h.signal.aborted;
    });
    const b = scheduler.submit("doc", () => undefined, async (h) => h.signal.aborted);
    release();
    assert.equal(await a, true);
    assert.equal(await b, false);
    assert.equal((first as JobHandle | null)?.abortReason, "superseded");
  });

  it("aborts live jobs and refuses new ones once closed", async () => {
    const scheduler = new Scheduler();
    let handle: JobHandle | null = null;
    const running = scheduler.submit(null, (h) => (handle = h), async (h) => {
      // The job may start after close() already aborted it: check before waiting.
      if (!h.signal.aborted) await new Promise((r) => h.signal.addEventListener("abort", r));
      return "aborted";
    });
    await scheduler.close();
    assert.equal(await running, "aborted");
    assert.equal((handle as JobHandle | null)?.abortReason, "shutdown");
    await assert.rejects(scheduler.submit(null, () => undefined, async () => 1), /shutting down/);
  });
});
