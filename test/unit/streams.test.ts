import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, Pool, PoolClosedError, compressStream, decompress, decompressStream } from '../../src/index.js';
import { pieces, pipe, sameBytes } from '../stream-helpers.js';


describe('compression streams', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  const data = new TextEncoder().encode(Array.from({ length: 40_000 }, (_, i) => `stream line ${i % 3000}\n`).join(''));

  for (const codec of ['lz4', 'gzip'] as const) {
    it(`${codec}: compresses piece by piece into one valid stream, read back by decompress and by decompressStream`, async () => {
      const packed = await pipe(pieces(data), compressStream({ pool, codec, chunkSize: codec === 'lz4' ? 65536 : 100_000 }));
      expect(sameBytes(await decompress(packed, { pool, codec }), data)).toBe(true);
      expect(sameBytes(await pipe(pieces(packed), decompressStream({ pool, codec })), data)).toBe(true);
    });

    it(`${codec}: an empty input is a valid empty stream`, async () => {
      const packed = await pipe([], compressStream({ pool, codec }));
      expect((await decompress(packed, { pool, codec })).length).toBe(0);
    });
  }

  it('refuses codecs and chunk sizes it cannot stream', () => {
    expect(() => compressStream({ pool, codec: 'zlib' })).toThrow(ArgumentRangeError);
    expect(() => compressStream({ pool, codec: 'lz4', chunkSize: 1000 })).toThrow('`options.chunkSize` must be 65536, 262144, 1048576 or 4194304');
    // At the call, not inside the stream once its first chunk is compressed.
    expect(() => compressStream({ pool, codec: 'gzip', level: 99 })).toThrow('`options.level` must be an integer from 0 to 9');
    expect(() => compressStream({ pool, codec: 'lz4', level: 99 })).toThrow(ArgumentRangeError);
  });

  for (const codec of ['lz4', 'gzip'] as const) {
    it(`${codec}: a chunk that fails errors the stream, and the chunks in flight behind it fail without unhandled rejections`, async () => {
      const closing = new Pool({ workers: 1 });
      await closing.ready;
      const stream = compressStream({ pool: closing, codec, chunkSize: 65536 });
      const writer = stream.writable.getWriter();
      const reader = stream.readable.getReader();
      const reading = (async () => {
        while (!(await reader.read()).done);
      })();
      await writer.write(new Uint8Array(65536));
      await closing.close();
      // Three more chunks: the first one awaited fails, the two behind it are never awaited.
      const writing = writer.write(new Uint8Array(3 * 65536)).then(() => writer.close());
      await expect(reading).rejects.toThrow(PoolClosedError);
      await expect(writing).rejects.toThrow(PoolClosedError);
      // Long enough for an unhandled rejection of a chunk behind to be reported against this test.
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
  }
});
