// Both builds of the kernels (baseline SIMD128 and relaxed SIMD with fused
// multiply-add, see src/wasm/variant.ts) compute the same products. The pool
// tests run whichever build the platform prefers; these run each build
// directly over a bare heap, so the one not preferred here is tested too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentRangeError, kernelVariant } from '../../src/index.js';
import { engineHasRelaxedSimd, KERNEL_VARIANTS, parseKernelVariant } from '../../src/wasm/variant.js';
import { convolve2dReference } from '../reference/conv2d.js';
import { bareKernels } from '../helpers.js';

const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) | 0) >>> 8) / 2 ** 24 - 0.5;
/** Fills a view of the heap in place (a typed array's map would return a copy). */
const filled = <A extends Float32Array | Float64Array>(view: A, next: () => number): A => {
  for (let i = 0; i < view.length; i++) view[i] = next();
  return view;
};

describe('kernel builds', () => {
  it('pools run the relaxed build where the engine compiles relaxed SIMD', () => {
    // Node 20 needs a V8 flag, which choosing the build turns on; Chromium has it on.
    const variant = kernelVariant();
    expect(variant).toBe(engineHasRelaxedSimd() ? 'relaxed' : 'baseline');
    expect(variant).toBe('relaxed');
  });

  it('rejects an unknown requested build with a clear error', () => {
    expect(parseKernelVariant(undefined, 'WYVERN_KERNELS')).toBeUndefined();
    expect(parseKernelVariant('baseline', 'WYVERN_KERNELS')).toBe('baseline');
    expect(() => parseKernelVariant('fast', 'the WYVERN_KERNELS environment variable')).toThrow(ArgumentRangeError);
    expect(() => parseKernelVariant('fast', 'the WYVERN_KERNELS environment variable')).toThrow(/WYVERN_KERNELS environment variable must be "relaxed" or "baseline"; got "fast"/);
  });

  for (const variant of KERNEL_VARIANTS) {
    it(`${variant}: matmul f32 and f64 agree with the definition over random shapes, transposes, strides and tiles (property)`, async () => {
      const { views, heap, kernels: k } = await bareKernels(256, 256, variant);
      const scratch = heap.allocate(Math.max(k.matmulScratchBytes_f32(), k.matmulScratchBytes_f64()));
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            m: fc.integer({ min: 1, max: 40 }),
            n: fc.integer({ min: 1, max: 40 }),
            k: fc.integer({ min: 1, max: 300 }),
            transA: fc.boolean(),
            transB: fc.boolean(),
            beta: fc.constantFrom(0, 0.5),
            float32: fc.boolean(),
            // B's rows longer than the product needs (ldb > its row length), and a tile of C: only it is written.
            padB: fc.constantFrom(0, 3),
            tile: fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()),
            seed: fc.integer(),
          }),
          async (p) => {
            const Kind = p.float32 ? Float32Array : Float64Array;
            const size = Kind.BYTES_PER_ELEMENT;
            const next = random(p.seed);
            const ldb = (p.transB ? p.k : p.n) + p.padB;
            const bLength = (p.transB ? p.n : p.k) * ldb;
            const aPtr = heap.allocate(p.m * p.k * size);
            const bPtr = heap.allocate(bLength * size);
            const cPtr = heap.allocate(p.m * p.n * size);
            const a = filled(new Kind(views.memory.buffer, aPtr, p.m * p.k), next);
            const b = filled(new Kind(views.memory.buffer, bPtr, bLength), next);
            const c = filled(new Kind(views.memory.buffer, cPtr, p.m * p.n), next);
            const cBefore = Float64Array.from(c);
            const lda = p.transA ? p.m : p.k;
            const rowBegin = p.tile[0] % (p.m + 1);
            const rowEnd = rowBegin + (p.tile[1] % (p.m - rowBegin + 1));
            const colBegin = p.tile[2] % (p.n + 1);
            const colEnd = colBegin + (p.tile[3] % (p.n - colBegin + 1));
            const multiply = p.float32 ? k.matmul_f32 : k.matmul_f64;
            multiply(aPtr, bPtr, cPtr, p.m, p.n, p.k, lda, ldb, p.n, +p.transA, +p.transB, 1, p.beta, rowBegin, rowEnd, colBegin, colEnd, scratch);
            const tolerance = (p.float32 ? 1e-6 : 1e-14) * p.k;
            for (let i = 0; i < p.m; i++) {
              for (let j = 0; j < p.n; j++) {
                let sum = 0;
                for (let q = 0; q < p.k; q++) sum += (p.transA ? a[q * p.m + i]! : a[i * p.k + q]!) * (p.transB ? b[j * ldb + q]! : b[q * ldb + j]!);
                const inTile = i >= rowBegin && i < rowEnd && j >= colBegin && j < colEnd;
                const expected = inTile ? sum + p.beta * cBefore[i * p.n + j]! : cBefore[i * p.n + j]!;
                expect(Math.abs(c[i * p.n + j]! - expected)).toBeLessThanOrEqual(tolerance);
              }
            }
            for (const ptr of [aPtr, bPtr, cPtr]) heap.free(ptr);
          },
        ),
        { numRuns: 60 },
      );
    });

    it(`${variant}: conv2d f64 and f32 (full, fill) agree with the plain reference`, async () => {
      const { views, heap, kernels: k } = await bareKernels(64, 64, variant);
      for (const [rows, cols, kh, kw] of [[37, 53, 4, 4], [20, 70, 16, 16], [9, 9, 3, 5]] as const) {
        for (const Kind of [Float64Array, Float32Array]) {
          const size = Kind.BYTES_PER_ELEMENT;
          const next = random(rows * cols + kh);
          const [outRows, outCols] = [rows + kh - 1, cols + kw - 1];
          const imagePtr = heap.allocate(rows * cols * size);
          const filterPtr = heap.allocate(kh * kw * size);
          const outPtr = heap.allocate(outRows * outCols * size);
          const image = filled(new Kind(views.memory.buffer, imagePtr, rows * cols), next);
          const filter = Float64Array.from({ length: kh * kw }, next);
          // The kernel correlates with the flipped filter (see assembly/kernels/conv2d.ts).
          new Kind(views.memory.buffer, filterPtr, kh * kw).set(filter.toReversed());
          const convolve = Kind === Float64Array ? k.conv2d_f64 : k.conv2d_f32;
          convolve(imagePtr, rows, cols, filterPtr, kh, kw, outPtr, outRows, outCols, 0, outRows, 0, 0, 1, 1, 0, 0);
          const out = new Kind(views.memory.buffer, outPtr, outRows * outCols);
          const expected = convolve2dReference({ rows, cols, data: image }, { rows: kh, cols: kw, data: Kind.from(filter) });
          const tolerance = Kind === Float64Array ? 1e-13 : 1e-4;
          expected.data.forEach((value, i) => expect(Math.abs(out[i]! - value)).toBeLessThanOrEqual(tolerance));
          for (const ptr of [imagePtr, filterPtr, outPtr]) heap.free(ptr);
        }
      }
    });
  }
});
