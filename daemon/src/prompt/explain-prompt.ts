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

/** How many cuts a selection gets before it is sent as it is (each cut aims under the budget). */
const MAX_CUTS = 8;

/**
 * A selection too long for the context is cut at a line end, and the model is told so.
 * `render` turns the code into what is measured (the local engine's templated prompt
 * tokens, a remote server's code as is), `size` counts it.
 */
export function fitSelection<P>(code: string, render: (code: string) => P, size: (rendered: P) => number, budget: number): { code: string; rendered: P } {
  let rendered = render(code);
  for (let i = 0; i < MAX_CUTS && size(rendered) > budget; i++) {
    const keep = Math.floor(code.length * (budget / size(rendered)) * 0.9);
    code = `${code.slice(0, Math.max(0, code.lastIndexOf("\n", keep)))}\n/* … selection truncated … */`;
    rendered = render(code);
  }
  return { code, rendered };
}

export function explainMessages(code: string, languageId: string, fileName: string): ExplainMessages {
  const fence = code.includes("```") ? "````" : "```";
  return { system: SYSTEM_PROMPT, user: `Explain this code from ${fileName}:\n\n${fence}${languageId}\n${code}\n${fence}` };
}
