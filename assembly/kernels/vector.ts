// Vector kernels over float64 arrays: the smallest useful kernels, used by
// the Pool's tests and benchmarks and by examples. Each entry validates its
// ranges first (see guard.ts), then runs a SIMD body over pairs of lanes and
// a scalar tail.

import { checkRange, fail, E_LENGTH_MISMATCH } from "./guard";

/** Sum of `length` float64 values at `ptr`. */
export function sum_f64(ptr: usize, length: i32): f64 {
  checkRange(ptr, length, 8, 0);
  let acc = f64x2.splat(0);
  const pairs = length & ~1;
  let i = 0;
  // body: two lanes at a time
  for (; i < pairs; i += 2) acc = f64x2.add(acc, v128.load(ptr + (<usize>i << 3)));
  let total = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  // tail: at most one element
  for (; i < length; i++) total += load<f64>(ptr + (<usize>i << 3));
  return total;
}

/** Sets `length` float64 values at `ptr` to `value`. */
export function fill_f64(ptr: usize, length: i32, value: f64): void {
  checkRange(ptr, length, 8, 0);
  const v = f64x2.splat(value);
  const pairs = length & ~1;
  let i = 0;
  for (; i < pairs; i += 2) v128.store(ptr + (<usize>i << 3), v);
  for (; i < length; i++) store<f64>(ptr + (<usize>i << 3), value);
}

/** y[i] += alpha * x[i] for `length` float64 values. */
export function axpy_f64(alpha: f64, xPtr: usize, xLength: i32, yPtr: usize, yLength: i32): void {
  checkRange(xPtr, xLength, 8, 1);
  checkRange(yPtr, yLength, 8, 3);
  if (xLength != yLength) fail(E_LENGTH_MISMATCH, 4, <f64>yLength);
  const a = f64x2.splat(alpha);
  const pairs = xLength & ~1;
  let i = 0;
  for (; i < pairs; i += 2) {
    const offset = <usize>i << 3;
    v128.store(yPtr + offset, f64x2.add(v128.load(yPtr + offset), f64x2.mul(a, v128.load(xPtr + offset))));
  }
  for (; i < xLength; i++) {
    const offset = <usize>i << 3;
    store<f64>(yPtr + offset, load<f64>(yPtr + offset) + alpha * load<f64>(xPtr + offset));
  }
}
