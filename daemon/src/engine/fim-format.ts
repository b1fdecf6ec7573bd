/** The local model's vocabulary, as the shared FIM format (prompt/fim-format.ts) needs it. */
import type { LlamaModel, Token } from "node-llama-cpp";
import type { BosRule } from "../prompt/bos.js";
import { bindFimFormat, type FimFormat, type FimTemplateChoice } from "../prompt/fim-format.js";

/** Looks up (and remembers) which texts are one special token of the model's vocabulary. */
export function specialTokenLookup(model: LlamaModel): (text: string) => Token | null {
  const special = new Map<string, Token | null>();
  return (text) => {
    if (!special.has(text)) {
      const tokens = model.tokenize(text, true);
      special.set(text, tokens.length === 1 && tokens[0] !== undefined && model.isSpecialToken(tokens[0]) ? tokens[0] : null);
    }
    return special.get(text) ?? null;
  };
}

export function fimFormatFor(model: LlamaModel, choice: FimTemplateChoice = "auto"): FimFormat<Token> | null {
  const infill = model.tokens.infill;
  return bindFimFormat<Token>(
    {
      specialToken: specialTokenLookup(model),
      tokenize: (text) => model.tokenize(text, false),
      fimIds: { prefix: infill.prefix, suffix: infill.suffix, middle: infill.middle },
      architecture: String(model.fileInfo.metadata.general.architecture ?? ""),
      bosRule: bosRuleOf(model),
    },
    choice,
  );
}

/** The vocabulary's BOS token and whether it asks for it first (tokenizer.ggml.add_bos_token). */
export function bosRuleOf(model: LlamaModel): BosRule<Token> {
  return { bos: model.tokens.bos, addBos: model.tokens.shouldPrependBosToken };
}
