// Test helpers: a bare shared memory with an initialised heap, no workers; the kernels over it.
import { SharedAllocator } from '../src/memory/allocator.js';
import { SharedHeap } from '../src/memory/heap.js';
import { HEAP_START, PAGE_BYTES } from '../src/memory/layout.js';
import { MemoryViews } from '../src/memory/views.js';
import { loadKernelModule } from '#platform';
import { instantiateKernels } from '../src/wasm/kernels.js';
import { KernelErrorReporter } from '../src/wasm/kernel-errors.js';
import type { KernelVariant } from '../src/wasm/variant.js';

export function bareHeap(heapPages = 16, maximumPages = 256): { views: MemoryViews; heap: SharedHeap; allocator: SharedAllocator } {
  const memory = new WebAssembly.Memory({ initial: HEAP_START / PAGE_BYTES + heapPages, maximum: HEAP_START / PAGE_BYTES + maximumPages, shared: true });
  const views = new MemoryViews(memory);
  SharedHeap.initialize(views);
  const heap = new SharedHeap(views, 1, (HEAP_START / PAGE_BYTES + maximumPages) * PAGE_BYTES);
  return { views, heap, allocator: new SharedAllocator(views, heap) };
}

/** A bare heap with the kernels (the build the platform prefers, or `variant`) instantiated over its memory on this thread. */
export async function bareKernels(heapPages = 64, maximumPages = 64, variant?: KernelVariant) {
  const bare = bareHeap(heapPages, maximumPages);
  const kernels = instantiateKernels(await loadKernelModule(variant), bare.views.memory, new KernelErrorReporter());
  return { ...bare, kernels };
}

/** `length` bytes of xorshift32 noise: incompressible (LZ4 stores its blocks as they are). */
export function randomBytes(length: number, seed = 2463534242): Uint8Array {
  const data = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x;
  }
  return data;
}

/**
 * `length` bytes that compressors shrink only to ~5/6 (LZ4) or ~4/5 (DEFLATE): in every 80, 64 random
 * bytes and 16 repeated from 48 back. Compressed, they stay about as large as the input, yet are not
 * stored as they are, so their decoding runs tasks.
 */
export function barelyCompressible(length: number): Uint8Array {
  const data = randomBytes(length);
  for (let i = 0; i < length; i++) if (i % 80 >= 64) data[i] = data[i - 48]!;
  return data;
}

/** Seeded values in [-0.5, 0.5) (a 32-bit linear congruential generator): the same inputs on every run. */
export function uniformNoise(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) | 0) >>> 8) / 2 ** 24 - 0.5;
}
