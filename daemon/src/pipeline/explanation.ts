/**
 * How an explanation is made, for every backend: the selection fitted to the context through
 * the model's chat template (as tokens where the engine takes tokens, BOS first once where the
 * vocabulary asks for it and nowhere else; as messages where the server applies its own template), then
 * generated with the explanation's rules on the cache kept for explanations.
 */
import type { ExplainInput, GenerationOutcome } from "../backend.js";
import { startAsTrained } from "../prompt/bos.js";
import { EXPLANATION_RULES } from "../prompt/completion-stops.js";
import { explainMessages, fitSelection } from "../prompt/explain-prompt.js";
import type { ChatPrompt, EnginePort } from "./engine-port.js";
import { TextStream } from "./text-stream.js";

export async function runExplanation<T>(port: EnginePort<T>, input: ExplainInput): Promise<GenerationOutcome> {
  const started = performance.now();
  const vocabulary = await port.ready();
  const room = port.promptRoom(input.maxTokens);
  const messagesFor = (code: string) => explainMessages(code, input.languageId, input.fileName);
  const renderChat = port.renderChat;
  let prompt: ChatPrompt<T>;
  let promptTokens: number;
  if (renderChat !== null) {
    const tokens = fitSelection(input.code, (code) => startAsTrained(renderChat(messagesFor(code)), vocabulary.bosRule), (t) => t.length, room).rendered;
    prompt = { tokens };
    promptTokens = tokens.length;
  } else {
    const count = (code: string): number => {
      const m = messagesFor(code);
      return vocabulary.countTokens(m.system + m.user);
    };
    const { code } = fitSelection(input.code, (c) => c, count, room);
    promptTokens = count(code);
    prompt = { messages: messagesFor(code), estimatedTokens: promptTokens };
  }
  const text = new TextStream(EXPLANATION_RULES, input.onText);
  const run = await port.runExplanation(prompt, {
    maxTokens: input.maxTokens,
    signal: input.signal,
    startedAt: started,
    onGenerated: (generated) => text.push(generated),
    ...(input.onPrefill ? { onPrefill: input.onPrefill } : {}),
    ...(input.yieldPoint ? { yieldPoint: input.yieldPoint } : {}),
  });
  const { generatedText: _generated, ...counts } = run;
  return { ...counts, promptTokens: counts.promptTokens || promptTokens, text: text.finish(run), promptLayout: null };
}
