// Reads a GGUF file's metadata (the key-value section of the header), as the
// writer beside it writes it: enough to take a real tokenizer's vocabulary,
// merges and special tokens out of the vocabulary-only GGUFs in llama.cpp's
// source. Tensor infos and data are not read. Bounded: a malformed count or
// length fails instead of allocating without end.

import { open } from "node:fs/promises";

const MAGIC = 0x46554747; // "GGUF" little-endian
const MAX_METADATA_BYTES = 256 * 1024 * 1024;
const MAX_ITEMS = 16 * 1024 * 1024;

export type GgufMetadataValue = number | bigint | boolean | string | readonly GgufMetadataValue[];

class Cursor {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) throw new RangeError(`GGUF metadata runs past the end of the file (at byte ${this.offset})`);
  }
  u8(): number {
    this.need(1);
    return this.bytes.readUInt8(this.offset++);
  }
  u32(): number {
    this.need(4);
    const v = this.bytes.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.bytes.readBigUInt64LE(this.offset);
    this.offset += 8;
    return v;
  }
  count(): number {
    const n = this.u64();
    if (n > BigInt(MAX_ITEMS)) throw new RangeError(`GGUF count ${n} is too large`);
    return Number(n);
  }
  string(): string {
    const n = this.count();
    this.need(n);
    const s = this.bytes.toString("utf8", this.offset, this.offset + n);
    this.offset += n;
    return s;
  }
  scalar(type: number): GgufMetadataValue {
    const b = this.bytes;
    const read = <T>(size: number, f: (at: number) => T): T => {
      this.need(size);
      const v = f(this.offset);
      this.offset += size;
      return v;
    };
    switch (type) {
      case 0: return read(1, (at) => b.readUInt8(at));
      case 1: return read(1, (at) => b.readInt8(at));
      case 2: return read(2, (at) => b.readUInt16LE(at));
      case 3: return read(2, (at) => b.readInt16LE(at));
      case 4: return read(4, (at) => b.readUInt32LE(at));
      case 5: return read(4, (at) => b.readInt32LE(at));
      case 6: return read(4, (at) => b.readFloatLE(at));
      case 7: return read(1, (at) => b.readUInt8(at) !== 0);
      case 8: return this.string();
      case 10: return read(8, (at) => b.readBigUInt64LE(at));
      case 11: return read(8, (at) => b.readBigInt64LE(at));
      case 12: return read(8, (at) => b.readDoubleLE(at));
      case 9: {
        const itemType = this.u32();
        const n = this.count();
        const items: GgufMetadataValue[] = new Array<GgufMetadataValue>(n);
        for (let i = 0; i < n; i++) items[i] = this.scalar(itemType);
        return items;
      }
      default:
        throw new RangeError(`unknown GGUF value type ${type}`);
    }
  }
}

/** The metadata of the GGUF file at `path`, key to value. */
export async function readGgufMetadata(path: string): Promise<Map<string, GgufMetadataValue>> {
  const handle = await open(path, "r");
  try {
    const size = Math.min((await handle.stat()).size, MAX_METADATA_BYTES);
    const bytes = Buffer.alloc(size);
    await handle.read(bytes, 0, size, 0);
    const cursor = new Cursor(bytes);
    if (cursor.u32() !== MAGIC) throw new RangeError(`${path} is not a GGUF file`);
    const version = cursor.u32();
    if (version < 2 || version > 3) throw new RangeError(`${path}: GGUF version ${version} is not supported`);
    cursor.count(); // tensors
    const entries = cursor.count();
    const metadata = new Map<string, GgufMetadataValue>();
    for (let i = 0; i < entries; i++) {
      const key = cursor.string();
      metadata.set(key, cursor.scalar(cursor.u32()));
    }
    return metadata;
  } finally {
    await handle.close();
  }
}
