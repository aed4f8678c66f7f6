// The DEFLATE decoder against hostile input: random bytes and bit flips of
// valid streams. Whatever the input, it returns a length within the capacity
// or a negative error code, and writes nothing outside its output (guard
// bytes on both sides stay intact).
import * as fflate from 'fflate';
import { describe, expect, it } from 'vitest';
import { loadKernelModule } from '#platform';
import { instantiateKernels } from '../../src/wasm/kernels.js';
import { KernelErrorReporter } from '../../src/wasm/kernel-errors.js';
import { bareHeap } from '../helpers.js';

const FUZZ_INPUTS = 500_000;
const GUARD = 64;

describe('DEFLATE decoder fuzz', () => {
  it(`survives ${FUZZ_INPUTS.toLocaleString('en-US')} random and mutated streams without writing outside its output`, { timeout: 180_000 }, async () => {
    const { views, heap } = bareHeap(64, 64);
    const k = instantiateKernels(await loadKernelModule(), views.memory, new KernelErrorReporter());
    const scratch = heap.allocate(k.inflateScratchBytes());
    const srcPtr = heap.allocate(1 << 16);
    const capacity = 8192;
    const outPtr = heap.allocate(capacity + 2 * GUARD);
    const dst = outPtr + GUARD;
    const seeds = [0, 1, 6, 9].flatMap((level) =>
      [12, 200, 3000].map((n) => fflate.deflateSync(new TextEncoder().encode(`seed ${n}: ` + 'abcabd xyz '.repeat(n / 10) + String(level).repeat(n % 97)), { level: level as 0 | 1 | 6 | 9 })),
    );
    let state = 987654321;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    let decoded = 0;
    for (let n = 0; n < FUZZ_INPUTS; n++) {
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
      const memory = views.u8;
      memory.fill(0xa5, outPtr, outPtr + capacity + 2 * GUARD);
      memory.set(input, srcPtr);
      const cap = next() % (capacity + 1);
      const result = k.inflate_raw(srcPtr, input.length, dst, cap, scratch);
      if (result >= 0) {
        decoded++;
        expect(result).toBeLessThanOrEqual(cap);
        expect(k.inflateConsumed(scratch)).toBeLessThanOrEqual(input.length);
      } else {
        expect(result).toBeGreaterThanOrEqual(-7);
      }
      for (let g = 0; g < GUARD; g++) {
        if (memory[outPtr + g] !== 0xa5 || memory[dst + capacity + g] !== 0xa5) throw new Error(`write outside the output for input #${n}: ${Array.from(input)}`);
      }
      for (let i = dst + cap; i < dst + capacity; i++) if (memory[i] !== 0xa5) throw new Error(`write past the capacity for input #${n}`);
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
