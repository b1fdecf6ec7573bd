/**
 * Where a daemon is found: `daemon.json` (port, pid, token, version; mode 0600 because the
 * token is a secret) in the daemon's home folder, guarded by an exclusive lock file so a
 * second daemon on the same home refuses to start.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { assertPrivateHomeFolders, ensurePrivateDir } from "./private-home.js";

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

/**
 * Writes atomically (temp + rename) with mode 0600 from the first byte. The temp file is
 * created exclusively ("wx": O_CREAT|O_EXCL, which refuses to follow a planted link), after
 * removing one a crashed writer of the same pid left.
 */
export function writeSecretFile(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  rmSync(temp, { force: true });
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: "wx" });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
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

/** What daemon.lock holds: the owner's pid and, where the system tells it, when that process started. */
interface LockRecord {
  pid: number;
  /** /proc/<pid>/stat's start time (clock ticks since boot) on Linux; null elsewhere. */
  startTime: string | null;
}

/** A process's start time, which tells a pid's owner from a later process that reused the pid. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether a live pid runs Hearth, as far as the system tells (Linux: its command line); true where it can't tell. */
function looksLikeHearth(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("hearth");
  } catch {
    return true;
  }
}

/**
 * The live owner of a lock's content, or null when the lock is stale, damaged or foreign.
 * Earlier versions wrote the bare pid; that form is still read, and checked the same way.
 */
function lockOwner(content: string): number | null {
  let record: Partial<LockRecord>;
  try {
    const value: unknown = JSON.parse(content);
    record = typeof value === "number" ? { pid: value, startTime: null } : (value as Partial<LockRecord>);
  } catch {
    return null; // Damaged (or empty): no daemon writes a lock like that.
  }
  const pid = record?.pid;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isProcessAlive(pid)) return null;
  // The pid is alive, but is it the process that took the lock? After a kill -9 and a reboot
  // or a long uptime another program may have it.
  const now = processStartTime(pid);
  if (typeof record.startTime === "string" && now !== null && now !== record.startTime) return null;
  return looksLikeHearth(pid) ? pid : null;
}

/**
 * Takes the home's lock for this process. The lock file appears whole (written aside, then
 * hard-linked into place, which fails if one exists), so a reader never sees it empty. A
 * lock whose owner is dead, whose pid now belongs to another process, or whose content is
 * damaged is taken over; one held by a live daemon means another daemon owns this home.
 */
export function acquireLock(home: string): () => void {
  ensurePrivateDir(home);
  // kv/ and models/ too: a link there to a folder others may write is refused before anything is read from it.
  assertPrivateHomeFolders(home);
  const file = lockPath(home);
  const record: LockRecord = { pid: process.pid, startTime: processStartTime(process.pid) };
  const content = JSON.stringify(record);
  for (let attempt = 0; attempt < 3; attempt++) {
    const temp = `${file}.${process.pid}.tmp`;
    rmSync(temp, { force: true });
    writeFileSync(temp, content, { mode: 0o600, flag: "wx" });
    try {
      linkSync(temp, file);
      return () => {
        if (readFileSafe(file) === content) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = lockOwner(readFileSafe(file));
      if (holder !== null) throw new DaemonAlreadyRunningError(holder, home);
      rmSync(file, { force: true });
    } finally {
      rmSync(temp, { force: true });
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

/** The port the last daemon on this home listened on (`last-port`), kept after it stops. */
function lastPortPath(home: string): string {
  return path.join(home, "last-port");
}

/** The last daemon's port, or null when none was kept or the file holds no port. */
export function readLastPort(home: string): number | null {
  try {
    const port = Number(readFileSync(lastPortPath(home), "utf8").trim());
    return Number.isInteger(port) && port >= 1024 && port <= 65535 ? port : null;
  } catch {
    return null;
  }
}

export function writeLastPort(home: string, port: number): void {
  writeSecretFile(lastPortPath(home), `${port}\n`);
}
