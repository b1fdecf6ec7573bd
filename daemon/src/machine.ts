/**
 * The machine the bench ran on, and its memory read bandwidth: generating a token reads
 * every weight once, so model bytes ÷ bandwidth is the least time a token can take on a
 * CPU (the "bandwidth floor"); measured time per token is compared with it.
 *
 * Bandwidth is measured from Node with a large-buffer scan: Buffer#indexOf for a byte that
 * is not there runs memchr over the whole buffer, which reads at close to memory speed. The
 * buffer is filled first (untouched pages would all map the one zero page and read from
 * cache), is far bigger than any CPU cache, and the best of a few passes counts.
 */
import { cpus, freemem, loadavg, totalmem } from "node:os";

export interface Bandwidth {
  bytesPerSecond: number;
  bufferBytes: number;
  passes: number;
  method: string;
}

export function measureReadBandwidth(options: { bufferBytes?: number; passes?: number } = {}): Bandwidth {
  const bufferBytes = options.bufferBytes ?? 256 * 1024 * 1024;
  const passes = options.passes ?? 5;
  const buffer = Buffer.allocUnsafe(bufferBytes).fill(0x5a);
  let best = Infinity;
  for (let i = 0; i < passes; i++) {
    const started = process.hrtime.bigint();
    const found = buffer.indexOf(0x01);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (found !== -1) throw new Error("unreachable: the buffer holds no 0x01");
    best = Math.min(best, seconds);
  }
  return { bytesPerSecond: Math.round(bufferBytes / best), bufferBytes, passes, method: `memchr over a ${bufferBytes / 1024 / 1024} MiB buffer, best of ${passes}` };
}

export interface MachineInfo {
  cpu: string;
  logicalCores: number;
  ramBytes: number;
  freeRamBytes: number;
  loadAverage1m: number;
  platform: string;
  node: string;
}

export function describeMachine(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    logicalCores: list.length,
    ramBytes: totalmem(),
    freeRamBytes: freemem(),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  };
}

/** The least time one generated token can take: every weight read once at the measured bandwidth. */
export function bandwidthFloor(modelBytes: number, bandwidth: Bandwidth): { msPerToken: number; tokensPerS: number } {
  const seconds = modelBytes / bandwidth.bytesPerSecond;
  return { msPerToken: Math.round(seconds * 1e6) / 1e3, tokensPerS: Math.round(10 / seconds) / 10 };
}
