/**
 * A `hearth serve` child process its starter owns, as the bench, the tests and the measurement
 * scripts run one: attached (it ends with its starter), stdout read for the daemon's
 * "listening" line, stderr kept for the starter to read. `spawnDaemon` (connect.ts) is the
 * other way to start one: detached, for an editor or the CLI that leaves it running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { readDiscovery, type DiscoveryInfo } from "../discovery.js";
import type { WorkspaceFolder } from "../protocol.js";
import { DaemonUnavailableError, openSocket } from "./connect.js";
import { HearthClient } from "./hearth-client.js";

export interface ServeProcessOptions {
  /** The `hearth` entry script (bin/hearth.cjs as users start it, or a bundle). */
  entry: string;
  home: string;
  /** Arguments after `serve --home HOME`. */
  args: readonly string[];
  /** The child's whole environment (default this process's). */
  env?: NodeJS.ProcessEnv;
  /** How long the daemon may take to listen (default 120 s; the model loads after that). */
  timeoutMs?: number;
  /** How much of the end of stderr to keep (default 16 KiB, enough for a long run's last lines). */
  keepStderrChars?: number;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly home: string;
  /** What the daemon wrote to daemon.json: its port, token and pid. */
  readonly info: DiscoveryInfo;
  /** performance.now() when the process was spawned. */
  readonly spawnedAt: number;
  /** Process start to listening, in milliseconds. */
  readonly listeningMs: number;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
  /** The end of what the daemon wrote to stderr so far. */
  stderr(): string;
  /** A client on a new connection, initialized for `folders` (null: a window with no folder open). */
  connect(folders: WorkspaceFolder[] | null, clientName: string): Promise<HearthClient>;
  /** SIGTERM (the daemon stops as on Ctrl-C) unless it has ended; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const DEFAULT_KEEP_STDERR = 16_384;
/** How much of stderr a start error's message holds: enough for the daemon's own error and hint. */
const STDERR_IN_ERROR = 2_000;

/**
 * Starts `hearth serve` and resolves once it listens (not once the model is loaded). A daemon
 * that exits first, or does not listen in time, rejects with a DaemonUnavailableError holding
 * the end of its stderr, and is killed.
 */
export async function startServeProcess(options: ServeProcessOptions): Promise<ServeProcess> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [options.entry, "serve", "--home", options.home, ...options.args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
  });
  const keep = options.keepStderrChars ?? DEFAULT_KEEP_STDERR;
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > keep) stderr = stderr.slice(-keep);
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  // A usage error comes first and the help after it, a runtime error last: keep both ends.
  const tail = (): string => {
    const text = stderr.trim();
    if (text === "") return "(nothing on stderr)";
    return text.length <= STDERR_IN_ERROR ? text : `${text.slice(0, STDERR_IN_ERROR / 2)} … ${text.slice(-STDERR_IN_ERROR / 2)}`;
  };
  const lines = createInterface({ input: child.stdout! });
  const timeoutMs = options.timeoutMs ?? 120_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DaemonUnavailableError(`hearth serve did not listen within ${timeoutMs} ms: ${tail()}`)), timeoutMs);
      lines.on("line", (line) => {
        if (!line.includes('"listening"')) return;
        clearTimeout(timer);
        resolve();
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new DaemonUnavailableError(`hearth serve exited with code ${code} before listening: ${tail()}`));
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const listeningMs = performance.now() - spawnedAt;
  const info = readDiscovery(options.home);
  if (info === null) {
    child.kill("SIGKILL");
    throw new DaemonUnavailableError(`hearth serve listens but wrote no daemon.json in ${options.home}`);
  }
  return {
    child,
    home: options.home,
    info,
    spawnedAt,
    listeningMs,
    exited,
    stderr: () => stderr,
    async connect(folders, clientName) {
      const client = new HearthClient(await openSocket(info));
      await client.initialize(folders, clientName);
      return client;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
