/** The status bar's figures: latency window, median, rates and shares. */
import assert from "node:assert/strict";
import type { RequestMetrics } from "../../daemon/src/protocol.js";
import { decodeRate, median, RequestStats } from "../../extension/src/stats/request-stats.js";
import { formatBytes, formatMs, formatPercent, formatRate } from "../../extension/src/stats/format.js";

function metrics(over: Partial<RequestMetrics> = {}): RequestMetrics {
  return {
    requestId: 1,
    kind: "completion",
    workspaceId: "w",
    promptTokens: 100,
    reusedTokens: 90,
    evaluatedTokens: 10,
    generatedTokens: 11,
    tokensAfterCancel: 0,
    queueMs: 0,
    prefillMs: 5,
    firstTokenMs: 20,
    decodeMs: 100,
    totalMs: 120,
    stopReason: "eos",
    draftTokens: 0,
    acceptedTokens: 0,
    promptLayout: "held",
    model: "tiny-target",
    finishedAt: "2025-01-01T00:00:00.000Z",
    ...over,
  };
}

describe("RequestStats", () => {
  it("starts empty", () => {
    const s = new RequestStats().snapshot();
    assert.deepEqual(s, { lastLatencyMs: null, medianLatencyMs: null, completions: 0, tokensPerSecond: null, cacheReuse: null, speculativeAcceptance: null, clientCacheHits: 0, nextEdit: { requests: 0, shown: 0, accepted: 0, medianLatencyMs: null, lastLatencyMs: null } });
  });

  it("keeps the last latency and a rolling median over its window", () => {
    const stats = new RequestStats(3);
    for (const ms of [500, 10, 30, 20]) stats.recordCompletion(ms, metrics());
    const s = stats.snapshot();
    assert.equal(s.lastLatencyMs, 20);
    assert.equal(s.medianLatencyMs, 20, "500 left the window of 3");
    assert.equal(s.completions, 4);
  });

  it("reports decode speed, KV reuse and speculative acceptance", () => {
    const stats = new RequestStats();
    stats.recordCompletion(100, metrics({ draftTokens: 10, acceptedTokens: 6 }));
    stats.recordMetrics(metrics({ kind: "explain", promptTokens: 100, reusedTokens: 0, draftTokens: 10, acceptedTokens: 2 }));
    stats.recordClientCacheHit();
    const s = stats.snapshot();
    assert.equal(s.tokensPerSecond, 100);
    assert.equal(s.cacheReuse, 0.45);
    assert.equal(s.speculativeAcceptance, 0.4);
    assert.equal(s.clientCacheHits, 1);
  });

  it("keeps next-edit figures apart from completions': asked, shown, accepted, and the answers' latency over its window", () => {
    const stats = new RequestStats(3);
    for (const ms of [900, 40, 60, 50]) {
      stats.recordNextEditRequest();
      stats.recordNextEditAnswer(ms, metrics({ kind: "nextEdit" }));
    }
    stats.recordNextEditShown();
    stats.recordNextEditAccepted();
    const s = stats.snapshot();
    assert.deepEqual(s.nextEdit, { requests: 4, shown: 1, accepted: 1, medianLatencyMs: 50, lastLatencyMs: 50 });
    assert.equal(s.completions, 0);
    assert.equal(s.lastLatencyMs, null, "the completion latency is not the next edits'");
  });
});

describe("median and decodeRate", () => {
  it("median of odd and even counts", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), null);
  });

  it("has no rate without a first token or with a single token", () => {
    assert.equal(decodeRate(metrics({ firstTokenMs: null })), null);
    assert.equal(decodeRate(metrics({ generatedTokens: 1 })), null);
  });

  it("is the tokens after the first over the decoding time alone, not what came after it", () => {
    // 10 tokens after the first in 100 ms of decoding; the request took longer in all.
    assert.equal(decodeRate(metrics({ generatedTokens: 11, firstTokenMs: 20, decodeMs: 100, totalMs: 400 })), 100);
  });
});

describe("format", () => {
  it("formats bytes, times, shares and rates", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.50 KB");
    assert.equal(formatBytes(1.5 * 1024 ** 3), "1.50 GB");
    assert.equal(formatBytes(150 * 1024 ** 2), "150 MB");
    assert.equal(formatMs(42.4), "42 ms");
    assert.equal(formatMs(1500), "1.5 s");
    assert.equal(formatMs(null), "–");
    assert.equal(formatPercent(0.456), "46%");
    assert.equal(formatRate(12.345), "12.3 tok/s");
    assert.equal(formatRate(250.4), "250 tok/s");
  });
});
