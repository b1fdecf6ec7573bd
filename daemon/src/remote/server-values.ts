/**
 * Numbers and names a remote server sends, checked against sane bounds before Hearth uses
 * them: a slot count sizes a list, a context size sizes budgets, token ids go back into
 * prompts. One outside its bounds is a typed error that names the field, so a server that
 * answers `total_slots: 1e9` is reported (and retried with backoff), not obeyed.
 */
import { HearthError } from "../errors.js";
import { ErrorCodes } from "../protocol.js";
import type { RemoteServer } from "./http.js";

/** Slots a llama-server may offer: Hearth keeps a few facts per slot. */
export const MAX_SERVER_SLOTS = 1024;
/** The context sizes Hearth works with: under the least, a FIM prompt and its completion don't fit. */
export const MIN_SERVER_CONTEXT = 256;
export const MAX_SERVER_CONTEXT = 1 << 24;
/** llama.cpp's token ids are 32-bit signed integers. */
export const MAX_TOKEN_ID = 2 ** 31 - 1;
/** Model names and paths as a server gives them. */
export const MAX_NAME_CHARS = 4096;

export class ServerValueError extends HearthError {
  constructor(
    server: RemoteServer,
    /** Where the value was, e.g. "/props total_slots". */
    readonly field: string,
    why: string,
  ) {
    super(ErrorCodes.BackendBadAnswer, "HEARTH_ERR_BACKEND_BAD_VALUE", `${server.label} sent ${field} ${why}.`, "Check the server's configuration and version; Hearth retries with backoff and connects once its answers are sane.");
    this.name = "ServerValueError";
  }
}

function shown(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** An integer within [min, max], or a typed error naming the field. */
export function boundedInt(server: RemoteServer, value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ServerValueError(server, field, `= ${shown(value)}, where Hearth accepts an integer from ${min} to ${max}`);
  }
  return value;
}

/** A finite number within [min, max], or a typed error naming the field. */
export function boundedNumber(server: RemoteServer, value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new ServerValueError(server, field, `= ${shown(value)}, where Hearth accepts a number from ${min} to ${max}`);
  }
  return value;
}

/** A name (a model's, a path) of at most MAX_NAME_CHARS characters. */
export function boundedName(server: RemoteServer, value: string, field: string): string {
  if (value.length > MAX_NAME_CHARS) throw new ServerValueError(server, field, `of ${value.length} characters, where Hearth accepts up to ${MAX_NAME_CHARS}`);
  return value;
}

/**
 * Token ids for `text`: each a valid id, and no more of them than the text has bytes (a
 * tokenizer's worst case is a token per byte) plus a few a tokenizer may add.
 */
export function tokenIds(server: RemoteServer, value: unknown, field: string, text: string): number[] {
  if (!Array.isArray(value)) throw new ServerValueError(server, field, "that is not a list of token ids");
  const most = Buffer.byteLength(text, "utf8") + 4;
  if (value.length > most) throw new ServerValueError(server, field, `with ${value.length} tokens for ${most - 4} bytes of text`);
  value.forEach((id: unknown, index) => boundedInt(server, id, `${field}[${index}]`, 0, MAX_TOKEN_ID));
  return value as number[];
}
