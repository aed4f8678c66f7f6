/// <reference lib="esnext.disposable" preserve="true" />
/**
 * Typed allocation over the shared heap, the same on the main thread (as
 * `pool.alloc`) and in workers (as `wyvern.alloc` inside a task).
 */

import { ArgumentTypeError, InvalidFreeError, describe } from '../errors.js';
import { checkInteger } from '../options.js';
import { SharedHeap } from './heap.js';
import { SharedMatrix, checkTypedArrayConstructor, type TypedArray, type TypedArrayConstructor } from './shared-array.js';
import type { MemoryViews } from './views.js';

export class SharedAllocator {
  /**
   * Arrays this thread has freed. The heap catches a second free of an address only while no newer
   * allocation holds it; freeing the same array object twice is caught here even after its memory went
   * to another array (which the second free would have released).
   */
  private readonly freed = new WeakSet<object>();

  constructor(
    readonly views: MemoryViews,
    readonly heap: SharedHeap,
  ) {}

  /** A zero-filled shared typed array of `length` elements. */
  alloc<C extends TypedArrayConstructor>(Kind: C, length: number): InstanceType<C> {
    const array = this.allocUninitialized(Kind, length);
    // Freed blocks keep old contents: zero them, like every typed array constructor does.
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(0);
    return array;
  }

  /**
   * A shared typed array whose contents are whatever the heap held: for
   * output buffers about to be overwritten, where zeroing would be a wasted
   * pass (and would touch every page of a large buffer up front).
   */
  allocUninitialized<C extends TypedArrayConstructor>(Kind: C, length: number): InstanceType<C> {
    checkTypedArrayConstructor(Kind, 'Kind');
    checkInteger(length, 'length', 0, 0x7fffffff);
    const byteLength = length * Kind.BYTES_PER_ELEMENT;
    const ptr = this.heap.allocate(byteLength);
    this.views.ensure(ptr + byteLength);
    return new Kind(this.views.buffer as never, ptr, length) as InstanceType<C>;
  }

  /** A zero-filled `rows` x `cols` row-major matrix. */
  allocMatrix<C extends TypedArrayConstructor>(Kind: C, rows: number, cols: number): SharedMatrix<InstanceType<C>> {
    checkInteger(rows, 'rows', 0, 0x7fffffff);
    checkInteger(cols, 'cols', 0, 0x7fffffff);
    return new SharedMatrix(this.alloc(Kind, rows * cols), rows, cols);
  }

  /** Returns an array (or matrix) from `alloc` to the heap. Its views must not be used afterwards. */
  free(value: TypedArray | SharedMatrix<TypedArray>): void {
    const array = value instanceof SharedMatrix ? value.data : value;
    if (!ArrayBuffer.isView(array) || !this.views.owns(array.buffer)) {
      throw new ArgumentTypeError('value', `\`value\` must be an array from alloc (in the shared memory); got ${describe(value)}`);
    }
    if (this.freed.has(array)) {
      throw new InvalidFreeError(`cannot free address ${array.byteOffset}: this array was freed already (its memory may belong to another array by now)`);
    }
    this.heap.free(array.byteOffset, array.byteLength);
    this.freed.add(array);
  }

  /** Whether `value` is a typed array in this shared memory. */
  isShared(value: unknown): boolean {
    return ArrayBuffer.isView(value) && this.views.owns(value.buffer);
  }
}

/**
 * Allocations released together: `using scope = pool.scope()` frees every
 * array allocated through the scope when the block ends (or call `release`).
 */
export class AllocationScope {
  private readonly owned: (TypedArray | SharedMatrix<TypedArray>)[] = [];

  constructor(private readonly allocator: SharedAllocator) {}

  /** A zero-filled shared array, freed with the scope. */
  alloc<C extends TypedArrayConstructor>(Kind: C, length: number): InstanceType<C> {
    const array = this.allocator.alloc(Kind, length);
    this.owned.push(array);
    return array;
  }

  /** See {@link SharedAllocator.allocUninitialized}. */
  allocUninitialized<C extends TypedArrayConstructor>(Kind: C, length: number): InstanceType<C> {
    const array = this.allocator.allocUninitialized(Kind, length);
    this.owned.push(array);
    return array;
  }

  /** A zero-filled shared `rows` × `cols` matrix, freed with the scope. */
  allocMatrix<C extends TypedArrayConstructor>(Kind: C, rows: number, cols: number): SharedMatrix<InstanceType<C>> {
    const matrix = this.allocator.allocMatrix(Kind, rows, cols);
    this.owned.push(matrix);
    return matrix;
  }

  /** Frees one array allocated through this scope before the rest (no task may still use it). */
  free(value: TypedArray | SharedMatrix<TypedArray>): void {
    const index = this.owned.indexOf(value);
    if (index < 0) throw new InvalidFreeError(`AllocationScope.free: ${describe(value)} was not allocated through this scope, or was freed already`);
    this.allocator.free(value); // first: if it fails (the heap's lock held by a dead worker), the scope still owns it
    this.owned.splice(index, 1);
  }

  /**
   * Frees everything allocated through this scope. Idempotent. Frees every array it can even when one
   * fails, and throws the first failure after: arrays whose free failed while the heap was locked stay
   * owned (a later release frees them); one that is no longer allocated (freed outside the scope) does not.
   */
  release(): void {
    let failure: { error: unknown } | undefined;
    const kept: (TypedArray | SharedMatrix<TypedArray>)[] = [];
    for (const value of this.owned.splice(0)) {
      try {
        this.allocator.free(value);
      } catch (error) {
        failure ??= { error };
        if (!(error instanceof InvalidFreeError)) kept.push(value);
      }
    }
    this.owned.push(...kept);
    if (failure) throw failure.error;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
