/** Why a model could not be fetched, with a stable name (protocol.ts's table) and what to do about it. */
import type { HearthErrorName } from "../protocol.js";

export type DownloadErrorCode = Extract<
  HearthErrorName,
  | "HEARTH_ERR_UNKNOWN_MODEL"
  | "HEARTH_ERR_DOWNLOAD_SOURCE"
  | "HEARTH_ERR_DOWNLOAD_HTTP"
  | "HEARTH_ERR_DOWNLOAD_TRUNCATED"
  | "HEARTH_ERR_DOWNLOAD_TOO_LARGE"
  | "HEARTH_ERR_DOWNLOAD_SIZE"
  | "HEARTH_ERR_DOWNLOAD_HASH"
  | "HEARTH_ERR_NOT_DOWNLOADED"
  | "HEARTH_ERR_DOWNLOAD_BUSY"
>;

export class DownloadError extends Error {
  readonly code: DownloadErrorCode;
  readonly hint: string;
  /** Nothing answered at all (refused, no route, no DNS, no answer in time): offline, not a broken transfer. */
  readonly unreachable: boolean;

  constructor(code: DownloadErrorCode, message: string, hint: string, options: { unreachable?: boolean } = {}) {
    super(message);
    this.name = "DownloadError";
    this.code = code;
    this.hint = hint;
    this.unreachable = options.unreachable ?? false;
  }

  /** The CLI prints `data.hint` after the message, as for a daemon's errors. */
  get data(): { code: DownloadErrorCode; hint: string } {
    return { code: this.code, hint: this.hint };
  }
}
