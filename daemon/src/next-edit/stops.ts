/**
 * Where a next-edit generation ends: at the first of the format's end markers (the engine
 * also ends at end of generation, and a special-token marker such as Sweep's `<|file_sep|>`
 * is one). Nothing streams: a rewritten window is only worth reading whole.
 */
import type { GenerationRules } from "../prompt/completion-stops.js";
import { cutAtFirst } from "./format.js";

export function nextEditRules(endMarkers: readonly string[]): GenerationRules {
  return {
    decide: (text) => {
      const cut = cutAtFirst(text, endMarkers);
      return { text: cut, stop: cut.length < text.length };
    },
    finish: (text) => text,
    stable: () => "",
  };
}
