/**
 * A unified diff of one file (`git diff`, `diff -u`) read as the edits that led to the file's
 * text now: `hearth next-edit --history DIFF` replays them so the daemon's edit history holds
 * them. Pure.
 */

export interface Hunk {
  /** First line (0-based) of the hunk's new lines in the text after the diff. */
  newStart: number;
  oldLines: string[];
  newLines: string[];
}

/** Why a diff can't be read, or doesn't match the file. */
export class DiffError extends Error {}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

export function parseUnifiedDiff(diff: string): Hunk[] {
  const hunks: Hunk[] = [];
  let current: Hunk | null = null;
  for (const line of diff.replace(/\r\n/g, "\n").split("\n")) {
    const header = HUNK_HEADER.exec(line);
    if (header) {
      const newStart = Number(header[3]);
      // "+0,0" (nothing left) places the hunk before the first line.
      current = { newStart: Math.max(0, newStart - 1) + (header[4] === "0" ? 1 : 0), oldLines: [], newLines: [] };
      hunks.push(current);
      continue;
    }
    if (current === null || line.startsWith("\\")) continue;
    if (line.startsWith("-")) current.oldLines.push(line.slice(1));
    else if (line.startsWith("+")) current.newLines.push(line.slice(1));
    else if (line.startsWith(" ")) {
      current.oldLines.push(line.slice(1));
      current.newLines.push(line.slice(1));
    }
  }
  if (hunks.length === 0) throw new DiffError("the diff has no hunks (@@ -a,b +c,d @@)");
  return hunks;
}

/**
 * The texts the file went through: before every hunk, then with each hunk applied in turn,
 * ending with `after` itself. Checks that each hunk's new lines are where the diff says.
 */
export function textsBefore(after: string, hunks: readonly Hunk[]): string[] {
  const lines = after.split("\n");
  const states: string[][] = [lines];
  let current = lines;
  for (let i = hunks.length - 1; i >= 0; i--) {
    const hunk = hunks[i] as Hunk;
    const at = hunk.newStart;
    const found = current.slice(at, at + hunk.newLines.length);
    if (found.length !== hunk.newLines.length || found.some((line, k) => line !== hunk.newLines[k])) {
      throw new DiffError(`hunk ${i + 1} (new line ${at + 1}) does not match the file: is the diff the one that led to it?`);
    }
    current = [...current.slice(0, at), ...hunk.oldLines, ...current.slice(at + hunk.newLines.length)];
    states.unshift(current);
  }
  return states.map((s) => s.join("\n"));
}
