// A worker's kernels keep one scratch block, grown on demand (bindKernels). When growing it fails (the
// pool's memory is full), the old block is already freed: a later call must neither use it nor free it
// again. (It did both: a fast LZ4 call then wrote its hash table into memory handed to someone else, and
// the next growth freed that memory a second time.)
import { describe, expect, it } from 'vitest';
import { OutOfMemoryError } from '../../src/errors.js';
import { loadKernelModule } from '#platform';
import { bindKernels, kernels } from '../../src/wasm/kernels.js';
import { bareHeap } from '../helpers.js';

describe('kernel scratch', () => {
  it('a scratch block that cannot grow is forgotten, not used or freed again', async () => {
    const { views, heap, allocator } = bareHeap(64, 64);
    let refuse = false;
    const bound = bindKernels(
      await loadKernelModule(),
      views,
      (bytes) => {
        if (refuse) throw new OutOfMemoryError(`refused ${bytes} bytes`);
        return heap.allocate(bytes);
      },
      (ptr) => heap.free(ptr),
    );
    const fast = bound[kernels.lz4CompressBlock.index] as (src: Uint8Array, dst: Uint8Array, acceleration: number) => number;
    const chains = bound[kernels.lz4CompressBlockHc.index] as (src: Uint8Array, dst: Uint8Array, attempts: number) => number;
    const src = allocator.alloc(Uint8Array, 4096).fill(42);
    const dst = allocator.alloc(Uint8Array, 8192);
    expect(fast(src, dst, 1)).toBeGreaterThan(0); // takes the fast compressor's scratch
    refuse = true;
    expect(() => chains(src, dst, 8)).toThrow(OutOfMemoryError); // frees it to grow, and cannot
    refuse = false;
    const before = heap.statistics().usedBytes;
    expect(fast(src, dst, 1)).toBeGreaterThan(0); // a new block, not the freed one
    expect(heap.statistics().usedBytes).toBeGreaterThan(before);
    expect(chains(src, dst, 8)).toBeGreaterThan(0); // grows again: frees the new block once
  });
});
