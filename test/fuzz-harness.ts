// The loop both decoder fuzz tests share: feed random bytes and bit-flipped
// valid inputs to a decoder over shared memory, with guard bytes around its
// output, and fail on any write outside [dst, dst + capacity) or any result
// that is neither a length within the capacity nor a known error code.
import { expect } from 'vitest';
import type { MemoryViews } from '../src/memory/views.js';

export interface FuzzTarget {
  views: MemoryViews;
  /** Where inputs are copied before each call. */
  srcPtr: number;
  /** Start of the output area: GUARD bytes, `capacity` bytes, GUARD bytes. */
  outPtr: number;
  capacity: number;
  /** Valid encoded inputs to mutate. */
  seeds: Uint8Array[];
  /** Decodes `length` bytes at srcPtr into outPtr + GUARD with `capacity`; returns a length or an error code. */
  decode(length: number, capacity: number): number;
  /** The most negative error code the decoder may return. */
  lowestError: number;
  /** Called after a successful decode (extra checks). */
  onDecoded?(result: number, input: Uint8Array): void;
}

export const GUARD = 64;
/** What the guards are filled with: any other byte there was written by the code under test. */
export const GUARD_BYTE = 0xa5;

/** Where a fuzz test puts its inputs and outputs: a 64 KiB input area, and an output of `capacity` bytes between guards. */
export function fuzzArea(heap: { allocate(bytes: number): number }, capacity: number): { srcPtr: number; outPtr: number; dst: number } {
  const srcPtr = heap.allocate(1 << 16);
  const outPtr = heap.allocate(capacity + 2 * GUARD);
  return { srcPtr, outPtr, dst: outPtr + GUARD };
}

/** Runs `inputs` cases; returns how many decoded successfully. */
export function fuzzDecoder(target: FuzzTarget, inputs: number, seed: number): number {
  let state = seed >>> 0 || 1;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  const { views, srcPtr, outPtr, capacity, seeds } = target;
  const dst = outPtr + GUARD;
  let decoded = 0;
  for (let n = 0; n < inputs; n++) {
    let input: Uint8Array;
    if (n % 3 === 0) {
      input = new Uint8Array(next() % 96);
      for (let i = 0; i < input.length; i++) input[i] = next() & 255;
    } else {
      input = seeds[next() % seeds.length]!.slice();
      for (let m = 0, count = 1 + (next() % 3); m < count; m++) {
        const at = next() % input.length;
        input[at] = input[at]! ^ (1 << (next() % 8));
      }
      if (next() % 4 === 0) input = input.subarray(0, next() % (input.length + 1));
    }
    views.u8.fill(GUARD_BYTE, outPtr, outPtr + capacity + 2 * GUARD);
    views.u8.set(input, srcPtr);
    const cap = next() % (capacity + 1);
    const result = target.decode(input.length, cap);
    if (result >= 0) {
      decoded++;
      expect(result).toBeLessThanOrEqual(cap);
      target.onDecoded?.(result, input);
    } else {
      expect(result).toBeGreaterThanOrEqual(target.lowestError);
    }
    const memory = views.u8;
    for (let g = 0; g < GUARD; g++) {
      if (memory[outPtr + g] !== GUARD_BYTE || memory[dst + capacity + g] !== GUARD_BYTE) throw new Error(`write outside the output for input #${n}: ${Array.from(input)}`);
    }
    for (let i = dst + cap; i < dst + capacity; i++) if (memory[i] !== GUARD_BYTE) throw new Error(`write past the capacity for input #${n}: ${Array.from(input)}`);
  }
  return decoded;
}
