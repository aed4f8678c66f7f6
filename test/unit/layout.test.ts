import { describe, expect, it } from 'vitest';
import { HEAP_START, RING_BYTES, SLOTS_PTR, SLOT_BYTES, SLOT_COUNT, FUNCTIONS_PTR, PAGE_BYTES } from '../../src/memory/layout.js';
import { instantiateKernels } from '../../src/wasm/kernels.js';
import { KernelErrorReporter } from '../../src/wasm/kernel-errors.js';
import { loadKernelModule } from '#platform';

describe('memory layout', () => {
  it('the kernels were built with the same HEAP_START as the runtime', async () => {
    const memory = new WebAssembly.Memory({ initial: HEAP_START / PAGE_BYTES + 1, maximum: 65536, shared: true });
    const exports = instantiateKernels(await loadKernelModule(), memory, new KernelErrorReporter());
    expect(exports.heapStart()).toBe(HEAP_START);
  });

  it('regions do not overlap and the heap starts on a page boundary', () => {
    expect(RING_BYTES % 64).toBe(0);
    expect(SLOTS_PTR % 64).toBe(0);
    expect(FUNCTIONS_PTR).toBe(SLOTS_PTR + SLOT_COUNT * SLOT_BYTES);
    expect(HEAP_START % PAGE_BYTES).toBe(0);
    expect(HEAP_START).toBeGreaterThan(FUNCTIONS_PTR);
  });
});
