import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerializationError } from '../../src/errors.js';
import { WireReader, WireWriter } from '../../src/wire/codec.js';
import { bareHeap } from '../helpers.js';

describe('wire codec (property: what is written reads back equal)', () => {
  const { views, heap, allocator } = bareHeap(64, 64);
  const writer = new WireWriter(views);
  const reader = new WireReader(views);
  const roundTrip = (value: unknown): unknown => {
    const bytes = writer.reset().write(value).encoded;
    const ptr = heap.allocate(bytes.length);
    views.u8.set(bytes, ptr);
    const back = reader.at(ptr, bytes.length).read();
    heap.free(ptr);
    return back;
  };

  const leaf = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.float32Array({ maxLength: 20 }),
    fc.int16Array({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
  );
  const value = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object'), tie('map'), tie('set')),
    array: fc.array(tie('tree'), { maxLength: 5 }),
    object: fc.dictionary(fc.string({ maxLength: 10 }), tie('tree'), { maxKeys: 5 }),
    map: fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer()), tie('tree')), { maxLength: 4 }).map((entries) => new Map(entries)),
    set: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }).map((items) => new Set(items)),
  })).tree;

  it('round-trips nested data', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps -0, NaN and the "__proto__" key', () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(roundTrip(Number.NaN)).toBeNaN();
    const tricky = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const back = roundTrip(tricky) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__']);
  });

  it('sends shared arrays by reference and copies the others', () => {
    const shared = allocator.alloc(Float64Array, 10);
    const back = roundTrip({ shared, copy: new Float64Array([1, 2]) }) as { shared: Float64Array; copy: Float64Array };
    back.shared[3] = 42;
    expect(shared[3]).toBe(42);
    expect(back.shared.byteOffset).toBe(shared.byteOffset);
    expect(back.copy.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const matrix = allocator.allocMatrix(Int32Array, 3, 4);
    const m = roundTrip(matrix) as typeof matrix;
    expect(m.shape).toEqual([3, 4]);
    m.set(2, 3, 7);
    expect(matrix.get(2, 3)).toBe(7);
  });

  it('refuses functions, symbols, class instances and cycles with a SerializationError naming the place', () => {
    expect(() => roundTrip({ a: [1, () => 2] })).toThrow(/at `a\.1`/);
    expect(() => roundTrip(Symbol('s'))).toThrow(SerializationError);
    expect(() => roundTrip({ when: new (class Point {})() })).toThrow(/Point/);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(() => roundTrip(cycle)).toThrow(/cyclic/);
  });
});
