/**
 * A bounded multi-producer multi-consumer ring of int32 values in shared
 * memory: D. Vyukov's bounded MPMC queue ("Bounded MPMC queue",
 * 1024cores.net), with Atomics on an Int32Array.
 *
 * ```
 *  word 0   ENQUEUE   next position to fill (producers race with compareExchange)
 *  word 16  DEQUEUE   next position to take (consumers race with compareExchange); own cache line
 *  cells    [sequence, value] × capacity, from byte 128 (RING_HEADER_BYTES)
 * ```
 *
 * A cell whose sequence equals the position is free for that producer; a
 * cell whose sequence equals position + 1 holds a value for that consumer.
 * Positions are int32 and wrap; only their differences are compared, so
 * wrapping is harmless while capacity is far below 2^31. Neither `push` nor
 * `pop` blocks or allocates: waiting is the caller's business (see wake.ts).
 *
 * The queue is not lock-free in one respect: a consumer preempted between
 * winning a cell and releasing it holds that cell, and a producer that laps
 * the ring finds it "full" even if the ring is nearly empty. Losing a slot
 * index would lose a task, so callers use `pushOrWait`, which retries.
 */

import { RING_CAPACITY, RING_HEADER_BYTES } from '../memory/layout.js';

const ENQUEUE = 0;
const DEQUEUE = 16;
const CAPACITY = RING_CAPACITY;
const MASK = CAPACITY - 1;

export class SlotRing {
  private readonly enqueueIndex: number;
  private readonly dequeueIndex: number;
  private readonly cellsIndex: number;

  /** `ptr` is the ring's byte address in the memory behind `words`. */
  constructor(
    private readonly words: Int32Array,
    ptr: number,
  ) {
    this.enqueueIndex = ptr / 4 + ENQUEUE;
    this.dequeueIndex = ptr / 4 + DEQUEUE;
    this.cellsIndex = (ptr + RING_HEADER_BYTES) / 4;
  }

  /** Makes the ring empty. Only while no other thread uses it. */
  reset(): void {
    for (let i = 0; i < CAPACITY; i++) Atomics.store(this.words, this.cellsIndex + 2 * i, i);
    Atomics.store(this.words, this.enqueueIndex, 0);
    Atomics.store(this.words, this.dequeueIndex, 0);
  }

  /** Appends `value`; false if the ring is full. */
  push(value: number): boolean {
    const words = this.words;
    let position = Atomics.load(words, this.enqueueIndex);
    for (;;) {
      const cell = this.cellsIndex + ((position & MASK) << 1);
      const difference = (Atomics.load(words, cell) - position) | 0;
      if (difference === 0) {
        const seen = Atomics.compareExchange(words, this.enqueueIndex, position, (position + 1) | 0);
        if (seen === position) {
          Atomics.store(words, cell + 1, value);
          // Publishing the sequence releases the value to consumers.
          Atomics.store(words, cell, (position + 1) | 0);
          return true;
        }
        position = seen;
      } else if (difference < 0) {
        return false; // the cell still holds a value from one lap ago: full
      } else {
        position = Atomics.load(words, this.enqueueIndex);
      }
    }
  }

  /**
   * Appends `value`, retrying while the ring looks full. Callers never have
   * more values in flight than cells, so "full" can only mean a preempted
   * consumer still holds a cell; it releases it as soon as it runs again.
   */
  pushOrWait(value: number): void {
    while (!this.push(value)) {
      // Spin: the holder is mid-pop; nothing else can free the cell.
    }
  }

  /** Removes and returns the oldest value, or -1 if the ring is empty. */
  pop(): number {
    const words = this.words;
    let position = Atomics.load(words, this.dequeueIndex);
    for (;;) {
      const cell = this.cellsIndex + ((position & MASK) << 1);
      const difference = (Atomics.load(words, cell) - ((position + 1) | 0)) | 0;
      if (difference === 0) {
        const seen = Atomics.compareExchange(words, this.dequeueIndex, position, (position + 1) | 0);
        if (seen === position) {
          const value = Atomics.load(words, cell + 1);
          // Hands the cell to the producer of the next lap.
          Atomics.store(words, cell, (position + CAPACITY) | 0);
          return value;
        }
        position = seen;
      } else if (difference < 0) {
        return -1; // nothing published at this position yet: empty
      } else {
        position = Atomics.load(words, this.dequeueIndex);
      }
    }
  }

  /** Whether the ring looked empty at the moment of the call. */
  isEmpty(): boolean {
    const position = Atomics.load(this.words, this.dequeueIndex);
    const cell = this.cellsIndex + ((position & MASK) << 1);
    return ((Atomics.load(this.words, cell) - ((position + 1) | 0)) | 0) < 0;
  }
}
