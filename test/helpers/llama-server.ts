/**
 * A real llama.cpp server (llama-server, built from the llama.cpp source node-llama-cpp ships
 * by scripts/llama-server/build.sh, which .ci/run runs) on a generated model, for the remote
 * backends' tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { repoRoot } from "./daemon-process.js";

export const LLAMA_SERVER_BIN = path.join(repoRoot, ".cache", "llama-server", "build", "bin", "llama-server");

export interface RunningLlamaServer {
  url: string;
  port: number;
  log: () => string;
  /** Resolves when the server's log, from character `from` on, matches `pattern` (rejects after `timeoutMs`). */
  untilLog(pattern: RegExp, from: number, timeoutMs?: number): Promise<void>;
  slots(): Promise<{ id: number; is_processing: boolean }[]>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, "close");
  return port;
}

export async function startLlamaServer(options: { model: string; slots: number; ctxPerSlot: number; port?: number; apiKey?: string; metrics?: boolean }): Promise<RunningLlamaServer> {
  if (!existsSync(LLAMA_SERVER_BIN)) throw new Error(`no ${LLAMA_SERVER_BIN}: build it with bash scripts/llama-server/build.sh (.ci/run does)`);
  const port = options.port ?? (await freePort());
  const args = ["-m", options.model, "--host", "127.0.0.1", "--port", String(port), "--parallel", String(options.slots), "--ctx-size", String(options.slots * options.ctxPerSlot), "--threads", "1", "-fa", "off", "--slots", "--cache-reuse", "256", "--no-webui"];
  if (options.apiKey) args.push("--api-key", options.apiKey);
  if (options.metrics) args.push("--metrics");
  const child: ChildProcess = spawn(LLAMA_SERVER_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const watchers = new Set<() => void>();
  const exited = once(child, "exit");
  const listening = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      for (const watch of watchers) watch();
      // It loads the model first, then listens.
      if (/listening on http/.test(log)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(([code]) => reject(new Error(`llama-server exited with ${String(code)} before listening:\n${log.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`llama-server did not listen within 60 s:\n${log.slice(-2000)}`)), 60_000).unref();
  });
  await listening;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    log: () => log,
    untilLog(pattern, from, timeoutMs = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(log.slice(from))) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`llama-server logged no ${String(pattern)} within ${timeoutMs} ms:\n${log.slice(from, from + 2000)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    async slots() {
      const response = await fetch(`${url}/slots`, options.apiKey ? { headers: { authorization: `Bearer ${options.apiKey}` } } : {});
      return (await response.json()) as { id: number; is_processing: boolean }[];
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
