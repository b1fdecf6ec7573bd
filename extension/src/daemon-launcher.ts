/**
 * Finds the daemon this window should talk to, and starts it when none runs: the home folder
 * (setting, else $HEARTH_HOME, else the user's cache folder), the `hearth` entry script that
 * ships with the extension, and the `serve` flags built from the settings. The connecting
 * and spawning itself (discovery file, detached start with UV_THREADPOOL_SIZE=1, token) is
 * the daemon's own client code, shared with the CLI.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import type WebSocket from "ws";
import { connectToDaemon, daemonLogPath } from "../../daemon/src/client/connect.js";
import { hearthHome, type DiscoveryInfo } from "../../daemon/src/discovery.js";
import type { Config } from "./config.js";
import type { Log } from "./log.js";

export interface DaemonEndpoint {
  socket: WebSocket;
  info: DiscoveryInfo;
}

/** The settings a launch reads (Config has them; a test outside VS Code gives them as data). */
export type LaunchSettings = Pick<
  Config,
  | "daemonHome"
  | "backend"
  | "remoteInsecureHttp"
  | "remoteModel"
  | "modelPath"
  | "draftModel"
  | "chatModel"
  | "nextEditModel"
  | "modelIdleUnloadSeconds"
  | "contextSize"
  | "memoryBudgetMB"
  | "gpu"
  | "fimTemplate"
  | "nextEditFormat"
>;

export class DaemonLauncher {
  private serveFlags: Promise<ReadonlySet<string>> | null = null;

  constructor(
    private readonly extensionPath: string,
    private readonly config: LaunchSettings,
    private readonly log: Pick<Log, "warn">,
    /** The remote server's API key from VS Code's secret storage (undefined when none is set). */
    private readonly apiKey: () => Thenable<string | undefined> = async () => undefined,
  ) {}

  get home(): string {
    return this.config.daemonHome !== "" ? path.resolve(this.config.daemonHome) : hearthHome(process.env);
  }

  get logFile(): string {
    return daemonLogPath(this.home);
  }

  private get entry(): string {
    return path.join(this.extensionPath, "bin", "hearth.cjs");
  }

  /**
   * Inside desktop VS Code `process.execPath` is Electron: this variable makes it run the
   * daemon as plain Node. Harmless under code-server, where it is Node already.
   */
  private get env(): NodeJS.ProcessEnv {
    return process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: "1" } : { ...process.env };
  }

  /** Connects to the running daemon, or starts one with the current settings and connects. */
  async connect(): Promise<DaemonEndpoint> {
    const home = this.home;
    const problem = homeProblem(home);
    if (problem) throw new Error(problem);
    // The key reaches a daemon this window starts through its environment: never its command line (ps shows that) or a settings file.
    const key = this.config.backend === "local" ? undefined : await this.apiKey();
    const env = key ? { ...this.env, HEARTH_API_KEY: key } : this.env;
    return connectToDaemon({ home, entry: this.entry, serveArgs: await this.serveArgs(), env, spawnTimeoutMs: 60_000 });
  }

  /** `hearth serve` flags from the settings; ones this daemon build does not know are left out, with a warning. */
  async serveArgs(): Promise<string[]> {
    const supported = await this.supportedServeFlags();
    const args: string[] = [];
    const add = (flag: string, value: string, setting: string): void => {
      if (supported.has(flag)) args.push(flag, value);
      else this.log.warn(`${setting} is set, but this Hearth daemon has no ${flag} option yet; the setting is ignored.`);
    };
    // Nothing is downloaded unasked from the editor: a model that is not on disk fails at once
    // with what a download would fetch, and the first run asks (first-run/), then sends
    // hearth/downloadModel with a progress notification the user can cancel.
    if (supported.has("--download")) args.push("--download", "never");
    if (this.config.backend !== "local") add("--backend", this.config.backend, "hearth.backend");
    if (this.config.backend !== "local" && this.config.remoteInsecureHttp) {
      if (supported.has("--insecure-http")) args.push("--insecure-http");
      else this.log.warn("hearth.remote.insecureHttp is set, but this Hearth daemon has no --insecure-http option yet; the setting is ignored.");
    }
    if (this.config.remoteModel !== "") add("--remote-model", this.config.remoteModel, "hearth.remote.model");
    if (this.config.modelPath !== "") add("--model", this.config.modelPath, "hearth.model.path");
    if (this.config.draftModel !== "") add("--draft", this.config.draftModel, "hearth.model.draft");
    if (this.config.chatModel !== "") add("--chat-model", this.config.chatModel, "hearth.model.chat");
    if (this.config.nextEditModel !== "") add("--next-edit-model", this.config.nextEditModel, "hearth.model.nextEdit");
    if (this.config.modelIdleUnloadSeconds !== 600) add("--model-idle-unload-s", String(this.config.modelIdleUnloadSeconds), "hearth.model.idleUnloadSeconds");
    if (this.config.contextSize !== 4096) add("--ctx", String(this.config.contextSize), "hearth.model.contextSize");
    if (this.config.memoryBudgetMB > 0) add("--memory-budget-mb", String(this.config.memoryBudgetMB), "hearth.daemon.memoryBudgetMB");
    if (this.config.gpu !== "auto") add("--gpu", this.config.gpu, "hearth.daemon.gpu");
    if (this.config.fimTemplate !== "auto") add("--fim-template", this.config.fimTemplate, "hearth.model.fimTemplate");
    if (this.config.nextEditFormat !== "auto") add("--next-edit-format", this.config.nextEditFormat, "hearth.nextEdit.format");
    return args;
  }

  /** The flags `hearth serve --help` lists, read once per session. */
  private supportedServeFlags(): Promise<ReadonlySet<string>> {
    this.serveFlags ??= new Promise((resolve) => {
      execFile(process.execPath, [this.entry, "serve", "--help"], { env: this.env, timeout: 30_000 }, (error, stdout) => {
        if (error) this.log.warn(`could not list the daemon's options (${error.message}); passing only --model, --ctx and --gpu`);
        const flags = new Set(stdout.match(/--[a-z][a-z-]*/g) ?? []);
        if (error) for (const flag of ["--model", "--ctx", "--gpu"]) flags.add(flag);
        resolve(flags);
      });
    });
    return this.serveFlags;
  }
}

/**
 * A daemon home on a kernel file system (/proc, /sys, /dev but its tmpfs) can't hold files, and creating
 * folders there loops in Node's recursive mkdir, freezing the extension host: refused
 * before anything touches it, with what to do.
 */
export function homeProblem(home: string): string | null {
  const resolved = path.resolve(home);
  const under = (root: string): boolean => resolved === root || resolved.startsWith(`${root}/`);
  // /dev/shm is a tmpfs: files live there.
  const virtual = ["/proc", "/sys", "/dev"].find((root) => under(root) && !under("/dev/shm"));
  return virtual ? `hearth.daemon.home (${resolved}) is inside ${virtual}, a kernel file system that cannot hold Hearth's files; set it to a folder on disk, or leave it empty` : null;
}
