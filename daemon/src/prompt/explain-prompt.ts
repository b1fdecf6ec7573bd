/**
 * The explanation prompt as chat messages: the local engine renders them through the GGUF's
 * own chat template, a remote server through its /v1/chat/completions (the server's template).
 */
const SYSTEM_PROMPT =
  "You are a senior engineer explaining code to a colleague. Explain what the selected code does, " +
  "how it does it, and anything surprising. Answer in concise Markdown.";

export interface ExplainMessages {
  system: string;
  user: string;
}

export function explainMessages(code: string, languageId: string, fileName: string): ExplainMessages {
  const fence = code.includes("```") ? "````" : "```";
  return { system: SYSTEM_PROMPT, user: `Explain this code from ${fileName}:\n\n${fence}${languageId}\n${code}\n${fence}` };
}
