/**
 * A download's progress for a person: on a terminal one redrawn line (bar, percent, MB/s,
 * ETA); into a pipe or a log a plain line per 10%, so CI logs stay readable.
 */
import type { DownloadProgress } from "../catalog/download.js";

const MB = 1_000_000;
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export interface ProgressPrinter {
  update(progress: DownloadProgress): void;
  /** Ends the redrawn line. */
  finish(): void;
}

export function progressPrinter(out: NodeJS.WritableStream & { isTTY?: boolean }, label: string, now: () => number = Date.now): ProgressPrinter {
  const tty = out.isTTY === true;
  // Speed counts from the first report: what a resumed download already had is not this run's.
  let started = 0;
  let firstBytes: number | null = null;
  let lastDraw = 0;
  let lastTenth = -1;
  let lastUnknownStep = -1;
  let drawn = false;

  const describe = (p: DownloadProgress): string => {
    if (firstBytes === null) {
      firstBytes = p.receivedBytes;
      started = now();
    }
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    const rate = (p.receivedBytes - firstBytes) / seconds;
    const speed = `${(rate / MB).toFixed(1)} MB/s`;
    if (p.totalBytes === null || p.totalBytes === 0) return `${formatBytes(p.receivedBytes)}, ${speed}`;
    const eta = rate > 0 ? formatDuration((p.totalBytes - p.receivedBytes) / rate) : "?";
    return `${formatBytes(p.receivedBytes)} of ${formatBytes(p.totalBytes)}, ${speed}, ETA ${eta}`;
  };

  return {
    update(p) {
      if (tty) {
        const t = now();
        const complete = p.totalBytes !== null && p.receivedBytes >= p.totalBytes;
        if (t - lastDraw < REDRAW_MS && !complete) return;
        lastDraw = t;
        const fraction = p.totalBytes ? Math.min(1, p.receivedBytes / p.totalBytes) : 0;
        const filled = Math.round(fraction * BAR_WIDTH);
        const bar = p.totalBytes ? `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` : "";
        out.write(`\r\x1b[2K${label} ${bar}${describe(p)}`);
        drawn = true;
        return;
      }
      if (p.totalBytes !== null && p.totalBytes > 0) {
        const tenth = Math.floor((p.receivedBytes / p.totalBytes) * 10);
        if (tenth === lastTenth) return;
        lastTenth = tenth;
        out.write(`${label} ${tenth * 10}% (${describe(p)})\n`);
      } else {
        const step = Math.floor(p.receivedBytes / (64 * 1024 * 1024));
        if (step === lastUnknownStep) return;
        lastUnknownStep = step;
        out.write(`${label} ${describe(p)}\n`);
      }
    },
    finish() {
      if (tty && drawn) out.write("\n");
    },
  };
}
