// The DEFLATE decoder against hostile input: random bytes and bit flips of
// valid streams. Whatever the input, it returns a length within the capacity
// or a negative error code, and writes nothing outside its output (guard
// bytes on both sides stay intact).
import * as fflate from 'fflate';
import { describe, expect, it } from 'vitest';
import { fuzzArea, fuzzDecoder } from '../fuzz-harness.js';
import { bareKernels } from '../helpers.js';

const FUZZ_INPUTS = 500_000;

describe('DEFLATE decoder fuzz', () => {
  it(`survives ${FUZZ_INPUTS.toLocaleString('en-US')} random and mutated streams without writing outside its output`, { timeout: 180_000 }, async () => {
    const { views, heap, kernels: k } = await bareKernels();
    const scratch = heap.allocate(k.inflateScratchBytes());
    const capacity = 8192;
    const { srcPtr, outPtr, dst } = fuzzArea(heap, capacity);
    const seeds = [0, 1, 6, 9].flatMap((level) =>
      [12, 200, 3000].map((n) => fflate.deflateSync(new TextEncoder().encode(`seed ${n}: ` + 'abcabd xyz '.repeat(n / 10) + String(level).repeat(n % 97)), { level: level as 0 | 1 | 6 | 9 })),
    );
    const decoded = fuzzDecoder(
      {
        views,
        srcPtr,
        outPtr,
        capacity,
        seeds,
        lowestError: -7,
        decode: (length, cap) => k.inflate_raw(srcPtr, length, dst, cap, scratch),
        onDecoded: (_, input) => expect(k.inflateConsumed(scratch)).toBeLessThanOrEqual(input.length),
      },
      FUZZ_INPUTS,
      987654321,
    );
    expect(decoded).toBeGreaterThan(0);
  });
});
