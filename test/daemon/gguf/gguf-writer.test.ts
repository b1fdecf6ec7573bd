import assert from "node:assert/strict";
import { mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { GgmlType, readGgufFileInfo } from "node-llama-cpp";

import { float16BitsToFloat32, float32ToFloat16Bits } from "../../../daemon/src/gguf/float16.js";
import { decodeTensorData, encodeTensorData, ggmlByteSize, type GgmlTensorType } from "../../../daemon/src/gguf/ggml-quant.js";
import {
  bigintArray,
  bool,
  boolArray,
  f32,
  f64,
  i16,
  i32,
  i64,
  i8,
  numberArray,
  str,
  stringArray,
  u16,
  u32,
  u64,
  u8,
  writeGgufFile,
  type GgufTensor,
} from "../../../daemon/src/gguf/gguf-writer.js";
import { Mulberry32 } from "../../../daemon/src/gguf/seeded-random.js";

function randomValues(count: number, seed: number, scale = 1): Float32Array {
  const rng = new Mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rng.nextFloat() * 2 - 1) * scale;
  return out;
}

async function readBytes(path: string, offset: number, length: number): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    assert.equal(bytesRead, length);
    return buffer;
  } finally {
    await handle.close();
  }
}

describe("gguf/float16", () => {
  it("converts like ggml (round to nearest even, subnormals, overflow)", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up to infinity
      [1e9, 0x7c00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // exactly half of it: ties to even (zero)
      [1.5 * 2 ** -24, 0x0002], // ties to even (2)
      [1 + 2 ** -11, 0x3c00], // tie between 1 and next: even mantissa wins
      [1 + 3 * 2 ** -11, 0x3c02],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [value, bits] of cases) {
      assert.equal(float32ToFloat16Bits(value), bits, `f16(${value})`);
    }
    assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN))));
    for (let h = 0; h < 0x7c00; h += 97) {
      assert.equal(float32ToFloat16Bits(float16BitsToFloat32(h)), h, `round trip of 0x${h.toString(16)}`);
    }
  });
});

describe("gguf/ggml-quant", () => {
  it("lays out Q4_0 like block_q4_0: f16 scale, element j low nibble, j+16 high nibble", () => {
    const values = new Float32Array(32);
    for (let j = 0; j < 32; j++) values[j] = j - 16; // max magnitude is -16, so d = 2
    const bytes = new Uint8Array(ggmlByteSize("Q4_0", 32));
    assert.equal(bytes.length, 18);
    encodeTensorData("Q4_0", values, bytes, 0);
    assert.equal(float16BitsToFloat32(bytes[0]! | (bytes[1]! << 8)), 2);
    for (let j = 0; j < 16; j++) {
      const low = bytes[2 + j]! & 0x0f;
      const high = bytes[2 + j]! >> 4;
      assert.equal(low, Math.min(15, Math.trunc((j - 16) / 2 + 8.5)), `low nibble ${j}`);
      assert.equal(high, Math.min(15, Math.trunc(j / 2 + 8.5)), `high nibble ${j}`);
    }
    assert.deepEqual(Array.from(decodeTensorData("Q4_0", bytes, 32)).slice(0, 4), [-16, -14, -14, -12]);
  });

  it("lays out Q8_0 like block_q8_0: f16 scale then 32 int8", () => {
    const values = new Float32Array(32);
    for (let j = 0; j < 32; j++) values[j] = (j - 16) * 0.5; // amax 8 → d = 8/127
    const bytes = new Uint8Array(34);
    encodeTensorData("Q8_0", values, bytes, 0);
    const d = float16BitsToFloat32(bytes[0]! | (bytes[1]! << 8));
    assert.ok(Math.abs(d - 8 / 127) < 1e-4);
    assert.equal((bytes[2]! << 24) >> 24, -127);
  });

  it("quantizes within the expected error bounds", () => {
    const values = randomValues(32 * 64, 7, 3);
    for (const type of ["F16", "Q8_0", "Q4_0"] as const) {
      const bytes = new Uint8Array(ggmlByteSize(type, values.length));
      encodeTensorData(type, values, bytes, 0);
      const decoded = decodeTensorData(type, bytes, values.length);
      for (let block = 0; block < values.length; block += 32) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[block + j]!));
        // Q8_0 rounds to steps of amax/127; Q4_0 to steps of amax/8, and the
        // side opposite the extreme value can clamp one more step.
        const bound = type === "F16" ? amax * 2 ** -11 : type === "Q8_0" ? (amax / 127) * 0.5 + amax * 2 ** -10 : amax / 8 + amax * 2 ** -10;
        for (let j = 0; j < 32; j++) {
          const error = Math.abs(decoded[block + j]! - values[block + j]!);
          assert.ok(error <= bound, `${type} error ${error} > ${bound} at ${block + j}`);
        }
      }
    }
  });
});

describe("gguf/gguf-writer", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-gguf-writer-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips metadata of every type and tensor data through readGgufFileInfo", async () => {
    const f32Data = randomValues(5 * 3, 1);
    const f16Data = randomValues(7 * 2, 2);
    const q8Data = randomValues(64 * 3, 3);
    const q4Data = randomValues(32 * 5, 4);
    // Stream Q8_0 one row per chunk from an async generator, as big models do.
    async function* q8Rows(): AsyncGenerator<Float32Array> {
      for (let row = 0; row < 3; row++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield q8Data.slice(row * 64, row * 64 + 64);
      }
    }
    const tensors: GgufTensor[] = [
      { name: "a.f32", dimensions: [5, 3], type: "F32", data: () => [f32Data] },
      { name: "b.f16", dimensions: [7, 2], type: "F16", data: () => [f16Data.subarray(0, 7), f16Data.subarray(7)] },
      { name: "c.q8", dimensions: [64, 3], type: "Q8_0", data: q8Rows },
      { name: "d.q4", dimensions: [32, 5, 1], type: "Q4_0", data: () => [q4Data] },
    ];
    const path = join(dir, "round-trip.gguf");
    const result = await writeGgufFile(path, {
      metadata: [
        ["general.architecture", str("llama")],
        ["test.u8", u8(200)],
        ["test.i8", i8(-100)],
        ["test.u16", u16(60000)],
        ["test.i16", i16(-30000)],
        ["test.u32", u32(4000000000)],
        ["test.i32", i32(-2000000000)],
        ["test.f32", f32(1.5)],
        ["test.f64", f64(Math.PI)],
        ["test.u64", u64(2n ** 40n)],
        ["test.i64", i64(-(2n ** 40n))],
        ["test.bool", bool(true)],
        ["test.str", str("héllo → wörld")],
        ["test.strings", stringArray(["a", "", "ĠĊ", "<|fim_prefix|>"])],
        ["test.ints", numberArray("int32", [1, -2, 3])],
        ["test.floats", numberArray("float32", new Float32Array([0.5, -0.25]))],
        ["test.bools", boolArray([true, false])],
        ["test.u64s", bigintArray("uint64", [1n, 2 ** 40])],
      ],
      tensors,
    });

    const info = await readGgufFileInfo(path, { logWarnings: false });
    assert.equal(info.version, 3);
    assert.equal(Number(info.tensorCount), tensors.length);
    const meta = info.metadata as unknown as Record<string, Record<string, unknown>>;
    assert.equal(meta.general?.alignment, 32);
    assert.deepEqual(
      { ...meta.test },
      {
        u8: 200,
        i8: -100,
        u16: 60000,
        i16: -30000,
        u32: 4000000000,
        i32: -2000000000,
        f32: 1.5,
        f64: Math.PI,
        // 64-bit values come back as bigints.
        u64: 2n ** 40n,
        i64: -(2n ** 40n),
        bool: true,
        str: "héllo → wörld",
        strings: ["a", "", "ĠĊ", "<|fim_prefix|>"],
        ints: [1, -2, 3],
        floats: [0.5, -0.25],
        bools: [true, false],
        u64s: [1n, 2n ** 40n],
      },
    );

    const infos = info.tensorInfo ?? [];
    assert.deepEqual(
      infos.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType]),
      [
        ["a.f32", [5, 3], GgmlType.F32],
        ["b.f16", [7, 2], GgmlType.F16],
        ["c.q8", [64, 3], GgmlType.Q8_0],
        ["d.q4", [32, 5, 1], GgmlType.Q4_0],
      ],
    );
    const sources: Record<string, [GgmlTensorType, Float32Array]> = {
      "a.f32": ["F32", f32Data],
      "b.f16": ["F16", f16Data],
      "c.q8": ["Q8_0", q8Data],
      "d.q4": ["Q4_0", q4Data],
    };
    for (const tensorInfo of infos) {
      const [type, source] = sources[tensorInfo.name]!;
      assert.equal(Number(tensorInfo.offset) % 32, 0, `${tensorInfo.name} offset is aligned`);
      assert.equal(Number(tensorInfo.fileOffset), result.dataOffset + Number(tensorInfo.offset));
      const bytes = await readBytes(path, Number(tensorInfo.fileOffset), ggmlByteSize(type, source.length));
      const expected = new Uint8Array(bytes.length);
      encodeTensorData(type, source, expected, 0);
      assert.deepEqual(bytes, expected, `${tensorInfo.name} bytes`);
    }
    const last = infos.at(-1)!;
    assert.equal(result.byteLength, Number(last.fileOffset) + ggmlByteSize("Q4_0", q4Data.length));
  });

  it("leaves nothing behind when a producer yields the wrong amount of data", async () => {
    const path = join(dir, "broken.gguf");
    await assert.rejects(
      writeGgufFile(path, {
        metadata: [["general.architecture", str("llama")]],
        tensors: [{ name: "short", dimensions: [32, 4], type: "Q8_0", data: () => [new Float32Array(96)] }],
      }),
      /yielded 96 of 128 elements/,
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it("rejects chunks that split a quantization block, bad shapes and duplicate keys", async () => {
    const path = join(dir, "bad.gguf");
    await assert.rejects(
      writeGgufFile(path, {
        metadata: [],
        tensors: [{ name: "t", dimensions: [64, 1], type: "Q4_0", data: () => [new Float32Array(16), new Float32Array(48)] }],
      }),
      /not whole Q4_0 blocks/,
    );
    await assert.rejects(
      writeGgufFile(path, { metadata: [], tensors: [{ name: "t", dimensions: [48, 2], type: "Q8_0", data: () => [] }] }),
      /row length 48/,
    );
    await assert.rejects(
      writeGgufFile(path, { metadata: [["k", u8(1)], ["k", u8(2)]], tensors: [] }),
      /duplicate metadata key/,
    );
    await assert.rejects(writeGgufFile(path, { metadata: [["k", u8(256)]], tensors: [] }), /not a valid uint8/);
    assert.deepEqual(await readdir(dir), []);
  });
});
