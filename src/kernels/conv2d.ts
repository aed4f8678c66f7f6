/**
 * `conv2d(image, filter, options)`: `scipy.signal.convolve2d` over shared
 * matrices, run on a pool.
 *
 * Semantics (see shared/REFERENCES.md and SciPy's documentation): true
 * convolution (the filter is flipped); `mode` 'full' gives
 * (H + KH − 1) × (W + KW − 1), 'same' the centre of full at offset
 * ((KH − 1) / 2, (KW − 1) / 2) rounded down, size H × W, 'valid'
 * (H − KH + 1) × (W − KW + 1) (with a filter at least as large as the image
 * in both dimensions, the two swapped, as SciPy does); `boundary` 'fill' pads with `fillvalue`,
 * 'wrap' is circular, 'symm' mirrors with the edge sample repeated.
 * `stride` keeps every k-th output: `conv2d(x, f, { stride: 5 })` equals
 * `convolve2d(x, f)[::5, ::5]`, and only those outputs are computed.
 *
 * One call on a large image is split into row bands across the pool's
 * workers; many calls (one per image) spread across workers as tasks.
 */

import { ArgumentRangeError, ArgumentTypeError, describe } from '../errors.js';
import { SharedMatrix } from '../memory/shared-array.js';
import { checkInteger, checkObject, checkOneOf, reject } from '../options.js';
import { defaultPool } from '../pool/default-pool.js';
import type { Pool, TaskOptions } from '../pool/pool.js';
import { allSettled } from '../pool/settle.js';
import { overlapping } from '../codecs/bytes.js';
import { kernels, packConv2dBand } from '../wasm/kernels.js';

/** The output's extent, as SciPy's: all overlaps ('full'), the image's size centred ('same'), complete overlaps only ('valid'). */
export type Conv2dMode = 'full' | 'same' | 'valid';
/** Pixels outside the image, as SciPy's: `fillvalue` ('fill'), the image repeated ('wrap'), mirrored ('symm'). */
export type Conv2dBoundary = 'fill' | 'wrap' | 'symm';
type FloatArray = Float64Array | Float32Array;

/** A filter: a matrix, or rows of numbers (`[[1, 0], [0, -1]]`). */
export type Conv2dFilter = SharedMatrix<FloatArray> | { data: ArrayLike<number>; rows: number; cols: number } | ArrayLike<ArrayLike<number>>;

/** Options of `conv2d`: SciPy's mode, boundary and fillvalue, plus stride, output and pool. */
export interface Conv2dOptions extends TaskOptions {
  /** @default 'full' */
  mode?: Conv2dMode;
  /** @default 'fill' */
  boundary?: Conv2dBoundary;
  /** The value outside the image for `boundary: 'fill'`. @default 0 */
  fillvalue?: number;
  /** Keep every k-th output row and column (`[rowStep, colStep]` for two steps). @default 1 */
  stride?: number | readonly [number, number];
  /** The pool to run on. @default defaultPool() */
  pool?: Pool;
  /** Where to write the result (a shared matrix of the output's shape and the image's type); allocated when absent. */
  out?: SharedMatrix<FloatArray>;
  /**
   * Row bands the call is split into, one task each. @default the pool's
   * worker count for large outputs (≥ 2^20 multiply-adds), else 1
   */
  bands?: number;
}

const BOUNDARY_CODES: Record<Conv2dBoundary, number> = { fill: 0, wrap: 1, symm: 2 };
const SPLIT_THRESHOLD = 1 << 20;

/** The output shape of `conv2d` for these shapes and options, without running it. */
export function conv2dShape(
  imageShape: readonly [number, number],
  filterShape: readonly [number, number],
  options: Pick<Conv2dOptions, 'mode' | 'stride'> = {},
): [number, number] {
  checkObject(options, 'options');
  const image = [checkInteger(imageShape?.[0], 'imageShape[0]', 1), checkInteger(imageShape?.[1], 'imageShape[1]', 1)] as const;
  const filter = [checkInteger(filterShape?.[0], 'filterShape[0]', 1), checkInteger(filterShape?.[1], 'filterShape[1]', 1)] as const;
  const mode = checkOneOf(options.mode ?? 'full', 'options.mode', ['full', 'same', 'valid'] as const);
  const [strideRow, strideCol] = strideOf(options.stride);
  const base = baseShape(image, filter, mode, ['imageShape', 'filterShape']);
  return [Math.ceil(base[0] / strideRow), Math.ceil(base[1] / strideCol)];
}

/**
 * Convolves `image` with `filter` as `scipy.signal.convolve2d` does, in the
 * pool's workers. The result is a shared matrix of the image's element type
 * (free it with `pool.free` when done, or pass `out` to reuse one).
 *
 * @example
 * const image = pool.allocMatrix(Float64Array, 1000, 1000);
 * const edges = await conv2d(image, [[1, 0, -1], [2, 0, -2], [1, 0, -1]], { mode: 'same', boundary: 'symm', pool });
 */
export async function conv2d<T extends FloatArray>(image: SharedMatrix<T>, filter: Conv2dFilter, options: Conv2dOptions = {}): Promise<SharedMatrix<T>> {
  checkObject(options, 'options');
  const pool = options.pool ?? defaultPool();
  if (!(image instanceof SharedMatrix) || !(image.data instanceof Float64Array || image.data instanceof Float32Array) || !pool.isShared(image.data)) {
    reject('type', 'image', "a SharedMatrix of Float64Array or Float32Array in the pool's shared memory (pool.allocMatrix)", image?.data ?? image);
  }
  checkInteger(image.rows, 'image.rows', 1);
  checkInteger(image.cols, 'image.cols', 1);
  if (image.data.length < image.rows * image.cols) reject('range', 'image.data', `at least rows × cols = ${image.rows * image.cols} elements`, image.data.length);
  const mode = checkOneOf(options.mode ?? 'full', 'options.mode', ['full', 'same', 'valid'] as const);
  const boundary = checkOneOf(options.boundary ?? 'fill', 'options.boundary', ['fill', 'wrap', 'symm'] as const);
  const fillValue = options.fillvalue ?? 0;
  if (typeof fillValue !== 'number') reject('type', 'options.fillvalue', 'a number', fillValue);
  const [strideRow, strideCol] = strideOf(options.stride);
  const read = readFilter(filter);
  const [baseRows, baseCols] = baseShape([image.rows, image.cols], [read.rows, read.cols], mode);
  const outRows = Math.ceil(baseRows / strideRow);
  const outCols = Math.ceil(baseCols / strideCol);
  const Kind = image.data instanceof Float64Array ? Float64Array : Float32Array;
  if (options.out !== undefined) checkOut(options.out, Kind, outRows, outCols, pool, image.data);
  const bands = options.bands !== undefined ? checkInteger(options.bands, 'options.bands', 1) : undefined;

  // Everything is checked: memory is taken from here on.
  // 'valid' with a filter at least as large as the image in both dimensions: SciPy swaps the two
  // (convolution commutes), and so does this: the filter becomes the image, the image the filter.
  const swapped = mode === 'valid' && (read.rows > image.rows || read.cols > image.cols);
  const values: ArrayLike<number> = swapped ? image.data.subarray(0, image.rows * image.cols) : read.values;
  const [filterRows, filterCols] = swapped ? [image.rows, image.cols] : [read.rows, read.cols];
  // The call's own scratch (the flipped filter; the filter's copy as the image when swapped), freed when it ends.
  const scratch = pool.scope();
  let allocated: SharedMatrix<FloatArray> | undefined;
  try {
    const source = swapped ? scratch.allocMatrix(Kind, read.rows, read.cols) : image;
    if (swapped) source.data.set(Array.prototype.slice.call(read.values, 0, read.rows * read.cols) as number[]);
    // The kernel correlates with the flipped filter (see assembly/kernels/conv2d.ts).
    const flipped = scratch.alloc(Kind, filterRows * filterCols);
    for (let k = 0; k < values.length; k++) flipped[values.length - 1 - k] = values[k]!;
    const out = options.out ?? (allocated = pool.allocMatrix(Kind, outRows, outCols));
    const [originRow, originCol] = mode === 'full' ? [0, 0] : mode === 'same' ? [(filterRows - 1) >> 1, (filterCols - 1) >> 1] : [filterRows - 1, filterCols - 1];
    const work = outRows * outCols * filterRows * filterCols;
    const bandCount = bands ?? (work >= SPLIT_THRESHOLD ? pool.workers : 1);
    const bandRows = Math.max(1, Math.ceil(outRows / bandCount));
    const kernel = Kind === Float64Array ? kernels.conv2dF64 : kernels.conv2dF32;
    const geometry = {
      rows: source.rows, cols: source.cols, filterRows, filterCols, outRows, outCols, originRow, originCol,
      // A step past the whole output keeps its first row or column only, as any step that long does; the kernel takes 32-bit steps.
      strideRow: Math.min(strideRow, Math.max(1, baseRows)), strideCol: Math.min(strideCol, Math.max(1, baseCols)),
      boundary: BOUNDARY_CODES[boundary], fillValue,
    };
    const calls: [FloatArray, FloatArray, FloatArray, number[]][] = [];
    for (let rowBegin = 0; rowBegin < outRows; rowBegin += bandRows) {
      calls.push([source.data, flipped, out.data, packConv2dBand(geometry, rowBegin, Math.min(outRows, rowBegin + bandRows))]);
    }
    const task = { signal: options.signal, timeout: options.timeout };
    // One band (the common case when many images share the pool) is a plain call: less bookkeeping.
    if (calls.length === 1) await pool.apply(kernel as never, calls[0] as never, task);
    // Every band settled before `out` may be freed: none still writes into it.
    else await allSettled(calls.map((call) => pool.apply(kernel as never, call as never, task)));
    return out as SharedMatrix<T>;
  } catch (error) {
    // A band given up on (timeout, abort) may still be writing into `out` and reading the scratch.
    await pool.givenUpTasksStopped();
    if (allocated) pool.free(allocated);
    throw error;
  } finally {
    scratch.release();
  }
}

/**
 * The shape of the whole output before any stride. 'valid' needs one of image and filter at least as large
 * as the other in both dimensions (SciPy's rule; it swaps them when the filter is the larger).
 */
function baseShape(
  image: readonly [number, number], filter: readonly [number, number], mode: Conv2dMode, [imageName, filterName] = ['image', 'filter'],
): [number, number] {
  if (mode === 'full') return [image[0] + filter[0] - 1, image[1] + filter[1] - 1];
  if (mode === 'same') return [image[0], image[1]];
  const imageLarger = image[0] >= filter[0] && image[1] >= filter[1];
  if (!imageLarger && !(filter[0] >= image[0] && filter[1] >= image[1])) {
    throw new ArgumentRangeError(
      filterName,
      `\`${filterName}\` (${filter[0]} × ${filter[1]}) and \`${imageName}\` (${image[0]} × ${image[1]}) must be one at least as large as the other in both dimensions in 'valid' mode (as in SciPy)`,
    );
  }
  return imageLarger ? [image[0] - filter[0] + 1, image[1] - filter[1] + 1] : [filter[0] - image[0] + 1, filter[1] - image[1] + 1];
}

function strideOf(stride: Conv2dOptions['stride']): [number, number] {
  if (stride === undefined) return [1, 1];
  if (typeof stride === 'number') {
    checkInteger(stride, 'options.stride', 1);
    return [stride, stride];
  }
  if (!Array.isArray(stride) || stride.length !== 2) reject('type', 'options.stride', 'a positive integer or a pair [rowStep, colStep]', stride);
  return [checkInteger(stride[0], 'options.stride[0]', 1), checkInteger(stride[1], 'options.stride[1]', 1)];
}

/** The filter's values, row-major, with its shape; refuses ragged rows, empty filters and non-numbers. */
function readFilter(filter: Conv2dFilter): { values: ArrayLike<number>; rows: number; cols: number } {
  if (filter instanceof SharedMatrix || (typeof filter === 'object' && filter !== null && 'data' in filter && 'rows' in filter)) {
    const { data, rows, cols } = filter as { data: ArrayLike<number>; rows: number; cols: number };
    checkInteger(rows, 'filter.rows', 1);
    checkInteger(cols, 'filter.cols', 1);
    if (!data || data.length < rows * cols) reject('range', 'filter.data', `at least rows × cols = ${rows * cols} numbers`, data?.length);
    const values = Array.prototype.slice.call(data, 0, rows * cols) as unknown[];
    values.forEach((value, i) => {
      if (typeof value !== 'number') reject('type', `filter.data[${i}]`, 'a number', value);
    });
    return { values: values as number[], rows, cols };
  }
  if (typeof filter !== 'object' || filter === null || typeof (filter as ArrayLike<unknown>).length !== 'number') {
    throw new ArgumentTypeError('filter', `\`filter\` must be a matrix or an array of rows of numbers; got ${describe(filter)}`);
  }
  const rowsOf = filter as ArrayLike<ArrayLike<number>>;
  const rows = rowsOf.length;
  if (rows === 0) reject('range', 'filter', 'at least one row', filter);
  const cols = rowsOf[0]?.length ?? 0;
  if (cols === 0) reject('range', 'filter[0]', 'a non-empty row of numbers', rowsOf[0]);
  const values = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = rowsOf[r]!;
    if (row?.length !== cols) reject('range', `filter[${r}]`, `a row of ${cols} numbers like filter[0]`, row);
    for (let c = 0; c < cols; c++) {
      const value = row[c];
      if (typeof value !== 'number') reject('type', `filter[${r}][${c}]`, 'a number', value);
      values[r * cols + c] = value;
    }
  }
  return { values, rows, cols };
}

function checkOut(out: SharedMatrix<FloatArray>, Kind: typeof Float64Array | typeof Float32Array, rows: number, cols: number, pool: Pool, image: FloatArray): void {
  if (!(out instanceof SharedMatrix) || !(out.data instanceof Kind) || !pool.isShared(out.data)) {
    reject('type', 'options.out', `a SharedMatrix of ${Kind.name} in the pool's shared memory`, out);
  }
  if (out.rows !== rows || out.cols !== cols || out.data.length < rows * cols) {
    throw new ArgumentRangeError('options.out', `\`options.out\` must be ${rows} × ${cols} for this convolution; got ${out.rows} × ${out.cols}`);
  }
  // Outputs written while the image is still read around them: the image's own memory would be overwritten first.
  if (overlapping(pool, out.data, image)) {
    throw new ArgumentRangeError('options.out', '`options.out` must not share memory with `image` (the convolution reads the image around each output it writes)');
  }
}
