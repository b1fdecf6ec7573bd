/** The local model's vocabulary, as the shared FIM format (prompt/fim-format.ts) needs it. */
import type { LlamaModel, Token } from "node-llama-cpp";
import { bindFimFormat, type FimFormat, type FimTemplateChoice } from "../prompt/fim-format.js";

export function fimFormatFor(model: LlamaModel, choice: FimTemplateChoice = "auto"): FimFormat<Token> | null {
  const special = new Map<string, Token | null>();
  const infill = model.tokens.infill;
  return bindFimFormat<Token>(
    {
      specialToken(text) {
        if (!special.has(text)) {
          const tokens = model.tokenize(text, true);
          special.set(text, tokens.length === 1 && tokens[0] !== undefined && model.isSpecialToken(tokens[0]) ? tokens[0] : null);
        }
        return special.get(text) ?? null;
      },
      tokenize: (text) => model.tokenize(text, false),
      fimIds: { prefix: infill.prefix, suffix: infill.suffix, middle: infill.middle },
      architecture: String(model.fileInfo.metadata.general.architecture ?? ""),
      bos: bosOf(model),
    },
    choice,
  );
}

/** The BOS token when the vocabulary asks for it first (tokenizer.ggml.add_bos_token), else null. */
export function bosOf(model: LlamaModel): Token | null {
  return model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
}
