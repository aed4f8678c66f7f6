// Both builds of the kernels (baseline SIMD128 and relaxed SIMD with fused
// multiply-add, see src/wasm/variant.ts) compute the same products. The pool
// tests run whichever build the platform prefers; these run each build
// directly over a bare heap, so the one not preferred here is tested too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentRangeError, kernelVariant } from '../../src/index.js';
import { engineHasRelaxedSimd, KERNEL_VARIANTS, parseKernelVariant } from '../../src/wasm/variant.js';
import { convolve2dReference } from '../reference/conv2d.js';
import { bareKernels, uniformNoise } from '../helpers.js';

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
            // Up to 80 rows: tiles of more than 64 take the blocked loops (fewer stream B or take dot products).
            m: fc.integer({ min: 1, max: 80 }),
            n: fc.integer({ min: 1, max: 40 }),
            k: fc.integer({ min: 1, max: 300 }),
            transA: fc.boolean(),
            transB: fc.boolean(),
            alpha: fc.constantFrom(1, -0.5),
            beta: fc.constantFrom(0, 0.5),
            float32: fc.boolean(),
            // Rows longer than the product needs (lda, ldb, ldc past their row lengths), the padding NaN:
            // a kernel that reads it, or steps rows by their length instead of their stride, puts NaN in C.
            padA: fc.constantFrom(0, 3),
            padB: fc.constantFrom(0, 3),
            padC: fc.constantFrom(0, 2),
            // With beta = 0, C may hold NaN: the kernel must not read it (0 · NaN is NaN).
            nanC: fc.boolean(),
            // A tile of C: only it is written.
            tile: fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()),
            seed: fc.integer(),
          }),
          async (p) => {
            const Kind = p.float32 ? Float32Array : Float64Array;
            const size = Kind.BYTES_PER_ELEMENT;
            const next = uniformNoise(p.seed);
            const lda = (p.transA ? p.m : p.k) + p.padA;
            const ldb = (p.transB ? p.k : p.n) + p.padB;
            const ldc = p.n + p.padC;
            const aLength = (p.transA ? p.k : p.m) * lda;
            const bLength = (p.transB ? p.n : p.k) * ldb;
            // Each array is followed by GUARD NaN elements: a read past its end shows too.
            const GUARD = 8;
            const aPtr = heap.allocate((aLength + GUARD) * size);
            const bPtr = heap.allocate((bLength + GUARD) * size);
            const cPtr = heap.allocate((p.m * ldc + GUARD) * size);
            const withPadding = (ptr: number, length: number, rowLength: number, stride: number) => {
              const view = new Kind(views.memory.buffer, ptr, length + GUARD);
              for (let i = 0; i < view.length; i++) view[i] = i < length && i % stride < rowLength ? next() : Number.NaN;
              return view.subarray(0, length);
            };
            const a = withPadding(aPtr, aLength, p.transA ? p.m : p.k, lda);
            const b = withPadding(bPtr, bLength, p.transB ? p.k : p.n, ldb);
            const c = withPadding(cPtr, p.m * ldc, p.n, ldc);
            const beta = p.nanC ? 0 : p.beta;
            if (p.nanC) c.fill(Number.NaN);
            const cBefore = Float64Array.from(c);
            const rowBegin = p.tile[0] % (p.m + 1);
            const rowEnd = rowBegin + (p.tile[1] % (p.m - rowBegin + 1));
            const colBegin = p.tile[2] % (p.n + 1);
            const colEnd = colBegin + (p.tile[3] % (p.n - colBegin + 1));
            const multiply = p.float32 ? k.matmul_f32 : k.matmul_f64;
            multiply(aPtr, bPtr, cPtr, p.m, p.n, p.k, lda, ldb, ldc, +p.transA, +p.transB, p.alpha, beta, rowBegin, rowEnd, colBegin, colEnd, scratch);
            const tolerance = (p.float32 ? 1e-6 : 1e-14) * p.k;
            for (let i = 0; i < p.m; i++) {
              for (let j = 0; j < ldc; j++) {
                const got = c[i * ldc + j]!;
                const inTile = i >= rowBegin && i < rowEnd && j >= colBegin && j < colEnd;
                if (!inTile) {
                  // Outside the tile (padding included) nothing changes, NaN staying NaN.
                  expect(Object.is(got, cBefore[i * ldc + j]!) || got === cBefore[i * ldc + j]!).toBe(true);
                  continue;
                }
                let sum = 0;
                for (let q = 0; q < p.k; q++) sum += (p.transA ? a[q * lda + i]! : a[i * lda + q]!) * (p.transB ? b[j * ldb + q]! : b[q * ldb + j]!);
                const expected = p.alpha * sum + (beta !== 0 ? beta * cBefore[i * ldc + j]! : 0);
                expect(Math.abs(got - expected)).toBeLessThanOrEqual(tolerance);
              }
            }
            expect(new Kind(views.memory.buffer, cPtr + p.m * ldc * size, GUARD).every(Number.isNaN)).toBe(true);
            for (const ptr of [aPtr, bPtr, cPtr]) heap.free(ptr);
          },
        ),
        { numRuns: 80 },
      );
    });

    it(`${variant}: conv2d f64 and f32 (full, fill) agree with the plain reference`, async () => {
      const { views, heap, kernels: k } = await bareKernels(64, 64, variant);
      for (const [rows, cols, kh, kw] of [[37, 53, 4, 4], [20, 70, 16, 16], [9, 9, 3, 5]] as const) {
        for (const Kind of [Float64Array, Float32Array]) {
          const size = Kind.BYTES_PER_ELEMENT;
          const next = uniformNoise(rows * cols + kh);
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
