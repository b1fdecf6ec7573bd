/** The last requests' metrics, newest last, for hearth/status and the status bar. */
import type { RequestMetrics } from "./protocol.js";

export class MetricsLog {
  private readonly entries: RequestMetrics[] = [];
  private nextId = 1;

  constructor(private readonly capacity = 50) {}

  newRequestId(): number {
    return this.nextId++;
  }

  record(metrics: RequestMetrics): void {
    this.entries.push(metrics);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  recent(): RequestMetrics[] {
    return this.entries.map((m) => ({ ...m }));
  }
}
