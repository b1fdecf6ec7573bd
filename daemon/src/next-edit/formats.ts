/**
 * The next-edit formats by name, and which one a model gets: the one named by
 * `--next-edit-format` / `hearth.nextEdit.format`, else the one the model's name says
 * (sweep, zeta-2 or seed-coder, zeta, instinct), else Sweep's where the vocabulary has
 * Qwen2.5-Coder's `<|file_sep|>` (Sweep's plain repository blocks are what a Qwen2.5-Coder
 * base model reads best).
 */
import { INSTINCT } from "./instinct.js";
import { NEXT_EDIT_FORMAT_NAMES, type NextEditFormat, type NextEditFormatName } from "./format.js";
import { SWEEP } from "./sweep.js";
import { ZETA } from "./zeta.js";
import { ZETA2 } from "./zeta2.js";

export type NextEditFormatChoice = NextEditFormatName | "auto";

export const NEXT_EDIT_FORMAT_CHOICES: readonly NextEditFormatChoice[] = ["auto", ...NEXT_EDIT_FORMAT_NAMES];

export const NEXT_EDIT_FORMATS: Record<NextEditFormatName, NextEditFormat> = { sweep: SWEEP, zeta: ZETA, zeta2: ZETA2, instinct: INSTINCT };

/** Every special token a next-edit format renders: what a remote vocabulary must look up when it connects. */
export const NEXT_EDIT_SPECIAL_TEXTS: readonly string[] = [...new Set(Object.values(NEXT_EDIT_FORMATS).flatMap((f) => f.specialTokens))];

/** The format a model's name (file name, GGUF general.name or a server's model id) points to, or null. */
export function formatFromModelName(name: string): NextEditFormatName | null {
  const n = name.toLowerCase();
  if (n.includes("sweep")) return "sweep";
  if (/zeta[-_ .]?2|seed[-_ ]?coder/.test(n)) return "zeta2";
  if (n.includes("zeta")) return "zeta";
  if (n.includes("instinct")) return "instinct";
  return null;
}

/** Why no format fits this model. */
export class NextEditFormatError extends Error {}

/**
 * The format for a model: chosen by name or option, checked against the vocabulary's
 * special tokens (`isSpecial(text)`: whether the text is one special token) and whether
 * the engine can render a chat.
 */
export function chooseNextEditFormat(choice: NextEditFormatChoice, modelName: string, isSpecial: (text: string) => boolean, canChat: boolean): NextEditFormat {
  const name = choice !== "auto" ? choice : (formatFromModelName(modelName) ?? (isSpecial("<|file_sep|>") ? "sweep" : null));
  if (name === null) {
    throw new NextEditFormatError(`Hearth can't tell which next-edit format the model ${JSON.stringify(modelName)} was trained on, and its vocabulary has no <|file_sep|> for Sweep's.`);
  }
  const format = NEXT_EDIT_FORMATS[name];
  const missing = format.specialTokens.filter((t) => !isSpecial(t));
  if (missing.length > 0) throw new NextEditFormatError(`The ${name} next-edit format needs the special token${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, which this model's vocabulary does not have.`);
  if (format.name === "instinct" && !canChat) throw new NextEditFormatError("The instinct next-edit format is a chat request, and this engine can't render the model's chat template.");
  return format;
}
