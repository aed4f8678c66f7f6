// Pointer validation shared by every kernel entry.
//
// Kernels receive raw byte addresses into the shared memory. Before touching
// anything they check that each range lies inside the heap (never the control
// region below HEAP_START, never past the end of memory) and is aligned for
// its element type. A bad call reports a numbered error through the imported
// `kernelError` (decoded into a KernelError on the JS side, see
// src/wasm/kernel-errors.ts) and traps: nothing is written.

import { HEAP_START } from "../layout";

/** Error codes; the same numbers are listed in src/wasm/kernel-errors.ts. */
export const E_RANGE_OUTSIDE_HEAP: i32 = 1;
export const E_MISALIGNED: i32 = 2;
export const E_NEGATIVE_LENGTH: i32 = 3;
export const E_LENGTH_MISMATCH: i32 = 4;
export const E_BAD_DIMENSION: i32 = 5;

// Reports a failed check and traps. `argument` is the 0-based index of the
// offending kernel argument; `value` is what it received.
@external("wyvern", "kernelError")
declare function kernelError(code: i32, argument: i32, value: f64): void;

@inline
export function fail(code: i32, argument: i32, value: f64): void {
  kernelError(code, argument, value);
  unreachable();
}

/** Checks that `length` elements of `elementBytes` bytes at `ptr` are inside the heap. */
export function checkRange(ptr: usize, length: i32, elementBytes: u32, argument: i32): void {
  if (length < 0) fail(E_NEGATIVE_LENGTH, argument + 1, <f64>length);
  if (ptr & (elementBytes - 1)) fail(E_MISALIGNED, argument, <f64>ptr);
  const memoryEnd = <u64>memory.size() << 16;
  const end = <u64>ptr + <u64>length * <u64>elementBytes;
  if (<u64>ptr < <u64>HEAP_START || end > memoryEnd) fail(E_RANGE_OUTSIDE_HEAP, argument, <f64>ptr);
}
