/**
 * Typed arrays that live in the shared heap, and 2-D matrices over them.
 *
 * A shared array is an ordinary typed array whose buffer is the pool's
 * memory; it crosses to workers as (type, byte offset, length) with no copy.
 */

import { ArgumentRangeError, ArgumentTypeError, describe } from '../errors.js';
import { checkInteger } from '../options.js';

/** Typed array constructors the heap can allocate, in wire-code order (never reorder: the index is the wire code). */
export const TYPED_ARRAY_KINDS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

/** The typed array classes shared memory can hold (what `alloc` takes). */
export type TypedArrayConstructor = (typeof TYPED_ARRAY_KINDS)[number];
/** Any typed array the heap can allocate, over a shared or an ordinary buffer. */
export type TypedArray =
  | Int8Array<ArrayBufferLike>
  | Uint8Array<ArrayBufferLike>
  | Uint8ClampedArray<ArrayBufferLike>
  | Int16Array<ArrayBufferLike>
  | Uint16Array<ArrayBufferLike>
  | Int32Array<ArrayBufferLike>
  | Uint32Array<ArrayBufferLike>
  | Float32Array<ArrayBufferLike>
  | Float64Array<ArrayBufferLike>
  | BigInt64Array<ArrayBufferLike>
  | BigUint64Array<ArrayBufferLike>;

/**
 * Wire code of a typed array's kind, or -1 for anything else (DataView, plain objects). A subclass (Node's
 * Buffer) is its base kind, as structuredClone sends it.
 */
export function typedArrayCode(value: unknown): number {
  if (!ArrayBuffer.isView(value)) return -1;
  const code = TYPED_ARRAY_KINDS.indexOf(value.constructor as TypedArrayConstructor);
  return code >= 0 || value instanceof DataView ? code : TYPED_ARRAY_KINDS.findIndex((Kind) => value instanceof Kind);
}

export function checkTypedArrayConstructor(value: unknown, path: string): TypedArrayConstructor {
  if (!TYPED_ARRAY_KINDS.includes(value as TypedArrayConstructor)) {
    throw new ArgumentTypeError(
      path,
      `\`${path}\` must be a typed array constructor such as Float64Array; got ${describe(value)}`,
    );
  }
  return value as TypedArrayConstructor;
}

/**
 * A row-major 2-D array over a typed array: element (i, j) is
 * `data[i * cols + j]`. Made by `pool.allocMatrix` (in the shared heap, for
 * tasks and kernels to use without a copy) or over any typed array (`load`
 * without `shared` gives such ones). `get`, `set` and `row` check their
 * indices, as NumPy does; loops that must not pay for it index `data`.
 */
export class SharedMatrix<T extends TypedArray = Float64Array<ArrayBufferLike>> {
  constructor(
    /** Row-major elements: at least `rows * cols` of them (those past it are not part of the matrix). */
    readonly data: T,
    /** Number of rows. */
    readonly rows: number,
    /** Number of columns (the row stride in `data`). */
    readonly cols: number,
  ) {
    if (typedArrayCode(data) < 0) throw new ArgumentTypeError('data', `\`data\` must be a typed array; got ${describe(data)}`);
    checkInteger(rows, 'rows');
    checkInteger(cols, 'cols');
    if (rows * cols > data.length) {
      throw new ArgumentRangeError('data', `\`data\` must hold rows × cols = ${rows} × ${cols} = ${rows * cols} elements; it has ${data.length}`);
    }
  }

  /** `[rows, cols]`, as NumPy's `shape`. */
  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** Element (row, col). */
  get(row: number, col: number): T[number] {
    return this.data[this.indexOf(row, col)] as T[number];
  }

  /** Sets element (row, col). */
  set(row: number, col: number, value: T[number]): void {
    (this.data as unknown as Record<number, T[number]>)[this.indexOf(row, col)] = value;
  }

  /** One row as a view (no copy). */
  row(index: number): T {
    if (!(Number.isInteger(index) && index >= 0 && index < this.rows)) this.outOfRange('index', index, this.rows);
    return this.data.subarray(index * this.cols, (index + 1) * this.cols) as T;
  }

  private indexOf(row: number, col: number): number {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rows)) this.outOfRange('row', row, this.rows);
    if (!(Number.isInteger(col) && col >= 0 && col < this.cols)) this.outOfRange('col', col, this.cols);
    return row * this.cols + col;
  }

  private outOfRange(name: string, value: number, size: number): never {
    throw new ArgumentRangeError(name, `\`${name}\` must be an integer from 0 to ${size - 1} (the matrix is ${this.rows} × ${this.cols}); got ${describe(value)}`);
  }
}
