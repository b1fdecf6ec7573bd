/**
 * `hearth serve`: composes the daemon (engine, scheduler, server, sessions) and owns its
 * lifecycle: one daemon per home, a discovery file while it listens, exit after an idle
 * time with no clients, and a clean stop on SIGTERM/SIGINT or hearth/stopDaemon.
 */
import path from "node:path";
import { acquireLock, newToken, readLastPort, removeDiscovery, writeDiscovery, writeLastPort } from "./discovery.js";
import { createBackend, localEngine, measureDaemonGpuMemory, PrecisionService, resolveModelSource, roleSourceOf, type BackendChoice, type EngineOptions, type RemoteOptions, type RoleModelChoice } from "./backends.js";
import { loadCatalog } from "./catalog/catalog.js";
import { catalogView } from "./catalog/catalog-view.js";
import { ModelDownloads } from "./model-downloads.js";
import { ModelRoles, type SecondaryModelSpec, type SecondaryRole } from "./roles.js";
import { validateDaemonOptions } from "./validate-daemon-options.js";
import { MetricsLog } from "./metrics.js";
import { PROTOCOL_VERSION, type ModelCatalogResult, type ModelProgressParams, type ModelState, type StatusResult } from "./protocol.js";
import { Scheduler } from "./scheduler.js";
import { defaultServerOptions, HearthServer } from "./server.js";
import { Session } from "./session.js";
import { HEARTH_VERSION, packageRoot } from "./version.js";
import { idleTimingFrom, type IdleTiming } from "./workspace.js";
import { WorkspaceRegistry } from "./workspaces.js";
import { LIBUV_POOL_ADVICE, libuvPoolIsOneThread } from "./engine/libuv-pool.js";
import type { NextEditFormatChoice } from "./next-edit/formats.js";
import { NextEditCounts } from "./next-edit/next-edit-counts.js";

/** The engine's options (the models folder lies in the home), plus the server's. */
export interface DaemonOptions extends Omit<EngineOptions, "modelsDir">, RemoteOptions {
  /** The local engine, or a server Hearth drives. */
  backend: BackendChoice;
  port: number;
  /** Exit after this long with no client; 0 never. */
  idleTimeoutMs: number;
  /** When a workspace's idle pass runs and how often its states may be saved (tests shorten them). */
  idleTiming?: IdleTiming;
  /** The chat model (explanations) and the next-edit model; null or absent: none of its own. */
  chatModel?: RoleModelChoice | null;
  nextEditModel?: RoleModelChoice | null;
  /** Unload a chat or next-edit model unused this long; 0 never (default 10 minutes). */
  modelIdleUnloadMs?: number;
  /** The next-edit prompt format (--next-edit-format). */
  nextEditFormat?: NextEditFormatChoice;
}

/** Unload an unused chat or next-edit model after this long, unless told otherwise. */
const DEFAULT_MODEL_IDLE_UNLOAD_MS = 600_000;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

export async function runDaemon(options: DaemonOptions): Promise<void> {
  validateDaemonOptions(options);
  if (options.backend.kind === "local" && !libuvPoolIsOneThread()) log(`warning: ${LIBUV_POOL_ADVICE}`);
  const releaseLock = acquireLock(options.home);
  const started = Date.now();
  const token = newToken();
  const {
    port: _port,
    idleTimeoutMs: _idleTimeoutMs,
    idleTiming: _idleTiming,
    backend: choice,
    apiKey,
    remoteModel,
    remoteTimeoutMs,
    insecureHttp: _insecureHttp,
    chatModel,
    nextEditModel,
    modelIdleUnloadMs,
    nextEditFormat = "auto",
    ...engineOptions
  } = options;
  const modelsDir = path.join(options.home, "models");
  const backend = createBackend(choice, { ...engineOptions, modelsDir }, { apiKey, remoteModel, remoteTimeoutMs }, log);
  // A chat or next-edit model is a backend of its own: one workspace cache (it serves no
  // completions' documents), no saved states, no draft; the budget is checked before its weights load.
  const secondary = (role: SecondaryRole, roleChoice: RoleModelChoice): SecondaryModelSpec => ({
    source: roleSourceOf(roleChoice),
    build: (admit) =>
      createBackend(
        roleChoice.backend,
        {
          ...engineOptions,
          modelsDir,
          modelSource: roleChoice.model ?? "",
          maxWorkspaces: 1,
          persistKv: false,
          memoryBudgetBytes: 0,
          role,
          // No draft model for a role; lookup also copy-drafts a next edit's window. --spec off turns it off here too.
          speculation: engineOptions.speculation === "off" ? "off" : "lookup",
          draftModelSource: null,
          fimTemplate: "auto",
          kvCacheType: "f16",
          // Explanations are never cut to a prefill budget; next edits are, as completions.
          maxPrefillMs: role === "chat" ? 0 : engineOptions.maxPrefillMs,
          admit,
        },
        { apiKey, remoteModel: roleChoice.model, remoteTimeoutMs },
        log,
      ),
  });
  // The local engine switches precision; a remote backend answers that it can't.
  const engine = localEngine(backend);
  // A waiting completion may run inside a long job's yield point when a sequence is free for it.
  const scheduler = new Scheduler({ mayNest: () => backend.hasFreeSequence() });
  const metrics = new MetricsLog();
  const nextEditCounts = new NextEditCounts();
  // A workspace whose last window closed keeps its KV caches (live until evicted, then on
  // disk) but nothing else: per-workspace state would otherwise grow with every folder opened.
  const workspaces = new WorkspaceRegistry({ backend, scheduler, timing: options.idleTiming ?? idleTimingFrom(process.env), stats: { passes: 0, warmedTokens: 0 }, log });
  const sessions = new Set<Session>();
  let idleTimer: NodeJS.Timeout | null = null;
  let stopping: Promise<void> | null = null;
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));

  const sourceName = choice.kind === "local" ? options.modelSource : `${choice.kind}=${choice.url.href}`;
  const roles = new ModelRoles({
    completion: backend,
    completionSource: sourceName,
    secondary: {
      ...(chatModel ? { chat: secondary("chat", chatModel) } : {}),
      ...(nextEditModel ? { nextEdit: secondary("nextEdit", nextEditModel) } : {}),
    },
    budgetBytes: options.memoryBudgetBytes ?? 0,
    idleUnloadMs: modelIdleUnloadMs ?? DEFAULT_MODEL_IDLE_UNLOAD_MS,
    report: (params) => broadcast(params),
    log,
  });

  const status = async (): Promise<StatusResult> => ({
    version: HEARTH_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    pid: process.pid,
    uptimeMs: Date.now() - started,
    device: { kind: backend.deviceKind(), name: await backend.deviceName(), threads: options.threads },
    backend: await backend.backendInfo(),
    model: backend.modelInfo(),
    modelState: backend.state,
    memory: await backend.memory(),
    models: await roles.models(),
    workspaces: workspaces.all().map((w) => w.status()),
    kvCache: backend.kvStoreInfo(),
    clients: sessions.size,
    idle: { ...workspaces.idleStats },
    nextEdit: { ...nextEditCounts.snapshot(), sessions: [...sessions].map((session) => session.nextEditStatus()) },
    recentRequests: metrics.recent(),
  });

  const armIdleTimer = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (sessions.size > 0 || options.idleTimeoutMs === 0) return;
    idleTimer = setTimeout(() => {
      log(`no clients for ${options.idleTimeoutMs} ms: stopping`);
      void stop();
    }, options.idleTimeoutMs);
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log("stopping");
      if (idleTimer) clearTimeout(idleTimer);
      removeDiscovery(options.home);
      downloads.dispose();
      await scheduler.close();
      workspaces.cancelIdleWork();
      for (const session of sessions) session.close(1001, "daemon stopping");
      await backend.saveAll().catch((error: unknown) => log(`warning: saving KV state failed: ${String(error)}`));
      await server.close();
      await roles.dispose();
      await backend.dispose();
      releaseLock();
      log("stopped");
      markStopped();
    })();
    return stopping;
  };

  const broadcast = (params: ModelProgressParams): void => {
    log(params.message);
    for (const session of sessions) session.notifyModelProgress(params);
  };

  // A client's user said yes to a download: the completion model loads again with downloads
  // allowed; a chat or next-edit model is fetched and loads on first use.
  const localSecondary = (roleChoice: RoleModelChoice | null | undefined): string | undefined =>
    roleChoice && roleChoice.backend.kind === "local" && roleChoice.model ? roleChoice.model : undefined;
  const downloads = new ModelDownloads({
    completion: engine && {
      get state() {
        return engine.state;
      },
      reload: (report, signal) => engine.reload(report, { download: "allow", signal }).then(() => announce(engine.state)),
      ready: () => engine.ready(),
      path: () => engine.modelInfo().path,
    },
    completionSource: sourceName,
    secondary: { chat: localSecondary(chatModel), nextEdit: localSecondary(nextEditModel) },
    fetch: (source, role, report, signal) => resolveModelSource(source, { modelsDir, report, signal, download: "allow", role }),
    fetched: (role) => roles.forgetFailure(role),
    report: broadcast,
    log,
  });
  const modelCatalog = async (): Promise<ModelCatalogResult> =>
    catalogView(loadCatalog(), modelsDir, options.contextSize, await measureDaemonGpuMemory({ gpu: options.gpu, threads: options.threads }));

  const precision =
    engine &&
    new PrecisionService({
      engine,
      scheduler,
      home: options.home,
      entryScript: path.join(packageRoot(), "bin", "hearth.cjs"),
      threads: options.threads,
      report: (phase, progress, message) => broadcast({ source: engine.current.source, phase, progress, message }),
      log,
    });
  const server = new HearthServer({
    ...defaultServerOptions,
    port: options.port,
    token,
    log,
    onConnection: (socket) => {
      if (stopping) return socket.close(1001, "daemon stopping");
      const session = new Session(socket, {
        version: HEARTH_VERSION,
        backend,
        scheduler,
        metrics,
        workspaces,
        status,
        requestStop: () => void stop(),
        precision,
        roles,
        downloads,
        modelCatalog,
        log,
        nextEditFormat,
        nextEditCounts,
      });
      sessions.add(session);
      armIdleTimer();
      void session.onClose.then(() => {
        sessions.delete(session);
        armIdleTimer();
      });
      const state = backend.state;
      if (state.state === "loading") session.notifyModelProgress({ source: sourceName, phase: "load", progress: state.progress, message: "Model loading" });
    },
  });

  let port: number;
  try {
    // Asked for any port: the last daemon's again where it is free, so a remote workbench
    // (code-server, Remote-SSH, Codespaces) keeps forwarding one port across restarts.
    const previous = options.port === 0 ? readLastPort(options.home) : null;
    port = previous === null ? await server.listen() : await server.listen(previous).catch(() => server.listen(0));
  } catch (error) {
    releaseLock();
    throw error;
  }
  writeDiscovery(options.home, { port, pid: process.pid, token, version: HEARTH_VERSION });
  writeLastPort(options.home, port);
  log(`listening on ws://127.0.0.1:${port}/ (pid ${process.pid}, home ${options.home}, threads ${options.threads})`);
  // Tell whoever started us that we listen: over the IPC channel when a client spawned us
  // detached (then let the channel go, so nothing of the spawner keeps this process alive),
  // else as one line on stdout. Everything else goes to stderr.
  const ready = { event: "listening", port, pid: process.pid };
  if (process.send) {
    process.send(ready, () => process.disconnect());
  } else {
    process.stdout.write(`${JSON.stringify(ready)}\n`);
  }
  armIdleTimer();

  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void stop());


  const announce = (state: ModelState): void => {
    if (state.state === "ready") broadcast({ source: sourceName, phase: "ready", progress: 1, message: "Model ready" });
    if (state.state === "failed") broadcast({ source: sourceName, phase: "failed", progress: null, message: `${state.message} ${state.hint}` });
  };
  // A remote server that goes away or comes back changes the state after the load: clients hear of it.
  backend.onStateChange = announce;
  void backend.load((phase, progress, message, bytes) => broadcast({ source: sourceName, phase, progress, message, ...(bytes ?? {}) })).then(() => announce(backend.state));

  await stopped;
}
