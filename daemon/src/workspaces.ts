/**
 * Workspaces as the daemon sees them: a set of folder URIs, named by a hash so the same
 * folders opened from two windows (or the CLI) share one KV cache. The registry holds one
 * Workspace record (workspace.ts) per workspace with a client, and frees it when its last
 * client leaves.
 */
import { createHash } from "node:crypto";
import type { WorkspaceFolder } from "./protocol.js";
import { Workspace, type IdleStats, type WorkspaceServices } from "./workspace.js";

export function workspaceIdFor(folders: readonly WorkspaceFolder[] | null | undefined): string {
  const uris = (folders ?? []).map((f) => f.uri.replace(/\/+$/, "")).sort();
  if (uris.length === 0) return "no-folder";
  return createHash("sha256").update(uris.join("\n")).digest("hex").slice(0, 16);
}

export class WorkspaceRegistry {
  private readonly records = new Map<string, Workspace>();

  constructor(private readonly services: WorkspaceServices) {}

  /** Every workspace's idle passes, for hearth/status. */
  get idleStats(): IdleStats {
    return this.services.stats;
  }

  join(folders: readonly WorkspaceFolder[] | null | undefined): Workspace {
    const id = workspaceIdFor(folders);
    let workspace = this.records.get(id);
    if (!workspace) {
      workspace = new Workspace(id, (folders ?? []).map((f) => f.uri), this.services);
      this.records.set(id, workspace);
    }
    workspace.clients++;
    return workspace;
  }

  /** A client left; the last one's leaving frees the workspace's record. */
  leave(workspace: Workspace): void {
    if (this.records.get(workspace.id) !== workspace) return;
    workspace.clients = Math.max(0, workspace.clients - 1);
    if (workspace.clients > 0) return;
    this.records.delete(workspace.id);
    workspace.dispose();
  }

  all(): Workspace[] {
    return [...this.records.values()];
  }

  /** The daemon stops: no more idle passes (it saves every state itself). */
  cancelIdleWork(): void {
    for (const workspace of this.records.values()) workspace.cancelIdleWork();
  }
}
