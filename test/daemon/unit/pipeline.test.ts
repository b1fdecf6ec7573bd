/**
 * The pipeline over a scripted engine port: characters as tokens, a cache that holds the last
 * prompt, and a model that "generates" a scripted text piece by piece. It checks the recipe
 * itself (rules, streaming, held layouts, cancellation, the BOS rule for chat prompts, the
 * prefill budget, the guard) without a model; the real engines run the same code in
 * pipeline-prompts.test.ts, completion.test.ts and remote-backends.test.ts.
 */
import assert from "node:assert/strict";
import type { CompletionInput } from "../../../daemon/src/backend.js";
import type { CacheSlot, ChatPrompt, EnginePort, EngineRun, EngineRunRequest, Vocabulary } from "../../../daemon/src/pipeline/engine-port.js";
import { Pipeline } from "../../../daemon/src/pipeline/pipeline.js";
import { completionRules, decideStop, streamableText } from "../../../daemon/src/prompt/completion-stops.js";
import { bindFimFormat } from "../../../daemon/src/prompt/fim-format.js";
import { PrefillBudget } from "../../../daemon/src/prompt/prefill-budget.js";
import type { HeldLayout } from "../../../daemon/src/prompt/prompt-layout.js";

type Char = string;
const BOS = "^";

/** Qwen's FIM tokens as one-character stand-ins, so a prompt reads as text. */
const SPECIAL: Record<string, Char> = { "<|fim_prefix|>": "«", "<|fim_suffix|>": "»", "<|fim_middle|>": "¦" };

interface Script {
  /** What the model writes, one piece per token. */
  output: string[];
  addBos?: boolean;
  renderChat?: boolean;
}

class ScriptedPort implements EnginePort<Char> {
  readonly prompts: Char[][] = [];
  readonly chatPrompts: ChatPrompt<Char>[] = [];
  readonly budget = new PrefillBudget(0);
  guarded = 0;
  private cache: Char[] = [];
  private layouts: HeldLayout<Char>[] = [];
  renderChat: EnginePort<Char>["renderChat"];

  constructor(private readonly script: Script) {
    // A chat template that (like node-llama-cpp's generic wrappers) renders BOS whatever the vocabulary says.
    this.renderChat = script.renderChat ? (messages) => [BOS, ...`${messages.system}|${messages.user}`] : null;
  }

  async ready(): Promise<Vocabulary<Char>> {
    const bosRule = { bos: BOS, addBos: this.script.addBos === true };
    const fim = bindFimFormat<Char>({ specialToken: (text) => SPECIAL[text] ?? null, tokenize: (text) => [...text], fimIds: { prefix: null, suffix: null, middle: null }, architecture: "", bosRule }, "qwen");
    return { fim, tokenize: (text) => [...text], countTokens: (text) => text.length, bosRule };
  }

  promptRoom(maxTokens: number): number {
    return 4096 - maxTokens;
  }

  prefillBudget(): PrefillBudget {
    return this.budget;
  }

  async completionSlot(): Promise<CacheSlot<Char>> {
    const uncached = (prompt: readonly Char[]): number => {
      let same = 0;
      while (same < prompt.length && prompt[same] === this.cache[same]) same++;
      return prompt.length - same;
    };
    const port = this;
    return {
      get held() {
        return port.layouts;
      },
      hold: (layouts) => {
        this.layouts = layouts;
      },
      uncached,
      run: async (prompt, request) => {
        const evaluated = uncached(prompt);
        this.prompts.push([...prompt]);
        this.cache = [...prompt];
        return this.generate(prompt.length, evaluated, request);
      },
      release: () => undefined,
    };
  }

  async runExplanation(prompt: ChatPrompt<Char>, request: EngineRunRequest): Promise<EngineRun> {
    this.chatPrompts.push(prompt);
    return this.generate("tokens" in prompt ? prompt.tokens.length : prompt.estimatedTokens, 0, request);
  }

  async guard<R>(_signal: AbortSignal, work: () => Promise<R>): Promise<R> {
    this.guarded++;
    return work();
  }

  private async generate(promptTokens: number, evaluated: number, request: EngineRunRequest): Promise<EngineRun> {
    const run: EngineRun = { stopReason: "eos", promptTokens, reusedTokens: promptTokens - evaluated, evaluatedTokens: evaluated, generatedTokens: 0, tokensAfterCancel: 0, prefillMs: 10, firstTokenMs: 1, decodeMs: 1, draftTokens: 0, acceptedTokens: 0, generatedText: "" };
    for (const piece of this.script.output) {
      if (request.signal.aborted) {
        run.stopReason = "cancelled";
        return run;
      }
      if (run.generatedTokens >= request.maxTokens) {
        run.stopReason = "maxTokens";
        return run;
      }
      run.generatedTokens++;
      run.generatedText += piece;
      if (request.onGenerated(run.generatedText)) {
        run.stopReason = "boundary";
        return run;
      }
    }
    return run;
  }
}

const ABOVE = "function add(a, b) {\n";
const SUFFIX = "\n}\n";

function input(line: string, overrides: Partial<CompletionInput> = {}): CompletionInput {
  return { workspaceId: "w", text: `${ABOVE}${line}${SUFFIX}`, cursorOffset: ABOVE.length + line.length, maxTokens: 32, mode: undefined, documentUri: "file:///w/add.js", signal: new AbortController().signal, ...overrides };
}

describe("the pipeline over a scripted engine", () => {
  it("lays out the FIM prompt, stops where the completion rules say, and streams exactly the text it returns", async () => {
    const port = new ScriptedPort({ output: [" a", " +", " b;", "\n", "  never"] });
    const deltas: string[] = [];
    const outcome = await new Pipeline(port).complete(input("  return", { mode: "line", onText: (d) => deltas.push(d) }));
    assert.equal(port.prompts[0]?.join(""), `«${ABOVE}»${SUFFIX}¦  return`);
    assert.equal(outcome.text, " a + b;");
    assert.equal(outcome.stopReason, "boundary");
    assert.equal(deltas.join(""), outcome.text);
    assert.equal(outcome.promptLayout, "fresh");
  });

  it("continues the held layout on a keystroke: only the typed characters are new to the cache", async () => {
    const port = new ScriptedPort({ output: ["x", "\n"] });
    const pipeline = new Pipeline(port);
    await pipeline.complete(input("  return"));
    const second = await pipeline.complete(input("  return a"));
    assert.equal(second.promptLayout, "held");
    assert.equal(second.evaluatedTokens, 2, "' a' was typed");
  });

  it("puts BOS first once where the vocabulary asks for it, and nowhere where it doesn't", async () => {
    for (const addBos of [true, false]) {
      const port = new ScriptedPort({ output: ["ok"], addBos, renderChat: true });
      const pipeline = new Pipeline(port);
      await pipeline.complete(input("  return"));
      await pipeline.explain({ code: "return a + b;", languageId: "javascript", fileName: "add.js", maxTokens: 8, signal: new AbortController().signal });
      const chat = port.chatPrompts[0];
      assert.ok(chat && "tokens" in chat);
      for (const prompt of [port.prompts[0] ?? [], [...chat.tokens]]) {
        assert.equal(prompt.filter((t) => t === BOS).length, addBos ? 1 : 0, `addBos ${addBos}: ${prompt.slice(0, 3).join("")}`);
        if (addBos) assert.equal(prompt[0], BOS);
      }
    }
  });

  it("hands an engine that applies its own chat template the messages, and trims the explanation it streams", async () => {
    const port = new ScriptedPort({ output: ["Adds", " two", " numbers.", "\n\n"] });
    const deltas: string[] = [];
    const outcome = await new Pipeline(port).explain({ code: "return a + b;", languageId: "javascript", fileName: "add.js", maxTokens: 8, signal: new AbortController().signal, onText: (d) => deltas.push(d) });
    const chat = port.chatPrompts[0];
    assert.ok(chat && "messages" in chat && chat.messages.user.includes("return a + b;"));
    assert.equal(outcome.text, "Adds two numbers.");
    assert.ok(deltas.join("").startsWith(outcome.text));
    assert.equal(outcome.promptLayout, null);
  });

  it("answers a request cancelled before it runs without evaluating anything", async () => {
    const port = new ScriptedPort({ output: ["x"] });
    const abort = new AbortController();
    abort.abort();
    const outcome = await new Pipeline(port).complete(input("  return", { signal: abort.signal }));
    assert.equal(outcome.stopReason, "cancelled");
    assert.equal(port.prompts.length, 0);
  });

  it("holds generation to maxTokens and teaches the prefill budget from every run", async () => {
    const port = new ScriptedPort({ output: ["a", "b", "c", "d", "e"] });
    // A prompt long enough (128 tokens and more) for its prefill to teach a speed.
    const outcome = await new Pipeline(port).complete(input(`  const text = "${"x".repeat(160)}";`, { maxTokens: 3 }));
    assert.equal(outcome.generatedTokens, 3);
    assert.equal(outcome.stopReason, "maxTokens");
    assert.notEqual(port.budget.speed, null, "the prefill budget learnt a speed");
  });

  it("runs every request through the engine's guard, warm-ups included", async () => {
    const port = new ScriptedPort({ output: ["x"] });
    const pipeline = new Pipeline(port);
    await pipeline.complete(input("  return"));
    await pipeline.warmUp({ ...input("  return a"), signal: new AbortController().signal });
    await pipeline.explain({ code: "return a;", languageId: "javascript", fileName: "add.js", maxTokens: 4, signal: new AbortController().signal });
    assert.equal(port.guarded, 3);
  });
});

describe("completion rules worked out per new line", () => {
  const texts = [
    " a + b;\n  return c;\n}\nfunction next() {",
    "\n    if (x) {\n      y();\n    }\n    z();\n  }\n\n\nmore",
    "value\nvalue\nvalue\n",
    "  first\n  first line again\n  first line again\n",
  ];
  for (const mode of ["line", "block"] as const) {
    it(`decides and streams, ${mode} mode, exactly as the rules over the whole text do, character by character`, () => {
      for (const text of texts) {
        const context = { mode, indent: "  ", nextSuffixLine: "}", maxLines: 16 };
        const rules = completionRules(context);
        for (let end = 1; end <= text.length; end++) {
          const prefix = text.slice(0, end);
          const decision = rules.decide(prefix);
          assert.deepEqual(decision, decideStop(prefix, context), `${JSON.stringify(prefix)}`);
          if (decision.stop) break;
          assert.equal(rules.stable(prefix), streamableText(prefix), `${JSON.stringify(prefix)}`);
        }
      }
    });
  }
});
