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

  it("runs waiting completions before explanations, and background work after both", async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const first = scheduler.submit(null, () => undefined, async () => gate);
    const jobs = [
      scheduler.submit(null, () => undefined, async () => void order.push("explain"), { priority: "other" }),
      scheduler.submit("doc", () => undefined, async () => void order.push("completion"), { priority: "completion" }),
      // Submitted last, so no request arrives after it to preempt it: it waits its turn.
      scheduler.submit(null, () => undefined, async (h) => void order.push(h.signal.aborted ? "background:aborted" : "background"), { background: true }),
    ];
    release();
    await Promise.all([first, ...jobs]);
    assert.deepEqual(order, ["completion", "explain", "background"]);
  });

  it("answers waiting background work at once, aborted as preempted, when a request arrives after it", async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const first = scheduler.submit(null, () => undefined, async () => gate);
    let background: JobHandle | null = null;
    const jobs = [
      scheduler.submit(null, (h) => (background = h), async (h) => void order.push(h.signal.aborted ? "background:aborted" : "background"), { background: true }),
      scheduler.submit(null, () => undefined, async () => void order.push("explain"), { priority: "other" }),
      scheduler.submit("doc", () => undefined, async () => void order.push("completion"), { priority: "completion" }),
    ];
    // Answered while the first job still runs: its work saw the abort (and does nothing in the daemon).
    await jobs[0];
    assert.deepEqual(order, ["background:aborted"]);
    assert.equal((background as JobHandle | null)?.abortReason, "preempted");
    release();
    await Promise.all([first, ...jobs]);
    assert.deepEqual(order, ["background:aborted", "completion", "explain"]);
  });

  it("answers a job cancelled while it waits at once, not after the running job", async () => {
    const scheduler = new Scheduler();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let runningDone = false;
    const running = scheduler.submit(null, () => undefined, async () => {
      await gate;
      runningDone = true;
    });
    let queued: JobHandle | null = null;
    const waiting = scheduler.submit(null, (h) => (queued = h), async (h) => (h.signal.aborted ? "answered-aborted" : "ran"));
    (queued as JobHandle | null)?.abort("cancelled");
    assert.equal(await waiting, "answered-aborted");
    assert.equal(runningDone, false, "the running job is still running");
    release();
    await running;
  });

  it("lets a waiting completion for another document run inside a long job's yield point, when a sequence is free", async () => {
    for (const mayNest of [true, false]) {
      const scheduler = new Scheduler({ mayNest: () => mayNest });
      const order: string[] = [];
      let arrived: () => void = () => undefined;
      const other = new Promise<void>((r) => (arrived = r));
      const long = scheduler.submit("a", () => undefined, async (h) => {
        order.push("long:start");
        await other;
        await h.yield();
        order.push("long:end");
      }, { priority: "completion" });
      const neighbour = scheduler.submit("b", () => undefined, async () => void order.push("neighbour"), { priority: "completion" });
      arrived();
      await Promise.all([long, neighbour]);
      assert.deepEqual(order, mayNest ? ["long:start", "neighbour", "long:end"] : ["long:start", "long:end", "neighbour"], `mayNest ${mayNest}`);
    }
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
