/**
 * `matmul(a, b, options)`: C = alpha · op(A) · op(B) + beta · C over shared
 * row-major matrices (float32 or float64), run on a pool. Large products are
 * split into tiles of C, one task per worker (matmulTiles); the kernel is
 * assembly/kernels/matmul.ts (packed panels, SIMD micro-kernel).
 */

import { ArgumentRangeError } from '../errors.js';
import { SharedMatrix } from '../memory/shared-array.js';
import { checkInteger, checkObject, checkTaskOptions, reject } from '../options.js';
import { defaultPool } from '../pool/default-pool.js';
import type { Pool, TaskOptions } from '../pool/pool.js';
import { allSettled } from '../pool/settle.js';
import { overlapping } from '../codecs/bytes.js';
import { kernels, packMatmulTile } from '../wasm/kernels.js';

type FloatArray = Float64Array | Float32Array;

/** Options of `matmul`: BLAS's transposes, alpha and beta, the output, and how the product is split. */
export interface MatmulOptions extends TaskOptions {
  /** Use Aᵀ: `a` is then k × m. @default false */
  transA?: boolean;
  /** Use Bᵀ: `b` is then n × k. @default false */
  transB?: boolean;
  /** Scale of the product; 0 leaves A and B unread (C = beta · C, as BLAS). float32 products take it as a float32. @default 1 */
  alpha?: number;
  /** Scale of the existing `out` added to the product; needs `out`. @default 0 */
  beta?: number;
  /** C: an m × n shared matrix of the inputs' type; read when beta ≠ 0, written always. Allocated when absent. */
  out?: SharedMatrix<FloatArray>;
  /** @default defaultPool() */
  pool?: Pool;
  /**
   * Tiles of C, one task each (row bands, column bands or a grid of both, after C's shape; fewer when C
   * is too small to cut so). @default the worker count for products of 2^24 flops or more, else 1
   */
  tiles?: number;
}

const SPLIT_FLOPS = 2 ** 24;
/** The micro-kernel's tile of C: 4 rows, 8 columns (float32; float64's 4 divide it). Tiles of a call are cut on these. */
const KERNEL_ROWS = 4;
const KERNEL_COLS = 8;

/** Where a tile of C starts and ends: rows [rowBegin, rowEnd), columns [colBegin, colEnd). */
export type TileExtent = [rowBegin: number, rowEnd: number, colBegin: number, colEnd: number];

/**
 * Cuts an m × n C into at most `tasks` tiles: a grid of row bands × column bands, bands cut on whole
 * micro-kernel tiles where C is large enough (only C's own edges then take the slower path). The grid
 * with the smallest largest tile wins (the last task to finish decides when the call does); among
 * those, the one that packs least: each tile packs its rows of A (its height × k) and reads its columns
 * of B (k × its width), pr·n + pc·m in all (times k), so the grid follows C's shape, rows first when
 * that ties too (a square C on two workers: two row bands). A C of a few rows (a batch of vectors times
 * a matrix) goes in column bands, which row bands could not split without every task reading all of B.
 */
export function matmulTiles(m: number, n: number, tasks: number): TileExtent[] {
  const step = (length: number, parts: number, unit: number): number => Math.ceil(Math.ceil(length / parts) / unit) * unit;
  let best = { rowStep: m, colStep: n, largest: m * n, cost: n + m };
  for (let rows = 1; rows <= Math.min(tasks, Math.ceil(m / KERNEL_ROWS)); rows++) {
    for (let cols = 1; cols <= Math.min(Math.floor(tasks / rows), Math.ceil(n / KERNEL_COLS)); cols++) {
      const rowStep = step(m, rows, KERNEL_ROWS);
      const colStep = step(n, cols, KERNEL_COLS);
      // The bands these steps really make (fewer than asked when rounding up to whole tiles fills C sooner).
      const largest = Math.min(rowStep, m) * Math.min(colStep, n);
      const cost = Math.ceil(m / rowStep) * n + Math.ceil(n / colStep) * m;
      if (largest < best.largest || (largest === best.largest && cost <= best.cost)) best = { rowStep, colStep, largest, cost };
    }
  }
  const extents: TileExtent[] = [];
  for (let row = 0; row < m; row += best.rowStep) {
    for (let col = 0; col < n; col += best.colStep) extents.push([row, Math.min(m, row + best.rowStep), col, Math.min(n, col + best.colStep)]);
  }
  return extents;
}

/**
 * Multiplies shared matrices in the pool's workers.
 *
 * @example
 * const c = await matmul(a, b, { pool });               // a: m × k, b: k × n → c: m × n
 * await matmul(a, b, { pool, transB: true, alpha: 2, beta: 1, out: c }); // c = 2·a·bᵀ + c
 */
export async function matmul<T extends FloatArray>(a: SharedMatrix<T>, b: SharedMatrix<T>, options: MatmulOptions = {}): Promise<SharedMatrix<T>> {
  checkObject(options, 'options');
  const pool = options.pool ?? defaultPool();
  checkOperand(a, 'a', pool);
  checkOperand(b, 'b', pool);
  if (a.data.constructor !== b.data.constructor) reject('type', 'b', `a matrix of ${a.data.constructor.name} like \`a\``, b.data);
  const transA = checkBoolean(options.transA, 'options.transA');
  const transB = checkBoolean(options.transB, 'options.transB');
  const alpha = checkNumber(options.alpha ?? 1, 'options.alpha');
  const beta = checkNumber(options.beta ?? 0, 'options.beta');
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [kb, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (k !== kb) {
    throw new ArgumentRangeError(
      'b',
      `\`b\` must have ${k} ${transB ? 'columns' : 'rows'} to multiply ${transA ? 'aᵀ' : 'a'} (${m} × ${k}); got ${b.rows} × ${b.cols}`,
    );
  }
  const Kind = a.data instanceof Float64Array ? Float64Array : Float32Array;
  // The float32 kernel scales by float32 scalars: one that rounds to ±∞ there is refused, not turned into ∞ × C.
  if (Kind === Float32Array) {
    if (!Number.isFinite(Math.fround(alpha))) reject('range', 'options.alpha', 'within float32 range for float32 matrices', alpha);
    if (!Number.isFinite(Math.fround(beta))) reject('range', 'options.beta', 'within float32 range for float32 matrices', beta);
  }
  if (beta !== 0 && options.out === undefined) reject('range', 'options.out', 'given when options.beta is not 0 (it is the C that beta scales)', undefined);
  if (options.out !== undefined) {
    const out = options.out;
    if (!(out instanceof SharedMatrix) || !(out.data instanceof Kind) || !pool.isShared(out.data)) {
      reject('type', 'options.out', `a SharedMatrix of ${Kind.name} in the pool's shared memory`, out);
    }
    if (out.rows !== m || out.cols !== n) throw new ArgumentRangeError('options.out', `\`options.out\` must be ${m} × ${n}; got ${out.rows} × ${out.cols}`);
    if (out.data.length < m * n) throw new ArgumentRangeError('options.out', `\`options.out.data\` must hold ${m * n} elements; it has ${out.data.length}`);
    // C is written tile by tile while A and B are still read (packed a block at a time): it must not be either.
    for (const [input, name] of [[a, 'a'], [b, 'b']] as const) {
      if (overlapping(pool, out.data, input.data)) throw new ArgumentRangeError('options.out', `\`options.out\` must not share memory with \`${name}\` (C is written while A and B are still read)`);
    }
  }
  const flops = 2 * m * n * k;
  // Checked before `out` is allocated: a bad tile count must not leak it.
  const tasks = options.tiles !== undefined ? checkInteger(options.tiles, 'options.tiles', 1) : flops >= SPLIT_FLOPS ? pool.workers : 1;
  // The scalars as the kernel takes them: float32 products scale by float32 values.
  const [kernelAlpha, kernelBeta] = Kind === Float32Array ? [Math.fround(alpha), Math.fround(beta)] : [alpha, beta];
  // No task runs when alpha is 0 (below): the task options are checked here as a task's would be.
  if (kernelAlpha === 0) checkTaskOptions(options).signal?.throwIfAborted();
  const out = (options.out ?? pool.allocMatrix(Kind, m, n)) as SharedMatrix<T>;
  if (kernelAlpha === 0) {
    // As BLAS: alpha = 0 leaves A and B unread (an ∞ or NaN there does not reach C), C = beta · C.
    const c = out.data.subarray(0, m * n);
    if (kernelBeta === 0) c.fill(0);
    // A float32 element times a float32 beta is exact in float64, then rounded once on the store: as the kernel's float32 multiply.
    else if (kernelBeta !== 1) for (let i = 0; i < c.length; i++) c[i] = c[i]! * kernelBeta;
    return out;
  }
  const geometry = { m, n, k, lda: a.cols, ldb: b.cols, ldc: n, transA, transB, alpha, beta };
  const calls = matmulTiles(m, n, tasks).map(([rowBegin, rowEnd, colBegin, colEnd]): [FloatArray, FloatArray, FloatArray, number[]] => [
    a.data, b.data, out.data, packMatmulTile(geometry, rowBegin, rowEnd, colBegin, colEnd),
  ]);
  const kernel = Kind === Float64Array ? kernels.matmulF64 : kernels.matmulF32;
  try {
    // Every tile settled before `out` may be freed: none still writes into it.
    await allSettled(calls.map((call) => pool.apply(kernel as never, call as never, { signal: options.signal, timeout: options.timeout })));
  } catch (error) {
    // A tile given up on (timeout, abort) may still be writing into `out`.
    await pool.givenUpTasksStopped();
    if (options.out === undefined) pool.free(out);
    throw error;
  }
  return out;
}

function checkOperand(value: unknown, path: string, pool: Pool): asserts value is SharedMatrix<FloatArray> {
  const matrix = value as SharedMatrix<FloatArray>;
  if (!(value instanceof SharedMatrix) || !(matrix.data instanceof Float64Array || matrix.data instanceof Float32Array) || !pool.isShared(matrix.data)) {
    reject('type', path, "a SharedMatrix of Float64Array or Float32Array in the pool's shared memory (pool.allocMatrix)", (value as { data?: unknown })?.data ?? value);
  }
  checkInteger(matrix.rows, `${path}.rows`, 1);
  checkInteger(matrix.cols, `${path}.cols`, 1);
  if (matrix.data.length < matrix.rows * matrix.cols) reject('range', `${path}.data`, `at least rows × cols = ${matrix.rows * matrix.cols} elements`, matrix.data.length);
}

function checkBoolean(value: unknown, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') reject('type', path, 'a boolean', value);
  return value;
}

function checkNumber(value: unknown, path: string): number {
  if (typeof value !== 'number') reject('type', path, 'a number', value);
  if (!Number.isFinite(value)) reject('range', path, 'a finite number', value);
  return value;
}
