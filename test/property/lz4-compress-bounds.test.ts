// The LZ4 block compressors copy short literal runs in 16-byte pieces that may
// read past the literals and write past them. Whatever the input, every
// compressor (fast, hash-chain levels, optimal levels) must stay inside the
// source it was given and the output capacity it was given (exactly the
// bound: guard bytes right after it stay intact), leave the source untouched,
// and write a block that decodes back to the input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GUARD, GUARD_BYTE } from '../fuzz-harness.js';
import { bareKernels } from '../helpers.js';

/** Inputs with the literal runs and matches of every length the copies must handle, near both ends. */
const inputs = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 300 }),
  fc
    .array(fc.record({ literals: fc.uint8Array({ maxLength: 40 }), repeat: fc.integer({ min: 0, max: 40 }), back: fc.integer({ min: 1, max: 64 }) }), { maxLength: 40 })
    .map((pieces) => {
      const bytes: number[] = [];
      for (const { literals, repeat, back } of pieces) {
        bytes.push(...literals);
        for (let i = 0; i < repeat && bytes.length >= back; i++) bytes.push(bytes[bytes.length - back]!);
      }
      return Uint8Array.from(bytes);
    }),
  // Runs of one byte value between short pieces (a sparse array's zeros): the searches' shortcut through runs.
  fc
    .array(fc.record({ piece: fc.uint8Array({ maxLength: 12 }), byte: fc.constantFrom(0, 0, 0x20, 0xff), run: fc.integer({ min: 0, max: 700 }) }), { maxLength: 30 })
    .map((pieces) => {
      const bytes: number[] = [];
      for (const { piece, byte, run } of pieces) bytes.push(...piece, ...new Array<number>(run).fill(byte));
      return Uint8Array.from(bytes);
    }),
);

describe('LZ4 block compressors: bounds', () => {
  it('write only inside [dst, dst + bound), leave the source as it was, and round-trip', async () => {
    const { views, heap, kernels: k } = await bareKernels();
    const hashTable = heap.allocate(k.lz4HashBytes());
    const scratch = heap.allocate(k.lz4HcScratchBytes());
    const compressors: [string, (src: number, length: number, dst: number, capacity: number) => number][] = [
      ['fast', (src, length, dst, capacity) => k.lz4_compress_block(src, length, dst, capacity, hashTable, 1)],
      ['fast, acceleration 8', (src, length, dst, capacity) => k.lz4_compress_block(src, length, dst, capacity, hashTable, 8)],
      ['hash chains, 8 attempts', (src, length, dst, capacity) => k.lz4_compress_block_hc(src, length, dst, capacity, scratch, 8)],
      ['hash chains, 256 attempts', (src, length, dst, capacity) => k.lz4_compress_block_hc(src, length, dst, capacity, scratch, 256)],
      ['optimal, level 10', (src, length, dst, capacity) => k.lz4_compress_block_opt(src, length, dst, capacity, scratch, 10)],
      ['optimal, level 12', (src, length, dst, capacity) => k.lz4_compress_block_opt(src, length, dst, capacity, scratch, 12)],
    ];
    fc.assert(
      fc.property(inputs, (input) => {
        const bound = k.lz4CompressBound(input.length);
        // [guard | source | guard] and [guard | output (bound bytes) | guard], each area its own block.
        const srcArea = heap.allocate(input.length + 2 * GUARD);
        const dstArea = heap.allocate(bound + 2 * GUARD);
        const outArea = heap.allocate(input.length + 16);
        try {
          const src = srcArea + GUARD;
          const dst = dstArea + GUARD;
          const u8 = views.u8;
          u8.fill(GUARD_BYTE, srcArea, src + input.length + GUARD);
          u8.set(input, src);
          for (const [name, compress] of compressors) {
            u8.fill(GUARD_BYTE, dstArea, dst + bound + GUARD);
            const length = compress(src, input.length, dst, bound);
            const mem = views.u8;
            expect(length, name).toBeGreaterThan(0);
            expect(length, name).toBeLessThanOrEqual(bound);
            for (let i = 0; i < GUARD; i++) {
              expect(mem[dstArea + i], `${name}: byte ${GUARD - i} before the output`).toBe(GUARD_BYTE);
              expect(mem[dst + bound + i], `${name}: byte ${i} after the output's capacity`).toBe(GUARD_BYTE);
            }
            expect(mem.subarray(src, src + input.length), `${name}: source`).toEqual(input);
            for (let i = 0; i < GUARD; i++) {
              expect(mem[srcArea + i], `${name}: byte ${GUARD - i} before the source`).toBe(GUARD_BYTE);
              expect(mem[src + input.length + i], `${name}: byte ${i} after the source`).toBe(GUARD_BYTE);
            }
            const decoded = k.lz4_decompress_block(dst, length, outArea, input.length, 0);
            expect(decoded, name).toBe(input.length);
            expect(views.u8.subarray(outArea, outArea + input.length), name).toEqual(input);
          }
        } finally {
          heap.free(outArea);
          heap.free(dstArea);
          heap.free(srcArea);
        }
      }),
      { numRuns: 400 },
    );
  });
});
