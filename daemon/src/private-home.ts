/**
 * The daemon's home holds its token (daemon.json), its lock, its log and the saved KV
 * states, which hold the text of documents. Anyone who can write to the folder could plant
 * a daemon.json of their own (and so a token they know) or swap a state file, so a home
 * that is not the user's alone is refused, by the daemon and by every client, with what to
 * do. A home Hearth creates is made 0700 (and its parents as far as it creates them).
 * Subfolders (kv/, models/) are made the same way.
 */
import { mkdirSync, statSync } from "node:fs";

export class HomeNotPrivateError extends Error {
  readonly code = "HEARTH_ERR_HOME_NOT_PRIVATE";
}

function ownUid(): number | null {
  return typeof process.getuid === "function" ? process.getuid() : null;
}

/** Creates `dir` (0700) when missing; refuses it when another user owns it or group or others may write to it. */
export function ensurePrivateDir(dir: string): void {
  // The umask can only take bits away from 0700: every folder this creates is private.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertPrivateDir(dir);
}

export function assertPrivateDir(dir: string): void {
  const uid = ownUid();
  if (uid === null) return; // Windows: the folder inherits the user profile's ACL.
  const stats = statSync(dir);
  if (!stats.isDirectory()) throw new HomeNotPrivateError(`Hearth's home ${dir} is not a folder. Point --home (or HEARTH_HOME) at a folder of your own.`);
  if (stats.uid !== uid) throw new HomeNotPrivateError(`Hearth's home ${dir} belongs to user ${stats.uid}, not to you (${uid}). Use a home of your own (--home or HEARTH_HOME).`);
  const mode = stats.mode & 0o777;
  if ((mode & 0o022) !== 0) {
    throw new HomeNotPrivateError(`Hearth's home ${dir} is writable by group or others (mode ${mode.toString(8)}), so another user could plant a token or a saved state there. Run \`chmod 700 ${dir}\` or use another home.`);
  }
}
