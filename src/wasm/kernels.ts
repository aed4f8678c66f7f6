/**
 * The built-in WebAssembly kernels, as tasks.
 *
 * On the main thread a kernel is a {@link Kernel} reference (name and
 * index) that `pool.apply(kernels.sumF64, [x])` sends by number. In a worker,
 * {@link bindKernels} turns the instance's raw exports (byte addresses and
 * lengths) into functions over shared typed arrays, checking that each array
 * really lives in the shared memory before its address is used.
 */

import { ArgumentRangeError, ArgumentTypeError, describe, WyvernError } from '../errors.js';
import { checkInteger } from '../options.js';
import { HEAP_START } from '../memory/layout.js';
import type { MemoryViews } from '../memory/views.js';
import { KernelErrorReporter } from './kernel-errors.js';

/** Raw exports of build/wasm/kernels.wasm (assembly/index.ts). Addresses are byte offsets into the shared memory. */
export interface KernelExports {
  heapStart(): number;
  sum_f64(ptr: number, length: number): number;
  fill_f64(ptr: number, length: number, value: number): void;
  axpy_f64(alpha: number, xPtr: number, xLength: number, yPtr: number, yLength: number): void;
  conv2d_f64: Conv2dExport;
  conv2d_f32: Conv2dExport;
  matmul_f64: MatmulExport;
  matmul_f32: MatmulExport;
  matmulScratchBytes_f64(): number;
  matmulScratchBytes_f32(): number;
  lz4_compress_block(src: number, srcLength: number, dst: number, dstCapacity: number, hashTable: number, acceleration: number): number;
  lz4_decompress_block(src: number, srcLength: number, dst: number, dstCapacity: number, prefix: number): number;
  lz4CompressBound(length: number): number;
  lz4_compress_block_hc(src: number, srcLength: number, dst: number, dstCapacity: number, scratch: number, attempts: number): number;
  lz4_compress_block_opt(src: number, srcLength: number, dst: number, dstCapacity: number, scratch: number, level: number): number;
  lz4HcScratchBytes(): number;
  lz4HashBytes(): number;
  xxhash32(ptr: number, length: number, seed: number): number;
  xxhash32_reset(state: number, seed: number): void;
  xxhash32_update(state: number, ptr: number, length: number): void;
  xxhash32_digest(state: number): number;
  xxhashStateBytes(): number;
  inflate_raw(src: number, srcLength: number, dst: number, dstCapacity: number, scratch: number): number;
  inflateConsumed(scratch: number): number;
  inflate_stream(src: number, srcLength: number, startBit: number, dst: number, dstCapacity: number, historyLength: number, scratch: number): number;
  inflateBoundaryBits(scratch: number): number;
  inflateBoundaryOutput(scratch: number): number;
  inflateScratchBytes(): number;
  adler32(ptr: number, length: number, adler: number): number;
  crc32(ptr: number, length: number, crc: number, table: number): number;
  deflate_raw(src: number, srcLength: number, dst: number, dstCapacity: number, level: number, scratch: number, final: number): number;
  deflateScratchBytes(): number;
  deflateBound(length: number): number;
}

/** assembly/kernels/matmul.ts: C = alpha·op(A)·op(B) + beta·C on the tile [rowBegin, rowEnd) × [colBegin, colEnd) of C. */
type MatmulExport = (
  a: number, b: number, c: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number,
  transA: number, transB: number, alpha: number, beta: number, rowBegin: number, rowEnd: number, colBegin: number, colEnd: number, scratch: number,
) => void;

/** The geometry of one tile of a matmul, as the public matmul() computes it (src/kernels/matmul.ts). */
export interface MatmulTile {
  m: number;
  n: number;
  k: number;
  lda: number;
  ldb: number;
  ldc: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  rowBegin: number;
  rowEnd: number;
  colBegin: number;
  colEnd: number;
}

/** A tile's geometry without its extent: what every tile of one call shares. */
export type MatmulGeometry = Omit<MatmulTile, 'rowBegin' | 'rowEnd' | 'colBegin' | 'colEnd'>;

/**
 * Tiles and bands travel as flat lists of numbers: an argument list without keys fits
 * in a task slot (an object with keys would spill to the heap on every call).
 * Pack and unpack name every field (no loops over key lists, no spread): they
 * run once per task, on the main thread and in the worker. They must agree on
 * the order; a test round-trips them.
 */
export const packMatmulTile = (g: MatmulGeometry, rowBegin: number, rowEnd: number, colBegin: number, colEnd: number): number[] => [
  g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.transA ? 1 : 0, g.transB ? 1 : 0, g.alpha, g.beta, rowBegin, rowEnd, colBegin, colEnd,
];
export const unpackMatmulTile = (v: readonly number[]): MatmulTile => ({
  m: v[0]!, n: v[1]!, k: v[2]!, lda: v[3]!, ldb: v[4]!, ldc: v[5]!, transA: v[6] === 1, transB: v[7] === 1,
  alpha: v[8]!, beta: v[9]!, rowBegin: v[10]!, rowEnd: v[11]!, colBegin: v[12]!, colEnd: v[13]!,
});

const MATMUL_ARGUMENT_NAMES = ['a', 'b', 'c', 'm', 'n', 'k', 'lda', 'ldb', 'ldc', 'transA', 'transB', 'alpha', 'beta', 'rowBegin', 'rowEnd', 'colBegin', 'colEnd', 'scratch'] as const;

/** assembly/kernels/conv2d.ts: addresses, then sizes, then the geometry of the output band. */
type Conv2dExport = (
  image: number, rows: number, cols: number,
  flippedFilter: number, filterRows: number, filterCols: number,
  out: number, outRows: number, outCols: number,
  rowBegin: number, rowEnd: number,
  originRow: number, originCol: number, strideRow: number, strideCol: number,
  boundary: number, fillValue: number,
) => void;

/** The geometry of one conv2d band, as the public conv2d() computes it (src/kernels/conv2d.ts). */
export interface Conv2dBand {
  rows: number;
  cols: number;
  filterRows: number;
  filterCols: number;
  outRows: number;
  outCols: number;
  rowBegin: number;
  rowEnd: number;
  originRow: number;
  originCol: number;
  strideRow: number;
  strideCol: number;
  /** 0 fill, 1 wrap, 2 symm (assembly/kernels/conv2d.ts). */
  boundary: number;
  fillValue: number;
}

/** A band's geometry without its rows: what every band of one call shares. */
export type Conv2dGeometry = Omit<Conv2dBand, 'rowBegin' | 'rowEnd'>;

/** As packMatmulTile: a flat list, every field named, pack and unpack in one order. */
export const packConv2dBand = (g: Conv2dGeometry, rowBegin: number, rowEnd: number): number[] => [
  g.rows, g.cols, g.filterRows, g.filterCols, g.outRows, g.outCols, rowBegin, rowEnd,
  g.originRow, g.originCol, g.strideRow, g.strideCol, g.boundary, g.fillValue,
];
export const unpackConv2dBand = (v: readonly number[]): Conv2dBand => ({
  rows: v[0]!, cols: v[1]!, filterRows: v[2]!, filterCols: v[3]!, outRows: v[4]!, outCols: v[5]!, rowBegin: v[6]!, rowEnd: v[7]!,
  originRow: v[8]!, originCol: v[9]!, strideRow: v[10]!, strideCol: v[11]!, boundary: v[12]!, fillValue: v[13]!,
});

const CONV2D_ARGUMENT_NAMES = [
  'image', 'rows', 'cols', 'filter', 'filterRows', 'filterCols', 'out', 'outRows', 'outCols',
  'rowBegin', 'rowEnd', 'originRow', 'originCol', 'strideRow', 'strideCol', 'boundary', 'fillValue',
] as const;

declare const KERNEL_SIGNATURE: unique symbol;
/** A reference to a built-in kernel: pass it to Pool methods as the task. */
export interface Kernel<Args extends unknown[] = unknown[], Result = unknown> {
  readonly kind: 'kernel';
  readonly name: string;
  readonly index: number;
  /** Type-level only: the kernel's signature. */
  readonly [KERNEL_SIGNATURE]?: (...args: Args) => Result;
}

type Bound = (...args: never[]) => unknown;
type FloatKind = 'Float64Array' | 'Float32Array' | 'Uint8Array';
type SharedCheck = <K extends FloatKind>(
  value: unknown,
  name: string,
  kind: K,
  minimumLength?: number,
) => K extends 'Float64Array' ? Float64Array : K extends 'Float32Array' ? Float32Array : Uint8Array;

/**
 * Sizes and positions reach the kernels as i32, wrapped modulo 2^32: each must be an integer that is one
 * already, so that the length checks here see what the kernel sees (8 − 2^32 passed them as a negative
 * length while the kernel read 8, and wrote past `c`).
 */
function checkInt32Fields(record: object, names: readonly string[]): void {
  for (const name of names) checkInteger((record as Record<string, unknown>)[name], name, 0, 0x7fffffff);
}
const MATMUL_INT_FIELDS = ['m', 'n', 'k', 'lda', 'ldb', 'ldc', 'rowBegin', 'rowEnd', 'colBegin', 'colEnd'] as const;
const CONV2D_INT_FIELDS = ['rows', 'cols', 'filterRows', 'filterCols', 'outRows', 'outCols', 'rowBegin', 'rowEnd', 'originRow', 'originCol', 'strideRow', 'strideCol', 'boundary'] as const;

/** Kernel definitions: argument names (for messages) and the call over raw exports. */
function definitions(exports: KernelExports, shared: SharedCheck, scratch: (bytes: number) => number) {
  const matmul =
    (kind: FloatKind, run: MatmulExport, scratchBytes: number) =>
    (a: Float64Array | Float32Array, b: Float64Array | Float32Array, c: Float64Array | Float32Array, packed: number[]): void => {
      const tile = unpackMatmulTile(packed);
      checkInt32Fields(tile, MATMUL_INT_FIELDS);
      const [aRows, aCols] = tile.transA ? [tile.k, tile.m] : [tile.m, tile.k];
      const [bRows, bCols] = tile.transB ? [tile.n, tile.k] : [tile.k, tile.n];
      const av = shared(a, 'a', kind, (aRows - 1) * tile.lda + aCols);
      const bv = shared(b, 'b', kind, (bRows - 1) * tile.ldb + bCols);
      const cv = shared(c, 'c', kind, (tile.m - 1) * tile.ldc + tile.n);
      run(
        av.byteOffset, bv.byteOffset, cv.byteOffset, tile.m, tile.n, tile.k, tile.lda, tile.ldb, tile.ldc,
        tile.transA ? 1 : 0, tile.transB ? 1 : 0, tile.alpha, tile.beta, tile.rowBegin, tile.rowEnd, tile.colBegin, tile.colEnd, scratch(scratchBytes),
      );
    };
  const conv2d =
    (kind: FloatKind, run: Conv2dExport) =>
    (image: Float64Array | Float32Array, flippedFilter: Float64Array | Float32Array, out: Float64Array | Float32Array, packed: number[]): void => {
      const band = unpackConv2dBand(packed);
      checkInt32Fields(band, CONV2D_INT_FIELDS);
      const img = shared(image, 'image', kind, band.rows * band.cols);
      const g = shared(flippedFilter, 'filter', kind, band.filterRows * band.filterCols);
      const o = shared(out, 'out', kind, band.outRows * band.outCols);
      run(
        img.byteOffset, band.rows, band.cols, g.byteOffset, band.filterRows, band.filterCols, o.byteOffset, band.outRows, band.outCols,
        band.rowBegin, band.rowEnd, band.originRow, band.originCol, band.strideRow, band.strideCol, band.boundary, band.fillValue,
      );
    };
  // The LZ4 block compressors share one call shape: source, destination (room for the worst case),
  // scratch of the compressor's size, and one parameter (acceleration, attempts or level).
  type Lz4CompressExport = (src: number, srcLength: number, dst: number, dstCapacity: number, scratch: number, parameter: number) => number;
  const lz4Compressor =
    (run: Lz4CompressExport, scratchBytes: () => number, parameterName: string) =>
    (src: Uint8Array, dst: Uint8Array, parameter: number): number => {
      const s = shared(src, 'src', 'Uint8Array');
      const d = shared(dst, 'dst', 'Uint8Array', exports.lz4CompressBound(s.length));
      return run(s.byteOffset, s.length, d.byteOffset, d.length, scratch(scratchBytes()), checkInteger(parameter, parameterName, 0, 0x7fffffff));
    };
  return {
    /** One row band of a 2-D convolution over float64 arrays (the filter already flipped). */
    conv2dF64: { argumentNames: CONV2D_ARGUMENT_NAMES, run: conv2d('Float64Array', exports.conv2d_f64) },
    /** One row band of a 2-D convolution over float32 arrays (the filter already flipped). */
    conv2dF32: { argumentNames: CONV2D_ARGUMENT_NAMES, run: conv2d('Float32Array', exports.conv2d_f32) },
    /** LZ4-compresses `src` into `dst` (capacity ≥ lz4CompressBound); returns the compressed length. */
    lz4CompressBlock: {
      argumentNames: ['src', 'srcLength', 'dst', 'dstCapacity', 'hashTable', 'acceleration'],
      run: lz4Compressor(exports.lz4_compress_block, exports.lz4HashBytes, 'acceleration'),
    },
    /** LZ4 high compression (the lz4 tool's levels 3-9): up to `attempts` earlier positions tried per position. */
    lz4CompressBlockHc: {
      argumentNames: ['src', 'srcLength', 'dst', 'dstCapacity', 'scratch', 'attempts'],
      run: lz4Compressor(exports.lz4_compress_block_hc, exports.lz4HcScratchBytes, 'attempts'),
    },
    /** LZ4 high compression with optimal parsing (the lz4 tool's levels 10-12; `level` is one of them). */
    lz4CompressBlockOpt: {
      argumentNames: ['src', 'srcLength', 'dst', 'dstCapacity', 'scratch', 'level'],
      run: lz4Compressor(exports.lz4_compress_block_opt, exports.lz4HcScratchBytes, 'level'),
    },
    /**
     * Decompresses an LZ4 block into `out` from `offset` (up to the end of
     * `out`); matches may reach back `prefix` ≤ offset bytes into `out` (linked
     * blocks), never outside it. Returns the length, or a negative error code.
     */
    lz4DecompressBlock: {
      argumentNames: ['src', 'srcLength', 'out', 'outCapacity', 'prefix'],
      run: (src: Uint8Array, out: Uint8Array, offset: number, prefix: number): number => {
        const s = shared(src, 'src', 'Uint8Array');
        const o = shared(out, 'out', 'Uint8Array');
        if (!Number.isInteger(offset) || offset < 0 || offset > o.length) throw new ArgumentRangeError('offset', `\`offset\` must be an integer from 0 to ${o.length}; got ${offset}`);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > offset) throw new ArgumentRangeError('prefix', `\`prefix\` must be an integer from 0 to offset (${offset}); got ${prefix}`);
        return exports.lz4_decompress_block(s.byteOffset, s.length, o.byteOffset + offset, o.length - offset, prefix);
      },
    },
    /** xxHash32 of a shared byte array. */
    xxhash32: {
      argumentNames: ['data', 'length', 'seed'],
      run: (data: Uint8Array, seed = 0): number => {
        const d = shared(data, 'data', 'Uint8Array');
        return exports.xxhash32(d.byteOffset, d.length, checkInteger(seed, 'seed', 0, 0xffffffff)) >>> 0;
      },
    },
    /**
     * Decodes a raw DEFLATE stream from `src` into `out`. Returns [output length, input bytes used], or
     * [negative error code, 0] for a malformed stream (assembly/kernels/inflate.ts).
     */
    inflateRaw: {
      argumentNames: ['src', 'srcLength', 'out', 'outCapacity', 'scratch'],
      /** `check`: 0 none, 1 Adler-32, 2 CRC-32 of the output, computed here while it is still in cache. */
      run: (src: Uint8Array, out: Uint8Array, check = 0): [number, number, number] => {
        checkInteger(check, 'check', 0, 2);
        const s = shared(src, 'src', 'Uint8Array');
        const o = shared(out, 'out', 'Uint8Array');
        const work = scratch(Math.max(exports.inflateScratchBytes(), 8192));
        const length = exports.inflate_raw(s.byteOffset, s.length, o.byteOffset, o.length, work);
        if (length < 0) return [length, 0, 0];
        const consumed = exports.inflateConsumed(work);
        const checksum =
          check === 1 ? exports.adler32(o.byteOffset, length, 1) >>> 0 : check === 2 ? exports.crc32(o.byteOffset, length, 0, work) >>> 0 : 0;
        return [length, consumed, checksum];
      },
    },
    /**
     * One part of a raw DEFLATE stream decoded in parts (streaming; assembly/kernels/inflate.ts,
     * inflate_stream). `window` holds `historyLength` bytes of earlier output, then room for this
     * part's. Returns [code, bits, produced, checksum]: code ≥ 0 when the stream ended there (bits:
     * input bytes used × 8); -1 (input ended) or -2 (output full) when the part stopped inside a
     * block, bits and produced then saying where that block began (the output before it is final);
     * other negative codes for corrupt data. `check` (0 none, 1 Adler-32, 2 CRC-32) continues
     * `checkIn` over the produced bytes.
     */
    inflateStream: {
      argumentNames: ['src', 'srcLength', 'startBit', 'window', 'outCapacity', 'historyLength', 'scratch'],
      run: (src: Uint8Array, window: Uint8Array, historyLength: number, startBit: number, check = 0, checkIn = 0): [number, number, number, number] => {
        checkInteger(historyLength, 'historyLength', 0, 0x7fffffff);
        checkInteger(startBit, 'startBit', 0, 7);
        checkInteger(check, 'check', 0, 2);
        checkInteger(checkIn, 'checkIn', 0, 0xffffffff);
        const s = shared(src, 'src', 'Uint8Array');
        const w = shared(window, 'window', 'Uint8Array', historyLength);
        const work = scratch(Math.max(exports.inflateScratchBytes(), 8192));
        const dst = w.byteOffset + historyLength;
        const code = exports.inflate_stream(s.byteOffset, s.length, startBit, dst, w.length - historyLength, historyLength, work);
        let bits: number, produced: number;
        if (code >= 0) [bits, produced] = [exports.inflateConsumed(work) * 8, code];
        else if (code === -1 || code === -2) [bits, produced] = [exports.inflateBoundaryBits(work), exports.inflateBoundaryOutput(work)];
        else return [code, 0, 0, 0];
        const checksum =
          check === 1 ? exports.adler32(dst, produced, checkIn) >>> 0 : check === 2 ? exports.crc32(dst, produced, checkIn, work) >>> 0 : 0;
        return [code, bits, produced, checksum];
      },
    },
    /**
     * DEFLATE-compresses `src` into `out` (capacity ≥ deflateBound) at `level` 0-9; returns the length,
     * or -2 if `out` is too small. Not `final`: a part of a longer stream, ending in a sync flush.
     */
    deflateRaw: {
      argumentNames: ['src', 'srcLength', 'out', 'outCapacity', 'level', 'scratch', 'final'],
      run: (src: Uint8Array, out: Uint8Array, level: number, final = true): number => {
        checkInteger(level, 'level', 0, 9);
        const s = shared(src, 'src', 'Uint8Array');
        const o = shared(out, 'out', 'Uint8Array');
        return exports.deflate_raw(s.byteOffset, s.length, o.byteOffset, o.length, level, scratch(exports.deflateScratchBytes()), final ? 1 : 0);
      },
    },
    /** Adler-32 of a shared byte array (zlib's trailer). */
    adler32: {
      argumentNames: ['data', 'length', 'adler'],
      run: (data: Uint8Array): number => {
        const d = shared(data, 'data', 'Uint8Array');
        return exports.adler32(d.byteOffset, d.length, 1) >>> 0;
      },
    },
    /** CRC-32 of a shared byte array (gzip's trailer). */
    crc32: {
      argumentNames: ['data', 'length', 'crc', 'table'],
      run: (data: Uint8Array): number => {
        const d = shared(data, 'data', 'Uint8Array');
        return exports.crc32(d.byteOffset, d.length, 0, scratch(8192)) >>> 0;
      },
    },
    /** One row band of C = alpha·op(A)·op(B) + beta·C over float64 matrices. */
    matmulF64: { argumentNames: MATMUL_ARGUMENT_NAMES, run: matmul('Float64Array', exports.matmul_f64, exports.matmulScratchBytes_f64()) },
    /** One row band of C = alpha·op(A)·op(B) + beta·C over float32 matrices. */
    matmulF32: { argumentNames: MATMUL_ARGUMENT_NAMES, run: matmul('Float32Array', exports.matmul_f32, exports.matmulScratchBytes_f32()) },
    /** Sum of a shared Float64Array. */
    sumF64: {
      argumentNames: ['x', 'x.length'],
      run: (x: Float64Array): number => {
        const a = shared(x, 'x', 'Float64Array');
        return exports.sum_f64(a.byteOffset, a.length);
      },
    },
    /** Fills a shared Float64Array with `value`. */
    fillF64: {
      argumentNames: ['x', 'x.length', 'value'],
      run: (x: Float64Array, value: number): void => {
        const a = shared(x, 'x', 'Float64Array');
        exports.fill_f64(a.byteOffset, a.length, value);
      },
    },
    /** y += alpha * x over shared Float64Arrays of equal length. */
    axpyF64: {
      argumentNames: ['alpha', 'x', 'x.length', 'y', 'y.length'],
      run: (alpha: number, x: Float64Array, y: Float64Array): void => {
        const a = shared(x, 'x', 'Float64Array');
        const b = shared(y, 'y', 'Float64Array');
        exports.axpy_f64(alpha, a.byteOffset, a.length, b.byteOffset, b.length);
      },
    },
  };
}

type Definitions = ReturnType<typeof definitions>;
/** The name of a kernel in {@link kernels} (what a pool task runs: `pool.apply(kernels.matmulF64, ...)`). */
export type KernelName = keyof Definitions;
// The index of a name here is its number on the wire: append, never reorder.
const KERNEL_NAMES = [
  'sumF64', 'fillF64', 'axpyF64', 'conv2dF64', 'conv2dF32', 'matmulF64', 'matmulF32', 'lz4CompressBlock', 'lz4DecompressBlock', 'xxhash32',
  'inflateRaw', 'adler32', 'crc32', 'deflateRaw', 'inflateStream', 'lz4CompressBlockHc', 'lz4CompressBlockOpt',
] as const satisfies readonly KernelName[];

/** References to every built-in kernel, by name. */
export const kernels: { readonly [K in KernelName]: Kernel<Parameters<Definitions[K]['run']>, ReturnType<Definitions[K]['run']>> } =
  Object.freeze(
    Object.fromEntries(KERNEL_NAMES.map((name, index) => [name, Object.freeze({ kind: 'kernel', name, index })])),
  ) as never;

export function isKernel(value: unknown): value is Kernel {
  return typeof value === 'object' && value !== null && (value as Kernel).kind === 'kernel';
}

/** Instantiates the kernels over `memory` and checks that the module agrees with the layout. */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory, reporter: KernelErrorReporter): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory }, wyvern: reporter.imports });
  const exports = instance.exports as unknown as KernelExports;
  if (exports.heapStart() !== HEAP_START) {
    throw new WyvernError(
      'ERR_KERNEL_LOAD',
      `the kernels in build/wasm/ were built for heap start ${exports.heapStart()}, the runtime expects ${HEAP_START}: rebuild with npm run build`,
    );
  }
  return exports;
}

/**
 * Kernel functions over shared typed arrays, indexed like {@link kernels}.
 * `allocate` gives heap memory for kernel scratch (packing buffers): one
 * block per worker, taken on first use and kept, grown when a larger one is needed.
 */
export function bindKernels(module: WebAssembly.Module, views: MemoryViews, allocate: (bytes: number) => number, release: (ptr: number) => void): Bound[] {
  let scratchPtr = 0;
  let scratchBytes = 0;
  const scratch = (bytes: number): number => {
    if (bytes > scratchBytes) {
      if (scratchPtr) release(scratchPtr);
      // Forgotten before the allocation, which may fail: a later call must not use (or free) the old block.
      scratchPtr = 0;
      scratchBytes = 0;
      scratchPtr = allocate(bytes);
      scratchBytes = bytes;
    }
    return scratchPtr;
  };
  const reporter = new KernelErrorReporter();
  const exports = instantiateKernels(module, views.memory, reporter);
  const shared = ((value: unknown, name: string, kind: FloatKind, minimumLength = 0) => {
    const Kind = kind === 'Float64Array' ? Float64Array : kind === 'Float32Array' ? Float32Array : Uint8Array;
    if (!(value instanceof Kind) || !views.owns(value.buffer)) {
      throw new ArgumentTypeError(
        name,
        `\`${name}\` must be a ${kind} in the pool's shared memory (from pool.alloc); got ${describe(value)}${
          value instanceof Kind ? ' that is not shared' : ''
        }`,
      );
    }
    // The kernel checks addresses against the heap; this keeps it inside the array it was given.
    if (value.length < minimumLength) {
      throw new ArgumentRangeError(name, `\`${name}\` must hold at least ${minimumLength} elements for these dimensions; got ${value.length}`);
    }
    return value;
  }) as SharedCheck;
  const defs = definitions(exports, shared, scratch);
  return KERNEL_NAMES.map((name) => {
    const def = defs[name] as { argumentNames: readonly string[]; run: Bound };
    return (...args: never[]) => {
      reporter.current = { name, argumentNames: def.argumentNames };
      return def.run(...args);
    };
  });
}
