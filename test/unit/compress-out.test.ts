// compress({ out }): the stream written into the caller's array (ordinary or in the pool's memory),
// byte for byte what compress() returns otherwise, every codec and path; too small is an
// OutputLimitError that leaves `out` as it was; an `out` over the input itself works.
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentTypeError, OutputLimitError, Pool, compress, decompress, type Codec, type CompressOptions } from '../../src/index.js';
import { barelyCompressible, randomBytes } from '../helpers.js';
import { sameBytes } from '../stream-helpers.js';

describe('compress into a given array', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  // 5 MiB: several LZ4 blocks, and several DEFLATE parts (gzip members, sync-flushed zlib parts).
  const data = new TextEncoder().encode(Array.from({ length: 400_000 }, (_, i) => `row ${i % 7919} ${'z'.repeat(i % 5)}\n`).join('')).subarray(0, 5 << 20);
  const cases: [string, CompressOptions & { codec: Codec }][] = [
    ['lz4', { codec: 'lz4', blockSize: 1 << 20 }],
    ['lz4 level 9', { codec: 'lz4', level: 9, blockSize: 1 << 20 }],
    ['lz4 without content checksum', { codec: 'lz4', contentChecksum: false }],
    ['gzip', { codec: 'gzip', level: 1 }],
    ['zlib', { codec: 'zlib', level: 6 }],
    ['deflate', { codec: 'deflate', level: 1 }],
  ];

  it('writes every codec into an ordinary or a shared array, the same bytes as a new array, and returns a view of it', async () => {
    for (const [what, options] of cases) {
      const expected = await compress(data, { pool, ...options });
      // At an offset in its buffer too (the headers' and trailers' fields are written through views of it).
      for (const out of [new Uint8Array(expected.length + 100).subarray(37), pool.alloc(Uint8Array, expected.length)]) {
        const result = await compress(data, { pool, ...options, out });
        expect(result.buffer, what).toBe(out.buffer);
        expect(result.byteOffset, what).toBe(out.byteOffset);
        expect(sameBytes(result, expected), what).toBe(true);
        expect(sameBytes(await decompress(result, { pool, codec: options.codec }), data), what).toBe(true);
        if (pool.isShared(out)) pool.free(out);
      }
    }
  });

  it('an out one byte too small is an OutputLimitError naming it, and out is left as it was', async () => {
    for (const [what, options] of cases) {
      const length = (await compress(data, { pool, ...options })).length;
      for (const out of [new Uint8Array(length - 1), pool.alloc(Uint8Array, length - 1)]) {
        out.fill(0xab);
        const failure = await compress(data, { pool, ...options, out }).catch((error: unknown) => error);
        expect(failure, what).toBeInstanceOf(OutputLimitError);
        expect((failure as Error).message, what).toContain(`the compressed output (${length} bytes) does not fit in \`options.out\` (${length - 1} bytes)`);
        expect(out.every((byte) => byte === 0xab), what).toBe(true);
        if (pool.isShared(out)) pool.free(out);
      }
    }
  });

  it('compresses in place: an out over the input itself (stored blocks copied from a copy)', async () => {
    // Random bytes: LZ4 keeps each block as it is, its payload a view of the input when the input is in
    // the pool's memory (or on the path for inputs too large for it, below), copied into the result after
    // the blocks before it were. Compressible text and gzip for good measure.
    const random = randomBytes(3 << 20);
    const small = new Pool({ workers: 2, memory: { maximumBytes: 16 * 2 ** 20 } });
    const large = randomBytes(20 << 20);
    try {
      for (const [what, codec, source, on] of [
        ['lz4 random', 'lz4', random, pool], ['lz4 text', 'lz4', data, pool], ['gzip random', 'gzip', random, pool], ['gzip text', 'gzip', data, pool],
        // Larger than the small pool's memory: blocks through a window, stored ones as views of the input.
        ['lz4 random, a few blocks at a time', 'lz4', large, small],
      ] as const) {
        const expected = await compress(source, { pool, codec, blockSize: codec === 'lz4' ? 65536 : undefined });
        for (const shared of on === small ? [false] : [false, true]) {
          // Room for the stream past the input's end (stored data grows a little).
          const buffer = shared ? pool.alloc(Uint8Array, expected.length + source.length) : new Uint8Array(expected.length + source.length);
          buffer.set(source);
          const input = buffer.subarray(0, source.length);
          const result = await compress(input, { pool: on, codec, blockSize: codec === 'lz4' ? 65536 : undefined, out: buffer });
          expect(sameBytes(result, expected), `${what}, shared: ${shared}`).toBe(true);
          if (shared) pool.free(buffer);
        }
      }
    } finally {
      await small.terminate();
    }
  });

  it('a DEFLATE input larger than the pool\'s memory goes a few parts at a time into out too', async () => {
    const small = new Pool({ workers: 2, memory: { maximumBytes: 16 * 2 ** 20 } });
    try {
      const big = barelyCompressible(20 << 20);
      const expected = await compress(big, { pool, codec: 'gzip', level: 1 });
      const out = new Uint8Array(expected.length);
      expect(sameBytes(await compress(big, { pool: small, codec: 'gzip', level: 1, out }), expected)).toBe(true);
    } finally {
      await small.terminate();
    }
  });

  it('refuses an out that is not a Uint8Array', async () => {
    await expect(compress(data, { pool, out: new Float64Array(10) as never })).rejects.toThrow(ArgumentTypeError);
    await expect(compress(data, { pool, out: new Float64Array(10) as never })).rejects.toThrow('`options.out` must be a Uint8Array');
  });
});
