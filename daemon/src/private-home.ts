/**
 * The daemon's home holds its token (daemon.json), its lock, its log and the saved KV
 * states, which hold the text of documents. Anyone who can write to the folder could plant
 * a daemon.json of their own (and so a token they know) or swap a state file, so a home
 * that is not the user's alone is refused, by the daemon and by every client, with what to
 * do. A home Hearth creates is made 0700 (and its parents as far as it creates them).
 *
 * The folders under it (kv/, models/ and theirs) are held to the same rule: a private home
 * whose kv/ is a link to a folder others may write would let them plant a state under
 * another document's name. A link is followed and the folder it points to is checked.
 */
import { lstatSync, mkdirSync, readdirSync, realpathSync, statSync, type Stats } from "node:fs";
import path from "node:path";

export class HomeNotPrivateError extends Error {
  readonly code = "HEARTH_ERR_HOME_NOT_PRIVATE";
}

/** The folders under the home Hearth reads and writes; each is checked, and the folders in it one level down. */
export const HOME_FOLDERS = ["kv", "models"] as const;

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

/**
 * Creates a folder under the home (0700) when missing and checks it like the home: a link
 * is resolved and the folder it points to must be the user's and written by no one else.
 */
export function ensurePrivateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertPrivateFolder(dir);
}

/** Refuses a folder under the home (or what a link there points to) that is not the user's alone. */
export function assertPrivateFolder(dir: string): void {
  const uid = ownUid();
  if (uid === null) return;
  const link = lstatSync(dir).isSymbolicLink();
  let target = dir;
  if (link) {
    try {
      target = realpathSync(dir);
    } catch {
      throw new HomeNotPrivateError(`Hearth's folder ${dir} is a link to a folder that does not exist. Remove the link (\`rm ${dir}\`) and Hearth makes a private folder in its place.`);
    }
  }
  const where = link ? `${dir} links to ${target}, which` : `${dir}`;
  const fix = link ? `Run \`chmod 700 ${target}\` if that folder is yours alone, or remove the link (\`rm ${dir}\`) and Hearth makes a private folder in its place.` : `Run \`chmod 700 ${dir}\`, or remove it and Hearth makes a private one.`;
  const stats: Stats = statSync(target);
  if (!stats.isDirectory()) throw new HomeNotPrivateError(`Hearth's folder ${where} is not a folder. Remove it (\`rm ${dir}\`) and Hearth makes a private folder in its place.`);
  if (stats.uid !== uid) throw new HomeNotPrivateError(`Hearth's folder ${where} belongs to user ${stats.uid}, not to you (${uid}), so that user could plant a saved state or a model there. ${link ? `Remove the link (\`rm ${dir}\`)` : `Remove it (\`rm -r ${dir}\`)`} and Hearth makes a private folder in its place.`);
  const mode = stats.mode & 0o777;
  if ((mode & 0o022) !== 0) {
    throw new HomeNotPrivateError(`Hearth's folder ${where} is writable by group or others (mode ${mode.toString(8)}), so another user could plant a saved state or a model there. ${fix}`);
  }
}

/**
 * Checks the home and the folders Hearth keeps in it that exist already (kv/ and each
 * model's folder in it, models/ and its folders), so a daemon refuses a home with an unsafe
 * one at start, before it reads anything from it.
 */
export function assertPrivateHomeFolders(home: string): void {
  for (const name of HOME_FOLDERS) {
    const dir = path.join(home, name);
    if (!exists(dir)) continue;
    assertPrivateFolder(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() || entry.isSymbolicLink()) {
        const sub = path.join(dir, entry.name);
        // A link to a file (a model kept elsewhere) is a file, not a folder to check.
        if (entry.isSymbolicLink() && !isFolder(sub)) continue;
        assertPrivateFolder(sub);
      }
    }
  }
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function isFolder(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
