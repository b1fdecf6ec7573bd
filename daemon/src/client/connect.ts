/**
 * How a client (the CLI, the extension, the bench) reaches the daemon: read the discovery
 * file, open the WebSocket with the token, and, when no daemon answers, start one detached
 * with UV_THREADPOOL_SIZE=1 and wait for its "listening" message.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { discoveryPath, isProcessAlive, readDiscovery, type DiscoveryInfo } from "../discovery.js";
import { CLIENT_NONCE_HEADER, clientProofFrame, isNonce, newNonce, proofMatches, SERVER_NONCE_HEADER, SERVER_PROOF_HEADER, serverProof } from "../handshake.js";
import { assertPrivateDir, ensurePrivateDir } from "../private-home.js";
import { Limits } from "../protocol.js";

export interface ConnectOptions {
  home: string;
  /** Start a daemon when none runs (default true). */
  spawn?: boolean;
  /** Extra `hearth serve` arguments for a daemon this call starts (e.g. --model). */
  serveArgs?: readonly string[];
  /** The `hearth` entry script to start the daemon with. */
  entry: string;
  /** Environment for a spawned daemon (defaults to this process's). */
  env?: NodeJS.ProcessEnv;
  spawnTimeoutMs?: number;
}

export class DaemonUnavailableError extends Error {
  readonly code = "HEARTH_ERR_NO_DAEMON";
}

export function daemonLogPath(home: string): string {
  return path.join(home, "daemon.log");
}

/** What answered on the daemon's port could not prove it holds the token: not our daemon. */
export class ImpostorError extends Error {
  readonly code = "HEARTH_ERR_NOT_OUR_DAEMON";
}

/**
 * Opens a WebSocket to the daemon and runs the token handshake (handshake.ts): nothing is
 * sent, not the token, not a document, until the server has proven it holds the token.
 */
export function openSocket(info: DiscoveryInfo): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const clientNonce = newNonce();
    let serverNonce: string | null = null;
    const socket = new WebSocket(`ws://127.0.0.1:${info.port}/`, {
      headers: { [CLIENT_NONCE_HEADER]: clientNonce },
      maxPayload: Limits.maxMessageBytes * 4,
      perMessageDeflate: false,
    });
    socket.once("upgrade", (response) => {
      const nonce = response.headers[SERVER_NONCE_HEADER];
      if (!isNonce(nonce) || !proofMatches(response.headers[SERVER_PROOF_HEADER], serverProof(info.token, clientNonce, nonce))) {
        reject(new ImpostorError(`the server on port ${info.port} did not prove it holds the daemon's token`));
        // ws checks the state right after this event: terminating here sends nothing at all.
        socket.terminate();
        return;
      }
      serverNonce = nonce;
    });
    socket.once("open", () => {
      socket.off("error", reject);
      if (serverNonce === null) return reject(new ImpostorError("the connection opened without the daemon's proof"));
      socket.send(clientProofFrame(info.token, clientNonce, serverNonce));
      resolve(socket);
    });
    socket.once("error", reject);
    socket.once("unexpected-response", (_req, res) => reject(new Error(`daemon refused the connection: HTTP ${res.statusCode}`)));
  });
}

/** Starts `hearth serve` detached; resolves once it listens. Its stderr goes to daemon.log. */
export function spawnDaemon(options: ConnectOptions): Promise<void> {
  ensurePrivateDir(options.home);
  const logFd = openSync(daemonLogPath(options.home), "a", 0o600);
  const child = spawn(process.execPath, [options.entry, "serve", "--home", options.home, ...(options.serveArgs ?? [])], {
    detached: true,
    stdio: ["ignore", "ignore", logFd, "ipc"],
    env: { ...(options.env ?? process.env), UV_THREADPOOL_SIZE: "1" },
  });
  closeSync(logFd);
  const timeoutMs = options.spawnTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new DaemonUnavailableError(`the daemon did not start within ${timeoutMs} ms; see ${daemonLogPath(options.home)}`)), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.removeAllListeners("message");
      if (child.connected) child.disconnect();
      child.unref();
    };
    const fail = (error: Error): void => {
      done();
      reject(error);
    };
    child.on("message", (message: unknown) => {
      if (typeof message === "object" && message !== null && (message as { event?: unknown }).event === "listening") {
        done();
        resolve();
      }
    });
    child.once("exit", (code) => {
      // A daemon that lost the race to another one exits at once; that one will answer.
      if (readDiscovery(options.home) !== null) return (done(), resolve());
      fail(new DaemonUnavailableError(`the daemon exited with code ${code} before listening: ${lastLogLine(options.home)}`));
    });
  });
}

function lastLogLine(home: string): string {
  try {
    const lines = readFileSync(daemonLogPath(home), "utf8").trim().split("\n");
    return lines[lines.length - 1] ?? "";
  } catch {
    return "(no log)";
  }
}

/** Connects to the daemon of `home`, starting one when allowed and needed. */
export async function connectToDaemon(options: ConnectOptions): Promise<{ socket: WebSocket; info: DiscoveryInfo }> {
  // A daemon.json in a folder others can write to may be theirs, with a token they know.
  if (existsSync(options.home)) assertPrivateDir(options.home);
  for (let attempt = 0; attempt < 3; attempt++) {
    const info = readDiscovery(options.home);
    if (info !== null) {
      try {
        return { socket: await openSocket(info), info };
      } catch (error) {
        // Whatever holds the port now is not the daemon that wrote daemon.json: as if none ran.
        if (error instanceof ImpostorError) {
          if (options.spawn === false) throw new DaemonUnavailableError(`no Hearth daemon runs for ${options.home}: ${error.message} (${discoveryPath(options.home)} is stale); start one with \`hearth serve\` or drop --no-spawn`);
          await spawnDaemon(options);
          continue;
        }
        if (isProcessAlive(info.pid)) {
          const reason = error instanceof Error ? error.message : String(error);
          // An older daemon answers this version's handshake with 401, and `hearth stop` can't reach it either.
          const hint = /HTTP 401/.test(reason) ? `; it may be an older Hearth daemon that does not know this version's handshake: stop it (kill ${info.pid}) and retry` : "";
          throw new DaemonUnavailableError(`the daemon (pid ${info.pid}) does not accept connections: ${reason}${hint}`);
        }
      }
    }
    if (options.spawn === false) {
      throw new DaemonUnavailableError(`no Hearth daemon runs for ${options.home} (${discoveryPath(options.home)} is missing or stale); start one with \`hearth serve\` or drop --no-spawn`);
    }
    await spawnDaemon(options);
  }
  throw new DaemonUnavailableError(`could not reach a daemon for ${options.home}; see ${daemonLogPath(options.home)}`);
}
