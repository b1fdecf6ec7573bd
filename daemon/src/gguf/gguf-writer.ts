// GGUF v3 writer (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md).
// Tensor data is pulled from per-tensor producers chunk by chunk and streamed
// through a small buffer, so a multi-GB model never has to sit in memory; the
// file appears under its final name only once complete (temp file + rename).

import { randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

import { encodeTensorData, ggmlBlockElements, ggmlByteSize, GGML_TYPE_ID, type GgmlTensorType } from "./ggml-quant.js";

/** Bump when the bytes written for the same input change (cache keys use it). */
export const GGUF_WRITER_VERSION = 1;

export const GGUF_DEFAULT_ALIGNMENT = 32;

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const GGUF_VERSION = 3;

/** `enum gguf_type` ids. */
const VALUE_TYPE_ID = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufNumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";
export type GgufBigIntType = "uint64" | "int64";
export type GgufScalarType = GgufNumberType | GgufBigIntType | "bool" | "string";

/**
 * A typed metadata value. GGUF readers check value types (llama.cpp reads
 * `general.alignment` only as uint32, for example), so the type is explicit
 * rather than guessed from the JS value.
 */
export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: bigint | number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "array"; readonly itemType: GgufNumberType; readonly value: ArrayLike<number> }
  | { readonly type: "array"; readonly itemType: GgufBigIntType; readonly value: readonly (bigint | number)[] }
  | { readonly type: "array"; readonly itemType: "bool"; readonly value: readonly boolean[] }
  | { readonly type: "array"; readonly itemType: "string"; readonly value: readonly string[] };

// Constructors so call sites read like `["llama.block_count", u32(4)]`.
export const u8 = (value: number): GgufValue => ({ type: "uint8", value });
export const i8 = (value: number): GgufValue => ({ type: "int8", value });
export const u16 = (value: number): GgufValue => ({ type: "uint16", value });
export const i16 = (value: number): GgufValue => ({ type: "int16", value });
export const u32 = (value: number): GgufValue => ({ type: "uint32", value });
export const i32 = (value: number): GgufValue => ({ type: "int32", value });
export const f32 = (value: number): GgufValue => ({ type: "float32", value });
export const f64 = (value: number): GgufValue => ({ type: "float64", value });
export const u64 = (value: bigint | number): GgufValue => ({ type: "uint64", value });
export const i64 = (value: bigint | number): GgufValue => ({ type: "int64", value });
export const bool = (value: boolean): GgufValue => ({ type: "bool", value });
export const str = (value: string): GgufValue => ({ type: "string", value });
export const numberArray = (itemType: GgufNumberType, value: ArrayLike<number>): GgufValue => ({ type: "array", itemType, value });
export const bigintArray = (itemType: GgufBigIntType, value: readonly (bigint | number)[]): GgufValue => ({ type: "array", itemType, value });
export const boolArray = (value: readonly boolean[]): GgufValue => ({ type: "array", itemType: "bool", value });
export const stringArray = (value: readonly string[]): GgufValue => ({ type: "array", itemType: "string", value });

export interface GgufTensor {
  readonly name: string;
  /**
   * ggml `ne`, fastest-varying first: a matrix with `rows` rows of `cols`
   * contiguous elements is `[cols, rows]` (token_embd is [n_embd, n_vocab]).
   */
  readonly dimensions: readonly number[];
  readonly type: GgmlTensorType;
  /**
   * Produces the tensor's elements in storage order. Called once, when the
   * writer reaches this tensor; every chunk must be a whole number of
   * quantization blocks (whole rows always are).
   */
  readonly data: () => Iterable<Float32Array> | AsyncIterable<Float32Array>;
}

export interface GgufFileContents {
  /** Written in iteration order; `general.alignment` is added if absent. */
  readonly metadata: Iterable<readonly [string, GgufValue]>;
  readonly tensors: readonly GgufTensor[];
}

export interface WriteGgufOptions {
  readonly alignment?: number;
  readonly onProgress?: (bytesWritten: number, totalBytes: number) => void;
}

export interface WriteGgufResult {
  readonly byteLength: number;
  /** File offset of the (aligned) tensor data section. */
  readonly dataOffset: number;
}

/** Growable little-endian byte buffer for the header, whose size is data dependent. */
class ByteSink {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(bytes: number): number {
    const offset = this.length;
    if (offset + bytes > this.buffer.byteLength) {
      let size = this.buffer.byteLength * 2;
      while (size < offset + bytes) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(0, offset));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += bytes;
    return offset;
  }

  // The offset must be reserved before `this.view` is read: reserving may
  // grow the buffer and replace the view.
  u8(v: number): void { const at = this.reserve(1); this.view.setUint8(at, v); }
  i8(v: number): void { const at = this.reserve(1); this.view.setInt8(at, v); }
  u16(v: number): void { const at = this.reserve(2); this.view.setUint16(at, v, true); }
  i16(v: number): void { const at = this.reserve(2); this.view.setInt16(at, v, true); }
  u32(v: number): void { const at = this.reserve(4); this.view.setUint32(at, v, true); }
  i32(v: number): void { const at = this.reserve(4); this.view.setInt32(at, v, true); }
  f32(v: number): void { const at = this.reserve(4); this.view.setFloat32(at, v, true); }
  f64(v: number): void { const at = this.reserve(8); this.view.setFloat64(at, v, true); }
  u64(v: bigint): void { const at = this.reserve(8); this.view.setBigUint64(at, v, true); }
  i64(v: bigint): void { const at = this.reserve(8); this.view.setBigInt64(at, v, true); }

  bytes(data: Uint8Array): void {
    const offset = this.reserve(data.byteLength);
    this.buffer.set(data, offset);
  }

  string(value: string): void {
    const encoded = Buffer.from(value, "utf8");
    this.u64(BigInt(encoded.byteLength));
    this.bytes(encoded);
  }

  zeros(count: number): void {
    const offset = this.reserve(count);
    this.buffer.fill(0, offset, offset + count);
  }

  contents(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

const INTEGER_RANGES: Readonly<Record<"uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32", readonly [number, number]>> = {
  uint8: [0, 0xff],
  int8: [-0x80, 0x7f],
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
};

function checkedInteger(type: keyof typeof INTEGER_RANGES, value: number, key: string): number {
  const [min, max] = INTEGER_RANGES[type];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`metadata ${key}: ${value} is not a valid ${type}`);
  }
  return value;
}

function checkedBigInt(type: GgufBigIntType, value: bigint | number, key: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`metadata ${key}: ${value} is not a safe integer for ${type}`);
  }
  const big = BigInt(value);
  const ok = type === "uint64" ? big >= 0n && big < 1n << 64n : big >= -(1n << 63n) && big < 1n << 63n;
  if (!ok) throw new RangeError(`metadata ${key}: ${big} is out of range for ${type}`);
  return big;
}

function writeScalar(sink: ByteSink, type: GgufScalarType, value: number | bigint | boolean | string, key: string): void {
  switch (type) {
    case "uint8": sink.u8(checkedInteger(type, Number(value), key)); break;
    case "int8": sink.i8(checkedInteger(type, Number(value), key)); break;
    case "uint16": sink.u16(checkedInteger(type, Number(value), key)); break;
    case "int16": sink.i16(checkedInteger(type, Number(value), key)); break;
    case "uint32": sink.u32(checkedInteger(type, Number(value), key)); break;
    case "int32": sink.i32(checkedInteger(type, Number(value), key)); break;
    case "float32": sink.f32(Number(value)); break;
    case "float64": sink.f64(Number(value)); break;
    case "uint64": sink.u64(checkedBigInt(type, value as bigint | number, key)); break;
    case "int64": sink.i64(checkedBigInt(type, value as bigint | number, key)); break;
    case "bool": sink.u8(value === true ? 1 : 0); break;
    case "string": sink.string(String(value)); break;
  }
}

function writeKeyValue(sink: ByteSink, key: string, value: GgufValue): void {
  sink.string(key);
  sink.u32(VALUE_TYPE_ID[value.type]);
  if (value.type !== "array") {
    writeScalar(sink, value.type, value.value, key);
    return;
  }
  sink.u32(VALUE_TYPE_ID[value.itemType]);
  const items = value.value;
  sink.u64(BigInt(items.length));
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined) throw new TypeError(`metadata ${key}: array hole at ${i}`);
    writeScalar(sink, value.itemType, item, key);
  }
}

function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

interface TensorLayout {
  readonly tensor: GgufTensor;
  readonly elementCount: number;
  readonly byteLength: number;
  /** Offset relative to the start of the data section. */
  readonly offset: number;
}

function layoutTensors(tensors: readonly GgufTensor[], alignment: number): { layouts: TensorLayout[]; dataBytes: number } {
  const names = new Set<string>();
  const layouts: TensorLayout[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    if (names.has(tensor.name)) throw new Error(`duplicate tensor name ${tensor.name}`);
    names.add(tensor.name);
    if (tensor.dimensions.length < 1 || tensor.dimensions.length > 4) {
      throw new Error(`tensor ${tensor.name}: ggml supports 1..4 dimensions`);
    }
    let elementCount = 1;
    for (const dim of tensor.dimensions) {
      if (!Number.isSafeInteger(dim) || dim <= 0) throw new Error(`tensor ${tensor.name}: bad dimension ${dim}`);
      elementCount *= dim;
    }
    const rowLength = tensor.dimensions[0] ?? 0;
    if (rowLength % ggmlBlockElements(tensor.type) !== 0) {
      throw new Error(`tensor ${tensor.name}: row length ${rowLength} is not a multiple of the ${tensor.type} block size`);
    }
    offset = alignUp(offset, alignment);
    const byteLength = ggmlByteSize(tensor.type, elementCount);
    layouts.push({ tensor, elementCount, byteLength, offset });
    offset += byteLength;
  }
  return { layouts, dataBytes: offset };
}

function buildHeader(contents: GgufFileContents, layouts: readonly TensorLayout[], alignment: number): Uint8Array {
  const entries: (readonly [string, GgufValue])[] = [];
  const keys = new Set<string>();
  for (const entry of contents.metadata) {
    const [key, value] = entry;
    if (keys.has(key)) throw new Error(`duplicate metadata key ${key}`);
    keys.add(key);
    if (key === "general.alignment" && (value.type !== "uint32" || value.value !== alignment)) {
      throw new Error(`general.alignment must be uint32 ${alignment} (the writer's alignment)`);
    }
    entries.push(entry);
  }
  if (!keys.has("general.alignment")) entries.push(["general.alignment", u32(alignment)]);

  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(BigInt(layouts.length));
  sink.u64(BigInt(entries.length));
  for (const [key, value] of entries) writeKeyValue(sink, key, value);
  for (const { tensor, offset } of layouts) {
    sink.string(tensor.name);
    sink.u32(tensor.dimensions.length);
    for (const dim of tensor.dimensions) sink.u64(BigInt(dim));
    sink.u32(GGML_TYPE_ID[tensor.type]);
    sink.u64(BigInt(offset));
  }
  sink.zeros(alignUp(sink.length, alignment) - sink.length);
  return sink.contents();
}

/** Batches small writes into few large ones; the file handle does the rest. */
class BufferedFileWriter {
  private readonly buffer = Buffer.alloc(4 << 20);
  private used = 0;
  position = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(data: Uint8Array): Promise<void> {
    if (this.used + data.byteLength > this.buffer.byteLength) await this.flush();
    if (data.byteLength >= this.buffer.byteLength) {
      await this.writeFully(data);
    } else {
      this.buffer.set(data, this.used);
      this.used += data.byteLength;
    }
    this.position += data.byteLength;
  }

  async zeros(count: number): Promise<void> {
    if (count > 0) await this.write(new Uint8Array(count));
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeFully(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private async writeFully(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.handle.write(data, done, data.byteLength - done);
      done += bytesWritten;
    }
  }
}

async function streamTensor(layout: TensorLayout, writer: BufferedFileWriter, scratch: { bytes: Uint8Array }): Promise<void> {
  const { tensor, elementCount, byteLength } = layout;
  const blockElements = ggmlBlockElements(tensor.type);
  let produced = 0;
  let written = 0;
  for await (const chunk of tensor.data()) {
    if (chunk.length % blockElements !== 0) {
      throw new Error(`tensor ${tensor.name}: chunk of ${chunk.length} elements is not whole ${tensor.type} blocks`);
    }
    produced += chunk.length;
    if (produced > elementCount) throw new Error(`tensor ${tensor.name}: producer yielded more than ${elementCount} elements`);
    const chunkBytes = ggmlByteSize(tensor.type, chunk.length);
    if (scratch.bytes.byteLength < chunkBytes) scratch.bytes = new Uint8Array(chunkBytes);
    encodeTensorData(tensor.type, chunk, scratch.bytes, 0);
    await writer.write(scratch.bytes.subarray(0, chunkBytes));
    written += chunkBytes;
  }
  if (produced !== elementCount || written !== byteLength) {
    throw new Error(`tensor ${tensor.name}: producer yielded ${produced} of ${elementCount} elements`);
  }
}

/**
 * Writes a GGUF v3 file at `path`, atomically: the data goes to a temporary
 * file in the same directory that is renamed over `path` when complete.
 */
export async function writeGgufFile(
  path: string,
  contents: GgufFileContents,
  options: WriteGgufOptions = {},
): Promise<WriteGgufResult> {
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw new Error(`alignment must be a positive multiple of 8, got ${alignment}`);
  }
  const { layouts, dataBytes } = layoutTensors(contents.tensors, alignment);
  const header = buildHeader(contents, layouts, alignment);
  const totalBytes = header.byteLength + dataBytes;

  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tempPath, "wx", 0o600);
  let renamed = false;
  try {
    const writer = new BufferedFileWriter(handle);
    await writer.write(header);
    const scratch = { bytes: new Uint8Array(0) };
    for (const layout of layouts) {
      await writer.zeros(header.byteLength + layout.offset - writer.position);
      await streamTensor(layout, writer, scratch);
      options.onProgress?.(writer.position, totalBytes);
    }
    await writer.flush();
    if (writer.position !== totalBytes) throw new Error(`wrote ${writer.position} bytes, expected ${totalBytes}`);
    // Durable before visible: a crash must not leave a truncated model under the final name.
    await handle.sync();
    await handle.close();
    await rename(tempPath, path);
    renamed = true;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
    }
  }
  return { byteLength: totalBytes, dataOffset: header.byteLength };
}
