/**
 * What a task can reach inside a worker, as the global `wyvern`:
 *
 * ```ts
 * declare const wyvern: import('wyvern').WorkerContext;
 * export function makeOnes(n: number) {
 *   const out = wyvern.alloc(Float64Array, n); // shared: returned by reference
 *   out.fill(1);
 *   return out;
 * }
 * ```
 */

import type { SharedMatrix, TypedArray, TypedArrayConstructor } from '../memory/shared-array.js';

/** What a task can reach inside a worker, as the global `wyvern` (see the example at the top of this module). */
export interface WorkerContext {
  /** This worker's index in the pool, from 0. A replacement worker keeps its predecessor's index. */
  readonly workerIndex: number;
  /** The pool's shared memory. */
  readonly memory: WebAssembly.Memory;
  /** Allocates a zero-filled shared array; returning it from a task sends it by reference (the caller frees it). */
  alloc<C extends TypedArrayConstructor>(Kind: C, length: number): InstanceType<C>;
  /** Allocates a zero-filled `rows` × `cols` shared matrix (row-major); returned from a task, it goes by reference. */
  allocMatrix<C extends TypedArrayConstructor>(Kind: C, rows: number, cols: number): SharedMatrix<InstanceType<C>>;
  /** Frees an array from `alloc`/`allocMatrix` (of this worker, another or the main thread). */
  free(value: TypedArray | SharedMatrix<TypedArray>): void;
}
