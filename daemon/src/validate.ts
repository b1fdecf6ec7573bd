/**
 * Checks for everything that arrives on the socket. The socket is not trusted: each check
 * names the offending field, and sizes are bounded before anything is stored or tokenized.
 */
import { HearthError, invalidParams } from "./errors.js";
import {
  ErrorCodes,
  KV_CACHE_TYPES,
  Limits,
  MODEL_ROLES,
  type AddContextParams,
  type DownloadModelParams,
  type DidChangeTextDocumentParams,
  type DidCloseTextDocumentParams,
  type DidOpenTextDocumentParams,
  type ExplainParams,
  type HearthCompletionOptions,
  type InitializeParams,
  type InlineCompletionParams,
  type Position,
  type PrecisionSetParams,
  type ProgressToken,
  type Range,
  type TextDocumentContentChangeEvent,
  type WorkspaceFolder,
  type NextEditAcceptedParams,
  type NextEditParams,
} from "./protocol.js";

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string): Obj {
  if (!isObject(value)) throw invalidParams(`${path} must be an object.`);
  return value;
}

function string(value: unknown, path: string, maxLength: number): string {
  if (typeof value !== "string") throw invalidParams(`${path} must be a string.`);
  if (value.length > maxLength) throw invalidParams(`${path} is ${value.length} characters; the limit is ${maxLength}.`);
  return value;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw invalidParams(`${path} must be an integer.`);
  if (value < min || value > max) throw invalidParams(`${path} must be between ${min} and ${max}; got ${value}.`);
  return value;
}

function uri(value: unknown, path: string): string {
  const text = string(value, path, Limits.maxUriLength);
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text)) throw invalidParams(`${path} must be a URI such as file:///path; got "${text.slice(0, 80)}".`);
  return text;
}

function progressToken(value: unknown, path: string): ProgressToken | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && value.length <= 256) return value;
  throw invalidParams(`${path} must be an integer or a string of at most 256 characters.`);
}

const MAX_LINE = 10_000_000;

export function position(value: unknown, path: string): Position {
  const p = object(value, path);
  return { line: integer(p.line, `${path}.line`, 0, MAX_LINE), character: integer(p.character, `${path}.character`, 0, MAX_LINE) };
}

export function range(value: unknown, path: string): Range {
  const r = object(value, path);
  const start = position(r.start, `${path}.start`);
  const end = position(r.end, `${path}.end`);
  if (end.line < start.line || (end.line === start.line && end.character < start.character)) {
    throw invalidParams(`${path}.end comes before ${path}.start.`);
  }
  return { start, end };
}

function documentText(value: unknown, path: string): string {
  if (typeof value !== "string") throw invalidParams(`${path} must be a string.`);
  if (value.length > Limits.maxDocumentChars) {
    throw new HearthError(
      ErrorCodes.DocumentTooLarge,
      "HEARTH_ERR_DOCUMENT_TOO_LARGE",
      `${path} is ${value.length} characters; Hearth keeps documents up to ${Limits.maxDocumentChars}.`,
      "Disable Hearth for very large files (hearth.completion.languages or the file's language mode).",
    );
  }
  return value;
}

export function initializeParams(value: unknown): InitializeParams {
  const p = object(value, "params");
  const processId = p.processId === null || p.processId === undefined ? null : integer(p.processId, "params.processId", 0, 2 ** 31);
  const result: InitializeParams = { processId, capabilities: isObject(p.capabilities) ? p.capabilities : {} };
  if (p.clientInfo !== undefined) {
    const info = object(p.clientInfo, "params.clientInfo");
    result.clientInfo = { name: string(info.name, "params.clientInfo.name", 200) };
    if (info.version !== undefined) result.clientInfo.version = string(info.version, "params.clientInfo.version", 100);
  }
  if (p.workspaceFolders !== undefined && p.workspaceFolders !== null) {
    if (!Array.isArray(p.workspaceFolders)) throw invalidParams("params.workspaceFolders must be an array or null.");
    if (p.workspaceFolders.length > Limits.maxWorkspaceFolders) {
      throw invalidParams(`params.workspaceFolders has ${p.workspaceFolders.length} folders; the limit is ${Limits.maxWorkspaceFolders}.`);
    }
    result.workspaceFolders = p.workspaceFolders.map((folder, i): WorkspaceFolder => {
      const f = object(folder, `params.workspaceFolders[${i}]`);
      return { uri: uri(f.uri, `params.workspaceFolders[${i}].uri`), name: string(f.name ?? "", `params.workspaceFolders[${i}].name`, 1000) };
    });
  }
  return result;
}

export function didOpenParams(value: unknown): DidOpenTextDocumentParams {
  const doc = object(object(value, "params").textDocument, "params.textDocument");
  return {
    textDocument: {
      uri: uri(doc.uri, "params.textDocument.uri"),
      languageId: string(doc.languageId, "params.textDocument.languageId", 100),
      version: integer(doc.version, "params.textDocument.version", -(2 ** 31), 2 ** 31),
      text: documentText(doc.text, "params.textDocument.text"),
    },
  };
}

export function didChangeParams(value: unknown): DidChangeTextDocumentParams {
  const p = object(value, "params");
  const doc = object(p.textDocument, "params.textDocument");
  if (!Array.isArray(p.contentChanges)) throw invalidParams("params.contentChanges must be an array.");
  if (p.contentChanges.length > 10_000) throw invalidParams("params.contentChanges has more than 10000 changes.");
  const contentChanges = p.contentChanges.map((change, i): TextDocumentContentChangeEvent => {
    const c = object(change, `params.contentChanges[${i}]`);
    const text = documentText(c.text, `params.contentChanges[${i}].text`);
    return c.range === undefined ? { text } : { range: range(c.range, `params.contentChanges[${i}].range`), text };
  });
  return {
    textDocument: {
      uri: uri(doc.uri, "params.textDocument.uri"),
      version: integer(doc.version, "params.textDocument.version", -(2 ** 31), 2 ** 31),
    },
    contentChanges,
  };
}

export function didCloseParams(value: unknown): DidCloseTextDocumentParams {
  const doc = object(object(value, "params").textDocument, "params.textDocument");
  return { textDocument: { uri: uri(doc.uri, "params.textDocument.uri") } };
}

function completionOptions(value: unknown): HearthCompletionOptions {
  const o = object(value, "params.hearth");
  const options: HearthCompletionOptions = {};
  if (o.maxTokens !== undefined) options.maxTokens = integer(o.maxTokens, "params.hearth.maxTokens", 1, Limits.maxCompletionTokens);
  if (o.mode !== undefined) {
    if (o.mode !== "auto" && o.mode !== "line" && o.mode !== "block") throw invalidParams('params.hearth.mode must be "auto", "line" or "block".');
    options.mode = o.mode;
  }
  return options;
}

export function inlineCompletionParams(value: unknown): InlineCompletionParams {
  const p = object(value, "params");
  const doc = object(p.textDocument, "params.textDocument");
  const context = p.context === undefined ? { triggerKind: 1 } : object(p.context, "params.context");
  const triggerKind = integer(context.triggerKind, "params.context.triggerKind", 1, 2) as 1 | 2;
  const result: InlineCompletionParams = {
    textDocument: { uri: uri(doc.uri, "params.textDocument.uri") },
    position: position(p.position, "params.position"),
    context: { triggerKind },
  };
  const workDoneToken = progressToken(p.workDoneToken, "params.workDoneToken");
  if (workDoneToken !== undefined) result.workDoneToken = workDoneToken;
  const partialResultToken = progressToken(p.partialResultToken, "params.partialResultToken");
  if (partialResultToken !== undefined) result.partialResultToken = partialResultToken;
  if (p.hearth !== undefined) result.hearth = completionOptions(p.hearth);
  return result;
}

export function explainParams(value: unknown): ExplainParams {
  const p = object(value, "params");
  const doc = object(p.textDocument, "params.textDocument");
  const result: ExplainParams = {
    textDocument: { uri: uri(doc.uri, "params.textDocument.uri") },
    range: range(p.range, "params.range"),
  };
  const workDoneToken = progressToken(p.workDoneToken, "params.workDoneToken");
  if (workDoneToken !== undefined) result.workDoneToken = workDoneToken;
  const partialResultToken = progressToken(p.partialResultToken, "params.partialResultToken");
  if (partialResultToken !== undefined) result.partialResultToken = partialResultToken;
  if (p.maxTokens !== undefined) result.maxTokens = integer(p.maxTokens, "params.maxTokens", 1, Limits.maxExplainTokens);
  return result;
}

export function nextEditParams(value: unknown): NextEditParams {
  const p = object(value, "params");
  const doc = object(p.textDocument, "params.textDocument");
  const result: NextEditParams = {
    textDocument: { uri: uri(doc.uri, "params.textDocument.uri") },
    position: position(p.position, "params.position"),
  };
  const workDoneToken = progressToken(p.workDoneToken, "params.workDoneToken");
  if (workDoneToken !== undefined) result.workDoneToken = workDoneToken;
  if (p.maxTokens !== undefined) result.maxTokens = integer(p.maxTokens, "params.maxTokens", 1, Limits.maxNextEditTokens);
  return result;
}

export function nextEditAcceptedParams(value: unknown): NextEditAcceptedParams {
  const doc = object(object(value, "params").textDocument, "params.textDocument");
  return { textDocument: { uri: uri(doc.uri, "params.textDocument.uri") } };
}

export function emptyRange() {
  return invalidParams("params.range selects no code.", "Select the code to explain, or put the cursor inside a function.");
}

export function precisionSetParams(value: unknown): PrecisionSetParams {
  const p = object(value, "params");
  const result: PrecisionSetParams = { variant: string(p.variant, "params.variant", 64) };
  if (result.variant.trim() === "") throw invalidParams("params.variant is empty.", "Pick a variant from hearth/precision/list.");
  if (p.kvCacheType !== undefined) {
    if (!(KV_CACHE_TYPES as readonly unknown[]).includes(p.kvCacheType)) {
      throw invalidParams(`params.kvCacheType must be one of ${KV_CACHE_TYPES.join(", ")}; got ${JSON.stringify(p.kvCacheType)}.`, "Use f16 (default), q8_0 or q4_0.");
    }
    result.kvCacheType = p.kvCacheType as PrecisionSetParams["kvCacheType"] & string;
  }
  const workDoneToken = progressToken(p.workDoneToken, "params.workDoneToken");
  if (workDoneToken !== undefined) result.workDoneToken = workDoneToken;
  return result;
}

/** hearth/downloadModel: no params (or {}) fetches the completion model; `role` names another. */
export function downloadModelParams(value: unknown): DownloadModelParams {
  if (value === undefined || value === null) return {};
  const p = object(value, "params");
  if (p.role === undefined) return {};
  if (!(MODEL_ROLES as readonly unknown[]).includes(p.role)) {
    throw invalidParams(`params.role must be one of ${MODEL_ROLES.join(", ")}; got ${JSON.stringify(p.role).slice(0, 80)}.`, "Leave it out for the completion model.");
  }
  return { role: p.role as DownloadModelParams["role"] & string };
}

export function addContextParams(value: unknown): AddContextParams {
  const p = object(value, "params");
  if (!Array.isArray(p.chunks)) throw invalidParams("params.chunks must be an array.");
  if (p.chunks.length > Limits.maxContextChunks) throw invalidParams(`params.chunks has ${p.chunks.length} chunks; the limit is ${Limits.maxContextChunks}.`);
  return {
    chunks: p.chunks.map((chunk, i) => {
      const c = object(chunk, `params.chunks[${i}]`);
      return { uri: uri(c.uri, `params.chunks[${i}].uri`), text: string(c.text, `params.chunks[${i}].text`, Limits.maxContextChunkChars) };
    }),
  };
}
