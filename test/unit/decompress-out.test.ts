// decompress({ out }): output written into the caller's array (ordinary or in
// the pool's memory), every codec and path; too small is an OutputLimitError.
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentTypeError, OutputLimitError, Pool, compress, compressStream, decompress, type Codec } from '../../src/index.js';
import { pipe, sameBytes } from '../stream-helpers.js';


describe('decompress into a given array', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  const data = new TextEncoder().encode(Array.from({ length: 50_000 }, (_, i) => `entry ${i % 3001} ${'q'.repeat(i % 11)}\n`).join(''));

  const streamed = (bytes: Uint8Array): Promise<Uint8Array> => pipe([bytes], compressStream({ pool, chunkSize: 65536 }));

  it('writes every codec and path into an ordinary or a shared array, and returns a view of it', async () => {
    const packed: [string, Codec, Uint8Array][] = [
      ['lz4, content size', 'lz4', await compress(data, { pool, blockSize: 65536 })],
      ['lz4, streamed (no content size)', 'lz4', await streamed(data)],
      ['gzip, one member', 'gzip', await compress(data, { pool, codec: 'gzip' })],
      ['zlib', 'zlib', await compress(data, { pool, codec: 'zlib' })],
      ['deflate', 'deflate', await compress(data, { pool, codec: 'deflate' })],
    ];
    for (const [what, codec, bytes] of packed) {
      for (const out of [new Uint8Array(data.length + 100), pool.alloc(Uint8Array, data.length)]) {
        const result = await decompress(bytes, { pool, codec, out });
        expect(result.buffer, what).toBe(out.buffer);
        expect(result.byteOffset, what).toBe(out.byteOffset);
        expect(sameBytes(result, data), what).toBe(true);
        if (pool.isShared(out)) pool.free(out);
      }
      // Too small: the error names out, whichever decoder found it (not the limit it was given, out's length).
      const tooSmall = decompress(bytes, { pool, codec, out: new Uint8Array(data.length - 1) });
      await expect(tooSmall, what).rejects.toThrow(OutputLimitError);
      await expect(tooSmall, what).rejects.toThrow(`the output does not fit in \`options.out\` (${data.length - 1} bytes)`);
      // A maxOutputLength under out's length is the limit passed, and named.
      await expect(decompress(bytes, { pool, codec, out: new Uint8Array(data.length - 1), maxOutputLength: 1000 }), what).rejects.toThrow('`options.maxOutputLength` (1000)');
    }
  });

  it('a large gzip input decodes its members at once into the given array', async () => {
    const big = new Uint8Array(6 << 20).map((_, i) => 65 + ((i * 31) % 23));
    const gz = await compress(big, { pool, codec: 'gzip', level: 1 });
    // An ordinary array, and one in the pool's memory (the members decode straight into it).
    for (const out of [new Uint8Array(big.length), pool.alloc(Uint8Array, big.length)]) {
      expect(sameBytes(await decompress(gz, { pool, codec: 'gzip', out }), big)).toBe(true);
      if (pool.isShared(out)) pool.free(out);
    }
    await expect(decompress(gz, { pool, codec: 'gzip', out: new Uint8Array(big.length - 1) })).rejects.toThrow(OutputLimitError);
  });

  it('an out that shares bytes with the input still decodes right (the input is read from a copy)', async () => {
    // Output is written while later blocks or members are still read: the input lies near the output's
    // start, where the first blocks' output goes, in an ordinary buffer and in the pool's memory.
    const big = new Uint8Array(6 << 20).map((_, i) => 65 + ((i * 37) % 29) + (i >>> 19));
    for (const [codec, packed] of [
      ['lz4', await compress(big, { pool, blockSize: 65536 })],
      ['gzip', await compress(big, { pool, codec: 'gzip', level: 1 })],
    ] as const) {
      for (const buffer of [new Uint8Array(big.length), pool.alloc(Uint8Array, big.length)]) {
        const input = buffer.subarray(1000, 1000 + packed.length);
        input.set(packed);
        const out = buffer.subarray(0, big.length);
        expect(sameBytes(await decompress(input, { pool, codec, out }), big), `${codec}, shared: ${pool.isShared(buffer)}`).toBe(true);
        if (pool.isShared(buffer)) pool.free(buffer);
      }
    }
  });

  it('refuses an out that is not a Uint8Array', async () => {
    const packed = await compress(data, { pool });
    await expect(decompress(packed, { pool, out: new Float64Array(10) as never })).rejects.toThrow(ArgumentTypeError);
    await expect(decompress(packed, { pool, out: new Float64Array(10) as never })).rejects.toThrow('`options.out` must be a Uint8Array');
  });
});
