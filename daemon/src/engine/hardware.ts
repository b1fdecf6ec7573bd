/**
 * Thread count for ggml. Its worker threads spin while they wait, so more threads than free
 * physical cores made decoding 10-30x slower here: use the physical core count.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

/** Distinct (package, core) pairs from /proc/cpuinfo; falls back to the logical count elsewhere. */
export function physicalCoreCount(): number {
  const logical = os.availableParallelism();
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    const cores = new Set<string>();
    for (const block of cpuinfo.split(/\n\s*\n/)) {
      const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
      const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
      if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
    }
    // Virtual machines often report one core per vCPU or nothing at all; never exceed logical.
    return cores.size > 0 ? Math.min(cores.size, logical) : logical;
  } catch {
    return logical;
  }
}

/**
 * The default thread count: physical cores, less the cores other processes keep busy (the
 * 1-minute load average), never below one. Spinning ggml threads on busy cores were 10-30x
 * slower here than fewer threads on free ones.
 */
export function defaultThreadCount(): number {
  const physical = physicalCoreCount();
  const busy = Math.round(os.loadavg()[0] ?? 0);
  return Math.max(1, Math.min(physical, os.availableParallelism() - busy));
}
