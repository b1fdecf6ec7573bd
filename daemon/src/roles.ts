/**
 * The models by role. The completion model is the daemon's own backend, loaded at start and
 * kept. A chat model (explanations) and a next-edit model are backends of their own, each
 * with its own pipeline, context and caches: they load on first use (their progress told to
 * clients as the completion model's is), unload after an idle time, and share one memory
 * budget with the completion model, which they never push out: a model that would not fit
 * in what the completion model (and any other role) leaves of the budget, or with no budget
 * set in the memory the machine has free (RAM, VRAM on a GPU), is refused with a typed error
 * that says what would fit. Every request a role serves names its model in the metrics.
 */
import path from "node:path";
import type { Admission, GenerationOutcome, InferenceBackend, LoadNeed, ProgressReporter, RequestPipeline } from "./backend.js";
import { HearthError } from "./errors.js";
import type { ModelProgressParams, ModelState, RoleModelInfo, ServedBy } from "./protocol.js";

/** The roles a request is served by (a draft only drafts for the completion model). */
export type ServingRole = "completion" | "chat" | "nextEdit";
export type SecondaryRole = Exclude<ServingRole, "completion">;

export interface SecondaryModelSpec {
  /** What the user configured, as status shows it (a path, hf: URI, generated:NAME, or the server). */
  source: string;
  /** A fresh backend for this role; `admit` (passed to the local engine, which asks before loading weights) refuses a model that would not fit. */
  build(admit: Admission): InferenceBackend;
}

export interface ModelRolesOptions {
  /** The daemon's backend: the completion model, loaded by the daemon. */
  completion: InferenceBackend;
  completionSource: string;
  secondary: Partial<Record<SecondaryRole, SecondaryModelSpec>>;
  /** Bytes every role's weights and caches may take together; 0: no budget, a secondary model must fit in the memory free. */
  budgetBytes: number;
  /** Unload a secondary model unused this long; 0: never. */
  idleUnloadMs: number;
  /** Tells clients how a load goes (hearth/modelProgress). */
  report(params: ModelProgressParams): void;
  log(message: string): void;
}

/** A pipeline and who it serves as. */
export interface Serving {
  pipeline: RequestPipeline;
  servedBy: ServedBy;
}

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.max(0, Math.ceil(bytes / MB));

const ROLE_NAMES: Record<SecondaryRole, { noun: string; setting: string; flag: string }> = {
  chat: { noun: "chat model", setting: "hearth.model.chat", flag: "--chat-model" },
  nextEdit: { noun: "next-edit model", setting: "hearth.model.nextEdit", flag: "--next-edit-model" },
};

/** The name requests and status give a backend's model: its own name once loaded, else what was configured. */
function nameOf(backend: InferenceBackend, source: string): string {
  const name = backend.modelInfo().name;
  return name !== "" ? name : source.startsWith("generated:") || /[\\/]/.test(source) ? path.basename(source) : source;
}

/** A model that is not on disk (or could not be fetched) keeps its name, so a client can offer the download; any other failure is a load failure. */
function keptCode(code: string | undefined): "HEARTH_ERR_MODEL_NOT_DOWNLOADED" | "HEARTH_ERR_MODEL_HUB_UNREACHABLE" | "HEARTH_ERR_MODEL_DOWNLOAD_FAILED" | "HEARTH_ERR_MODEL_LOAD_FAILED" {
  return code === "HEARTH_ERR_MODEL_NOT_DOWNLOADED" || code === "HEARTH_ERR_MODEL_HUB_UNREACHABLE" || code === "HEARTH_ERR_MODEL_DOWNLOAD_FAILED" ? code : "HEARTH_ERR_MODEL_LOAD_FAILED";
}

async function residentBytes(backend: InferenceBackend): Promise<number> {
  const memory = await backend.memory();
  return memory.modelBytes + memory.kvBytes;
}

function stateName(state: ModelState): RoleModelInfo["state"] {
  return state.state;
}

/**
 * A pipeline that names the model it ran on in every outcome (named once the request is
 * done: a request that waited for the model's load learns its name), and marks its role in
 * use while it runs.
 */
class NamedPipeline implements RequestPipeline {
  constructor(
    private readonly use: <R>(work: (backend: InferenceBackend) => Promise<R>) => Promise<R>,
    private readonly source: string,
  ) {}

  complete(input: Parameters<RequestPipeline["complete"]>[0]): Promise<GenerationOutcome> {
    return this.use(async (backend) => ({ ...(await backend.pipeline.complete(input)), model: nameOf(backend, this.source) }));
  }

  warmUp(input: Parameters<RequestPipeline["warmUp"]>[0]): Promise<number> {
    return this.use((backend) => backend.pipeline.warmUp(input));
  }

  explain(input: Parameters<RequestPipeline["explain"]>[0]): Promise<GenerationOutcome> {
    return this.use(async (backend) => ({ ...(await backend.pipeline.explain(input)), model: nameOf(backend, this.source) }));
  }

  nextEdit(input: Parameters<RequestPipeline["nextEdit"]>[0]): ReturnType<RequestPipeline["nextEdit"]> {
    return this.use(async (backend) => ({ ...(await backend.pipeline.nextEdit(input)), model: nameOf(backend, this.source) }));
  }
}

/** One secondary role's model: absent (unloaded), loading, or loaded, with its users and idle timer. */
class SecondaryModel {
  backend: InferenceBackend | null = null;
  loading: Promise<InferenceBackend> | null = null;
  /** Requests running on it now: it is never unloaded under them. */
  active = 0;
  idleTimer: NodeJS.Timeout | null = null;
  lastError: HearthError | null = null;
  readonly pipeline: NamedPipeline;

  constructor(
    readonly role: SecondaryRole,
    readonly spec: SecondaryModelSpec,
    use: ConstructorParameters<typeof NamedPipeline>[0],
  ) {
    this.pipeline = new NamedPipeline(use, spec.source);
  }
}

export class ModelRoles {
  private readonly secondaries = new Map<SecondaryRole, SecondaryModel>();
  private readonly completionPipeline: NamedPipeline;
  /** Secondary loads one at a time, so two can't both count the same free memory. */
  private loadQueue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(private readonly options: ModelRolesOptions) {
    const completion = options.completion;
    this.completionPipeline = new NamedPipeline((work) => work(completion), options.completionSource);
    for (const role of ["chat", "nextEdit"] as const) {
      const spec = options.secondary[role];
      if (spec === undefined) continue;
      const model: SecondaryModel = new SecondaryModel(role, spec, (work) => this.use(model, work));
      this.secondaries.set(role, model);
    }
  }

  /** A role's model was fetched since its last load failed: that failure no longer holds (it loads on its next use). */
  forgetFailure(role: SecondaryRole): void {
    const model = this.secondaries.get(role);
    if (model !== undefined && model.loading === null) model.lastError = null;
  }

  /** Whether a role has a model of its own (the completion model always has). */
  has(role: ServingRole): boolean {
    return role === "completion" || this.secondaries.has(role);
  }

  /**
   * The pipeline that serves a role: the completion model's; a chat or next-edit model's,
   * loaded first if it is not (a typed error when it can't be, over the budget or failing);
   * the completion model's for chat when no chat model is set; null for a next-edit role
   * with no model.
   */
  pipelineFor(role: "completion" | "chat"): Promise<RequestPipeline>;
  pipelineFor(role: ServingRole): Promise<RequestPipeline | null>;
  async pipelineFor(role: ServingRole): Promise<RequestPipeline | null> {
    return (await this.serve(role))?.pipeline ?? null;
  }

  /** As pipelineFor, with the model that will serve, for results that say so (ExplainResult.servedBy). */
  serve(role: "completion" | "chat"): Promise<Serving>;
  serve(role: ServingRole): Promise<Serving | null>;
  async serve(role: ServingRole): Promise<Serving | null> {
    const completion = (): Serving => ({ pipeline: this.completionPipeline, servedBy: { role: "completion", model: this.completionName(), fallback: role !== "completion" } });
    if (role === "completion") return completion();
    const model = this.secondaries.get(role);
    if (model === undefined) return role === "chat" ? completion() : null;
    // Loaded here, before the request queues: a load never holds up the completions in the scheduler.
    const backend = await this.ensureLoaded(model);
    this.armIdleTimer(model);
    return { pipeline: model.pipeline, servedBy: { role, model: nameOf(backend, model.spec.source), fallback: false } };
  }

  /** Every configured model by role, for hearth/status. */
  async models(): Promise<RoleModelInfo[]> {
    const completion = this.options.completion;
    const info = completion.modelInfo();
    const state = completion.state;
    const models: RoleModelInfo[] = [
      {
        role: "completion",
        source: this.options.completionSource,
        name: info.name,
        precision: info.precision,
        state: stateName(state),
        memoryBytes: await residentBytes(completion),
        error: state.state === "failed" ? `${state.message} ${state.hint}` : null,
      },
    ];
    for (const model of this.secondaries.values()) {
      const backend = model.backend;
      const loaded = backend !== null && backend.state.state === "ready" && model.loading === null;
      const backendInfo = backend?.modelInfo();
      models.push({
        role: model.role,
        source: model.spec.source,
        name: backendInfo?.name ?? "",
        precision: backendInfo?.precision ?? "",
        state: model.loading !== null ? "loading" : loaded ? "ready" : model.lastError !== null ? "failed" : "unloaded",
        memoryBytes: loaded && backend ? await residentBytes(backend) : 0,
        error: model.lastError === null ? null : `${model.lastError.message} ${model.lastError.hint}`,
      });
    }
    if (info.draft !== null) {
      models.push({ role: "draft", source: info.draft, name: path.basename(info.draft), precision: "", state: stateName(state), memoryBytes: null, error: null });
    }
    return models;
  }

  /** Unloads every secondary model (the daemon stops; the completion model is the daemon's to dispose). */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const model of this.secondaries.values()) {
      if (model.idleTimer) clearTimeout(model.idleTimer);
      model.idleTimer = null;
      await model.loading?.catch(() => undefined);
      const backend = model.backend;
      model.backend = null;
      await backend?.dispose().catch((error: unknown) => this.options.log(`warning: unloading the ${ROLE_NAMES[model.role].noun} failed: ${String(error)}`));
    }
  }

  private completionName(): string {
    return nameOf(this.options.completion, this.options.completionSource);
  }

  /** Runs one request on a secondary model: loaded (again, if it went idle meanwhile), in use while it runs, idle timer after. */
  private async use<R>(model: SecondaryModel, work: (backend: InferenceBackend) => Promise<R>): Promise<R> {
    const backend = await this.ensureLoaded(model);
    model.active++;
    if (model.idleTimer) clearTimeout(model.idleTimer);
    model.idleTimer = null;
    try {
      return await work(backend);
    } finally {
      model.active--;
      this.armIdleTimer(model);
    }
  }

  private ensureLoaded(model: SecondaryModel): Promise<InferenceBackend> {
    if (this.disposed) return Promise.reject(new HearthError("HEARTH_ERR_SHUTTING_DOWN", "The daemon is shutting down.", "Reconnect once it has restarted."));
    if (model.loading !== null) return model.loading;
    if (model.backend !== null && model.backend.state.state === "ready") return Promise.resolve(model.backend);
    const loading = this.loadQueue.then(() => this.load(model));
    this.loadQueue = loading.catch(() => undefined);
    model.loading = loading.finally(() => (model.loading = null));
    return model.loading;
  }

  private async load(model: SecondaryModel): Promise<InferenceBackend> {
    const { role, spec } = model;
    // A backend that stopped answering (a remote server lost) is replaced by a fresh one.
    if (model.backend !== null) await this.unload(model, "it was not ready");
    let refusal: HearthError | null = null;
    const backend = spec.build(async (need) => {
      refusal = this.options.budgetBytes > 0 ? await this.overBudget(model, need.bytes) : overFreeMemory(model, need);
      if (refusal !== null) throw refusal;
    });
    model.backend = backend;
    const report: ProgressReporter = (phase, progress, message) => this.options.report({ source: spec.source, role, phase, progress, message });
    this.options.log(`loading the ${ROLE_NAMES[role].noun} ${spec.source} (first use)`);
    await backend.load(report);
    const state = backend.state;
    if (state.state === "ready") {
      model.lastError = null;
      this.options.report({ source: spec.source, role, phase: "ready", progress: 1, message: `${ROLE_NAMES[role].noun} ready: ${nameOf(backend, spec.source)}` });
      return backend;
    }
    model.backend = null;
    await backend.dispose().catch(() => undefined);
    const error: HearthError =
      refusal ??
      (state.state === "failed"
        ? new HearthError(keptCode(state.code), `The ${ROLE_NAMES[role].noun} did not load: ${state.message}`, `${state.hint} Or clear ${ROLE_NAMES[role].setting} (${ROLE_NAMES[role].flag}).`)
        : new HearthError("HEARTH_ERR_MODEL_NOT_READY", `The ${ROLE_NAMES[role].noun} is not ready.`, "Try again in a moment."));
    if (state.state === "failed" && state.download) error.withDownload(state.download);
    model.lastError = error;
    this.options.report({ source: spec.source, role, phase: "failed", progress: null, message: `${error.message} ${error.hint}` });
    throw error;
  }

  /** Null when `needBytes` fits in the budget beside what is loaded; else the typed refusal, saying what would fit. */
  private async overBudget(model: SecondaryModel, needBytes: number): Promise<HearthError | null> {
    const budget = this.options.budgetBytes;
    let used = await residentBytes(this.options.completion);
    for (const other of this.secondaries.values()) {
      if (other !== model && other.backend !== null && other.backend.state.state === "ready") used += await residentBytes(other.backend);
    }
    const free = Math.max(0, budget - used);
    if (needBytes <= free) return null;
    const names = ROLE_NAMES[model.role];
    return new HearthError(
      "HEARTH_ERR_MODEL_OVER_BUDGET",
      `The ${names.noun} ${model.spec.source} needs ${mb(needBytes)} MB (weights and cache), but only ${mb(free)} MB of the ${mb(budget)} MB memory budget is free beside the models loaded (${mb(used)} MB). The completion model keeps serving.`,
      `Raise the memory budget to at least ${mb(used + needBytes)} MB (--memory-budget-mb, hearth.daemon.memoryBudgetMB), or set ${names.setting} (${names.flag}) to a model that needs at most ${mb(free)} MB.`,
    );
  }

  private armIdleTimer(model: SecondaryModel): void {
    if (model.idleTimer) clearTimeout(model.idleTimer);
    model.idleTimer = null;
    const idleMs = this.options.idleUnloadMs;
    if (idleMs <= 0 || this.disposed) return;
    model.idleTimer = setTimeout(() => {
      model.idleTimer = null;
      if (model.active > 0 || model.loading !== null) return;
      void this.unload(model, `unused for ${Math.round(idleMs / 1000)} s`);
    }, idleMs);
    model.idleTimer.unref();
  }

  private async unload(model: SecondaryModel, why: string): Promise<void> {
    const backend = model.backend;
    if (backend === null) return;
    model.backend = null;
    this.options.log(`unloading the ${ROLE_NAMES[model.role].noun} ${model.spec.source}: ${why}`);
    await backend.dispose().catch((error: unknown) => this.options.log(`warning: unloading the ${ROLE_NAMES[model.role].noun} failed: ${String(error)}`));
  }
}

/**
 * With no budget set: null when the model fits in the memory free where it would load (the
 * loaded models already hold theirs); else the typed refusal, saying what would fit. Never
 * loading past it keeps the machine off swap and the completion model's caches warm.
 */
function overFreeMemory(model: SecondaryModel, need: LoadNeed): HearthError | null {
  if (need.bytes <= need.freeBytes) return null;
  const names = ROLE_NAMES[model.role];
  return new HearthError(
    "HEARTH_ERR_MODEL_OVER_BUDGET",
    `The ${names.noun} ${model.spec.source} needs ${mb(need.bytes)} MB (weights and cache), but only ${mb(need.freeBytes)} MB of ${need.memory} is free on this machine beside the models loaded (no memory budget is set). The completion model keeps serving.`,
    `Set ${names.setting} (${names.flag}) to a model that needs at most ${mb(need.freeBytes)} MB, or free ${mb(need.bytes - need.freeBytes)} MB of ${need.memory} (close other programs) and ask again.`,
  );
}
