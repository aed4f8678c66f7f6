// Streaming LZ4 decompression (src/codecs/lz4-stream.ts): frames fed in
// uneven pieces decode to the original, output comes out before the input
// ends, the corpus of hostile frames decodes or fails exactly as decompress()
// does, and the streaming xxHash32 equals the one-shot hash however the input
// is split. (Frames written by the lz4 tool: lz4-cli.node.test.ts.)
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptDataError, OutputLimitError, Pool, compress, compressStream, decompress, decompressStream, kernels } from '../../src/index.js';
import { randomBytes } from '../helpers.js';
import { concat, pieces, pipe, sameBytes } from '../stream-helpers.js';


describe('streaming LZ4 decompression', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  const data = new TextEncoder().encode(Array.from({ length: 60_000 }, (_, i) => `record ${i % 4099}: ${'xy'.repeat(i % 17)}\n`).join(''));

  it("decodes compress()'s frames (content size and checksum) and compressStream's (block checksums), in pieces", async () => {
    for (const blockSize of [65536, 262144, 4194304]) {
      const packed = await compress(data, { pool, blockSize });
      expect(sameBytes(await pipe(pieces(packed), decompressStream({ pool })), data), `block size ${blockSize}`).toBe(true);
    }
    const streamed = await pipe(pieces(data), compressStream({ pool, chunkSize: 65536 }));
    expect(sameBytes(await pipe(pieces(streamed, 5), decompressStream({ pool })), data)).toBe(true);
  });

  it('emits output before the input ends', async () => {
    const packed = await compress(data, { pool, blockSize: 65536 });
    const stream = decompressStream({ pool });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const first = reader.read();
    void writer.write(packed.subarray(0, packed.length >> 1));
    const chunk = await first;
    expect(chunk.value!.length).toBeGreaterThan(0);
    expect(sameBytes(chunk.value!, data.subarray(0, chunk.value!.length))).toBe(true);
    void writer.write(packed.subarray(packed.length >> 1));
    void writer.close();
    const rest = [chunk.value!];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(r.value);
    expect(sameBytes(concat(rest), data)).toBe(true);
  });

  it('decodes every corpus file as decompress() does: the same bytes, or a CorruptDataError', async () => {
    const files = import.meta.glob('../fixtures/lz4-corpus/*.lz4.hex', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const bytes = (hex: string) => new Uint8Array((hex.trim().match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
    for (const [name, hex] of Object.entries(files)) {
      const input = bytes(hex);
      const whole = await decompress(input, { pool }).then((value) => ({ value }), (error: unknown) => ({ error }));
      const streamed = await pipe(pieces(input, 3), decompressStream({ pool })).then((value) => ({ value }), (error: unknown) => ({ error }));
      if ('value' in whole) expect(sameBytes((streamed as { value: Uint8Array }).value, whole.value), name).toBe(true);
      else expect((streamed as { error: unknown }).error, name).toBeInstanceOf(CorruptDataError);
    }
  });

  it('truncated and corrupted frames are CorruptDataErrors; output past maxOutputLength an OutputLimitError', async () => {
    const packed = await compress(data, { pool, blockSize: 65536 });
    for (const keep of [0, 3, 6, 11, 30, packed.length >> 1, packed.length - 5, packed.length - 1]) {
      await expect(pipe(pieces(packed.subarray(0, keep)), decompressStream({ pool })), `cut at ${keep}`).rejects.toThrow(CorruptDataError);
    }
    for (const at of [4, 5, 20, packed.length >> 1, packed.length - 2]) {
      const bad = packed.slice();
      bad[at]! ^= 0x21;
      await expect(pipe(pieces(bad), decompressStream({ pool })), `byte ${at}`).rejects.toThrow(CorruptDataError);
    }
    await expect(pipe(pieces(packed), decompressStream({ pool, maxOutputLength: data.length - 1 }))).rejects.toThrow(OutputLimitError);
    const streamed = await pipe([data], compressStream({ pool, chunkSize: 65536 })); // no content size: found out block by block
    await expect(pipe(pieces(streamed), decompressStream({ pool, maxOutputLength: 100_000 }))).rejects.toThrow(OutputLimitError);
  });

  it('skippable frames alone are an empty input, as for decompress() and the lz4 tool', async () => {
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    expect((await decompress(skippable, { pool })).length).toBe(0);
    expect((await pipe(pieces(skippable), decompressStream({ pool }))).length).toBe(0);
    await expect(pipe([], decompressStream({ pool }))).rejects.toThrow('LZ4 input is empty');
  });

  it('a stream abandoned by its reader or writer leaves nothing in the pool', async () => {
    const packed = await compress(data, { pool, blockSize: 65536 });
    const baseline = pool.heapStatistics().usedBytes;
    for (const how of ['cancel', 'abort'] as const) {
      const stream = decompressStream({ pool });
      const writer = stream.writable.getWriter();
      const reader = stream.readable.getReader();
      const reading = reader.read();
      await writer.write(packed.subarray(0, packed.length >> 1));
      await reading;
      if (how === 'cancel') await reader.cancel();
      else await writer.abort();
      await writer.abort().catch(() => {});
    }
    expect(pool.heapStatistics().usedBytes).toBe(baseline);
  });

  it('an aborted signal stops decoding even where no task runs (stored blocks), and compress of empty input', async () => {
    const noise = randomBytes(300_000);
    const stored = await compress(noise, { pool, blockSize: 65536 });
    expect(stored.length).toBeGreaterThan(noise.length); // its blocks are stored as they are
    await expect(decompress(stored, { pool, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(compress(new Uint8Array(0), { pool, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(compress(noise, { pool, contentChecksum: 'no' as never })).rejects.toThrow('`options.contentChecksum` must be a boolean');
    await expect(compress(noise, { pool, signal: 'abc' as never })).rejects.toThrow('`options.signal` must be an AbortSignal');
    await expect(decompress(stored, { pool, signal: {} as never })).rejects.toThrow('`options.signal` must be an AbortSignal');
  });

  it('streaming xxHash32 equals the one-shot hash however the bytes are split (property)', async () => {
    const local = await pool.mainThreadKernels();
    const state = pool.alloc(Uint8Array, local.xxhashStateBytes());
    const buffer = pool.alloc(Uint8Array, 4096);
    try {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 4096 }), fc.array(fc.nat({ max: 4096 }), { maxLength: 8 }), fc.nat(), (bytes, cuts, seed) => {
          buffer.set(bytes);
          local.xxhash32_reset(state.byteOffset, seed);
          const points = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
          for (let i = 1; i < points.length; i++) local.xxhash32_update(state.byteOffset, buffer.byteOffset + points[i - 1]!, points[i]! - points[i - 1]!);
          expect(local.xxhash32_digest(state.byteOffset) >>> 0).toBe(local.xxhash32(buffer.byteOffset, bytes.length, seed) >>> 0);
        }),
        { numRuns: 300 },
      );
    } finally {
      pool.free(state);
      pool.free(buffer);
    }
  });

  it("a bad frame descriptor is reported at its offset in the stream, as decompress() reports it", async () => {
    const first = await compress(data.subarray(0, 1000), { pool });
    const second = await compress(data.subarray(0, 1000), { pool });
    second[5] = 0x30; // BD: block size id 3, which does not exist
    const both = concat([first, second]);
    const expected = `block size id 3 is invalid (4 to 7) at offset ${first.length + 5}`;
    await expect(decompress(both, { pool })).rejects.toThrow(expected);
    await expect(pipe(pieces(both, 997), decompressStream({ pool }))).rejects.toThrow(expected);
    second[5] = 0x70;
    second[4] = second[4]! | 0x02; // a reserved FLG bit
    const reserved = concat([first, second]);
    await expect(pipe(pieces(reserved, 997), decompressStream({ pool }))).rejects.toThrow(`at offset ${first.length + 4}`);
  });

  it('a content size of 0 means "not given", as for the reference library: the blocks that follow are decoded', async () => {
    const content = new TextEncoder().encode('thirty-two bytes of stored text!');
    const descriptor = new Uint8Array([0x68, 0x40, 0, 0, 0, 0, 0, 0, 0, 0]); // FLG: independent, content size; BD 64 KiB
    const shared = pool.alloc(Uint8Array, descriptor.length);
    shared.set(descriptor);
    const headerChecksum = ((await pool.apply(kernels.xxhash32, [shared, 0])) >>> 8) & 0xff;
    pool.free(shared);
    const frame = new Uint8Array(4 + descriptor.length + 1 + 4 + content.length + 4);
    const view = new DataView(frame.buffer);
    view.setUint32(0, 0x184d2204, true);
    frame.set(descriptor, 4);
    frame[4 + descriptor.length] = headerChecksum;
    view.setUint32(15, (content.length | 0x80000000) >>> 0, true); // a stored block
    frame.set(content, 19);
    expect(sameBytes(await decompress(frame, { pool }), content)).toBe(true);
    expect(sameBytes(await pipe(pieces(frame, 7), decompressStream({ pool })), content)).toBe(true);
  });
});
