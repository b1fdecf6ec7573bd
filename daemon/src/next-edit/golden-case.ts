/**
 * A next-edit golden case as its file holds it (test/fixtures/next-edit/NAME.json): a
 * document, the user's changes, the cursor, the format and what the model wrote. The golden
 * test and the copy-speculation bench both replay its changes into an edit history as the
 * document sync feeds them.
 */
import { EditHistory } from "./edit-history.js";
import type { NextEditFormatName } from "./format.js";

export type GoldenStep = { setLine: [number, string] } | { insertLine: [number, string] } | { deleteLine: number } | { waitMs: number };

export interface GoldenCase {
  description: string;
  format: NextEditFormatName;
  path: string;
  document: string;
  steps: GoldenStep[];
  cursor: { line: number; character: number };
  output: string;
}

/** The document after the case's changes, and the history they left under `uri` (50 ms between changes unless a step waits). */
export function replayGoldenSteps(c: GoldenCase, uri: string): { text: string; history: EditHistory } {
  let now = 0;
  const history = new EditHistory({ now: () => now });
  let text = c.document;
  for (const step of c.steps) {
    if ("waitMs" in step) {
      now += step.waitMs;
      continue;
    }
    const lines = text.split("\n");
    if ("setLine" in step) lines[step.setLine[0]] = step.setLine[1];
    else if ("insertLine" in step) lines.splice(step.insertLine[0], 0, step.insertLine[1]);
    else lines.splice(step.deleteLine, 1);
    const next = lines.join("\n");
    history.record(uri, text, next);
    text = next;
    now += 50;
  }
  return { text, history };
}
