/**
 * A `hearth serve` process the bench starts and owns: on its own home, never idle-stopped,
 * with UV_THREADPOOL_SIZE=1 as the client spawner sets it. Measures what a user waits for
 * at start (process start to listening, then to the model being ready) and stops the
 * daemon the way `hearth stop` does, so a daemon that saves state on stop gets to.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { openSocket } from "../client/connect.js";
import { HearthClient } from "../client/hearth-client.js";
import { readDiscovery, type DiscoveryInfo } from "../discovery.js";
import type { StatusResult } from "../protocol.js";

export interface StartTimes {
  /** Process start to the daemon listening. */
  listeningMs: number;
  /** Listening to the model reported ready. */
  modelLoadMs: number;
  /** Process start to ready. */
  readyMs: number;
}

/** The daemon refused its options or failed to load the model; the message is its own. */
export class DaemonStartError extends Error {
  readonly code = "HEARTH_ERR_BENCH_DAEMON";
}

const STDERR_KEEP = 16_384;

export class BenchDaemon {
  private stderrText = "";
  readonly exited: Promise<number | null>;

  private constructor(
    readonly home: string,
    readonly child: ChildProcess,
    readonly spawnedAt: number,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString()).slice(-STDERR_KEEP);
    });
    this.exited = once(child, "exit").then(([code]) => code as number | null);
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Starts `hearth serve` and resolves once it listens (not yet once the model is loaded). */
  static async start(options: { entry: string; home: string; serveArgs: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ daemon: BenchDaemon; info: DiscoveryInfo; listeningMs: number }> {
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [options.entry, "serve", "--home", options.home, "--idle-timeout", "0", ...options.serveArgs], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...(options.env ?? process.env), UV_THREADPOOL_SIZE: "1" },
    });
    const daemon = new BenchDaemon(options.home, child, spawnedAt);
    const lines = createInterface({ input: child.stdout! });
    const timeoutMs = options.timeoutMs ?? 120_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new DaemonStartError(`hearth serve did not listen within ${timeoutMs} ms: ${lastLine(daemon.stderr)}`)), timeoutMs);
        lines.on("line", (line) => {
          if (line.includes('"listening"')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void daemon.exited.then((code) => {
          clearTimeout(timer);
          reject(new DaemonStartError(`hearth serve exited with code ${code} before listening: ${lastLine(daemon.stderr)}`));
        });
      });
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
    const listeningMs = performance.now() - spawnedAt;
    const info = readDiscovery(options.home);
    if (info === null) throw new DaemonStartError(`hearth serve listens but wrote no daemon.json in ${options.home}`);
    return { daemon, info, listeningMs };
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
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      const client = new HearthClient(await openSocket(info));
      const closed = once(client.socket, "close");
      await client.stopDaemon();
      await closed;
      client.dispose();
    } catch {
      // Already going away: the wait below decides.
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1] ?? "(no output)";
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
