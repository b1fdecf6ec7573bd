/**
 * Where a daemon is found: `daemon.json` (port, pid, token, version; mode 0600 because the
 * token is a secret) in the daemon's home folder, guarded by an exclusive lock file so a
 * second daemon on the same home refuses to start.
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface DiscoveryInfo {
  port: number;
  pid: number;
  token: string;
  version: string;
}

/** `$HEARTH_HOME`, else the user's cache folder: ~/.cache/hearth on Linux (XDG_CACHE_HOME honoured). */
export function hearthHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HEARTH_HOME) return path.resolve(env.HEARTH_HOME);
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Caches", "hearth");
  if (process.platform === "win32") return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), "AppData", "Local"), "hearth");
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "hearth");
}

export const discoveryPath = (home: string): string => path.join(home, "daemon.json");
const lockPath = (home: string): string => path.join(home, "daemon.lock");

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readDiscovery(home: string): DiscoveryInfo | null {
  try {
    const value: unknown = JSON.parse(readFileSync(discoveryPath(home), "utf8"));
    if (typeof value !== "object" || value === null) return null;
    const v = value as Record<string, unknown>;
    if (typeof v.port !== "number" || typeof v.pid !== "number" || typeof v.token !== "string" || typeof v.version !== "string") return null;
    return { port: v.port, pid: v.pid, token: v.token, version: v.version };
  } catch {
    return null;
  }
}

/** Writes atomically (temp + rename) with mode 0600 from the first byte. */
export function writeSecretFile(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, file);
}

export function writeDiscovery(home: string, info: DiscoveryInfo): void {
  writeSecretFile(discoveryPath(home), `${JSON.stringify(info, null, 2)}\n`);
}

export class DaemonAlreadyRunningError extends Error {
  readonly code = "HEARTH_ERR_ALREADY_RUNNING";
  constructor(readonly pid: number, home: string) {
    super(`A Hearth daemon (pid ${pid}) already runs on ${home}. Use it, or stop it with \`hearth stop\`.`);
  }
}

/**
 * Takes the home's lock for this process. A lock left by a dead process is taken over; one
 * held by a live process means another daemon owns this home.
 */
export function acquireLock(home: string): () => void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = lockPath(home);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        if (readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readFileSafe(file), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isProcessAlive(holder)) throw new DaemonAlreadyRunningError(holder, home);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not take the lock ${file}; remove it if no daemon runs.`);
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function removeDiscovery(home: string): void {
  const current = readDiscovery(home);
  if (current === null || current.pid === process.pid) rmSync(discoveryPath(home), { force: true });
}
