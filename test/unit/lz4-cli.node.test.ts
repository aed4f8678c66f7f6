// Interoperability with the reference `lz4` command-line tool (Debian package
// lz4): it reads what we write, and we read what it writes with its options
// (linked or independent blocks, block checksums, content size, high
// compression, every block size, several frames in a row).
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptDataError, Pool, compress, compressStream, decompress, decompressStream, kernels } from '../../src/index.js';

const lz4 = (args: string[], input: Uint8Array): Uint8Array => new Uint8Array(execFileSync('lz4', args, { input, maxBuffer: 1 << 30, stdio: 'pipe' }));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const sample = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.array(fc.constantFrom('lz4 ', 'frame ', 'block ', '\n', 'aaaaaaaa', '42'), { maxLength: 4000 }).map((w) => new TextEncoder().encode(w.join(''))),
);

describe('LZ4 and the lz4 command', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  it('lz4 -d reads every frame we write (property)', async () => {
    await fc.assert(
      fc.asyncProperty(sample, fc.constantFrom(65536, 262144, 1048576), fc.boolean(), fc.constantFrom(1, 2, 3, 9, 10, 11, 12), async (data, blockSize, contentChecksum, level) => {
        const packed = await compress(data, { pool, blockSize, contentChecksum, level });
        expect(sameBytes(lz4(['-d', '-c'], packed), data)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('lz4 -d reads frames of many blocks compressed in parallel (64 KiB blocks, fast and high levels)', async () => {
    // The property's inputs fit one 64 KiB block; these take five, compressed as tasks on both workers.
    const data = new TextEncoder().encode(Array.from({ length: 12_000 }, (_, i) => `row ${i % 1009}: ${'cd'.repeat(i % 11)} ${(i * 2654435761) % 997}\n`).join('')).subarray(0, 300_000);
    for (const level of [1, 9, 12]) {
      for (const contentChecksum of [true, false]) {
        const packed = await compress(data, { pool, blockSize: 65536, level, contentChecksum });
        expect(sameBytes(lz4(['-d', '-c'], packed), data), `level ${level}`).toBe(true);
      }
    }
  });

  it.each([
    ['defaults (independent blocks)', []],
    ['linked blocks', ['-BD']],
    ['block checksums', ['-BX']],
    ['no content checksum', ['--no-frame-crc']],
    ['content size', ['--content-size']],
    ['high compression', ['-12']],
    ['64 KiB blocks, linked', ['-B4', '-BD']],
    ['fast, acceleration 8', ['--fast=8']],
  ])('we read what lz4 writes: %s', async (_, options) => {
    const data = new TextEncoder().encode(Array.from({ length: 30_000 }, (_, i) => `line ${i % 977}: ${'ab'.repeat(i % 13)}\n`).join(''));
    const packed = lz4([...options, '-c'], data);
    expect(sameBytes(await decompress(packed, { pool }), data)).toBe(true);
    // And as a stream, in uneven pieces.
    const pieces = Array.from({ length: Math.ceil(packed.length / 7919) }, (_, i) => packed.subarray(i * 7919, (i + 1) * 7919));
    const stream = new Blob(pieces as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(decompressStream({ pool }));
    expect(sameBytes(new Uint8Array(await new Response(stream).arrayBuffer()), data)).toBe(true);
  });

  it('levels 3-12 compress as lz4 -3 … -12 (hash chains, then optimal parsing): frames within 1% of the tool\'s size', async () => {
    // Real text: TypeScript's DOM declarations (a dependency).
    const { readFileSync } = await import('node:fs');
    const text = new Uint8Array(readFileSync(new URL('../../node_modules/typescript/lib/lib.dom.d.ts', import.meta.url)).subarray(0, 300_000));
    // And a periodic numeric array, as dumps hold (long hash chains: the chain swap's case).
    const numeric = new Uint8Array(new Float64Array(40_000).map((_, i) => Math.round(1000 * Math.sin(i / 1000) + ((i * 2654435761) % 7)) / 8).buffer);
    for (const data of [text, numeric]) {
      for (const level of [3, 6, 9, 10, 11, 12]) {
        const ours = await compress(data, { pool, level, contentChecksum: false });
        const theirs = lz4([`-${level}`, '-c', '--no-frame-crc'], data);
        expect(sameBytes(lz4(['-d', '-c'], ours), data)).toBe(true);
        expect(ours.length / theirs.length, `level ${level}: ${ours.length} vs ${theirs.length}`).toBeLessThan(1.01);
      }
    }
  });

  it('lz4 -d reads a streamed frame (block checksums, no content size) and gzip -d a streamed gzip', async () => {
    const data = new TextEncoder().encode('streamed through a TransformStream; '.repeat(9000));
    for (const [codec, tool] of [['lz4', 'lz4'], ['gzip', 'gzip']] as const) {
      const stream = new Blob([data]).stream().pipeThrough(compressStream({ pool, codec, chunkSize: codec === 'lz4' ? 65536 : 50_000 }));
      const packed = new Uint8Array(await new Response(stream).arrayBuffer());
      expect(sameBytes(new Uint8Array(execFileSync(tool, ['-d', '-c'], { input: packed })), data)).toBe(true);
    }
  });

  it('reads several frames in a row, skippable frames included, as lz4 does', async () => {
    const a = new TextEncoder().encode('first frame '.repeat(100));
    const b = new TextEncoder().encode('second frame '.repeat(100));
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const joined = new Uint8Array([...lz4(['-c'], a), ...skippable, ...(await compress(b, { pool }))]);
    const expected = new Uint8Array([...a, ...b]);
    expect(sameBytes(await decompress(joined, { pool }), expected)).toBe(true);
    expect(sameBytes(new Uint8Array(await new Response(new Blob([joined]).stream().pipeThrough(decompressStream({ pool }))).arrayBuffer()), expected)).toBe(true);
    expect(sameBytes(lz4(['-d', '-c'], joined), expected)).toBe(true);
  });

  /** `frame` with a dictionary ID inserted into its descriptor (FLG bit 0, four bytes before HC), HC made right again. */
  const withDictionaryId = async (frame: Uint8Array, id: number): Promise<Uint8Array> => {
    const descriptorEnd = frame[4]! & 0x08 ? 14 : 6; // FLG, BD and the content size when there is one
    const descriptor = new Uint8Array(descriptorEnd - 4 + 4);
    descriptor.set(frame.subarray(4, descriptorEnd));
    descriptor[0]! |= 0x01;
    new DataView(descriptor.buffer).setUint32(descriptorEnd - 4, id, true);
    const inPool = pool.alloc(Uint8Array, descriptor.length);
    inPool.set(descriptor);
    const hc = (((await pool.apply(kernels.xxhash32, [inPool, 0])) >>> 0) >>> 8) & 0xff;
    pool.free(inPool);
    return new Uint8Array([...frame.subarray(0, 4), ...descriptor, hc, ...frame.subarray(descriptorEnd + 1)]);
  };
  const streamed = (bytes: Uint8Array): Promise<Uint8Array> =>
    new Response(new Blob([new Uint8Array(bytes)]).stream().pipeThrough(decompressStream({ pool }))).arrayBuffer().then((b) => new Uint8Array(b));

  it('reads frames that name a dictionary they do not use, as lz4 -d does without -D', async () => {
    const text = new TextEncoder().encode('a frame naming its dictionary, '.repeat(3000));
    for (const options of [[], ['-BD'], ['--content-size']]) {
      const framed = await withDictionaryId(lz4(['-c', ...options], text), 0x12345678);
      expect(sameBytes(lz4(['-d', '-c'], framed), text)).toBe(true); // the reference reads it
      expect(sameBytes(await decompress(framed, { pool }), text)).toBe(true);
      expect(sameBytes(await streamed(framed), text)).toBe(true);
    }
  });

  it('refuses a block of such a frame that reaches back into the dictionary', async () => {
    // One block: a literal 'a', then a 4-byte match 5 bytes back (into the dictionary, before the output), then 5 literals.
    const block = [0x10, 0x61, 5, 0, 0x50, 0x62, 0x63, 0x64, 0x65, 0x66];
    const plain = new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0, block.length, 0, 0, 0, ...block, 0, 0, 0, 0]);
    const framed = await withDictionaryId(plain, 7);
    expect(() => lz4(['-d', '-c'], framed)).toThrow(); // the reference refuses it too
    await expect(decompress(framed, { pool })).rejects.toThrow(CorruptDataError);
    await expect(decompress(framed, { pool })).rejects.toThrow('refers back before the start of the output: the frame was compressed with dictionary 7');
    await expect(streamed(framed)).rejects.toThrow('refers back before the start of the output: the frame was compressed with dictionary 7');
    // Without a dictionary ID the same block is plainly corrupt: no word of a dictionary.
    const noDictionary = plain.slice();
    noDictionary[6] = 0x82; // HC of FLG 0x60, BD 0x40
    await expect(decompress(noDictionary, { pool })).rejects.toThrow(/refers back before the start of the output$/);
  });

  it("refuses the legacy format (lz4 -l) by name, whole and streamed", async () => {
    const legacy = lz4(['-l', '-c'], new TextEncoder().encode('legacy '.repeat(100)));
    await expect(decompress(legacy, { pool })).rejects.toThrow('LZ4 legacy format (lz4 -l, magic number 0x184c2102) at offset 0 is not supported');
    await expect(new Response(new Blob([new Uint8Array(legacy)]).stream().pipeThrough(decompressStream({ pool }))).arrayBuffer()).rejects.toThrow('LZ4 legacy format');
  });
});
