// Node's zlib and the gzip command as the reference encoders: every strategy,
// window and memory setting, and gzip(1)'s multi-member files with names.
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, decompress } from '../../src/index.js';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

describe('DEFLATE decompression against Node zlib and gzip(1)', () => {
  const pool = new Pool({ workers: 1 });
  afterAll(() => pool.terminate());
  const data = new TextEncoder().encode(Array.from({ length: 20_000 }, (_, i) => `row ${i % 1000}, value ${(i * 7919) % 104729}\n`).join(''));

  it.each([
    ['default', {}],
    ['level 0 (stored)', { level: 0 }],
    ['level 1', { level: 1 }],
    ['level 9', { level: 9 }],
    ['fixed Huffman', { strategy: zlib.constants.Z_FIXED }],
    ['Huffman only', { strategy: zlib.constants.Z_HUFFMAN_ONLY }],
    ['run-length', { strategy: zlib.constants.Z_RLE }],
    ['filtered', { strategy: zlib.constants.Z_FILTERED }],
    ['small window and memory', { windowBits: 9, memLevel: 1 }],
  ])('reads zlib, raw and gzip streams from Node: %s', async (_, options) => {
    expect(sameBytes(await decompress(zlib.deflateSync(data, options), { pool, codec: 'zlib' }), data)).toBe(true);
    expect(sameBytes(await decompress(zlib.deflateRawSync(data, options), { pool, codec: 'deflate' }), data)).toBe(true);
    expect(sameBytes(await decompress(zlib.gzipSync(data, options), { pool, codec: 'gzip' }), data)).toBe(true);
  });

  it('reads Node streams with sync-flush points (several blocks, stored empty blocks between)', async () => {
    const deflater = zlib.createDeflate();
    const parts: Buffer[] = [];
    deflater.on('data', (chunk: Buffer) => parts.push(chunk));
    for (let i = 0; i < 5; i++) {
      deflater.write(data.subarray(i * 1000, (i + 1) * 1000));
      await new Promise<void>((resolve) => deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    }
    await new Promise<void>((resolve) => deflater.end(() => resolve()));
    await new Promise((resolve) => deflater.on('end', resolve));
    expect(sameBytes(await decompress(Buffer.concat(parts), { pool, codec: 'zlib' }), data.subarray(0, 5000))).toBe(true);
  });

  it('reads gzip(1) output, with a stored name, and several members in a row', async () => {
    const one = new Uint8Array(execFileSync('gzip', ['-c', '-9'], { input: data }));
    const two = new Uint8Array(execFileSync('gzip', ['-c', '-1', '--name'], { input: data.subarray(0, 777) }));
    expect(sameBytes(await decompress(one, { pool, codec: 'gzip' }), data)).toBe(true);
    const joined = new Uint8Array([...one, ...two]);
    const expected = new Uint8Array([...data, ...data.subarray(0, 777)]);
    expect(sameBytes(await decompress(joined, { pool, codec: 'gzip' }), expected)).toBe(true);
    expect(sameBytes(new Uint8Array(execFileSync('gzip', ['-dc'], { input: joined })), expected)).toBe(true);
  });
});
