import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, Pool, compressStream, decompress, decompressStream } from '../../src/index.js';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

async function pipe(chunks: Uint8Array[], transform: TransformStream<Uint8Array, Uint8Array>): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const parts: Uint8Array[] = [];
  const reader = source.pipeThrough(transform).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe('compression streams', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  const data = new TextEncoder().encode(Array.from({ length: 40_000 }, (_, i) => `stream line ${i % 3000}\n`).join(''));
  // Uneven pieces, as a network or a file reader delivers them.
  const pieces = (bytes: Uint8Array): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let at = 0, n = 1; at < bytes.length; at += n, n = (n * 7 + 13) % 70_000) out.push(bytes.subarray(at, at + n));
    return out;
  };

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
  });
});
