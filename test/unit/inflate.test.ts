import fc from 'fast-check';
import * as fflate from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { concat, pipe } from '../stream-helpers.js';
import { CorruptDataError, OutputLimitError, Pool, compress, decompress, decompressStream } from '../../src/index.js';
import bgzfBase64 from '../fixtures/bgzf/text.txt.gz.b64?raw';

// Streams made by fflate (a DEFLATE encoder that runs on both platforms); Node's zlib and gzip(1) are in
// inflate-zlib.node.test.ts.
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const textLike = fc.array(fc.constantFrom('inflate ', 'huffman ', 'window ', 'xyz', '\n', '0000000000'), { maxLength: 4000 }).map((w) => new TextEncoder().encode(w.join('')));
type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

describe('DEFLATE decompression (raw, zlib, gzip)', () => {
  const pool = new Pool({ workers: 1 });
  afterAll(() => pool.terminate());

  it('reads what an independent encoder writes, at every level, in every wrapping (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 3000 }), textLike), fc.integer({ min: 0, max: 9 }), async (data, level) => {
        const l = level as Level;
        expect(sameBytes(await decompress(fflate.deflateSync(data, { level: l }), { pool, codec: 'deflate' }), data)).toBe(true);
        expect(sameBytes(await decompress(fflate.zlibSync(data, { level: l }), { pool, codec: 'zlib' }), data)).toBe(true);
        expect(sameBytes(await decompress(fflate.gzipSync(data, { level: l, filename: 'x.txt', mtime: 0 }), { pool, codec: 'gzip' }), data)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('returns output of its own, not a view of pool memory that later allocations reuse (regression)', async () => {
    const data = new TextEncoder().encode('keep me intact '.repeat(5000));
    for (const codec of ['deflate', 'zlib', 'gzip'] as const) {
      const packed = codec === 'deflate' ? fflate.deflateSync(data) : codec === 'zlib' ? fflate.zlibSync(data) : fflate.gzipSync(data);
      const out = await decompress(packed, { pool, codec });
      expect(pool.isShared(out)).toBe(false);
      const scribble = pool.alloc(Uint8Array, 1 << 20).fill(0x5a);
      expect(sameBytes(out, data)).toBe(true);
      pool.free(scribble);
    }
  });

  it('grows its output buffer for highly compressible input, up to maxOutputLength', async () => {
    const zeros = new Uint8Array(3_000_000);
    const packed = fflate.zlibSync(zeros, { level: 9 });
    expect(packed.length).toBeLessThan(10_000);
    expect((await decompress(packed, { pool, codec: 'zlib' })).length).toBe(3_000_000);
    await expect(decompress(packed, { pool, codec: 'zlib', maxOutputLength: 2_999_999 })).rejects.toBeInstanceOf(OutputLimitError);
  });

  it('every truncation and every single-byte change of a zlib or gzip stream is an error or the exact data', async () => {
    const data = new TextEncoder().encode('corrupt this stream, then corrupt it again; '.repeat(30));
    for (const [codec, packed] of [['zlib', fflate.zlibSync(data, { level: 6 })], ['gzip', fflate.gzipSync(data, { level: 6, mtime: 0 })]] as const) {
      for (let end = 0; end < packed.length; end++) {
        await expect(decompress(packed.subarray(0, end), { pool, codec }), `${codec} cut at ${end}`).rejects.toBeInstanceOf(CorruptDataError);
      }
      for (let at = 0; at < packed.length; at++) {
        const bad = packed.slice();
        bad[at]! ^= 0x20;
        const outcome = await decompress(bad, { pool, codec }).then((value) => ({ value }), (error: unknown) => ({ error }));
        if ('value' in outcome) expect(sameBytes(outcome.value, data), `${codec} byte ${at}`).toBe(true); // e.g. gzip's MTIME or OS byte
        else expect(outcome.error, `${codec} byte ${at}`).toBeInstanceOf(CorruptDataError);
      }
    }
  });

  it('refuses foreign headers with a message saying what was expected', async () => {
    await expect(decompress(new Uint8Array([0x78, 0x00, 1, 2, 3, 4]), { pool, codec: 'zlib' })).rejects.toThrow('header check bits');
    await expect(decompress(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]), { pool, codec: 'gzip' })).rejects.toThrow('not gzip data');
    await expect(decompress(new Uint8Array([0x07]), { pool, codec: 'deflate' })).rejects.toThrow('reserved type 3');
  });

  it('names the codec that data decoded with another one looks like', async () => {
    const text = new TextEncoder().encode('which codec wrote this? '.repeat(20));
    const packed = { lz4: await compress(text, { pool }), gzip: await compress(text, { pool, codec: 'gzip' }), zlib: await compress(text, { pool, codec: 'zlib' }) };
    for (const [written, bytes] of Object.entries(packed)) {
      for (const codec of ['lz4', 'gzip', 'zlib'] as const) {
        if (codec === written) continue;
        await expect(decompress(bytes, { pool, codec }), `${written} read as ${codec}`).rejects.toThrow(`it looks like ${written} data: pass \`{ codec: '${written}' }\``);
      }
      // Streams say it too.
      await expect(pipe([bytes], decompressStream({ pool, codec: written === 'lz4' ? 'gzip' : 'lz4' }))).rejects.toThrow(`it looks like ${written} data`);
    }
    // Only at a stream's start: a gzip member after an LZ4 frame is not a misread stream.
    const mixed = concat([packed.lz4, packed.gzip]);
    const error = (await decompress(mixed, { pool }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(CorruptDataError);
    expect(error.message).toMatch('not an LZ4 frame');
    expect(error.message).not.toMatch('looks like');
    // Bytes that look like none of them get no hint.
    await expect(decompress(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), { pool })).rejects.toThrow(/expected 0x184d2204\)$/);
  });
});

describe('gzip members that record their length (decoded all at once)', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  // 9 MiB: three members of up to 4 MiB, each with its length in a 'WY' extra subfield.
  const data = new Uint8Array(9 << 20).map((_, i) => (i % 251 < 200 ? 97 + ((i * 7) % 13) : (i * 2654435761) >>> 24));
  const memberStarts = (packed: Uint8Array): number[] => {
    const starts: number[] = [];
    const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
    for (let at = 0; at < packed.length; at += view.getUint32(at + 16, true)) starts.push(at);
    return starts;
  };

  it('writes members that an independent decoder reads, and that decode back, also behind zero padding', async () => {
    const packed = await compress(data, { pool, codec: 'gzip', level: 1 });
    const starts = memberStarts(packed);
    expect(starts.length).toBe(3);
    // fflate reads one member at a time (gzip(1) and Node's zlib read them all: inflate-zlib.node.test.ts).
    expect(sameBytes(fflate.gunzipSync(packed.subarray(starts[1]!, starts[2]!)), data.subarray(4 << 20, 8 << 20))).toBe(true);
    expect(sameBytes(await decompress(packed, { pool, codec: 'gzip' }), data)).toBe(true);
    const padded = new Uint8Array(packed.length + 64);
    padded.set(packed);
    expect(sameBytes(await decompress(padded, { pool, codec: 'gzip' }), data)).toBe(true);
  });

  it('reads BGZF (bgzip\'s members of at most 64 KiB recording their length, and an empty last one) all at once', async () => {
    // test/fixtures/bgzf/make.sh: the same text, through htslib's bgzip.
    const text = new TextEncoder().encode(Array.from({ length: 9000 }, (_, i) => `bgzf line ${i} ${(i * 7919) % 10007}`).join('\n') + '\n');
    const bgzf = Uint8Array.from(atob(bgzfBase64), (char) => char.charCodeAt(0));
    expect(bgzf.subarray(12, 14)).toEqual(new Uint8Array([0x42, 0x43])); // 'BC'
    expect(sameBytes(await decompress(bgzf, { pool, codec: 'gzip' }), text)).toBe(true);
    for (const out of [new Uint8Array(text.length + 10), pool.alloc(Uint8Array, text.length)]) {
      expect(sameBytes(await decompress(bgzf, { pool, codec: 'gzip', out }), text)).toBe(true);
      if (pool.isShared(out)) pool.free(out);
    }
    // The first member's BSIZE lengthened over the second: read member by member from there, still right.
    const spanning = bgzf.slice();
    const view = new DataView(spanning.buffer);
    const first = view.getUint16(16, true) + 1;
    const second = view.getUint16(first + 16, true) + 1;
    view.setUint16(16, first + second - 1, true);
    expect(sameBytes(await decompress(spanning, { pool, codec: 'gzip' }), text)).toBe(true);
    await expect(decompress(bgzf, { pool, codec: 'gzip', maxOutputLength: text.length - 1 })).rejects.toThrow(OutputLimitError);
  });

  it('a wrong length field falls back to reading member by member; damaged members are CorruptDataErrors', async () => {
    const packed = await compress(data, { pool, codec: 'gzip', level: 1 });
    const starts = memberStarts(packed);
    const [, second, third] = starts;
    const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // The first member's length field shortened by 100: the stream itself is intact.
    const misleading = packed.slice();
    view(misleading).setUint32(16, second! - 100, true);
    expect(sameBytes(await decompress(misleading, { pool, codec: 'gzip' }), data)).toBe(true);
    // The first or second member's length field lengthened over the next member: the index still reads
    // (two members), but that one does not decode as it says. The members before it come from the
    // all-at-once path, the rest member by member from that one's start.
    for (const member of [0, 1]) {
      const spanning = packed.slice();
      view(spanning).setUint32(starts[member]! + 16, (starts[member + 2] ?? packed.length) - starts[member]!, true);
      expect(sameBytes(await decompress(spanning, { pool, codec: 'gzip' }), data), `member ${member}`).toBe(true);
      const out = new Uint8Array(data.length);
      await decompress(spanning, { pool, codec: 'gzip', out });
      expect(sameBytes(out, data), `member ${member} into out`).toBe(true);
    }
    for (const damage of [second! - 3 /* ISIZE */, second! - 7 /* CRC */, second! >> 1 /* data */, third! - 7 /* the second member's CRC */, packed.length - 7 /* the last one's */]) {
      const bad = packed.slice();
      bad[damage]! ^= 0x40;
      await expect(decompress(bad, { pool, codec: 'gzip' }), `byte ${damage}`).rejects.toThrow(CorruptDataError);
    }
    await expect(decompress(packed, { pool, codec: 'gzip', maxOutputLength: data.length - 1 })).rejects.toThrow(OutputLimitError);
  });

  it('size trailers that cannot be real are CorruptDataErrors, and take no memory for their claim', async () => {
    const bgzf = Uint8Array.from(atob(bgzfBase64), (char) => char.charCodeAt(0));
    const packed = await compress(data, { pool, codec: 'gzip', level: 1 });
    for (const [what, stream, firstEnd] of [
      ['BGZF', bgzf, new DataView(bgzf.buffer).getUint16(16, true) + 1],
      ["wyvern's members", packed, memberStarts(packed)[1]!],
    ] as const) {
      // The first member's ISIZE: past the limit, then (under it) more than DEFLATE can expand its bytes to.
      for (const size of [0xfffffff0, 500_000_000]) {
        const bad = stream.slice();
        new DataView(bad.buffer).setUint32(firstEnd - 4, size, true);
        const heapBytes = pool.heapStatistics().heapBytes;
        await expect(decompress(bad, { pool, codec: 'gzip' }), `${what}, ISIZE ${size}`).rejects.toThrow(CorruptDataError);
        await expect(decompress(bad, { pool, codec: 'gzip', out: new Uint8Array(2 * data.length + bgzf.length * 4) }), `${what} into out`).rejects.toThrow(CorruptDataError);
        expect(pool.heapStatistics().heapBytes, `${what}: the pool's memory did not grow for the claim`).toBeLessThan(heapBytes + (64 << 20));
      }
    }
  });
});
