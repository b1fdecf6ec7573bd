/**
 * The explanation prompt, rendered through the model's own chat template (node-llama-cpp
 * resolves it from the GGUF's tokenizer.chat_template).
 */
import type { ChatHistoryItem } from "node-llama-cpp";

const SYSTEM_PROMPT =
  "You are a senior engineer explaining code to a colleague. Explain what the selected code does, " +
  "how it does it, and anything surprising. Answer in concise Markdown.";

export function explainHistory(code: string, languageId: string, fileName: string): ChatHistoryItem[] {
  const fence = code.includes("```") ? "````" : "```";
  return [
    { type: "system", text: SYSTEM_PROMPT },
    { type: "user", text: `Explain this code from ${fileName}:\n\n${fence}${languageId}\n${code}\n${fence}` },
    { type: "model", response: [] },
  ];
}
