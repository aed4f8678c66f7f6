// Streaming DEFLATE decompression (src/codecs/inflate-stream.ts): streams made
// by an independent encoder (fflate) and by wyvern, fed in uneven pieces,
// decode to the original bytes; output comes out before the input ends; tiny
// parts cross every block boundary; truncated, corrupted and oversized streams
// fail with clear errors.
import * as fflate from 'fflate';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptDataError, KernelError, OutOfMemoryError, OutputLimitError, Pool, compress, decompressStream, kernels } from '../../src/index.js';
import { StreamingInflater } from '../../src/codecs/inflate-stream.js';
import type { DeflateWrapping } from '../../src/codecs/inflate.js';
import { concat, pieces, pipe, sameBytes } from '../stream-helpers.js';

/** Text-like bytes with about one byte in `noise` random: compressible, with long and short matches. */
function sample(length: number, seed: number, noise = 13): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  let y = (seed ^ 0x9e3779b9) | 1;
  const words = ['wyvern ', 'deflate ', 'stream ', 'window ', 'block ', '\n', 'Huffman ', 'zlib '];
  for (let at = 0; at < length; ) {
    x = (x * 1103515245 + 12345) | 0;
    const word = words[(x >>> 8) % words.length]!;
    for (let i = 0; i < word.length && at < length; i++) {
      y ^= y << 13;
      y ^= y >>> 17;
      y ^= y << 5;
      out[at++] = (y >>> 0) % noise === 0 ? (y >>> 12) & 255 : word.charCodeAt(i);
    }
  }
  return out;
}

/** Runs a StreamingInflater directly, with part sizes of its own. */
async function inflateInParts(pool: Pool, wrapping: DeflateWrapping, chunks: Uint8Array[], part: { input: number; output: number }, limit = 2 ** 30): Promise<Uint8Array> {
  const inflater = new StreamingInflater(pool, wrapping, limit, part);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) await inflater.push(chunk, (bytes) => out.push(bytes));
  await inflater.finish((bytes) => out.push(bytes));
  return concat(out);
}

const encoders: Record<DeflateWrapping, (data: Uint8Array, level: 1 | 6 | 9) => Uint8Array> = {
  deflate: (data, level) => fflate.deflateSync(data, { level }),
  zlib: (data, level) => fflate.zlibSync(data, { level }),
  gzip: (data, level) => fflate.gzipSync(data, { level }),
};

describe('streaming DEFLATE decompression', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  // Five parts' worth of output from more than one part of input (1.4 MiB at level 1, 1.2 at 6).
  const data = sample(5 << 20, 7);

  for (const wrapping of ['deflate', 'zlib', 'gzip'] as const) {
    it(`${wrapping}: fflate's stream, in uneven pieces, decodes to the original`, async () => {
      const packed = encoders[wrapping](data, 6);
      expect(sameBytes(await pipe(pieces(packed), decompressStream({ pool, codec: wrapping })), data)).toBe(true);
    });
  }

  it("gzip: wyvern's parallel members and zero padding decode as one stream", async () => {
    const packed = await compress(data, { pool, codec: 'gzip', level: 1 });
    const padded = concat([packed, new Uint8Array(100)]);
    expect(sameBytes(await pipe(pieces(padded, 3), decompressStream({ pool, codec: 'gzip' })), data)).toBe(true);
  });

  it("decodes through a pool whose free memory is in pieces smaller than a part's output room", async () => {
    // A 16 MiB pool (10.7 MiB of heap) filled with 2 MiB arrays, every other one freed: several MiB free,
    // none 4 MiB in one piece. The parts' output room goes down until it fits (it failed outright before).
    await using small = new Pool({ workers: 1, memory: { maximumBytes: 16 * 2 ** 20 } });
    await small.apply(kernels.crc32, [small.alloc(Uint8Array, 16)]); // the worker's own scratch first
    const blocks: Uint8Array[] = [];
    const full = (() => {
      try {
        for (;;) blocks.push(small.alloc(Uint8Array, 2 << 20));
      } catch (error) {
        return error;
      }
    })();
    expect(full).toBeInstanceOf(OutOfMemoryError);
    blocks.forEach((block, i) => i % 2 === 0 && small.free(block));
    const packed = await compress(data, { pool, codec: 'gzip', level: 6 });
    expect(sameBytes(await pipe(pieces(packed, 65536), decompressStream({ pool: small, codec: 'gzip' })), data)).toBe(true);
    // A block longer than any free piece (zeros: a block of 258-byte matches decodes to ~4 MiB) is an
    // OutOfMemoryError once the room grown for it cannot be had, not an endless shrink and grow.
    const zeros = await compress(new Uint8Array(8 << 20), { pool, codec: 'gzip', level: 1 });
    const failure = await pipe(pieces(zeros, 65536), decompressStream({ pool: small, codec: 'gzip' })).then(() => 'decoded', (error: unknown) => error);
    expect(failure).toBeInstanceOf(OutOfMemoryError);
  });

  it('a block longer than the room, whose grown room does not fit, gets a room between the two that does', async () => {
    // A 16 MiB pool filled with 1 MiB arrays, the last six freed: one free piece of ~6 MiB. A block of
    // zeros decodes to ~4 MiB, more than a part's 2 MiB room; the room grown 4× for it does not fit, halfway does.
    await using small = new Pool({ workers: 1, memory: { maximumBytes: 16 * 2 ** 20 } });
    await small.apply(kernels.crc32, [small.alloc(Uint8Array, 16)]); // the worker's own scratch first
    const blocks: Uint8Array[] = [];
    try {
      for (;;) blocks.push(small.alloc(Uint8Array, 1 << 20));
    } catch (error) {
      expect(error).toBeInstanceOf(OutOfMemoryError);
    }
    expect(blocks.length).toBeGreaterThan(8);
    for (const block of blocks.slice(-6)) small.free(block);
    const zeros = new Uint8Array(8 << 20);
    const packed = await compress(zeros, { pool, codec: 'gzip', level: 1 });
    // Parts with 2 MiB of room: grown to 8 MiB for the block, which does not fit; 5 MiB does.
    expect(sameBytes(await inflateInParts(small, 'gzip', pieces(packed, 65536), { input: 1 << 20, output: 2 << 20 }), zeros)).toBe(true);
  });

  it('emits output before the input ends', async () => {
    const packed = encoders.gzip(data, 1);
    expect(packed.length).toBeGreaterThan((1 << 20) + 65536); // more than one part before the end
    const stream = decompressStream({ pool, codec: 'gzip' });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const firstOutput = reader.read();
    // All but the last 64 KiB: several parts' worth, decodable without the rest.
    void writer.write(packed.subarray(0, packed.length - 65536));
    const first = await firstOutput;
    expect(first.done).toBe(false);
    expect(first.value!.length).toBeGreaterThan(0);
    expect(sameBytes(first.value!, data.subarray(0, first.value!.length))).toBe(true);
    void writer.write(packed.subarray(packed.length - 65536));
    void writer.close();
    const rest = [first.value!];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(r.value);
    expect(sameBytes(concat(rest), data)).toBe(true);
  });

  it('tiny parts: every block boundary, stored blocks, and output room smaller than a block (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          length: fc.integer({ min: 0, max: 200_000 }),
          seed: fc.integer(),
          wrapping: fc.constantFrom<DeflateWrapping>('deflate', 'zlib', 'gzip'),
          level: fc.constantFrom<0 | 1 | 6 | 9>(0, 1, 6, 9),
          partInput: fc.integer({ min: 1, max: 50_000 }),
          partOutput: fc.integer({ min: 1, max: 100_000 }),
          piece: fc.integer({ min: 1, max: 30_000 }),
        }),
        async (p) => {
          const input = sample(p.length, p.seed);
          const packed = p.level === 0 ? fflate[p.wrapping === 'gzip' ? 'gzipSync' : p.wrapping === 'zlib' ? 'zlibSync' : 'deflateSync'](input, { level: 0 }) : encoders[p.wrapping](input, p.level);
          const chunks: Uint8Array[] = [];
          for (let at = 0; at < packed.length; at += p.piece) chunks.push(packed.subarray(at, at + p.piece));
          expect(sameBytes(await inflateInParts(pool, p.wrapping, chunks, { input: p.partInput, output: p.partOutput }), input)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a truncated stream is a CorruptDataError, wherever it is cut', async () => {
    const packed = encoders.gzip(sample(300_000, 3), 6);
    for (const keep of [5, 12, packed.length >> 1, packed.length - 9, packed.length - 1]) {
      await expect(pipe(pieces(packed.subarray(0, keep)), decompressStream({ pool, codec: 'gzip' }))).rejects.toThrow(CorruptDataError);
    }
    await expect(pipe([], decompressStream({ pool, codec: 'zlib' }))).rejects.toThrow(/truncated/);
  });

  it('a corrupted stream is a CorruptDataError (checksums, sizes, codes, headers)', async () => {
    const original = sample(300_000, 4);
    for (const wrapping of ['zlib', 'gzip'] as const) {
      const packed = encoders[wrapping](original, 6);
      for (const at of [0, 3, packed.length >> 2, packed.length >> 1, packed.length - 3]) {
        const bad = packed.slice();
        bad[at]! ^= 0x5a;
        await expect(pipe(pieces(bad), decompressStream({ pool, codec: wrapping })), `${wrapping} byte ${at}`).rejects.toThrow(CorruptDataError);
      }
    }
    // Zero padding, then more data: not a valid gzip file.
    const gz = encoders.gzip(original, 1);
    await expect(pipe([gz, new Uint8Array(4), gz], decompressStream({ pool, codec: 'gzip' }))).rejects.toThrow(/zero bytes followed by more data/);
  });

  it('stops at maxOutputLength with an OutputLimitError, counting the whole stream', async () => {
    const zeros = encoders.gzip(new Uint8Array(20 << 20), 6); // 20 MiB from about 20 KiB: blocks of MiBs of output
    await expect(pipe(pieces(zeros), decompressStream({ pool, codec: 'gzip', maxOutputLength: 19 << 20 }))).rejects.toThrow(OutputLimitError);
    const whole = await pipe(pieces(zeros), decompressStream({ pool, codec: 'gzip', maxOutputLength: 20 << 20 }));
    expect(whole.length).toBe(20 << 20);
    expect(whole.every((byte) => byte === 0)).toBe(true);
  });

  it('the part kernel checks its start bit and history against the arrays it was given', async () => {
    const src = pool.alloc(Uint8Array, 16);
    const window = pool.alloc(Uint8Array, 64);
    try {
      await expect(pool.apply(kernels.inflateStream, [src, window, 0, 8])).rejects.toThrow('`startBit` must be an integer from 0 to 7; got 8');
      await expect(pool.apply(kernels.inflateStream, [src, window, Number.NaN, 0])).rejects.toThrow('`historyLength` must be an integer');
      await expect(pool.apply(kernels.inflateStream, [src, window, 0, 2 ** 32 + 3])).rejects.toThrow('`startBit`');
      await expect(pool.apply(kernels.inflateStream, [src, window, 0, -1])).rejects.toThrow(/startBit/);
      await expect(pool.apply(kernels.inflateStream, [src, window, 65, 0])).rejects.toThrow(/window/);
      await expect(pool.apply(kernels.inflateStream, [src.subarray(0, 0), window, 0, 3])).rejects.toThrow(KernelError);
      await expect(pool.apply(kernels.inflateStream, [src.subarray(0, 0), window, 0, 3])).rejects.toThrow(/startBit/);
    } finally {
      pool.free(src);
      pool.free(window);
    }
  });
});
