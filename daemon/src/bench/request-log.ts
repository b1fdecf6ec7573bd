/**
 * The daemon's request log (hearth/status keeps its last 50 requests), read during a replay
 * so the work of cancelled requests is counted too, and a log that rolled over between two
 * reads is said to be incomplete.
 */
import type { HearthClient } from "../client/hearth-client.js";
import type { RequestMetrics } from "../protocol.js";

/** Collects the daemon's request log (its last 50 requests) during a replay, so cancelled requests' work is counted too. */
export class RequestLog {
  private readonly seen = new Map<number, RequestMetrics>();
  private newest: number;
  complete = true;

  private constructor(
    private readonly control: HearthClient,
    private readonly baseline: number,
  ) {
    this.newest = baseline;
  }

  static async start(control: HearthClient): Promise<RequestLog> {
    const status = await control.status();
    return new RequestLog(control, Math.max(0, ...status.recentRequests.map((r) => r.requestId)));
  }

  async poll(): Promise<void> {
    const recent = (await this.control.status()).recentRequests.filter((r) => r.requestId > this.baseline);
    const oldest = Math.min(...recent.map((r) => r.requestId));
    if (recent.length > 0 && oldest > this.newest + 1) this.complete = false;
    for (const r of recent) {
      this.seen.set(r.requestId, r);
      this.newest = Math.max(this.newest, r.requestId);
    }
  }

  get requests(): RequestMetrics[] {
    return [...this.seen.values()].sort((a, b) => a.requestId - b.requestId);
  }
}
