/**
 * Fetches one model file into a private folder, the way a multi-gigabyte download over a
 * flaky link needs: into `<file>.part` (0600), resumed with an HTTP Range request when the
 * connection drops (here and on the next `hearth pull`), with the size checked against what
 * the server announced and what the catalog expects, and the sha256 checked where one is known.
 * Only a whole, checked file is renamed to its final name, so a model file is never half there.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, open, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { DownloadError } from "./download-error.js";

export interface ExpectedFile {
  /** The file's size, exact or (sizeExact false) as a hub's listing rounds it. */
  bytes?: number;
  sizeExact?: boolean;
  sha256?: string;
  /** Never more than this, whatever the server announces. */
  maxBytes: number;
}

export interface DownloadProgress {
  receivedBytes: number;
  /** null while the server has not said (a chunked answer). */
  totalBytes: number | null;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Bytes already in the .part file when this pull started (0: a fresh download). */
  resumedFrom: number;
  /** Requests it took (1 unless the connection dropped). */
  requests: number;
}

export interface DownloadOptions {
  url: string;
  /** Sent with every request (the hub's token); fetch drops Authorization on a redirect to another origin. */
  headers?: Record<string, string>;
  target: string;
  expected: ExpectedFile;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Requests in a row that may fail before giving up (a request that brings bytes resets the count). */
  attempts?: number;
  /** Wait before retrying, times the failures in a row. */
  retryDelayMs?: number;
}

/** A size read rounded from a listing (or carried over from a twin model) is accepted within this share. */
export const APPROXIMATE_SIZE_TOLERANCE = 0.1;

function sizeLimit(expected: ExpectedFile): number {
  if (expected.bytes === undefined) return expected.maxBytes;
  const upper = expected.sizeExact ? expected.bytes : Math.ceil(expected.bytes * (1 + APPROXIMATE_SIZE_TOLERANCE));
  return Math.min(upper, expected.maxBytes);
}

/** Refuses an announced total that cannot be the expected file, before a byte is written. */
function checkAnnouncedTotal(total: number, expected: ExpectedFile, url: string): void {
  if (total > sizeLimit(expected)) {
    throw new DownloadError(
      "HEARTH_ERR_DOWNLOAD_TOO_LARGE",
      `${url} announces ${total} bytes, more than the ${sizeLimit(expected)} this model may have.`,
      "The server serves another file than the catalog describes: check the URI, HF_ENDPOINT, or the mirror's copy.",
    );
  }
  if (expected.bytes === undefined) return;
  const off = expected.sizeExact ? total !== expected.bytes : total < expected.bytes * (1 - APPROXIMATE_SIZE_TOLERANCE);
  if (off) {
    throw new DownloadError(
      "HEARTH_ERR_DOWNLOAD_SIZE",
      `${url} announces ${total} bytes; the catalog expects ${expected.sizeExact ? "" : "about "}${expected.bytes}.`,
      "The server serves another file than the catalog describes: check the URI, HF_ENDPOINT, or the mirror's copy.",
    );
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** `bytes START-END/TOTAL` → {start, total}; TOTAL may be "*". */
function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!match) return null;
  return { start: Number(match[1]), total: match[3] === "*" ? null : Number(match[3]) };
}

function contentLength(response: Response): number | null {
  const text = response.headers.get("content-length");
  if (text === null || !/^\d+$/.test(text.trim())) return null;
  return Number(text);
}

const etagFileOf = (part: string): string => `${part}.etag`;

/** Keeps a strong ETag beside the .part file for If-Range; a weak one (W/) cannot guard a byte range. */
async function rememberEtag(part: string, etag: string | null): Promise<void> {
  const file = etagFileOf(part);
  if (etag && /^"[^"]{1,200}"$/.test(etag)) await writeFile(file, etag, { mode: 0o600 });
  else await rm(file, { force: true });
}

/**
 * How long a server may take to answer a request's headers. A refused connection or a name
 * that does not resolve fails at once anyway; this bounds a host that never answers (a
 * dropped SYN, a proxy that hangs), so an offline machine hears so in seconds, not minutes.
 */
export const ANSWER_TIMEOUT_MS = 15_000;

class AnswerTimeout extends Error {}

/** fetch, with the headers due within ANSWER_TIMEOUT_MS; the body then streams for as long as it takes. */
export async function fetchAnswer(url: string, init: RequestInit, signal?: AbortSignal, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Response> {
  const slow = new AbortController();
  const timer = setTimeout(() => slow.abort(new AnswerTimeout(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  try {
    return await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, slow.signal]) : slow.signal });
  } catch (error) {
    if (slow.signal.aborted && !signal?.aborted) throw slow.signal.reason as Error;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Why a request got no answer, in the system's words (ECONNREFUSED, ENOTFOUND …). */
export function unreachableReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) return cause.message || (cause as NodeJS.ErrnoException).code || error.message;
  return error.message;
}

class RetryableFailure extends Error {
  /** No answer at all (DNS, refused connection): on a first request that means offline, not a flaky link. */
  constructor(message: string, readonly unreachable = false) {
    super(message);
  }
}

function httpError(url: string, status: number): DownloadError {
  const hint =
    status === 401 || status === 403
      ? "The file is private or gated: set HF_TOKEN to a Hugging Face token that may read it (for hf: URIs), or download it where you are signed in and use --model /path/to/file.gguf."
      : status === 404
        ? "Check the name, the URI's repository and file, and (for a mirror) HF_ENDPOINT."
        : "Try again later, or fetch the file another way and use --model /path/to/file.gguf.";
  return new DownloadError("HEARTH_ERR_DOWNLOAD_HTTP", `${url} answered HTTP ${status}.`, hint);
}

/** One request: appends what it gets to the .part file. Returns the total size when known. */
async function fetchOnce(options: DownloadOptions, part: string, report: (received: number, total: number | null) => void): Promise<{ total: number | null }> {
  const have = await fileSize(part);
  // If-Range: the rest of the file only if it is still the file the .part holds the start of;
  // a changed file answers 200 in full, and the download starts over.
  const etag = have > 0 ? await readFile(etagFileOf(part), "utf8").catch(() => null) : null;
  let response: Response;
  try {
    response = await fetchAnswer(
      options.url,
      { headers: { ...options.headers, ...(have > 0 ? { Range: `bytes=${have}-`, ...(etag ? { "If-Range": etag } : {}) } : {}) }, redirect: "follow" },
      options.signal,
    );
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new RetryableFailure(`could not reach ${options.url}: ${unreachableReason(error)}`, true);
  }
  if (response.status === 416 && have > 0) {
    // The .part file already holds everything (or more than) the server has.
    await response.body?.cancel();
    const unsatisfied = /^bytes \*\/(\d+)$/.exec(response.headers.get("content-range")?.trim() ?? "");
    const total = unsatisfied ? Number(unsatisfied[1]) : null;
    if (total === have) return { total };
    await truncate(part, 0);
    throw new RetryableFailure("the partial file did not match the server's; starting over");
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    throw new RetryableFailure(`HTTP ${response.status}`);
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw httpError(options.url, response.status);
  }
  let start = 0;
  let total: number | null;
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (!range || range.start !== have) {
      await response.body?.cancel();
      await truncate(part, 0);
      throw new RetryableFailure("the server resumed at another offset than asked; starting over");
    }
    start = have;
    total = range.total;
  } else {
    // A 200 answers from the first byte: whatever the .part file held is dropped.
    total = contentLength(response);
    if (have > 0) await truncate(part, 0);
  }
  if (total !== null) checkAnnouncedTotal(total, options.expected, options.url);
  if (response.status === 200) await rememberEtag(part, response.headers.get("etag"));
  const limit = total ?? sizeLimit(options.expected);
  const handle = await open(part, "a", 0o600);
  let written = start;
  try {
    await handle.chmod(0o600);
    report(written, total);
    if (!response.body) throw new RetryableFailure("the answer has no body");
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (written + chunk.byteLength > limit) {
          throw new DownloadError(
            "HEARTH_ERR_DOWNLOAD_TOO_LARGE",
            `${options.url} sent more than ${total !== null ? `the ${total} bytes it announced` : `the ${limit} bytes this model may have`}.`,
            "The server serves another file than expected: check the URI, HF_ENDPOINT, or the mirror's copy.",
          );
        }
        await handle.write(chunk);
        written += chunk.byteLength;
        report(written, total);
      }
    } catch (error) {
      if (error instanceof DownloadError || options.signal?.aborted) throw error;
      throw new RetryableFailure(`the connection dropped after ${written} bytes`);
    }
  } finally {
    await handle.close();
  }
  if (total !== null && written < total) throw new RetryableFailure(`the answer ended after ${written} of ${total} bytes`);
  return { total };
}

async function discard(part: string): Promise<void> {
  await rm(part, { force: true });
  await rm(etagFileOf(part), { force: true });
}

export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const part = `${options.target}.part`;
  const resumedFrom = await fileSize(part);
  const attempts = options.attempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 500;
  let failuresInARow = 0;
  let requests = 0;
  let lastFailure = "";
  let lastTotal: number | null = null;
  const report = (receivedBytes: number, totalBytes: number | null): void => options.onProgress?.({ receivedBytes, totalBytes });
  for (;;) {
    const before = await fileSize(part);
    requests++;
    try {
      const { total } = await fetchOnce(options, part, report);
      lastTotal = total;
      break;
    } catch (error) {
      if (error instanceof DownloadError) {
        // A file that cannot be the right one is not kept to be resumed.
        if (error.code === "HEARTH_ERR_DOWNLOAD_TOO_LARGE") await discard(part);
        throw error;
      }
      if (!(error instanceof RetryableFailure)) throw error;
      if (error.unreachable && requests === 1) {
        throw new DownloadError(
          "HEARTH_ERR_DOWNLOAD_HTTP",
          `Could not download: ${error.message}.`,
          "Check the network, or set HF_ENDPOINT to a mirror you can reach. Offline, fetch the .gguf file another way and use --model /path/to/file.gguf.",
          { unreachable: true },
        );
      }
      lastFailure = error.message;
      failuresInARow = (await fileSize(part)) > before ? 1 : failuresInARow + 1;
      if (failuresInARow >= attempts) {
        const got = await fileSize(part);
        throw new DownloadError(
          "HEARTH_ERR_DOWNLOAD_TRUNCATED",
          `Downloading ${options.url} failed ${failuresInARow} times in a row (${lastFailure})${got > 0 ? `; ${got} bytes are kept in ${part}` : ""}.`,
          `Run the same \`hearth pull\` again${got > 0 ? ": it resumes from those bytes" : ""}. Offline, fetch the file another way and use --model /path/to/file.gguf.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * failuresInARow));
    }
  }
  const bytes = await fileSize(part);
  if (options.expected.bytes !== undefined && options.expected.sizeExact && bytes !== options.expected.bytes) {
    await discard(part);
    throw new DownloadError("HEARTH_ERR_DOWNLOAD_SIZE", `${options.url} gave ${bytes} bytes; the catalog expects ${options.expected.bytes}.`, "The server serves another file than the catalog describes: check the URI, HF_ENDPOINT, or the mirror's copy.");
  }
  if (lastTotal === null && options.expected.bytes !== undefined && !options.expected.sizeExact && bytes < options.expected.bytes * (1 - APPROXIMATE_SIZE_TOLERANCE)) {
    throw new DownloadError("HEARTH_ERR_DOWNLOAD_TRUNCATED", `${options.url} ended after ${bytes} bytes; the catalog expects about ${options.expected.bytes}.`, "Run the same `hearth pull` again: it resumes from those bytes.");
  }
  const sha256 = await sha256OfFile(part);
  if (options.expected.sha256 !== undefined && sha256 !== options.expected.sha256) {
    await discard(part);
    throw new DownloadError(
      "HEARTH_ERR_DOWNLOAD_HASH",
      `${options.url} gave a file whose sha256 is ${sha256}, not the expected ${options.expected.sha256}; it was deleted.`,
      "The file was changed on the server or on the way: check the URI and HF_ENDPOINT, and pull again.",
    );
  }
  await chmod(part, 0o600);
  await rename(part, options.target);
  await rm(etagFileOf(part), { force: true });
  return { path: options.target, bytes, sha256, resumedFrom, requests };
}
