import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, Pool, PoolClosedError, compressStream, decompress, decompressStream } from '../../src/index.js';
import { concat, pieces, pipe, sameBytes } from '../stream-helpers.js';

/** A Uint8Array whose slice is a view, as Node's Buffer's is. */
class SliceIsAView extends Uint8Array {
  override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
    return this.subarray(start, end);
  }
}

/** `bytes` written through `transform` a kilobyte at a time from one buffer of `Kind`, refilled once each write has been taken. */
async function throughOneBuffer(bytes: Uint8Array, transform: TransformStream<Uint8Array, Uint8Array>, make: (length: number) => Uint8Array): Promise<Uint8Array> {
  const output = (async () => {
    const parts: Uint8Array[] = [];
    const reader = transform.readable.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    return concat(parts);
  })();
  const writer = transform.writable.getWriter();
  const buffer = make(1000);
  for (let at = 0; at < bytes.length; at += 1000) {
    const n = Math.min(1000, bytes.length - at);
    buffer.set(bytes.subarray(at, at + n));
    await writer.write(buffer.subarray(0, n));
  }
  await writer.close();
  return output;
}


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

  it('copies what is written: a writer may refill one buffer, a Buffer too (whose slice is a view)', async () => {
    const makers: ((n: number) => Uint8Array)[] = [(n) => new SliceIsAView(n)];
    const NodeBuffer = (globalThis as { Buffer?: { alloc(n: number): Uint8Array } }).Buffer;
    if (NodeBuffer) makers.push((n) => NodeBuffer.alloc(n));
    const sample = data.subarray(0, 300_000);
    for (const make of makers) {
      for (const codec of ['lz4', 'gzip'] as const) {
        const packed = await throughOneBuffer(sample, compressStream({ pool, codec, chunkSize: codec === 'lz4' ? 65536 : 100_000 }), make);
        expect(sameBytes(await decompress(packed, { pool, codec }), sample)).toBe(true);
        expect(sameBytes(await throughOneBuffer(packed, decompressStream({ pool, codec }), make), sample)).toBe(true);
        // decompress copies an input that overlaps its out: a Buffer's slice would not have.
        const room = make(packed.length + sample.length + 64);
        room.set(packed);
        const input = room.subarray(0, packed.length);
        expect(sameBytes(await decompress(input, { pool, codec, out: room.subarray(16) }), sample)).toBe(true);
      }
    }
  });

  it('takes any ArrayBuffer view or ArrayBuffer written as its bytes, and refuses anything else by name', async () => {
    const words = new Int16Array([0x1234, 0x5678, -1]);
    const bytes = new Uint8Array(words.buffer);
    for (const chunk of [words, words.buffer, new DataView(words.buffer)]) {
      const packed = await pipe([chunk as unknown as Uint8Array], compressStream({ pool, codec: 'gzip' }));
      expect([...(await decompress(packed, { pool, codec: 'gzip' }))]).toEqual([...bytes]);
    }
    await expect(pipe(['text' as unknown as Uint8Array], compressStream({ pool }))).rejects.toThrow(ArgumentTypeError);
    await expect(pipe(['text' as unknown as Uint8Array], compressStream({ pool }))).rejects.toThrow('chunks written to compressStream must be bytes');
    await expect(pipe([{} as unknown as Uint8Array], decompressStream({ pool }))).rejects.toThrow('chunks written to decompressStream must be bytes');
  });

  it('refuses codecs and chunk sizes it cannot stream', () => {
    expect(() => compressStream({ pool, codec: 'zlib' })).toThrow(ArgumentRangeError);
    expect(() => compressStream({ pool, codec: 'lz4', chunkSize: 1000 })).toThrow('`options.chunkSize` must be 65536, 262144, 1048576 or 4194304');
    // At the call, not inside the stream once its first chunk is compressed.
    expect(() => compressStream({ pool, codec: 'gzip', level: 99 })).toThrow('`options.level` must be an integer from 0 to 9');
    expect(() => compressStream({ pool, codec: 'lz4', level: 99 })).toThrow(ArgumentRangeError);
    expect(() => compressStream({ pool, codec: 'gzip', chunkSize: 2 ** 40 })).toThrow('`options.chunkSize` must be an integer from 1024 to 1073741824');
    expect(() => compressStream({ pool, codec: 'gzip', acceleration: 3 })).toThrow("`options.acceleration` applies to LZ4; codec 'gzip' does not take it");
  });

  for (const codec of ['lz4', 'gzip'] as const) {
    it(`${codec}: a chunk that fails errors the stream, and the chunks in flight behind it fail without unhandled rejections`, async () => {
      await using closing = new Pool({ workers: 1 });
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
