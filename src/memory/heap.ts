/**
 * The shared heap: a boundary-tag allocator (next fit; first fit for large blocks) over the part of the
 * memory above HEAP_START, usable from every thread at once.
 *
 * ```
 *  block:  ┌────────────┬────────────┬────────────┬────────────┬──────────────┐
 *          │ size (u32) │ prev size  │ tag        │ requested  │ data …       │
 *          │ incl. hdr  │ (0: first) │ FREE/USED  │ bytes      │ 16-aligned   │
 *          └────────────┴────────────┴────────────┴────────────┴──────────────┘
 *          blockPtr                                             blockPtr + 16 = the pointer handed out
 * ```
 *
 * Blocks tile [HEAP_START, HEAP_END) with no gaps, so the next block is at
 * `ptr + size` and the previous at `ptr - prevSize`; free neighbours are
 * merged on `free`. The tag words are magic numbers, so freeing a pointer the
 * heap never handed out (or twice) is detected instead of corrupting it.
 *
 * One spin lock (CONTROL.HEAP_LOCK) guards the block list. It holds the
 * holder's thread tag, so when a worker dies holding it the pool can release
 * it (`releaseIfHeldBy`). Spinning, not `Atomics.wait`, because the browser's
 * main thread may not block and critical sections are a few hundred ns. The
 * spin gives up after `lockPatienceMs` with HeapLockedError: the release of a
 * dead holder's lock comes with its exit event, which the main thread could
 * never receive while it spins.
 * When no block fits, the holder grows the memory; other threads see the new
 * length through `MemoryViews.refresh`.
 */

import { HeapLockedError, InvalidFreeError, OutOfMemoryError } from '../errors.js';
import { CONTROL, HEAP_START, PAGE_BYTES } from './layout.js';
import type { MemoryViews } from './views.js';

export const BLOCK_HEADER_BYTES = 16;
const MIN_BLOCK_BYTES = 32;
/** From this size on, a block is placed first fit from the start of the heap (see findFit). */
const LARGE_BLOCK_BYTES = 1 << 20;
const FREE_TAG = 0x46524545 | 0; // "FREE"
const USED_TAG = 0x55534544 | 0; // "USED"
// Header words, relative to the block's first word.
const SIZE = 0;
const PREV_SIZE = 1;
const TAG = 2;
const REQUESTED = 3;

// Arithmetic, not `& ~15`: bitwise operators wrap at 2^31, and a request near 2 GiB became a 32-byte block.
const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Formats a byte count for messages: `1.5 GiB`, `12 KiB`, `100 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The shared heap's use, from `pool.heapStatistics()`. */
export interface HeapStatistics {
  /** Bytes in use, block headers included. */
  usedBytes: number;
  /** Bytes the heap spans now (it grows on demand). */
  heapBytes: number;
  /** Bytes the heap may grow to. */
  maximumBytes: number;
}

export class SharedHeap {
  /**
   * @param views this thread's views of the memory
   * @param threadTag non-zero tag identifying this thread as a lock holder
   * @param maximumBytes the memory's maximum size, for error messages
   */
  constructor(
    private readonly views: MemoryViews,
    private readonly threadTag: number,
    readonly maximumBytes: number,
  ) {}

  /** Lays out one free block over the whole heap. Only before any thread uses it. */
  static initialize(views: MemoryViews): void {
    const end = views.memory.buffer.byteLength;
    const words = views.i32;
    writeHeader(words, HEAP_START, end - HEAP_START, 0, FREE_TAG, 0);
    Atomics.store(words, CONTROL.HEAP_END, end);
    Atomics.store(words, CONTROL.HEAP_ROVER, HEAP_START);
    Atomics.store(words, CONTROL.HEAP_USED, 0);
    Atomics.store(words, CONTROL.HEAP_LOCK, 0);
  }

  /** Allocates `byteLength` bytes, 16-byte aligned; returns the address of the first one. */
  allocate(byteLength: number): number {
    const need = Math.max(MIN_BLOCK_BYTES, align16(byteLength) + BLOCK_HEADER_BYTES);
    if (need > this.maximumBytes - HEAP_START) throw this.outOfMemory(byteLength);
    this.lock();
    try {
      let block = this.findFit(need);
      if (block < 0) block = this.grow(need, byteLength);
      this.claim(block, need, byteLength);
      return block + BLOCK_HEADER_BYTES;
    } finally {
      this.unlock();
    }
  }

  /**
   * Returns the block at `ptr` (an address `allocate` gave) to the heap. `byteLength`, when given, must be
   * the length allocated there: a view of part of a block does not free it.
   */
  free(ptr: number, byteLength?: number): void {
    const block = ptr - BLOCK_HEADER_BYTES;
    if (!Number.isInteger(ptr) || ptr & 15 || block < HEAP_START || ptr >= Atomics.load(this.views.i32, CONTROL.HEAP_END)) {
      throw new InvalidFreeError(`cannot free address ${ptr}: it is not inside the shared heap`);
    }
    this.lock();
    try {
      // The end read under the lock: another thread may have grown the heap while this one waited for it,
      // and the block after this one may lie in the new memory (its PREV_SIZE must be updated there).
      const end = this.views.i32[CONTROL.HEAP_END]!;
      this.views.ensure(end);
      if (!this.isAllocatedBlock(block, end)) {
        throw new InvalidFreeError(`cannot free address ${ptr}: not an allocated block (freed twice, or not from this heap)`);
      }
      const requested = this.views.i32[(block >> 2) + REQUESTED]!;
      if (byteLength !== undefined && byteLength !== requested) {
        throw new InvalidFreeError(`cannot free ${byteLength} bytes at address ${ptr}: the block there holds ${requested} (free the whole array that alloc gave, not a view of part of it)`);
      }
      this.release(block);
    } finally {
      this.unlock();
    }
  }

  /**
   * Whether `block` heads a used block, by its tag and by its neighbours' agreement with its size: the tag
   * alone sits where an array's own bytes could forge it (a sub-array freed as if it were a block).
   */
  private isAllocatedBlock(block: number, end: number): boolean {
    const w = this.views.i32;
    if (w[(block >> 2) + TAG] !== USED_TAG) return false;
    const size = w[block >> 2]! >>> 0;
    if (size < MIN_BLOCK_BYTES || size & 15 || block + size > end) return false;
    const next = block + size;
    if (next < end && w[(next >> 2) + PREV_SIZE]! >>> 0 !== size) return false;
    const prevSize = w[(block >> 2) + PREV_SIZE]! >>> 0;
    if (prevSize === 0) return block === HEAP_START;
    return !(prevSize & 15) && block - prevSize >= HEAP_START && (w[(block - prevSize) >> 2]! >>> 0) === prevSize;
  }

  /** Requested byte length of the live allocation at `ptr`, or -1 if there is none. */
  sizeOf(ptr: number): number {
    const block = ptr - BLOCK_HEADER_BYTES;
    const end = Atomics.load(this.views.i32, CONTROL.HEAP_END);
    if (ptr & 15 || block < HEAP_START || ptr >= end) return -1;
    this.views.ensure(end);
    const w = this.views.i32;
    return w[(block >> 2) + TAG] === USED_TAG ? w[(block >> 2) + REQUESTED]! : -1;
  }

  statistics(): HeapStatistics {
    const words = this.views.i32;
    return {
      usedBytes: Atomics.load(words, CONTROL.HEAP_USED) >>> 0,
      heapBytes: (Atomics.load(words, CONTROL.HEAP_END) >>> 0) - HEAP_START,
      maximumBytes: this.maximumBytes - HEAP_START,
    };
  }

  /** Frees the lock if a thread that died held it (its critical section is lost with it). */
  static releaseIfHeldBy(words: Int32Array, threadTag: number): boolean {
    return Atomics.compareExchange(words, CONTROL.HEAP_LOCK, threadTag, 0) === threadTag;
  }

  /** How long lock() spins before it gives up (a critical section takes well under a millisecond). */
  static lockPatienceMs = 2000;

  private lock(): void {
    const words = this.views.i32;
    let deadline = 0;
    for (let attempt = 1; Atomics.compareExchange(words, CONTROL.HEAP_LOCK, 0, this.threadTag) !== 0; attempt++) {
      // Critical sections are short; a tight retry is cheaper than any sleep. The clock is read rarely.
      if ((attempt & 0xfff) !== 0) continue;
      const now = performance.now();
      if (deadline === 0) deadline = now + SharedHeap.lockPatienceMs;
      else if (now > deadline) {
        throw new HeapLockedError(
          `the shared heap's lock has been held for over ${SharedHeap.lockPatienceMs} ms by thread tag ${Atomics.load(words, CONTROL.HEAP_LOCK)}: a worker that died or was terminated inside an allocation holds it until its exit is reported (try again then)`,
        );
      }
    }
  }

  private unlock(): void {
    Atomics.store(this.views.i32, CONTROL.HEAP_LOCK, 0);
  }

  /**
   * Next-fit search from the rover, wrapping once; first fit from the start
   * for large blocks. Returns a block address or -1. Large blocks (codec
   * buffers, copies of inputs) are freed and allocated again call after call;
   * from the rover each would land on memory not used before, and the first
   * touch of a page is costly (about 4 ms per MB on some VMs), while the lowest
   * free block that fits has usually been used already.
   */
  private findFit(need: number): number {
    const words = this.views.i32;
    const end = words[CONTROL.HEAP_END]!;
    this.views.ensure(end);
    const w = this.views.i32;
    const rover = need >= LARGE_BLOCK_BYTES ? HEAP_START : words[CONTROL.HEAP_ROVER]!;
    for (const [from, to] of [
      [rover, end],
      [HEAP_START, rover],
    ] as const) {
      for (let block = from; block < to; ) {
        const size = w[block >> 2]! >>> 0;
        if (w[(block >> 2) + TAG] === FREE_TAG && size >= need) return block;
        block += size;
      }
    }
    return -1;
  }

  /** Grows the memory so that a free block of `need` bytes ends the heap; returns that block. */
  private grow(need: number, requested: number): number {
    const memory = this.views.memory;
    const words = this.views.i32;
    const end = words[CONTROL.HEAP_END]!;
    const last = this.lastBlock(end);
    const lastFree = last >= 0 && this.views.i32[(last >> 2) + TAG] === FREE_TAG;
    const shortfall = need - (lastFree ? end - last : 0);
    const current = memory.buffer.byteLength;
    // Grow by at least a quarter of the memory so that a run of allocations costs few grows.
    const wanted = Math.max(Math.ceil(shortfall / PAGE_BYTES), Math.ceil(current / PAGE_BYTES / 4));
    const minimum = Math.ceil(shortfall / PAGE_BYTES);
    let grown = false;
    for (const pages of [wanted, minimum]) {
      try {
        memory.grow(pages);
        grown = true;
        break;
      } catch {
        // past the maximum, or the system refused: retry with the minimum, then give up
      }
    }
    if (!grown) throw this.outOfMemory(requested);
    this.views.refresh();
    const newEnd = memory.buffer.byteLength;
    const w = this.views.i32;
    let block: number;
    if (lastFree) {
      block = last;
      w[block >> 2] = newEnd - block;
    } else {
      block = end;
      writeHeader(w, block, newEnd - block, last >= 0 ? end - last : 0, FREE_TAG, 0);
    }
    words[CONTROL.HEAP_END] = newEnd;
    return block;
  }

  /** The block that ends at `end`, found by walking (only on growth, which is rare). */
  private lastBlock(end: number): number {
    const w = this.views.i32;
    let last = -1;
    for (let block = HEAP_START; block < end; block += w[block >> 2]! >>> 0) last = block;
    return last;
  }

  /** Marks `block` used for `need` bytes, splitting off the rest as a free block if it is big enough. */
  private claim(block: number, need: number, requested: number): void {
    const w = this.views.i32;
    const words = w;
    const size = w[block >> 2]! >>> 0;
    const end = words[CONTROL.HEAP_END]!;
    let used = size;
    if (size - need >= MIN_BLOCK_BYTES) {
      used = need;
      const rest = block + need;
      writeHeader(w, rest, size - need, need, FREE_TAG, 0);
      const after = block + size;
      if (after < end) w[(after >> 2) + PREV_SIZE] = size - need;
    }
    w[block >> 2] = used;
    w[(block >> 2) + TAG] = USED_TAG;
    w[(block >> 2) + REQUESTED] = requested;
    words[CONTROL.HEAP_USED] = (words[CONTROL.HEAP_USED]! + used) | 0;
    words[CONTROL.HEAP_ROVER] = block + used < end ? block + used : HEAP_START;
  }

  /** Frees `block` and merges it with free neighbours. */
  private release(block: number): void {
    const w = this.views.i32;
    const end = w[CONTROL.HEAP_END]!;
    let start = block;
    let size = w[block >> 2]! >>> 0;
    w[CONTROL.HEAP_USED] = (w[CONTROL.HEAP_USED]! - size) | 0;
    const next = block + size;
    if (next < end && w[(next >> 2) + TAG] === FREE_TAG) {
      size += w[next >> 2]! >>> 0;
      w[(next >> 2) + TAG] = 0; // no longer a block header
    }
    const prevSize = w[(block >> 2) + PREV_SIZE]! >>> 0;
    if (prevSize > 0 && w[((block - prevSize) >> 2) + TAG] === FREE_TAG) {
      start = block - prevSize;
      size += prevSize;
      w[(block >> 2) + TAG] = 0;
    }
    w[start >> 2] = size;
    w[(start >> 2) + TAG] = FREE_TAG;
    w[(start >> 2) + REQUESTED] = 0;
    const after = start + size;
    if (after < end) w[(after >> 2) + PREV_SIZE] = size;
    // The rover must point at a block header; a merged-away header no longer is one.
    const rover = w[CONTROL.HEAP_ROVER]!;
    if (rover > start && rover < after) w[CONTROL.HEAP_ROVER] = start;
  }

  private outOfMemory(requested: number): OutOfMemoryError {
    const { usedBytes, heapBytes } = this.statistics();
    return new OutOfMemoryError(
      `shared heap cannot allocate ${formatBytes(requested)}: ${formatBytes(usedBytes)} of ${formatBytes(heapBytes)} in use ` +
        `and the memory cannot grow past ${formatBytes(this.maximumBytes)} (raise \`options.memory.maximumBytes\`)`,
    );
  }
}

function writeHeader(words: Int32Array, block: number, size: number, prevSize: number, tag: number, requested: number): void {
  const i = block >> 2;
  words[i + SIZE] = size;
  words[i + PREV_SIZE] = prevSize;
  words[i + TAG] = tag;
  words[i + REQUESTED] = requested;
}
