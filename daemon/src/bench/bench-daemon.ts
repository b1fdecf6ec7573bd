/**
 * A `hearth serve` process the bench starts and owns: on its own home, never idle-stopped,
 * with UV_THREADPOOL_SIZE=1 as the client spawner sets it. Measures what a user waits for
 * at start (process start to listening, then to the model being ready) and stops the
 * daemon the way `hearth stop` does, so a daemon that saves state on stop gets to.
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { openSocket } from "../client/connect.js";
import { HearthClient } from "../client/hearth-client.js";
import { startServeProcess, type ServeProcess } from "../client/serve-process.js";
import type { DiscoveryInfo } from "../discovery.js";
import type { StatusResult } from "../protocol.js";

export interface StartTimes {
  /** Process start to the daemon listening. */
  listeningMs: number;
  /** Listening to the model reported ready. */
  modelLoadMs: number;
  /** Process start to ready. */
  readyMs: number;
}

/** The daemon failed to load the model; the message is its own. */
export class DaemonStartError extends Error {
  readonly code = "HEARTH_ERR_BENCH_DAEMON";
}

export class BenchDaemon {
  private constructor(private readonly serve: ServeProcess) {}

  /** performance.now() when the process was spawned: the start of what a user waits for. */
  get spawnedAt(): number {
    return this.serve.spawnedAt;
  }

  /**
   * Starts `hearth serve` and resolves once it listens (not yet once the model is loaded); a
   * daemon that refuses its options rejects with a DaemonUnavailableError holding its message.
   */
  static async start(options: { entry: string; home: string; serveArgs: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ daemon: BenchDaemon; info: DiscoveryInfo; listeningMs: number }> {
    const started = await startServeProcess({
      entry: options.entry,
      home: options.home,
      args: ["--idle-timeout", "0", ...options.serveArgs],
      env: { ...(options.env ?? process.env), UV_THREADPOOL_SIZE: "1" },
      timeoutMs: options.timeoutMs,
    });
    return { daemon: new BenchDaemon(started), info: started.info, listeningMs: started.listeningMs };
  }

  /** Polls hearth/status until the model is ready; throws the daemon's message if it failed. */
  async waitReady(client: HearthClient, timeoutMs = 30 * 60_000): Promise<StatusResult> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const status = await client.status();
      const state = status.modelState;
      if (state.state === "ready") return status;
      if (state.state === "failed") throw new DaemonStartError(`the daemon could not load the model: ${state.message} ${state.hint}`);
      if (performance.now() > deadline) throw new DaemonStartError(`the model was not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops the daemon as `hearth stop` does (hearth/stopDaemon), then waits for the process to end. */
  async stop(info: DiscoveryInfo, timeoutMs = 60_000): Promise<void> {
    if (this.serve.child.exitCode !== null || this.serve.child.signalCode !== null) return;
    try {
      const client = new HearthClient(await openSocket(info));
      const closed = once(client.socket, "close");
      await client.stopDaemon();
      await closed;
      client.dispose();
    } catch {
      // Already going away: the wait below decides.
    }
    const timer = setTimeout(() => this.serve.child.kill("SIGKILL"), timeoutMs);
    await this.serve.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.serve.child.exitCode === null && this.serve.child.signalCode === null) this.serve.child.kill("SIGKILL");
  }
}

/** Connects a client to a listening daemon and initializes it for a workspace (or none). */
export async function connectBench(info: DiscoveryInfo, folder: { uri: string; name: string } | null): Promise<HearthClient> {
  const client = new HearthClient(await openSocket(info));
  if (folder !== null) await client.initialize([folder], "hearth-bench");
  return client;
}

/** `hearth serve --help`: the options this daemon takes, for feature detection. */
export function serveHelpText(entry: string): string {
  const result = spawnSync(process.execPath, [entry, "serve", "--help"], { encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`\`hearth serve --help\` failed (${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}

export function helpHasOption(help: string, option: string): boolean {
  return new RegExp(`(^|\\s)--${option.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|=|$)`, "m").test(help);
}
