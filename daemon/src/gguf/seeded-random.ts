// Deterministic pseudo-random numbers for synthetic weights. Every tensor row
// gets its own generator seeded from (seed, tag, row), so any row can be
// produced on its own, in any order, and a streamed multi-GB tensor never
// needs a generator state that depends on everything written before it.

/** murmur3's 32-bit finalizer: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes integers and strings into one 32-bit seed (FNV-1a then fmix32). */
export function hashSeed(...parts: readonly (number | string)[]): number {
  let h = 0x811c9dc5;
  const mix = (byte: number): void => {
    h ^= byte & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  for (const part of parts) {
    if (typeof part === "number") {
      if (!Number.isInteger(part)) throw new TypeError(`hashSeed takes integers, got ${part}`);
      // Low and high 32 bits, so every safe integer hashes distinctly.
      const low = part >>> 0;
      const high = Math.floor(part / 2 ** 32) >>> 0;
      for (const word of [low, high]) for (let s = 0; s < 32; s += 8) mix(word >>> s);
      mix(0x01);
    } else {
      for (const byte of Buffer.from(part, "utf8")) mix(byte);
      mix(0x02);
    }
  }
  return fmix32(h);
}

/** mulberry32: tiny, fast, and good enough for weights (not for cryptography). */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }
}

const SQRT12 = Math.sqrt(12);

/**
 * Fills `out` with uniform values of mean 0 and standard deviation `std`.
 * Uniform rather than Gaussian because it is cheaper and, summed over a
 * dot product, behaves the same for our purposes.
 */
export function fillUniform(out: Float32Array, seed: number, std: number, offset = 0, length = out.length - offset): void {
  const rng = new Mulberry32(seed);
  const scale = std * SQRT12;
  for (let i = offset; i < offset + length; i++) out[i] = (rng.nextFloat() - 0.5) * scale;
}
