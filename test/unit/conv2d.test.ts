import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, OutOfMemoryError, Pool, conv2d, conv2dShape, kernels, type Conv2dBoundary, type Conv2dMode } from '../../src/index.js';
import fixtures from '../fixtures/scipy/conv2d.json' with { type: 'json' };
import { uniformNoise } from '../helpers.js';
import { convolve2dReference } from '../reference/conv2d.js';

type Case = (typeof fixtures.cases)[number];

describe('conv2d', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  const matrixOf = (Kind: typeof Float64Array | typeof Float32Array, m: { rows: number; cols: number; data: ArrayLike<number> }) => {
    const out = pool.allocMatrix(Kind, m.rows, m.cols);
    out.data.set(Array.from(m.data));
    return out;
  };

  it(`matches scipy.signal.convolve2d (SciPy ${fixtures.scipy}) on ${fixtures.cases.length} saved cases, float64 and float32`, async () => {
    for (const c of fixtures.cases as Case[]) {
      for (const Kind of [Float64Array, Float32Array]) {
        const image = matrixOf(Kind, c.image);
        const result = await conv2d(image, c.filter, { pool, mode: c.mode as Conv2dMode, boundary: c.boundary as Conv2dBoundary, fillvalue: c.fillvalue, stride: c.stride });
        expect([result.rows, result.cols]).toEqual([c.expected.rows, c.expected.cols]);
        const tolerance = Kind === Float64Array ? 1e-12 : 1e-4;
        c.expected.data.forEach((v, k) => expect(Math.abs(result.data[k]! - v)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(v))));
        pool.free(image);
        pool.free(result);
      }
    }
  });

  /** conv2d of a seeded random image and filter of these shapes against the reference, within rounding. */
  async function agreesWithReference(
    p: { rows: number; cols: number; filterRows: number; filterCols: number; float32: boolean; seed: number },
    options: { mode: Conv2dMode; boundary: Conv2dBoundary; fillvalue: number; stride: [number, number] },
    bands?: number,
  ): Promise<void> {
    const random = uniformNoise(p.seed);
    const Kind = p.float32 ? Float32Array : Float64Array;
    const image = pool.allocMatrix(Kind, p.rows, p.cols);
    for (let k = 0; k < image.data.length; k++) image.data[k] = random();
    const filter = { rows: p.filterRows, cols: p.filterCols, data: Array.from({ length: p.filterRows * p.filterCols }, random) };
    const result = await conv2d(image, filter, { ...options, pool, bands });
    const expected = convolve2dReference({ rows: p.rows, cols: p.cols, data: Array.from(image.data) }, filter, options);
    expect([result.rows, result.cols]).toEqual([expected.rows, expected.cols]);
    expect(conv2dShape([p.rows, p.cols], [p.filterRows, p.filterCols], options)).toEqual([expected.rows, expected.cols]);
    const tolerance = p.float32 ? 1e-4 : 1e-12;
    expected.data.forEach((v, k) => expect(Math.abs(result.data[k]! - v)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(v)) * p.filterRows * p.filterCols));
    pool.free(image);
    pool.free(result);
  }

  it('agrees with the plain TypeScript reference over random shapes, modes, boundaries and strides (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rows: fc.integer({ min: 1, max: 40 }),
          cols: fc.integer({ min: 1, max: 40 }),
          filterRows: fc.integer({ min: 1, max: 12 }),
          filterCols: fc.integer({ min: 1, max: 12 }),
          mode: fc.constantFrom<Conv2dMode>('full', 'same', 'valid'),
          boundary: fc.constantFrom<Conv2dBoundary>('fill', 'wrap', 'symm'),
          fillvalue: fc.constantFrom(0, -2.5),
          stride: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })),
          float32: fc.boolean(),
          bands: fc.integer({ min: 1, max: 5 }),
          seed: fc.integer(),
        }),
        async (p) => {
          // 'valid' with one larger in one dimension and the other in the other: refused, as SciPy does (tested below).
          const swapsOrFits = (p.filterRows <= p.rows && p.filterCols <= p.cols) || (p.filterRows >= p.rows && p.filterCols >= p.cols);
          if (p.mode === 'valid' && !swapsOrFits) return;
          await agreesWithReference(p, { mode: p.mode, boundary: p.boundary, fillvalue: p.fillvalue, stride: p.stride as [number, number] }, p.bands);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('4 × 4 filters with strides (their own unrolled path) agree with the reference, f64 and f32 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rows: fc.integer({ min: 4, max: 60 }),
          cols: fc.integer({ min: 4, max: 90 }),
          mode: fc.constantFrom<Conv2dMode>('full', 'same', 'valid'),
          stride: fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 2, max: 7 })),
          float32: fc.boolean(),
          seed: fc.integer(),
        }),
        async (p) => {
          await agreesWithReference({ ...p, filterRows: 4, filterCols: 4 }, { mode: p.mode, boundary: 'fill', fillvalue: 0, stride: p.stride as [number, number] });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("non-finite weights over the padding give what padding gives (0 × ∞ is NaN), at every edge, with boundary 'fill'", async () => {
    const image = pool.allocMatrix(Float64Array, 6, 7);
    image.data.forEach((_, k) => (image.data[k] = Math.cos(k)));
    const filter = { rows: 3, cols: 3, data: [1, Infinity, 2, -1, 0.5, 3, 2, 1, -Infinity] };
    for (const fillvalue of [0, 1.5]) {
      const result = await conv2d(image, filter, { pool, fillvalue });
      const expected = convolve2dReference({ rows: 6, cols: 7, data: Array.from(image.data) }, filter, { fillvalue });
      expected.data.forEach((v, k) => {
        const got = result.data[k]!;
        if (Number.isFinite(v)) expect(Math.abs(got - v), `output ${k}`).toBeLessThan(1e-12 * (1 + Math.abs(v)));
        else expect(got, `output ${k}`).toBe(v); // NaN, +Inf or -Inf, as the reference
      });
      pool.free(result);
    }
  });

  it('stride computes exactly the kept outputs of the full result, and writes nothing else', async () => {
    const image = pool.allocMatrix(Float64Array, 100, 100);
    image.data.forEach((_, k) => (image.data[k] = Math.sin(k)));
    const filter = [[1, 2, 3, 4], [0.5, -1, 2, 0], [3, 3, -3, 1], [0, 0, 1, 2]];
    const full = await conv2d(image, filter, { pool });
    const out = pool.allocMatrix(Float64Array, 21, 21);
    const canary = pool.alloc(Float64Array, 4).fill(7); // allocated right after `out`
    await conv2d(image, filter, { pool, stride: 5, out });
    // Equal up to summation order: the strided path adds along filter rows in SIMD pairs.
    for (let i = 0; i < 21; i++) for (let j = 0; j < 21; j++) expect(Math.abs(out.get(i, j) - full.get(5 * i, 5 * j))).toBeLessThan(1e-13 * 16);
    expect(Array.from(canary)).toEqual([7, 7, 7, 7]);
  });

  it('handles filters up to 31 × 31 (and larger than the image) in every mode and boundary', async () => {
    const image = pool.allocMatrix(Float64Array, 40, 53);
    image.data.forEach((_, k) => (image.data[k] = Math.cos(k * 0.37)));
    for (const [filterRows, filterCols] of [[31, 31], [31, 7], [45, 60]] as const) {
      const filter = { rows: filterRows, cols: filterCols, data: Array.from({ length: filterRows * filterCols }, (_, k) => Math.sin(k)) };
      for (const mode of ['full', 'same', 'valid'] as const) {
        if (mode === 'valid' && (filterRows > 40 || filterCols > 53)) continue;
        for (const boundary of ['fill', 'wrap', 'symm'] as const) {
          const options = { mode, boundary, fillvalue: 0.25, stride: [2, 3] as [number, number] };
          const result = await conv2d(image, filter, { pool, ...options });
          const expected = convolve2dReference({ rows: 40, cols: 53, data: Array.from(image.data) }, filter, options);
          expect([result.rows, result.cols]).toEqual([expected.rows, expected.cols]);
          expected.data.forEach((v, k) => expect(Math.abs(result.data[k]! - v)).toBeLessThan(1e-9 * (1 + Math.abs(v))));
          pool.free(result);
        }
      }
    }
    pool.free(image);
  });

  it("'valid' with a filter larger than the image swaps the two, as SciPy does", async () => {
    const image = pool.allocMatrix(Float64Array, 2, 2);
    image.data.set([1, 2, 3, 4]);
    const filter = [[1, 0, 0], [0, 1, 0], [0, 0, 2]];
    const result = await conv2d(image, filter, { pool, mode: 'valid' });
    // scipy.signal.convolve2d(np.array([[1, 2], [3, 4]]), np.array([[1, 0, 0], [0, 1, 0], [0, 0, 2]]), 'valid'): [[5, 2], [3, 6]]
    expect(result.shape).toEqual([2, 2]);
    expect(Array.from(result.data)).toEqual([5, 2, 3, 6]);
    expect(conv2dShape([2, 2], [3, 3], { mode: 'valid' })).toEqual([2, 2]);
    pool.free(result);
    // A swap whose copy of the filter fits but whose flipped image does not gives back what it took.
    await using small = new Pool({ workers: 1, memory: { maximumBytes: 40 << 20 } });
    const tiny = small.allocMatrix(Float64Array, 1, 1);
    const huge = { rows: 1700, cols: 1700, data: new Float64Array(1700 * 1700) };
    const before = small.heapStatistics().usedBytes;
    await expect(conv2d(tiny, huge, { pool: small, mode: 'valid' })).rejects.toThrow(OutOfMemoryError);
    expect(small.heapStatistics().usedBytes).toBe(before);
  });

  it('the kernel refuses an origin outside the filter or a last window past 32-bit positions (called directly)', async () => {
    const image = pool.allocMatrix(Float64Array, 4, 4);
    const filter = pool.alloc(Float64Array, 9);
    const out = pool.alloc(Float64Array, 4);
    // rows, cols, filterRows, filterCols, outRows, outCols, rowBegin, rowEnd, originRow, originCol, strideRow, strideCol, boundary, fillValue
    const band = (originRow: number, strideRow = 1, outRows = 1) => [4, 4, 3, 3, outRows, 1, 0, 1, originRow, 2, strideRow, 1, 0, 0];
    await expect(pool.apply(kernels.conv2dF64, [image.data, filter, out, band(-(2 ** 31))])).rejects.toThrow(/originRow/);
    await expect(pool.apply(kernels.conv2dF64, [image.data, filter, out, band(3)])).rejects.toThrow(/originRow/);
    await expect(pool.apply(kernels.conv2dF64, [image.data, filter, out, band(0, 2 ** 30, 4)])).rejects.toThrow(/strideRow/);
    await expect(pool.apply(kernels.conv2dF64, [image.data, filter, out, band(2)])).resolves.toBeUndefined();
    // A size that wraps to a small one as i32 is refused before the length checks (they would see it negative).
    const wrapped = [4 - 2 ** 32, 4, 3, 3, 1, 1, 0, 1, 2, 2, 1, 1, 0, 0];
    await expect(pool.apply(kernels.conv2dF64, [image.data, filter, out, wrapped])).rejects.toThrow('`rows` must be an integer from 0 to 2147483647');
    for (const array of [image.data, filter, out]) pool.free(array);
  });

  it('a stride past the whole output keeps its first row and column, whatever its size', async () => {
    const image = pool.allocMatrix(Float64Array, 3, 4);
    image.data.forEach((_, k) => (image.data[k] = k + 1));
    for (const stride of [2 ** 31, [1, 2 ** 32], [2 ** 40, 3]] as const) {
      const result = await conv2d(image, [[1, 1]], { pool, stride: stride as number | [number, number] });
      const expected = convolve2dReference(image, { rows: 1, cols: 2, data: [1, 1] }, { stride: (typeof stride === 'number' ? [stride, stride] : stride) as [number, number] });
      expect([result.rows, result.cols]).toEqual([expected.rows, expected.cols]);
      expect(Array.from(result.data)).toEqual(expected.data);
      pool.free(result);
    }
  });

  it("sums weight × fillvalue tap by tap at the edges, as padding does: huge weights do not overflow first", async () => {
    for (const Kind of [Float64Array, Float32Array]) {
      const image = pool.allocMatrix(Kind, 1, 3);
      image.data.fill(1);
      const big = Kind === Float64Array ? 1e308 : 3e38;
      for (const fillvalue of [0, 0.5]) {
        const result = await conv2d(image, [[big, big, 1]], { pool, fillvalue });
        const expected = convolve2dReference(image, { rows: 1, cols: 3, data: [big, big, 1] }, { fillvalue });
        // The last output: 1·1 + two weights over the padding (SciPy: 1 with a fill of 0, 1e308 with 0.5).
        const last = result.data[result.data.length - 1]!;
        expect(Number.isFinite(last), `${Kind.name} fill ${fillvalue}`).toBe(true);
        expect(last).toBe(Kind === Float64Array ? expected.data[expected.data.length - 1] : Math.fround(expected.data[expected.data.length - 1]!));
        pool.free(result);
      }
      pool.free(image);
    }
  });

  it('splits one large image into row bands with the same result', async () => {
    const image = pool.allocMatrix(Float32Array, 300, 257);
    image.data.forEach((_, k) => (image.data[k] = (k % 17) - 8));
    const filter = Array.from({ length: 16 }, (_, p) => Array.from({ length: 16 }, (_, q) => ((p * 16 + q) % 7) - 3));
    const one = await conv2d(image, filter, { pool, bands: 1 });
    const many = await conv2d(image, filter, { pool, bands: 7 });
    expect(Array.from(many.data)).toEqual(Array.from(one.data));
  });

  it('refuses bad input with errors naming the argument', async () => {
    const image = pool.allocMatrix(Float64Array, 4, 4);
    await expect(conv2d(image, [[1, 2, 3, 4, 5]], { pool, mode: 'valid' })).rejects.toThrow(ArgumentRangeError);
    await expect(conv2d(image, [[1, 2, 3, 4, 5]], { pool, mode: 'valid' })).rejects.toThrow(
      "`filter` (1 × 5) and `image` (4 × 4) must be one at least as large as the other in both dimensions in 'valid' mode",
    );
    expect(() => conv2dShape([4, 4], [1, 5], { mode: 'valid' })).toThrow(ArgumentRangeError);
    await expect(conv2d(image, { rows: 1, cols: 2, data: ['a', 'b'] as never }, { pool })).rejects.toThrow('`filter.data[0]` must be a number');
    await expect(conv2d(image, [[1]], { pool, out: image })).rejects.toThrow('`options.out` must not share memory with `image`');
    expect(() => conv2dShape([Number.NaN, 5], [3, 3])).toThrow('`imageShape[0]`');
    expect(() => conv2dShape([-4, 5], [3, 3])).toThrow('`imageShape[0]`');
    expect(() => conv2dShape([4, 5], [3, Number.POSITIVE_INFINITY])).toThrow('`filterShape[1]`');
    expect(() => conv2dShape([4, 5], [3, 3], { mode: 'bogus' as never })).toThrow('`options.mode`');
    expect(() => conv2dShape([3, 5], [5, 3], { mode: 'valid' })).toThrow('`filterShape` (5 × 3) and `imageShape` (3 × 5)');
    // Refused before any memory is taken.
    const before = pool.heapStatistics().usedBytes;
    await expect(conv2d(image, [[1]], { pool, bands: 0 })).rejects.toThrow('`options.bands`');
    await expect(conv2d(image, [[1]], { pool, bands: 1.5 })).rejects.toThrow('`options.bands`');
    expect(pool.heapStatistics().usedBytes).toBe(before);
    await expect(conv2d({ data: new Float64Array(16), rows: 4, cols: 4 } as never, [[1]], { pool })).rejects.toThrow(ArgumentTypeError);
    await expect(conv2d(image, [[1, 2], [3]], { pool })).rejects.toThrow('`filter[1]` must be a row of 2 numbers');
    await expect(conv2d(image, [], { pool })).rejects.toThrow('`filter` must be at least one row');
    await expect(conv2d(image, [[1, Number.NaN as never, 'x' as never]], { pool })).rejects.toThrow('`filter[0][2]` must be a number');
    await expect(conv2d(image, [[1]], { pool, stride: 0 })).rejects.toThrow('`options.stride` must be a positive integer; got 0');
    await expect(conv2d(image, [[1]], { pool, stride: [1, Number.NaN] })).rejects.toThrow('`options.stride[1]`');
    await expect(conv2d(image, [[1]], { pool, mode: 'round' as never })).rejects.toThrow("`options.mode` must be one of 'full', 'same', 'valid'");
    await expect(conv2d(image, [[1]], { pool, out: pool.allocMatrix(Float64Array, 3, 3) })).rejects.toThrow('`options.out` must be 4 × 4');
    await expect(conv2d(image, [[1]], { pool, out: pool.allocMatrix(Float32Array, 4, 4) })).rejects.toThrow('`options.out` must be a SharedMatrix of Float64Array');
  });
});
