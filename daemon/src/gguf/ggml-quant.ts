// Tensor element encodings the GGUF writer supports, with llama.cpp's exact
// block layouts (ggml-common.h) and reference quantizers (ggml-quants.c), so
// files we write decode in llama.cpp to the same values our tests predict.

import { float16BitsToFloat32, float32ToFloat16Bits } from "./float16.js";

export type GgmlTensorType = "F32" | "F16" | "Q8_0" | "Q4_0";

/** ggml's `enum ggml_type` ids as stored in GGUF tensor infos. */
export const GGML_TYPE_ID: Readonly<Record<GgmlTensorType, number>> = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
};

/** Elements per quantization block (QK8_0 = QK4_0 = 32). */
export const QUANT_BLOCK_ELEMENTS = 32;

interface TypeTraits {
  /** Elements per block: a row length must be a multiple of it. */
  readonly blockElements: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

const TYPE_TRAITS: Readonly<Record<GgmlTensorType, TypeTraits>> = {
  F32: { blockElements: 1, blockBytes: 4 },
  F16: { blockElements: 1, blockBytes: 2 },
  // block_q8_0: ggml_half d; int8_t qs[32];
  Q8_0: { blockElements: QUANT_BLOCK_ELEMENTS, blockBytes: 2 + QUANT_BLOCK_ELEMENTS },
  // block_q4_0: ggml_half d; uint8_t qs[16];
  Q4_0: { blockElements: QUANT_BLOCK_ELEMENTS, blockBytes: 2 + QUANT_BLOCK_ELEMENTS / 2 },
};

export function ggmlBlockElements(type: GgmlTensorType): number {
  return TYPE_TRAITS[type].blockElements;
}

export function ggmlBlockBytes(type: GgmlTensorType): number {
  return TYPE_TRAITS[type].blockBytes;
}

/** Encoded size of `elementCount` elements; throws if not whole blocks. */
export function ggmlByteSize(type: GgmlTensorType, elementCount: number): number {
  const { blockElements, blockBytes } = TYPE_TRAITS[type];
  if (elementCount % blockElements !== 0) {
    throw new Error(`${type} needs a multiple of ${blockElements} elements, got ${elementCount}`);
  }
  return (elementCount / blockElements) * blockBytes;
}

// C's roundf rounds halves away from zero; Math.round rounds them up.
function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

const f32 = Math.fround;

// GGUF is little-endian; on such hosts F32 data can be copied byte for byte.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d). */
function quantizeQ8_0(src: Float32Array, dst: Uint8Array, dstOffset: number): void {
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let out = dstOffset;
  for (let block = 0; block < src.length; block += QUANT_BLOCK_ELEMENTS) {
    let amax = 0;
    for (let j = 0; j < QUANT_BLOCK_ELEMENTS; j++) amax = Math.max(amax, Math.abs(src[block + j] ?? 0));
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    view.setUint16(out, float32ToFloat16Bits(d), true);
    out += 2;
    for (let j = 0; j < QUANT_BLOCK_ELEMENTS; j++) {
      view.setInt8(out++, roundHalfAwayFromZero(f32((src[block + j] ?? 0) * id)));
    }
  }
}

/**
 * quantize_row_q4_0_ref: d = (signed value of largest magnitude) / -8,
 * q = min(15, trunc(x/d + 8.5)); byte j holds element j in its low nibble and
 * element j+16 in its high nibble.
 */
function quantizeQ4_0(src: Float32Array, dst: Uint8Array, dstOffset: number): void {
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  const half = QUANT_BLOCK_ELEMENTS / 2;
  let out = dstOffset;
  for (let block = 0; block < src.length; block += QUANT_BLOCK_ELEMENTS) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QUANT_BLOCK_ELEMENTS; j++) {
      const v = src[block + j] ?? 0;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f32(max / -8);
    const id = d !== 0 ? f32(1 / d) : 0;
    view.setUint16(out, float32ToFloat16Bits(d), true);
    out += 2;
    for (let j = 0; j < half; j++) {
      const x0 = f32((src[block + j] ?? 0) * id);
      const x1 = f32((src[block + half + j] ?? 0) * id);
      const q0 = Math.min(15, Math.trunc(f32(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(f32(x1 + 8.5)));
      dst[out++] = q0 | (q1 << 4);
    }
  }
}

/**
 * Encodes `src` as `type` into `dst` at `dstOffset`; returns bytes written.
 * `src.length` must be a whole number of blocks.
 */
export function encodeTensorData(
  type: GgmlTensorType,
  src: Float32Array,
  dst: Uint8Array,
  dstOffset: number,
): number {
  const byteLength = ggmlByteSize(type, src.length);
  if (dstOffset + byteLength > dst.byteLength) throw new RangeError("encode target too small");
  switch (type) {
    case "F32": {
      if (LITTLE_ENDIAN_HOST) {
        dst.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), dstOffset);
      } else {
        const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
        for (let i = 0; i < src.length; i++) view.setFloat32(dstOffset + i * 4, src[i] ?? 0, true);
      }
      break;
    }
    case "F16": {
      const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
      for (let i = 0; i < src.length; i++) view.setUint16(dstOffset + i * 2, float32ToFloat16Bits(src[i] ?? 0), true);
      break;
    }
    case "Q8_0":
      quantizeQ8_0(src, dst, dstOffset);
      break;
    case "Q4_0":
      quantizeQ4_0(src, dst, dstOffset);
      break;
  }
  return byteLength;
}

/** Inverse of encodeTensorData (dequantize_row_q8_0 / dequantize_row_q4_0). */
export function decodeTensorData(type: GgmlTensorType, src: Uint8Array, elementCount: number): Float32Array {
  const byteLength = ggmlByteSize(type, elementCount);
  if (src.byteLength < byteLength) throw new RangeError("not enough bytes to decode");
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const out = new Float32Array(elementCount);
  switch (type) {
    case "F32":
      for (let i = 0; i < elementCount; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case "F16":
      for (let i = 0; i < elementCount; i++) out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
      break;
    case "Q8_0": {
      const blockBytes = TYPE_TRAITS.Q8_0.blockBytes;
      for (let b = 0; b * QUANT_BLOCK_ELEMENTS < elementCount; b++) {
        const base = b * blockBytes;
        const d = float16BitsToFloat32(view.getUint16(base, true));
        for (let j = 0; j < QUANT_BLOCK_ELEMENTS; j++) {
          out[b * QUANT_BLOCK_ELEMENTS + j] = view.getInt8(base + 2 + j) * d;
        }
      }
      break;
    }
    case "Q4_0": {
      const blockBytes = TYPE_TRAITS.Q4_0.blockBytes;
      const half = QUANT_BLOCK_ELEMENTS / 2;
      for (let b = 0; b * QUANT_BLOCK_ELEMENTS < elementCount; b++) {
        const base = b * blockBytes;
        const d = float16BitsToFloat32(view.getUint16(base, true));
        for (let j = 0; j < half; j++) {
          const packed = view.getUint8(base + 2 + j);
          out[b * QUANT_BLOCK_ELEMENTS + j] = ((packed & 0x0f) - 8) * d;
          out[b * QUANT_BLOCK_ELEMENTS + half + j] = ((packed >>> 4) - 8) * d;
        }
      }
      break;
    }
  }
  return out;
}
