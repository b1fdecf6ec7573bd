/**
 * Chooses the FIM prompt for one completion request: the held layout continued when it
 * still describes the document (a keystroke, Enter included, costs the few tokens typed),
 * else a fresh layout, cut to what this machine prefills within its budget.
 *
 * The prefill-budget cut is searched only when the layout is laid out anew for a cursor
 * jump, an edit elsewhere or at idle; a layout that overflows while the user types keeps
 * the budget it was cut to, so the cut never moves on a keystroke.
 *
 * Token-agnostic (`T` is the backend's token type) and free of node-llama-cpp: each backend
 * passes its tokenizer (the local model's, or a server's /tokenize) and a view of what its
 * cache already holds.
 */
import { firstNonBlankLine } from "./completion-stops.js";
import { buildFimSegments, fitSegments, formatContextChunks, type ContextChunk } from "./fim-prompt.js";
import { MIN_COLD_PROMPT_TOKENS } from "./prefill-budget.js";
import { ANCHOR_CONTEXT_CHARS, continueLayout, cursorLine, type HeldLayout } from "./prompt-layout.js";

/** What the head is rendered from; the family's template (fim-templates.ts) decides the tokens. */
export interface HeadParts {
  chunks: readonly ContextChunk[];
  above: string;
  suffix: string;
}

export interface PromptRequest<T> {
  text: string;
  cursor: number;
  chunks: readonly ContextChunk[];
  /** The tokens of everything before the middle's text, in the model family's FIM format. */
  renderHead: (parts: HeadParts) => T[] | Promise<T[]>;
  tokenize: (text: string) => T[] | Promise<T[]>;
  /**
   * Tokens in `text`, for fitting segments to the budget (called many times per fresh layout,
   * so it must be cheap: exact for the local model, an estimate for a remote one; a fresh
   * prompt found longer than the budget is fitted again, smaller).
   */
  countTokens: (text: string) => number;
  /** The most prompt tokens that leave room for the answer in the context. */
  maxPromptTokens: number;
  /** The most tokens a cold prompt may evaluate (the prefill budget; Infinity: no cap). */
  coldLimit: number;
  /** How many of `prompt`'s tokens the sequence does not hold yet. */
  uncached: (prompt: readonly T[]) => number;
  /** Layouts the sequence holds, most recent first (a warm-up may have left a second one). */
  held: readonly HeldLayout<T>[];
  /** Lay out anew even when a held layout still fits (idle warm-up): the cut may grow back. */
  renew: boolean;
}

export interface PromptPlan<T> {
  prompt: T[];
  layout: HeldLayout<T>;
  /** held: a held layout continued; overflow: laid out anew at the held cut; fresh: laid out anew. */
  how: "held" | "overflow" | "fresh";
  lineSuffix: string;
  indent: string;
  /** The first non-blank line after the cursor's line in the suffix the model sees. */
  nextSuffixLine: string;
}

export async function planCompletionPrompt<T>(request: PromptRequest<T>): Promise<PromptPlan<T>> {
  const { text, cursor, tokenize } = request;
  const offered = formatContextChunks(request.chunks);
  const finish = async (layout: HeldLayout<T>, middle: string, how: PromptPlan<T>["how"]): Promise<PromptPlan<T>> => {
    const line = cursorLine(text, cursor);
    const middleTokens = middle.length === 0 ? [] : await tokenize(middle);
    return { prompt: [...layout.head, ...middleTokens], layout, how, ...line, nextSuffixLine: firstNonBlankLine(layout.suffix.slice(line.lineSuffix.length)) };
  };
  const layOut = async (budget: number, fitTo: number, how: PromptPlan<T>["how"]): Promise<PromptPlan<T>> => {
    const segments = fitSegments(buildFimSegments(text, cursor, request.chunks), request.countTokens, fitTo);
    // The head is tokenized apart from the middle, so a keystroke can't change its tokens.
    // (fitSegments empties the context when the chunks don't fit.)
    const head = await request.renderHead({ chunks: segments.context === "" ? [] : request.chunks, above: segments.above, suffix: segments.suffix });
    const beforeAnchor = text.slice(Math.max(0, segments.anchor - ANCHOR_CONTEXT_CHARS), segments.anchor);
    return finish({ context: offered, above: segments.above, suffix: segments.suffix, anchor: segments.anchor, beforeAnchor, budget, head }, segments.linePrefix, how);
  };
  /** A fresh layout within `budget` real tokens: an estimating count may overshoot, so fit again smaller (a few times at most). */
  const fresh = async (budget: number, how: PromptPlan<T>["how"]): Promise<PromptPlan<T>> => {
    let plan = await layOut(budget, budget, how);
    for (let fitTo = budget, tries = 0; plan.prompt.length > budget && tries < 4; tries++) {
      fitTo = Math.floor(fitTo * (budget / plan.prompt.length) * 0.95);
      plan = await layOut(budget, fitTo, how);
    }
    return plan;
  };

  if (!request.renew) {
    let overflowed: HeldLayout<T> | null = null;
    let best: PromptPlan<T> | null = null;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const layout of request.held) {
      const next = continueLayout(layout, text, cursor, offered);
      if (next.kind === "moved") continue;
      const plan = next.kind === "held" ? await finish(layout, next.middle, "held") : null;
      if (plan === null || plan.prompt.length > request.maxPromptTokens) {
        overflowed ??= layout;
        continue;
      }
      const cost = request.uncached(plan.prompt);
      if (cost < bestCost) [best, bestCost] = [plan, cost];
    }
    if (best) return best;
    if (overflowed) return await fresh(Math.min(overflowed.budget, request.maxPromptTokens), "overflow");
  }

  let plan = await fresh(request.maxPromptTokens, "fresh");
  const { coldLimit } = request;
  if (plan.prompt.length > coldLimit && request.uncached(plan.prompt) > coldLimit) {
    // The largest power-of-two cut whose uncached part is affordable: the one the cache
    // holds (cut under an earlier speed, or before a restart) when there is one.
    const fullLength = plan.prompt.length;
    for (let budget = MIN_COLD_PROMPT_TOKENS; budget < fullLength; budget *= 2) {
      const candidate = await fresh(budget, "fresh");
      if (budget === MIN_COLD_PROMPT_TOKENS || request.uncached(candidate.prompt) <= coldLimit) plan = candidate;
    }
  }
  return plan;
}
