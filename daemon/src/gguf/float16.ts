// IEEE 754 binary16 conversion, bit-exact with ggml's GGML_FP32_TO_FP16 on
// x86 (F16C, round-to-nearest-even). Node 20 has no Float16Array, and the
// quantizers need the rounded scale to match what llama.cpp itself writes.

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const bits = scratchU32[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    // Keep NaN a NaN (quiet bit set) and infinities infinite.
    return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

let decodeTable: Float32Array | undefined;

function buildDecodeTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) !== 0 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) table[h] = mantissa !== 0 ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}

export function float16BitsToFloat32(bits: number): number {
  decodeTable ??= buildDecodeTable();
  return decodeTable[bits & 0xffff] ?? Number.NaN;
}

/** Rounds a number to the nearest float16 value (as a JS number). */
export function roundToFloat16(value: number): number {
  return float16BitsToFloat32(float32ToFloat16Bits(value));
}
