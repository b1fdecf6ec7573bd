/**
 * Typed errors. Each carries a JSON-RPC code from the protocol, a stable string name and a
 * hint that tells a person what to do; the session turns them into ResponseErrors.
 * protocol.ts's HEARTH_ERRORS pairs every name with its code, so a name cannot be sent with
 * another code: the compiler refuses a wrong pair, and the code that goes out is the table's.
 */
import { HEARTH_ERRORS, ErrorCodes, type ErrorCode, type ErrorData, type ModelDownloadInfo, type RpcCodeOf, type WireErrorName } from "./protocol.js";

/** `new HearthError(ErrorCodes.NoFimSupport, "HEARTH_ERR_NO_FIM", …)`: accepted only where the table pairs the two. */
type PairedArgs = { [N in WireErrorName]: [rpcCode: RpcCodeOf<N>, code: N, message: string, hint: string] }[WireErrorName];
/** `new HearthError("HEARTH_ERR_NO_FIM", message, hint)`: the code is looked up; the form for new code. */
type NamedArgs = [code: WireErrorName, message: string, hint: string];

/** The names that travel with JSON-RPC code `C`. */
type NamesWithCode<C extends ErrorCode> = { [N in WireErrorName]: RpcCodeOf<N> extends C ? N : never }[WireErrorName];

export class HearthError extends Error {
  readonly rpcCode: ErrorCode;
  readonly code: WireErrorName;
  readonly hint: string;
  /** The model a download would fetch (a model not on disk, a failed download). */
  download?: ModelDownloadInfo;

  constructor(...args: PairedArgs | NamedArgs) {
    const [code, message, hint] = args.length === 4 ? [args[1], args[2], args[3]] : args;
    super(message);
    this.name = "HearthError";
    this.rpcCode = HEARTH_ERRORS[code].rpcCode;
    this.code = code;
    this.hint = hint;
  }

  get data(): ErrorData {
    return { code: this.code, hint: this.hint, ...(this.download ? { download: this.download } : {}) };
  }

  /** The same error, saying which model a download would fetch. */
  withDownload(download: ModelDownloadInfo): this {
    this.download = download;
    return this;
  }
}

export function invalidParams(message: string, hint = "Check the request's parameters against docs/protocol.md."): HearthError {
  return new HearthError("HEARTH_ERR_INVALID_PARAMS", message, hint);
}

/**
 * Why a job stopped before it finished, and what its client is told. Every reason answers
 * RequestCancelled (clients drop those quietly); the name says which. The scheduler aborts
 * jobs with these reasons (scheduler.ts re-exports the type).
 */
const CANCELLATIONS = {
  cancelled: { code: "HEARTH_ERR_CANCELLED", message: "Request cancelled.", hint: "Nothing to do." },
  superseded: {
    code: "HEARTH_ERR_SUPERSEDED",
    message: "Request superseded by a newer completion request for the same document.",
    hint: "Nothing to do: the newer request carries on.",
  },
  switching: {
    code: "HEARTH_ERR_SWITCHING_MODEL",
    message: "Request cancelled: the daemon is switching to another precision variant.",
    hint: "Send the request again; it runs on the new variant once it is loaded.",
  },
  shutdown: {
    code: "HEARTH_ERR_CANCELLED_BY_SHUTDOWN",
    message: "Request cancelled: the daemon is shutting down.",
    hint: "Send the request again; the client restarts or reconnects to the daemon.",
  },
  /** Background work (the idle warm-up, saving) giving way to a request; no client waits for it. */
  preempted: { code: "HEARTH_ERR_CANCELLED", message: "Background work gave way to a request.", hint: "Nothing to do." },
} as const satisfies Record<string, { code: NamesWithCode<typeof ErrorCodes.RequestCancelled>; message: string; hint: string }>;

export type AbortReason = keyof typeof CANCELLATIONS;

export function cancelledError(reason: AbortReason): HearthError {
  const { code, message, hint } = CANCELLATIONS[reason];
  return new HearthError(code, message, hint);
}

/** Wraps whatever was thrown into a HearthError so the wire never sees a bare stack. */
export function toHearthError(error: unknown): HearthError {
  if (error instanceof HearthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HearthError(
    "HEARTH_ERR_INTERNAL",
    `Internal error: ${message}`,
    "This is a bug in Hearth; the daemon log (hearth status shows its path) has the details.",
  );
}
