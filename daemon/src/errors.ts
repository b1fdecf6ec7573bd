/**
 * Typed errors. Each carries a JSON-RPC code from the protocol, a stable string name and a
 * hint that tells a person what to do; the session turns them into ResponseErrors.
 */
import { ErrorCodes, type ErrorCode, type ErrorData } from "./protocol.js";

export class HearthError extends Error {
  readonly rpcCode: ErrorCode;
  readonly code: string;
  readonly hint: string;

  constructor(rpcCode: ErrorCode, code: string, message: string, hint: string) {
    super(message);
    this.name = "HearthError";
    this.rpcCode = rpcCode;
    this.code = code;
    this.hint = hint;
  }

  get data(): ErrorData {
    return { code: this.code, hint: this.hint };
  }
}

export function invalidParams(message: string, hint = "Check the request's parameters against docs/protocol.md."): HearthError {
  return new HearthError(ErrorCodes.InvalidParams, "HEARTH_ERR_INVALID_PARAMS", message, hint);
}

export function cancelledError(reason: "cancelled" | "superseded" | "shutdown" | "switching" | "preempted"): HearthError {
  if (reason === "switching") {
    return new HearthError(
      ErrorCodes.RequestCancelled,
      "HEARTH_ERR_SWITCHING_MODEL",
      "Request cancelled: the daemon is switching to another precision variant.",
      "Send the request again; it runs on the new variant once it is loaded.",
    );
  }
  if (reason === "superseded") {
    return new HearthError(
      ErrorCodes.RequestCancelled,
      "HEARTH_ERR_SUPERSEDED",
      "Request superseded by a newer completion request for the same document.",
      "Nothing to do: the newer request carries on.",
    );
  }
  if (reason === "shutdown") {
    return new HearthError(
      ErrorCodes.RequestCancelled,
      "HEARTH_ERR_SHUTTING_DOWN",
      "The daemon is shutting down.",
      "Send the request again; the client restarts or reconnects to the daemon.",
    );
  }
  return new HearthError(ErrorCodes.RequestCancelled, "HEARTH_ERR_CANCELLED", "Request cancelled.", "Nothing to do.");
}

/** Wraps whatever was thrown into a HearthError so the wire never sees a bare stack. */
export function toHearthError(error: unknown): HearthError {
  if (error instanceof HearthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HearthError(
    ErrorCodes.InternalError,
    "HEARTH_ERR_INTERNAL",
    `Internal error: ${message}`,
    "This is a bug in Hearth; the daemon log (hearth status shows its path) has the details.",
  );
}
