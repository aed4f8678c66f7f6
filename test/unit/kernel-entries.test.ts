// The codec kernels' own entry checks, called as the raw exports (no binding in front): sizes and
// parameters that once let a call write or read outside the arrays it was given are refused or clamped.
import { describe, expect, it } from 'vitest';
import { Pool, kernels } from '../../src/index.js';
import { bareKernels } from '../helpers.js';

describe('codec kernel entries', () => {
  it("LZ4's fast compressor clamps its acceleration as the reference does (2^26 - 1 stepped backwards out of its input)", async () => {
    await using pool = new Pool({ workers: 1 });
    const text = new TextEncoder().encode('an accelerated block of text, '.repeat(40));
    const src = pool.alloc(Uint8Array, text.length);
    src.set(text);
    const dst = pool.alloc(Uint8Array, text.length + 64);
    const length = await pool.apply(kernels.lz4CompressBlock, [src, dst, 2 ** 26 - 1]);
    const back = pool.alloc(Uint8Array, text.length);
    expect(await pool.apply(kernels.lz4DecompressBlock, [dst.subarray(0, length), back, 0, 0])).toBe(text.length);
    expect(Array.from(back)).toEqual(Array.from(text));
    await expect(pool.apply(kernels.lz4CompressBlock, [src, dst, 2 ** 32 + 1])).rejects.toThrow('`acceleration` must be an integer');
    await expect(pool.apply(kernels.deflateRaw, [src, dst, 2 ** 32 + 1])).rejects.toThrow('`level` must be an integer from 0 to 9');
    await expect(pool.apply(kernels.inflateRaw, [dst, back, 7])).rejects.toThrow('`check` must be an integer from 0 to 2');
  });

  it('the LZ4 decoder reads no prefix below the heap, and the part inflater takes no negative capacity', async () => {
    const { kernels: k, heap, views } = await bareKernels();
    const src = heap.allocate(64);
    const dst = heap.allocate(64);
    // A literal-free match of offset 2000 from the output's start: it would copy from below the heap.
    views.u8.set([0x00, 0xd0, 0x07, 0x00], src);
    expect(() => k.lz4_decompress_block(src, 4, dst, 16, dst)).toThrow(/argument 4/); // prefix
    // A stored block of 3 bytes; capacity -5 with 16 bytes of history before the output.
    views.u8.set([0x01, 0x03, 0x00, 0xfc, 0xff, 1, 2, 3], src);
    const scratch = heap.allocate(k.inflateScratchBytes());
    const guard = views.u8.slice(dst, dst + 64);
    expect(() => k.inflate_stream(src, 8, 0, dst + 16, -5, 16, scratch)).toThrow(/argument 4/); // its capacity
    expect(Array.from(views.u8.subarray(dst, dst + 64))).toEqual(Array.from(guard));
  });
});
