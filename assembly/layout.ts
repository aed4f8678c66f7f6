// The shared-memory layout, as far as kernels need it.
//
// One WebAssembly.Memory is shared by every worker of a pool and by the main
// thread. Its low part belongs to the runtime (queues, task slots, allocator
// state); kernels may only touch the heap above HEAP_START. The full layout,
// with its diagram, lives in src/memory/layout.ts; a test checks that the
// constant below agrees with it (kernels export `heapStart()` for that).

/** First byte of the heap. Everything below is runtime control state. */
export const HEAP_START: u32 = 5570560; // 85 pages of 64 KiB: see src/memory/layout.ts
