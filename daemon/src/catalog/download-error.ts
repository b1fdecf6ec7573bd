/** Why a model could not be fetched, with a stable code and what to do about it. */
export const DOWNLOAD_ERROR_CODES = {
  HEARTH_ERR_UNKNOWN_MODEL: "The name is no catalog model, hf: URI or https URL.",
  HEARTH_ERR_DOWNLOAD_SOURCE: "The URI, URL or HF_ENDPOINT cannot be fetched from as written.",
  HEARTH_ERR_DOWNLOAD_HTTP: "The server answered with an error, or could not be reached.",
  HEARTH_ERR_DOWNLOAD_TRUNCATED: "The answer ended before the size the server announced.",
  HEARTH_ERR_DOWNLOAD_TOO_LARGE: "The answer is (or announces) more bytes than the model may have.",
  HEARTH_ERR_DOWNLOAD_SIZE: "The file's size differs from the catalog's.",
  HEARTH_ERR_DOWNLOAD_HASH: "The file's sha256 differs from the one expected.",
  HEARTH_ERR_NOT_DOWNLOADED: "hearth rm found no downloaded file for the name.",
} as const;

export type DownloadErrorCode = keyof typeof DOWNLOAD_ERROR_CODES;

export class DownloadError extends Error {
  readonly code: DownloadErrorCode;
  readonly hint: string;

  constructor(code: DownloadErrorCode, message: string, hint: string) {
    super(message);
    this.name = "DownloadError";
    this.code = code;
    this.hint = hint;
  }

  /** The CLI prints `data.hint` after the message, as for a daemon's errors. */
  get data(): { code: DownloadErrorCode; hint: string } {
    return { code: this.code, hint: this.hint };
  }
}
