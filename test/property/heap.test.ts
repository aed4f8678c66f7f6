import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeapLockedError, InvalidFreeError, OutOfMemoryError } from '../../src/errors.js';
import { SharedHeap } from '../../src/memory/heap.js';
import { CONTROL, HEAP_START } from '../../src/memory/layout.js';
import { AllocationScope } from '../../src/memory/allocator.js';
import { MemoryViews } from '../../src/memory/views.js';
import { bareHeap } from '../helpers.js';

type Op = { kind: 'alloc'; bytes: number } | { kind: 'free'; pick: number };

const ops = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('alloc' as const), bytes: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 300_000 })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  ),
  { maxLength: 200 },
);

describe('SharedHeap (property: random alloc/free sequences against a model)', () => {
  it('keeps live blocks disjoint, aligned, inside the heap, and their contents intact', () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const { views, heap } = bareHeap(4, 512);
        const live: { ptr: number; bytes: number; pattern: number }[] = [];
        let pattern = 1;
        for (const op of sequence) {
          if (op.kind === 'alloc') {
            const ptr = heap.allocate(op.bytes);
            expect(ptr % 16).toBe(0);
            expect(ptr).toBeGreaterThanOrEqual(HEAP_START + 16);
            views.ensure(ptr + op.bytes);
            expect(ptr + op.bytes).toBeLessThanOrEqual(views.memory.buffer.byteLength);
            for (const other of live) expect(ptr + op.bytes <= other.ptr || other.ptr + other.bytes <= ptr).toBe(true);
            views.u8.fill(pattern & 255, ptr, ptr + op.bytes);
            expect(heap.sizeOf(ptr)).toBe(op.bytes);
            live.push({ ptr, bytes: op.bytes, pattern: pattern++ & 255 });
          } else if (live.length > 0) {
            const [victim] = live.splice(op.pick % live.length, 1);
            const bytes = views.u8.subarray(victim!.ptr, victim!.ptr + victim!.bytes);
            expect(bytes.every((b) => b === victim!.pattern)).toBe(true);
            heap.free(victim!.ptr);
            expect(heap.sizeOf(victim!.ptr)).toBe(-1);
          }
        }
        for (const block of live) heap.free(block.ptr);
        // Everything merged back: the whole heap is one free block again.
        expect(heap.statistics().usedBytes).toBe(0);
        const whole = heap.statistics().heapBytes - 16;
        const ptr = heap.allocate(whole);
        expect(ptr).toBe(HEAP_START + 16);
      }),
      { numRuns: 60 },
    );
  });

  it('grows the memory when no block fits, and fails with OutOfMemoryError past the maximum without corrupting the heap', () => {
    const { views, heap } = bareHeap(1, 64);
    const before = views.memory.buffer.byteLength;
    const a = heap.allocate(1024 * 1024);
    expect(views.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(() => heap.allocate(8 * 1024 * 1024)).toThrow(OutOfMemoryError);
    expect(() => heap.allocate(8 * 1024 * 1024)).toThrow(/cannot grow past/);
    heap.free(a);
    expect(heap.statistics().usedBytes).toBe(0);
    expect(heap.allocate(2 * 1024 * 1024)).toBeGreaterThan(0);
  });

  it('refuses requests near 2 GiB with OutOfMemoryError (their rounding once wrapped to a 32-byte block)', () => {
    const { heap } = bareHeap();
    for (const bytes of [2 ** 31 - 1, 2 ** 31 - 8, 2 ** 31 + 8, 2 ** 32 - 1]) expect(() => heap.allocate(bytes), `${bytes}`).toThrow(OutOfMemoryError);
    expect(heap.statistics().usedBytes).toBe(0);
  });

  it('refuses to free addresses it never handed out, and double frees', () => {
    const { heap } = bareHeap();
    const ptr = heap.allocate(100);
    expect(() => heap.free(ptr + 16)).toThrow(InvalidFreeError);
    expect(() => heap.free(12)).toThrow(InvalidFreeError);
    heap.free(ptr);
    expect(() => heap.free(ptr)).toThrow(/freed twice/);
  });

  it('refuses a view of part of a block, and a block header forged in an array\'s own bytes', () => {
    const { allocator, heap } = bareHeap();
    const k = allocator.alloc(Float64Array, 100);
    expect(() => allocator.free(k.subarray(0, 1))).toThrow(/holds 800 \(free the whole array/);
    // An Int32Array whose first words copy a used block's header, freed from past them.
    const before = allocator.alloc(Uint8Array, 64);
    const forged = allocator.alloc(Int32Array, 64);
    allocator.free(before);
    forged.set([64, forged.byteOffset - before.byteOffset, 0x55534544, 48]);
    expect(() => heap.free(forged.byteOffset + 16)).toThrow(InvalidFreeError);
    allocator.free(forged);
    allocator.free(k);
    expect(heap.statistics().usedBytes).toBe(0);
    expect(heap.allocate(1 << 20)).toBeGreaterThan(0); // and the heap still serves
  });

  it('a scope frees every array it can when one free fails, and keeps those the locked heap could not take', () => {
    const { views, allocator, heap } = bareHeap();
    const scope = new AllocationScope(allocator);
    const [a, b, c] = [scope.alloc(Uint8Array, 100), scope.alloc(Uint8Array, 200), scope.alloc(Uint8Array, 300)];
    allocator.free(b); // freed outside the scope: its release of b fails
    expect(() => scope.release()).toThrow(InvalidFreeError);
    expect(heap.statistics().usedBytes).toBe(0); // a and c freed all the same
    const d = scope.alloc(Uint8Array, 64);
    const patience = SharedHeap.lockPatienceMs;
    SharedHeap.lockPatienceMs = 20;
    try {
      Atomics.store(views.i32, CONTROL.HEAP_LOCK, 99); // held by a thread that died
      expect(() => scope.free(d)).toThrow(HeapLockedError);
      expect(() => scope.release()).toThrow(HeapLockedError);
      SharedHeap.releaseIfHeldBy(views.i32, 99);
      scope.release(); // d was kept: freed now
      expect(heap.statistics().usedBytes).toBe(0);
    } finally {
      SharedHeap.lockPatienceMs = patience;
    }
    void a, void c;
  });

  it("a free that waited for the lock while another thread grew the heap merges with the new memory's block", () => {
    // Two threads' views of one memory; the other thread grows the heap just as this one takes the lock.
    const { views, heap } = bareHeap(4, 512);
    const otherViews = new MemoryViews(views.memory);
    const other = new SharedHeap(otherViews, 2, views.memory.buffer.byteLength + 512 * 65536);
    const free = heap.allocate(1 << 20);
    // The rest of the heap in one block, so that it ends the heap (16: a block's header).
    const { heapBytes: before, usedBytes } = heap.statistics();
    const last = heap.allocate(before - usedBytes - 16);
    expect(heap.statistics().heapBytes).toBe(before);
    heap.free(free);
    const lock = (heap as unknown as { lock(): void }).lock.bind(heap);
    let grown = 0;
    (heap as unknown as { lock(): void }).lock = () => {
      (heap as unknown as { lock(): void }).lock = lock;
      grown = other.allocate(4 << 20); // past the end this thread last saw
      lock();
    };
    heap.free(last);
    other.free(grown);
    expect(heap.statistics().usedBytes).toBe(0);
    // One free block from the start to the end: as large an allocation as the heap holds fits without growing.
    const heapBytes = heap.statistics().heapBytes;
    const whole = heap.allocate(heapBytes - 64);
    expect(heap.statistics().heapBytes).toBe(heapBytes);
    heap.free(whole);
  });

  it('gives up with HeapLockedError when the lock stays taken (a holder that died inside an allocation)', () => {
    const { views, heap } = bareHeap();
    const ptr = heap.allocate(100);
    const patience = SharedHeap.lockPatienceMs;
    SharedHeap.lockPatienceMs = 50;
    try {
      Atomics.store(views.i32, CONTROL.HEAP_LOCK, 99); // a thread tag no live thread has
      expect(() => heap.allocate(64)).toThrow(HeapLockedError);
      expect(() => heap.free(ptr)).toThrow(/held for over 50 ms by thread tag 99/);
      // Released (as the pool does when that worker's exit is reported): the heap is intact.
      expect(SharedHeap.releaseIfHeldBy(views.i32, 99)).toBe(true);
      heap.free(ptr);
      expect(heap.statistics().usedBytes).toBe(0);
    } finally {
      SharedHeap.lockPatienceMs = patience;
    }
  });
});
