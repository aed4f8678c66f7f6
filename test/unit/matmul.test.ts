import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, KernelError, Pool, TaskTimeoutError, matmul, kernels } from '../../src/index.js';
import { matmulTiles } from '../../src/kernels/matmul.js';
import { packMatmulTile } from '../../src/wasm/kernels.js';
import fixtures from '../fixtures/scipy/matmul.json' with { type: 'json' };
import { uniformNoise } from '../helpers.js';

/** C = alpha·op(A)·op(B) + beta·C from the definition, in float64. */
function reference(a: { rows: number; cols: number; data: ArrayLike<number> }, b: typeof a, c: ArrayLike<number> | undefined, o: { transA: boolean; transB: boolean; alpha: number; beta: number }) {
  const [m, k] = o.transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const n = o.transB ? b.rows : b.cols;
  const at = (i: number, p: number) => (o.transA ? a.data[p * a.cols + i]! : a.data[i * a.cols + p]!);
  const bt = (p: number, j: number) => (o.transB ? b.data[j * b.cols + p]! : b.data[p * b.cols + j]!);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += at(i, p) * bt(p, j);
      out[i * n + j] = o.alpha * sum + (o.beta !== 0 ? o.beta * c![i * n + j]! : 0);
    }
  return out;
}

describe('matmul', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());
  const load = (Kind: typeof Float64Array | typeof Float32Array, m: { rows: number; cols: number; data: ArrayLike<number> }) => {
    const out = pool.allocMatrix(Kind, m.rows, m.cols);
    out.data.set(Array.from(m.data));
    return out;
  };

  it(`matches NumPy ${fixtures.numpy} on saved cases (transposes, alpha, beta), float64 and float32`, async () => {
    for (const c of fixtures.cases) {
      for (const Kind of [Float64Array, Float32Array]) {
        const out = load(Kind, c.c);
        const result = await matmul(load(Kind, c.a), load(Kind, c.b), { pool, transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta, out });
        const tolerance = Kind === Float64Array ? 1e-12 : 1e-4;
        c.expected.data.forEach((v, i) => expect(Math.abs(result.data[i]! - v)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(v)) * Math.sqrt(c.a.rows * c.a.cols)));
      }
    }
  });

  it('agrees with the definition over random shapes, transposes, scalars and tilings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m: fc.integer({ min: 1, max: 70 }),
          n: fc.integer({ min: 1, max: 70 }),
          k: fc.integer({ min: 1, max: 300 }),
          transA: fc.boolean(),
          transB: fc.boolean(),
          alpha: fc.constantFrom(1, -0.5, 3),
          beta: fc.constantFrom(0, 1, -2),
          float32: fc.boolean(),
          tiles: fc.integer({ min: 1, max: 6 }),
          seed: fc.integer(),
        }),
        async (p) => {
          const random = uniformNoise(p.seed);
          const Kind = p.float32 ? Float32Array : Float64Array;
          using scope = pool.scope();
          const a = scope.allocMatrix(Kind, p.transA ? p.k : p.m, p.transA ? p.m : p.k);
          const b = scope.allocMatrix(Kind, p.transB ? p.n : p.k, p.transB ? p.k : p.n);
          const c = scope.allocMatrix(Kind, p.m, p.n);
          for (const x of [a.data, b.data, c.data]) for (let i = 0; i < x.length; i++) x[i] = random();
          const expected = reference(a, b, Array.from(c.data), p);
          await matmul(a, b, { pool, transA: p.transA, transB: p.transB, alpha: p.alpha, beta: p.beta, out: c, tiles: p.tiles });
          const tolerance = (p.float32 ? 1e-5 : 1e-13) * p.k;
          expected.forEach((v, i) => expect(Math.abs(c.data[i]! - v)).toBeLessThanOrEqual(tolerance * (1 + Math.abs(v))));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('agrees with the definition on shapes that reach the kernel paths small shapes do not (several passes, row groups, k blocks)', async () => {
    // One tile each (tiles: 1), so that the path does not depend on the worker count. Up to four rows
    // accumulate at most 16 KiB of C per pass over B: 4,500 columns take several passes for one row
    // (4,096 float32 / 2,048 float64 columns each), 2,100 for two (2,048 / 1,024), 1,100 for four
    // (1,024 / 512). Five to 64 rows over at least eight panels' columns go in groups of four over k
    // blocks of 256 KiB of B (64 float32 rows of B at 1,024 columns): 4 + 1, 4 + 2, 4 + 3, 4 + 4 + 4 rows.
    // Narrower or taller tiles take the blocked loops, which read A in place for a C at most eight
    // panels wide (64 × 1,100 × 20, 90 × 300 × 20). With B transposed, up to 64
    // rows are dot products (16 with A transposed too, its rows gathered first), k cut into blocks of
    // 256 KiB of A's rows: 64 × 1,100 takes two (float32) or three (float64), beta applied by the first only.
    const shapes = [
      { m: 1, k: 9, n: 4500 },
      { m: 2, k: 11, n: 2100 },
      { m: 3, k: 5, n: 1100 },
      { m: 4, k: 39, n: 1100 },
      { m: 5, k: 300, n: 1100 },
      { m: 6, k: 1100, n: 1030 },
      { m: 7, k: 21, n: 1100 },
      { m: 12, k: 1100, n: 1030 },
      { m: 64, k: 1100, n: 20 },
      { m: 90, k: 300, n: 20 },
    ];
    const random = uniformNoise(11);
    for (const { m, k, n } of shapes) {
      for (const Kind of [Float32Array, Float64Array]) {
        for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          using scope = pool.scope();
          const a = scope.allocMatrix(Kind, transA ? k : m, transA ? m : k);
          const b = scope.allocMatrix(Kind, transB ? n : k, transB ? k : n);
          const c = scope.allocMatrix(Kind, m, n);
          for (const x of [a.data, b.data, c.data]) for (let i = 0; i < x.length; i++) x[i] = random();
          const options = { transA, transB, alpha: -0.5, beta: 2 };
          const expected = reference(a, b, Array.from(c.data), options);
          await matmul(a, b, { pool, ...options, out: c, tiles: 1 });
          const tolerance = (Kind === Float32Array ? 1e-5 : 1e-13) * k;
          const worst = expected.reduce((most, v, i) => Math.max(most, Math.abs(c.data[i]! - v) / (1 + Math.abs(v))), 0);
          expect(worst, `${m} × ${k} × ${n} ${Kind.name}${transA ? ', A transposed' : ''}${transB ? ', B transposed' : ''}`).toBeLessThanOrEqual(tolerance);
          // beta = 0 does not read C: NaN there does not reach the result.
          c.data.fill(Number.NaN);
          await matmul(a, b, { pool, transA, transB, alpha: 1, out: c, tiles: 1 });
          const plain = reference(a, b, undefined, { transA, transB, alpha: 1, beta: 0 });
          expect(plain.every((v, i) => Math.abs(c.data[i]! - v) <= tolerance * (1 + Math.abs(v))), `${m} × ${k} × ${n}, beta = 0 over NaN`).toBe(true);
        }
      }
    }
  });

  it('cuts C into tiles that cover it once, after its shape (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 16 }), (m, n, tasks) => {
        const tiles = matmulTiles(m, n, tasks);
        expect(tiles.length).toBeGreaterThanOrEqual(1);
        expect(tiles.length).toBeLessThanOrEqual(tasks);
        const covered = new Uint8Array(m * n);
        for (const [rowBegin, rowEnd, colBegin, colEnd] of tiles) {
          expect(rowBegin).toBeLessThan(rowEnd);
          expect(colBegin).toBeLessThan(colEnd);
          for (let i = rowBegin; i < rowEnd; i++) for (let j = colBegin; j < colEnd; j++) covered[i * n + j]!++;
        }
        expect(covered.every((count) => count === 1)).toBe(true);
      }),
    );
    // A square C on two workers: two row bands, cut on whole micro-kernel tiles.
    expect(matmulTiles(1001, 1001, 2)).toEqual([[0, 504, 0, 1001], [504, 1001, 0, 1001]]);
    // A few rows times a wide matrix: column bands (row bands would pack all of B in each task).
    expect(matmulTiles(4, 4096, 2)).toEqual([[0, 4, 0, 2048], [0, 4, 2048, 4096]]);
    expect(matmulTiles(16, 2048, 2)).toEqual([[0, 16, 0, 1024], [0, 16, 1024, 2048]]);
    // Four tasks on a square C: a 2 × 2 grid packs less than four bands of either kind.
    expect(matmulTiles(512, 512, 4)).toEqual([[0, 256, 0, 256], [0, 256, 256, 512], [256, 512, 0, 256], [256, 512, 256, 512]]);
    // Four row bands of 36 rows would be cut as three of 12 (whole micro-kernel tiles): a 2 × 2 grid keeps four tasks busy.
    expect(matmulTiles(36, 16, 4)).toEqual([[0, 20, 0, 8], [0, 20, 8, 16], [20, 36, 0, 8], [20, 36, 8, 16]]);
  });

  it('allocates C when none is given and writes nothing outside it', async () => {
    const a = pool.allocMatrix(Float32Array, 3, 5);
    a.data.fill(2);
    const b = pool.allocMatrix(Float32Array, 5, 9);
    b.data.fill(0.5);
    const c = await matmul(a, b, { pool });
    const canary = pool.alloc(Float32Array, 4).fill(7);
    expect(c.shape).toEqual([3, 9]);
    expect(Array.from(c.data)).toEqual(new Array(27).fill(5));
    await matmul(a, b, { pool, out: c, alpha: 2 });
    expect(Array.from(c.data)).toEqual(new Array(27).fill(10));
    expect(Array.from(canary)).toEqual([7, 7, 7, 7]);
  });

  it('after a timeout, frees the C it allocated only once the tile given up on has stopped writing', async () => {
    // One band of about 340 ms given up on at 30 ms: its worker runs on for a while after terminate()
    // (in Chromium until it is stopped by force). Freed at once, C was handed to the next allocation of
    // its size while that band still wrote into it.
    const own = new Pool({ workers: 1 });
    try {
      const a = own.allocMatrix(Float64Array, 1500, 1500);
      a.data.fill(1);
      await expect(matmul(a, a, { pool: own, tiles: 1, timeout: 30 })).rejects.toThrow(TaskTimeoutError);
      const next = own.allocMatrix(Float64Array, 1500, 1500);
      next.data.fill(-1);
      await own.givenUpTasksStopped(); // the band's thread is gone: whatever it wrote is written
      expect(next.data.every((v) => v === -1)).toBe(true);
      expect(await own.apply((x: number) => x + 1, [1])).toBe(2);
    } finally {
      await own.terminate();
    }
  });

  it('refuses bad input with errors naming the argument', async () => {
    const a = pool.allocMatrix(Float64Array, 3, 4);
    const b = pool.allocMatrix(Float64Array, 5, 2);
    await expect(matmul(a, b, { pool })).rejects.toThrow(ArgumentRangeError);
    await expect(matmul(a, b, { pool })).rejects.toThrow('`b` must have 4 rows to multiply a (3 × 4); got 5 × 2');
    await expect(matmul(a, pool.allocMatrix(Float32Array, 4, 2) as never, { pool })).rejects.toThrow('`b` must be a matrix of Float64Array');
    await expect(matmul({ rows: 3, cols: 4, data: new Float64Array(12) } as never, b, { pool })).rejects.toThrow(ArgumentTypeError);
    await expect(matmul(a, pool.allocMatrix(Float64Array, 4, 2), { pool, beta: 1 })).rejects.toThrow('`options.out` must be given when options.beta is not 0');
    await expect(matmul(a, pool.allocMatrix(Float64Array, 4, 2), { pool, alpha: Number.NaN })).rejects.toThrow('`options.alpha` must be a finite number; got NaN');
    await expect(matmul(a, pool.allocMatrix(Float64Array, 4, 2), { pool, out: pool.allocMatrix(Float64Array, 2, 2) })).rejects.toThrow('`options.out` must be 3 × 2');
    // C may not be A or B (it is written while they are still read).
    const square = pool.allocMatrix(Float64Array, 4, 4);
    await expect(matmul(square, pool.allocMatrix(Float64Array, 4, 4), { pool, out: square })).rejects.toThrow('`options.out` must not share memory with `a`');
    await expect(matmul(pool.allocMatrix(Float64Array, 4, 4), square, { pool, out: square })).rejects.toThrow('`options.out` must not share memory with `b`');
    // Refused before C is allocated: nothing leaks.
    const before = pool.heapStatistics().usedBytes;
    await expect(matmul(square, square, { pool, tiles: 0 })).rejects.toThrow('`options.tiles`');
    expect(pool.heapStatistics().usedBytes).toBe(before);
  });

  it('alpha = 0 leaves A and B unread, as BLAS (C = beta · C); float32 scalars past float32 range are refused', async () => {
    const a = pool.allocMatrix(Float64Array, 2, 2);
    a.data.set([Number.POSITIVE_INFINITY, 1, 1, Number.NaN]);
    const b = pool.allocMatrix(Float64Array, 2, 2);
    b.data.fill(1);
    const c = pool.allocMatrix(Float64Array, 2, 2);
    for (const [beta, expected] of [[1, [1, 2, 3, 4]], [2, [2, 4, 6, 8]], [0, [0, 0, 0, 0]]] as const) {
      c.data.set([1, 2, 3, 4]);
      await matmul(a, b, { pool, alpha: 0, beta, out: c });
      expect(Array.from(c.data), `beta ${beta}`).toEqual(expected);
    }
    // No task runs, but its options are checked as a task's would be.
    await expect(matmul(a, b, { pool, alpha: 0, out: c, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(matmul(a, b, { pool, alpha: 0, out: c, signal: 'x' as never })).rejects.toThrow('`options.signal`');
    await expect(matmul(a, b, { pool, alpha: 0, out: c, timeout: -1 })).rejects.toThrow('`options.timeout`');
    // float32: alpha that is 0 as a float32 is 0; beta scales as a float32, as the kernel's would.
    const f32a = pool.allocMatrix(Float32Array, 1, 1);
    f32a.data[0] = Number.POSITIVE_INFINITY;
    const f32c = pool.allocMatrix(Float32Array, 1, 1);
    f32c.data[0] = 1 + 2 ** -23;
    await matmul(f32a, f32a, { pool, alpha: 1e-50, beta: 1 + 2 ** -24, out: f32c });
    expect(f32c.data[0]).toBe(Math.fround((1 + 2 ** -23) * Math.fround(1 + 2 ** -24)));
    const f = pool.allocMatrix(Float32Array, 1, 1);
    await expect(matmul(f, f, { pool, alpha: 1e45 })).rejects.toThrow('`options.alpha` must be within float32 range for float32 matrices');
    await expect(matmul(f, f, { pool, beta: -1e39, out: pool.allocMatrix(Float32Array, 1, 1) })).rejects.toThrow('`options.beta`');
  });

  it('the kernel itself refuses dimensions that do not fit the arrays it was given', async () => {
    const a = pool.alloc(Float64Array, 4);
    const error = (await pool
      .apply(kernels.matmulF64, [a, a, a, packMatmulTile({ m: 3, n: 3, k: 3, lda: 3, ldb: 3, ldc: 3, transA: false, transB: false, alpha: 1, beta: 0 }, 0, 3, 0, 3)])
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ArgumentRangeError);
    expect(error.message).toMatch(/`a` must hold at least 9 elements/);
    const bad = (await pool
      .apply(kernels.matmulF64, [a, a, a, packMatmulTile({ m: 2, n: 2, k: 2, lda: 1, ldb: 2, ldc: 2, transA: false, transB: false, alpha: 1, beta: 0 }, 0, 2, 0, 2)])
      .catch((e: unknown) => e)) as Error;
    expect(bad).toBeInstanceOf(KernelError);
    expect(bad.message).toMatch(/kernel matmulF64: `lda` is out of range; got 1/);
    const b = pool.alloc(Float64Array, 9);
    const wide = (await pool
      .apply(kernels.matmulF64, [b, b, b, packMatmulTile({ m: 3, n: 3, k: 3, lda: 3, ldb: 3, ldc: 3, transA: false, transB: false, alpha: 1, beta: 0 }, 0, 3, 1, 4)])
      .catch((e: unknown) => e)) as Error;
    expect(wide).toBeInstanceOf(KernelError);
    expect(wide.message).toMatch(/kernel matmulF64: `colEnd` is out of range; got 4/);
    // Sizes that wrap to small ones as i32 (8 − 2^32 is 8 to the kernel), or are not integers: refused before
    // the length checks, which would otherwise see a negative length (this wrote past `c`).
    const two = pool.alloc(Float64Array, 2);
    for (const [field, tile] of [
      ['ldc', [2, 2, 1, 1, 2, 8 - 2 ** 32, 0, 0, 3, 0, 0, 2, 0, 2]],
      ['m', [4 - 2 ** 32, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 4 - 2 ** 32, 0, 1]],
      ['k', [1, 1, 3.5, 4, 1, 1, 0, 0, 1, 0, 0, 1, 0, 1]],
    ] as const) {
      const refused = (await pool.apply(kernels.matmulF64, [two, two, two, [...tile]]).catch((e: unknown) => e)) as Error;
      expect(refused, field).toBeInstanceOf(ArgumentRangeError);
      expect(refused.message, field).toContain(`\`${field}\` must be an integer from 0 to 2147483647`);
    }
  });
});
