/**
 * Workspaces as the daemon sees them: a set of folder URIs, named by a hash so the same
 * folders opened from two windows (or the CLI) share one KV cache.
 */
import { createHash } from "node:crypto";
import type { WorkspaceFolder } from "./protocol.js";

export interface WorkspaceRecord {
  workspaceId: string;
  folders: string[];
  clients: number;
  lastUsed: Date | null;
}

export function workspaceIdFor(folders: readonly WorkspaceFolder[] | null | undefined): string {
  const uris = (folders ?? []).map((f) => f.uri.replace(/\/+$/, "")).sort();
  if (uris.length === 0) return "no-folder";
  return createHash("sha256").update(uris.join("\n")).digest("hex").slice(0, 16);
}

export class WorkspaceRegistry {
  private readonly records = new Map<string, WorkspaceRecord>();

  /** @param onEmpty called when a workspace's last client leaves: what was kept for it goes. */
  constructor(private readonly onEmpty: (workspaceId: string) => void = () => undefined) {}

  join(folders: readonly WorkspaceFolder[] | null | undefined): WorkspaceRecord {
    const workspaceId = workspaceIdFor(folders);
    let record = this.records.get(workspaceId);
    if (!record) {
      record = { workspaceId, folders: (folders ?? []).map((f) => f.uri), clients: 0, lastUsed: null };
      this.records.set(workspaceId, record);
    }
    record.clients++;
    return record;
  }

  leave(workspaceId: string): void {
    const record = this.records.get(workspaceId);
    if (!record) return;
    record.clients = Math.max(0, record.clients - 1);
    if (record.clients > 0) return;
    this.records.delete(workspaceId);
    this.onEmpty(workspaceId);
  }

  touch(workspaceId: string): void {
    const record = this.records.get(workspaceId);
    if (record) record.lastUsed = new Date();
  }

  all(): WorkspaceRecord[] {
    return [...this.records.values()];
  }
}
