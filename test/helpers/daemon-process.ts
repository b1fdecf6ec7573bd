/**
 * Starts a real `hearth serve` process (the bundled CLI, as users run it) on a temporary
 * home and connects real WebSocket clients to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { openSocket } from "../../daemon/src/client/connect.js";
import { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { readDiscovery, type DiscoveryInfo } from "../../daemon/src/discovery.js";
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
  const child = spawn(process.execPath, [options.entry ?? hearthBin, "serve", "--home", home, "--model", options.model, "--idle-timeout", "0", "--threads", "1", ...(options.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const lines = createInterface({ input: child.stdout! });
  const listening = new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => line.includes('"listening"') && resolve());
    void exited.then((code) => reject(new Error(`daemon exited with ${code} before listening:\n${stderr}`)));
  });
  await listening;
  const info = readDiscovery(home);
  if (!info) throw new Error("daemon listens but wrote no daemon.json");
  const daemon: RunningDaemon = {
    home,
    info,
    child,
    stderr: () => stderr,
    exited,
    async connect(folders = [{ uri: "file:///workspace/a", name: "a" }]) {
      const client = new HearthClient(await openSocket(info));
      await client.initialize(folders, "hearth-test");
      return client;
    },
    async stop(stopOptions = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const code = await exited;
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
