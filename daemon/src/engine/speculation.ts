/**
 * Speculative decoding for the engine: which predictor each target sequence gets (fixed when
 * the sequence is created, as node-llama-cpp wants it), the draft model and its context when
 * there is one, and per workspace the adaptive gate and the recent text prompt lookup
 * searches. The engine calls `begin` before a generation and `end` after it.
 *
 * Greedy output never depends on any of this: the target keeps only drafted tokens its own
 * choice agrees with, so speculation changes speed, not text.
 */
import path from "node:path";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token, TokenPredictor } from "node-llama-cpp";
import { HearthError } from "../errors.js";
import { ErrorCodes } from "../protocol.js";
import { resolveModelSource, type ProgressReporter } from "./model-source.js";
import type { DownloadChoice } from "../options.js";
import { pairedDraftFor } from "./predictors/draft-pairing.js";
import { DraftModelPredictor, type DraftOptions } from "./predictors/draft-predictor.js";
import { assertSameVocabulary, vocabularyOf } from "./predictors/draft-vocabulary.js";
import { LookupTokenPredictor, type CopySource, type LookupOptions } from "./predictors/lookup-predictor.js";
import { RecentText } from "./predictors/recent-text.js";
import { DEFAULT_GATE_OPTIONS, SpeculationGate, type GateOptions, type GateState } from "./predictors/speculation-gate.js";
import { SpeculativePredictor } from "./predictors/speculative-predictor.js";

import type { SpeculationMode } from "../options.js";
export { SPECULATION_MODES, type SpeculationMode } from "../options.js";
export type { CopySource } from "./predictors/lookup-predictor.js";

/**
 * Within one generation, the share of drafted tokens below which drafting stops for the rest
 * of it. On a CPU checking a batch is dear (llama-bench, 0.5B shape, 1 thread: 4 tokens cost
 * 2.4 single-token steps, 16 cost 4.9), so a try at 29% accepted still halved the decode
 * speed: about half must be accepted to pay. On a GPU a wider batch costs little.
 */
const CUTOFF_ACCEPTANCE_BY_DEVICE: Record<"cpu" | "gpu", number> = { cpu: 0.5, gpu: 0.2 };

export interface SpeculationOptions {
  mode: SpeculationMode;
  /** For "draft": a .gguf path, an hf: URI or generated:NAME, as for the target; "auto" or none pairs by name. */
  draftSource?: string | null;
  modelsDir: string;
  /** never: a draft that is not on disk fails with HEARTH_ERR_MODEL_NOT_DOWNLOADED (default allow). */
  download?: DownloadChoice;
  /** Stops a draft's download. */
  signal?: AbortSignal;
  report: ProgressReporter;
  /** Target sequences that will ask for a predictor. */
  sequences: number;
  threads: number;
  lookup?: Partial<LookupOptions>;
  draft?: Partial<DraftOptions>;
  gate?: Partial<GateOptions>;
  /**
   * Whether lookup also searches the workspace's recent text (default true). The spec bench
   * turns it off: it repeats one request, whose earlier answers would make any trace predictable.
   */
  recentText?: boolean;
}

/**
 * A next-edit generation's gate is its own, apart from the workspace's completions': its
 * output copies a window, so what drafting achieves for completions says nothing of it (and
 * a workspace whose completions turned speculation off must still copy-draft its next edits).
 */
const NEXT_EDIT_GATE = "\u0000next-edit";

/** What one generation drafted (from the sequence's counters) and how fast it decoded. */
export interface SpeculationCounts {
  draftTokens: number;
  acceptedTokens: number;
  /** Milliseconds from the first generated token to the last. */
  decodeMs: number;
  generatedTokens: number;
}

interface DraftResources {
  model: LlamaModel;
  context: LlamaContext;
  source: string;
}

export class Speculation {
  private readonly gates = new Map<string, SpeculationGate>();
  private readonly recent = new Map<string, RecentText>();

  private constructor(
    readonly mode: SpeculationMode,
    private readonly options: SpeculationOptions,
    private readonly draft: DraftResources | null,
    private readonly device: "cpu" | "gpu",
  ) {}

  /** Loads and checks the draft model when the mode needs one; throws a HearthError when it can't be used. */
  static async create(llama: Llama, target: LlamaModel, targetContext: LlamaContext, options: SpeculationOptions, targetPath?: string): Promise<Speculation> {
    const device = llama.gpu === false ? "cpu" : "gpu";
    if (options.mode !== "draft") return new Speculation(options.mode, options, null, device);
    const configured = options.draftSource ?? "auto";
    // "auto" (or nothing configured): pair by name with a smaller model of the same family.
    const source = configured === "auto" || configured === "" ? (targetPath ? pairedDraftFor(targetPath) : null) : configured;
    if (source === null) {
      throw new HearthError(
        ErrorCodes.ModelLoadFailed,
        "HEARTH_ERR_NO_DRAFT_MODEL",
        `Speculation mode draft needs a draft model; none is configured and no smaller model of the same family lies beside ${targetPath ? path.basename(targetPath) : "the target"}.`,
        "Pass --draft MODEL (a smaller model with the same vocabulary), put one beside the target (e.g. …-0.5B-….gguf), or use --spec lookup.",
      );
    }
    const modelPath = await resolveModelSource(source, {
      modelsDir: options.modelsDir,
      report: options.report,
      role: "draft",
      ...(options.download ? { download: options.download } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    options.report("load", null, `Loading draft model ${modelPath}`);
    const model = await llama.loadModel({ modelPath });
    try {
      assertSameVocabulary(vocabularyOf(target), vocabularyOf(model), source);
      // One draft sequence per target sequence, each as long as the target's context.
      const context = await model.createContext({ contextSize: targetContext.contextSize, sequences: options.sequences, threads: options.threads, flashAttention: targetContext.flashAttention });
      return new Speculation("draft", options, { model, context, source }, device);
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }

  get draftSource(): string | null {
    return this.draft?.source ?? null;
  }

  /** A predictor for a new target sequence; undefined with speculation off. */
  predictor(): TokenPredictor | undefined {
    const predictor =
      this.mode === "lookup" ? new LookupTokenPredictor(this.options.lookup) : this.mode === "draft" && this.draft ? new DraftModelPredictor(this.draft.context.getSequence(), this.options.draft) : undefined;
    // A generation gives up drafting once it has as much evidence as the gate judges on, and too little of it accepted to pay here.
    if (predictor) predictor.cutoff = { minDrafted: { ...DEFAULT_GATE_OPTIONS, ...this.options.gate }.minEvidence, minAcceptance: CUTOFF_ACCEPTANCE_BY_DEVICE[this.device] };
    return predictor;
  }

  /**
   * Before a generation on `sequence` for `workspaceId`: whether to speculate, what lookup may
   * search, and for a next edit the window its output copies (lookup mode drafts from it; a
   * draft model ignores it).
   */
  begin(sequence: LlamaContextSequence, workspaceId: string, documentKey: string, copy: CopySource | null = null): void {
    const predictor = sequence.tokenPredictor;
    if (!(predictor instanceof SpeculativePredictor)) return;
    predictor.enabled = this.gate(gateKey(workspaceId, copy)).allow();
    if (predictor instanceof LookupTokenPredictor) {
      predictor.setHistory(this.options.recentText === false ? [] : this.recentText(workspaceId).segmentsFor(documentKey));
      predictor.setCopySource(copy);
    }
  }

  /** After it: the gate learns what speculating (or not) achieved, and the recent text gets the request. */
  end(sequence: LlamaContextSequence, workspaceId: string, documentKey: string, prompt: readonly Token[], counts: SpeculationCounts, copy: CopySource | null = null): void {
    const predictor = sequence.tokenPredictor;
    if (!(predictor instanceof SpeculativePredictor)) return;
    if (predictor instanceof LookupTokenPredictor) predictor.setCopySource(null);
    this.gate(gateKey(workspaceId, copy)).record({
      speculated: predictor.enabled,
      draftTokens: counts.draftTokens,
      acceptedTokens: counts.acceptedTokens,
      decodeMs: counts.decodeMs,
      decodedTokens: Math.max(0, counts.generatedTokens - 1),
    });
    if (predictor instanceof LookupTokenPredictor && this.options.recentText !== false) {
      // The sequence holds the prompt, then what was generated (all but the last token, which
      // is sampled but never evaluated; lookup can do without it).
      const generated = sequence.contextTokens.slice(prompt.length);
      this.recentText(workspaceId).add(documentKey, prompt, generated);
    }
  }

  /** Drops what was kept for a workspace whose last client left. */
  forget(workspaceId: string): void {
    this.gates.delete(workspaceId);
    this.gates.delete(workspaceId + NEXT_EDIT_GATE);
    this.recent.delete(workspaceId);
  }

  /** The gate's view of a workspace (of its next edits with `nextEdit`), for status, the bench and tests. */
  gateState(workspaceId: string, nextEdit = false): Readonly<GateState> {
    return this.gate(nextEdit ? workspaceId + NEXT_EDIT_GATE : workspaceId).snapshot;
  }

  async dispose(): Promise<void> {
    if (!this.draft) return;
    await this.draft.context.dispose();
    await this.draft.model.dispose();
  }

  private gate(workspaceId: string): SpeculationGate {
    let gate = this.gates.get(workspaceId);
    if (!gate) {
      // Refuted means too little accepted to pay on this device: the predictors' cutoff share.
      gate = new SpeculationGate({ minAcceptance: CUTOFF_ACCEPTANCE_BY_DEVICE[this.device], ...this.options.gate });
      this.gates.set(workspaceId, gate);
    }
    return gate;
  }

  private recentText(workspaceId: string): RecentText {
    let text = this.recent.get(workspaceId);
    if (!text) {
      text = new RecentText();
      this.recent.set(workspaceId, text);
    }
    return text;
  }
}

/** The gate a generation answers to: the workspace's, or its next edits' when it copies a window. */
function gateKey(workspaceId: string, copy: CopySource | null): string {
  return copy === null ? workspaceId : workspaceId + NEXT_EDIT_GATE;
}
