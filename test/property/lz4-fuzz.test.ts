// The LZ4 block decoder against hostile input: random bytes and mutations of
// valid blocks. Whatever the input, the decoder returns a length within the
// capacity or a negative error code, and never writes outside its output
// (guard bytes on both sides stay intact). Plus the corpus of frames that
// once failed (test/fixtures/lz4-corpus).
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptDataError, Pool, compress, decompress } from '../../src/index.js';
import { fuzzArea, fuzzDecoder } from '../fuzz-harness.js';
import { bareKernels } from '../helpers.js';

const FUZZ_INPUTS = 500_000;

describe('LZ4 block decoder fuzz', () => {
  it(`survives ${FUZZ_INPUTS.toLocaleString('en-US')} random and mutated blocks without writing outside its output`, { timeout: 180_000 }, async () => {
    const { views, heap, kernels: k } = await bareKernels();
    const hashTable = heap.allocate(k.lz4HashBytes());
    const capacity = 4096;
    const { srcPtr, outPtr, dst } = fuzzArea(heap, capacity);
    const u8 = () => views.u8;
    // Seeds: valid blocks of text-like data.
    const seeds: Uint8Array[] = [];
    for (let s = 0; s < 16; s++) {
      const text = new TextEncoder().encode(`seed ${s}: ` + 'abcabcabd '.repeat(s * 7 + 3) + 'xyz'.repeat(s));
      u8().set(text, srcPtr);
      const packedPtr = heap.allocate(k.lz4CompressBound(text.length));
      const length = k.lz4_compress_block(srcPtr, text.length, packedPtr, k.lz4CompressBound(text.length), hashTable, 1);
      seeds.push(u8().slice(packedPtr, packedPtr + length));
      heap.free(packedPtr);
    }
    const decodedOk = fuzzDecoder(
      { views, srcPtr, outPtr, capacity, seeds, lowestError: -3, decode: (length, cap) => k.lz4_decompress_block(srcPtr, length, dst, cap, 0) },
      FUZZ_INPUTS,
      12345,
    );
    expect(decodedOk).toBeGreaterThan(0);
  });
});

describe('LZ4 corpus', () => {
  const pool = new Pool({ workers: 1 });
  afterAll(() => pool.terminate());

  it('decodes every corpus file to its expected bytes or a CorruptDataError', async () => {
    const files = import.meta.glob('../fixtures/lz4-corpus/*.lz4.hex', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const expectedFiles = import.meta.glob('../fixtures/lz4-corpus/*.expected.hex', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const bytes = (hex: string) => new Uint8Array((hex.trim().match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
    expect(Object.keys(files).length).toBeGreaterThan(0);
    for (const [name, hex] of Object.entries(files)) {
      const input = bytes(hex);
      const expectedHex = expectedFiles[name.replace(/\.lz4\.hex$/, '.lz4.expected.hex')];
      const outcome = await decompress(input, { pool }).then((value) => ({ value }), (error: unknown) => ({ error }));
      if (expectedHex !== undefined) expect(Array.from((outcome as { value: Uint8Array }).value), name).toEqual(Array.from(bytes(expectedHex)));
      else expect((outcome as { error: unknown }).error, name).toBeInstanceOf(CorruptDataError);
    }
  });

  it('what the corpus decodes to compresses and decodes back, at fast and high levels', async () => {
    const expectedFiles = import.meta.glob('../fixtures/lz4-corpus/*.expected.hex', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const bytes = (hex: string) => new Uint8Array((hex.trim().match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
    expect(Object.keys(expectedFiles).length).toBeGreaterThan(0);
    for (const [name, hex] of Object.entries(expectedFiles)) {
      const data = bytes(hex);
      for (const level of [1, 9]) {
        expect(Array.from(await decompress(await compress(data, { pool, level }), { pool })), `${name} at level ${level}`).toEqual(Array.from(data));
      }
    }
  });
});
