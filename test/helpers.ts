// Test helpers: a bare shared memory with an initialised heap, no workers.
import { SharedAllocator } from '../src/memory/allocator.js';
import { SharedHeap } from '../src/memory/heap.js';
import { HEAP_START, PAGE_BYTES } from '../src/memory/layout.js';
import { MemoryViews } from '../src/memory/views.js';

export function bareHeap(heapPages = 16, maximumPages = 256): { views: MemoryViews; heap: SharedHeap; allocator: SharedAllocator } {
  const memory = new WebAssembly.Memory({ initial: HEAP_START / PAGE_BYTES + heapPages, maximum: HEAP_START / PAGE_BYTES + maximumPages, shared: true });
  const views = new MemoryViews(memory);
  SharedHeap.initialize(views);
  const heap = new SharedHeap(views, 1, (HEAP_START / PAGE_BYTES + maximumPages) * PAGE_BYTES);
  return { views, heap, allocator: new SharedAllocator(views, heap) };
}
