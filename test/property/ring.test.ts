import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_BYTES, RING_CAPACITY, RING_HEADER_BYTES } from '../../src/memory/layout.js';
import { SlotRing } from '../../src/queue/ring.js';

function ringAt(startPosition: number): { ring: SlotRing; words: Int32Array } {
  const words = new Int32Array(new SharedArrayBuffer(RING_BYTES));
  const ring = new SlotRing(words, 0);
  ring.reset();
  if (startPosition !== 0) {
    // As if `startPosition` values had already passed through: each cell's sequence is the next position that maps to it.
    for (let cell = 0; cell < RING_CAPACITY; cell++) {
      const offset = (cell - (startPosition & (RING_CAPACITY - 1)) + RING_CAPACITY) & (RING_CAPACITY - 1);
      words[RING_HEADER_BYTES / 4 + 2 * cell] = (startPosition + offset) | 0;
    }
    words[0] = startPosition | 0;
    words[16] = startPosition | 0;
  }
  return { ring, words };
}

describe('SlotRing (property: behaves as a bounded FIFO, across int32 wrap-around)', () => {
  it('matches an array queue under random pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 2 ** 31 - 100, -5, 2 ** 32 - 3),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constant(-1)), { maxLength: 300 }),
        (start, ops) => {
          const { ring } = ringAt(start);
          const model: number[] = [];
          for (const op of ops) {
            if (op >= 0) {
              expect(ring.push(op)).toBe(true);
              model.push(op);
            } else {
              expect(ring.pop()).toBe(model.length ? model.shift() : -1);
            }
            expect(ring.isEmpty()).toBe(model.length === 0);
          }
        },
      ),
    );
  });

  it('refuses a push when full and accepts one again after a pop', () => {
    const { ring } = ringAt(2 ** 31 - 10);
    for (let i = 0; i < RING_CAPACITY; i++) expect(ring.push(i)).toBe(true);
    expect(ring.push(99)).toBe(false);
    expect(ring.pop()).toBe(0);
    expect(ring.push(99)).toBe(true);
    for (let i = 1; i < RING_CAPACITY; i++) expect(ring.pop()).toBe(i);
    expect(ring.pop()).toBe(99);
    expect(ring.pop()).toBe(-1);
  });
});
