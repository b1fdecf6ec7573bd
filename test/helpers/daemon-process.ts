/**
 * Starts a real `hearth serve` process (the bundled CLI, as users run it) on a temporary
 * home and connects real WebSocket clients to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { startServeProcess } from "../../daemon/src/client/serve-process.js";
import type { DiscoveryInfo } from "../../daemon/src/discovery.js";
import type { StatusResult, WorkspaceFolder } from "../../daemon/src/protocol.js";
import { packageRoot } from "../../daemon/src/version.js";

export const repoRoot = packageRoot();
export const hearthBin = path.join(repoRoot, "bin", "hearth.cjs");

export interface RunningDaemon {
  home: string;
  info: DiscoveryInfo;
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  connect(folders?: WorkspaceFolder[] | null): Promise<HearthClient>;
  /** SIGTERM, wait for exit, remove the home (unless keepHome). */
  stop(options?: { keepHome?: boolean }): Promise<number | null>;
}

export function tempHome(prefix = "hearth-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `entry`: the script to run (default bin/hearth.cjs, as users start it). */
export async function startDaemon(options: { model: string; home?: string; args?: string[]; env?: NodeJS.ProcessEnv; entry?: string }): Promise<RunningDaemon> {
  const home = options.home ?? tempHome();
  const serve = await startServeProcess({
    entry: options.entry ?? hearthBin,
    home,
    args: ["--model", options.model, "--idle-timeout", "0", "--threads", "1", ...(options.args ?? [])],
    env: { ...process.env, ...options.env },
    // Tests read the daemon's log from its first line (e.g. "listening on").
    keepStderrChars: Number.POSITIVE_INFINITY,
  });
  const daemon: RunningDaemon = {
    home,
    info: serve.info,
    child: serve.child,
    stderr: serve.stderr,
    exited: serve.exited,
    connect: (folders = [{ uri: "file:///workspace/a", name: "a" }]) => serve.connect(folders, "hearth-test"),
    async stop(stopOptions = {}) {
      const code = await serve.stop();
      if (!stopOptions.keepHome) rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
  return daemon;
}

/**
 * Waits (bounded) until the daemon's status meets a condition: the daemon's own timers
 * (idle passes, saves) drive it, so the test polls rather than sleeps a guessed time.
 */
export async function untilStatus(client: HearthClient, what: string, check: (s: StatusResult) => boolean, timeoutMs = 30_000): Promise<StatusResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await client.status();
    if (check(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ idle: status.idle, kvCache: status.kvCache })}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the CLI to completion; never throws for a non-zero exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [hearthBin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}
