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

  it('refuses functions, symbols and class instances with a SerializationError naming the place', () => {
    expect(() => roundTrip({ a: [1, () => 2] })).toThrow(/at `a\.1`/);
    expect(() => roundTrip(Symbol('s'))).toThrow(SerializationError);
    expect(() => roundTrip({ when: new (class Point {})() })).toThrow(/Point/);
    // A Map's key in the path is described, not converted (this one has no toString at all).
    expect(() => roundTrip(new Map([[Object.create(null), () => 1]]))).toThrow('at `<an object>`');
  });

  /** Every object reachable from `value`, in the order of a depth-first walk, as positions: the shape of its sharing. */
  const sharing = (value: unknown): number[] => {
    const seen = new Map<object, number>();
    const out: number[] = [];
    const walk = (v: unknown): void => {
      if (typeof v !== 'object' || v === null) return;
      const at = seen.get(v);
      out.push(at ?? seen.size);
      if (at !== undefined) return;
      seen.set(v, seen.size);
      const children = v instanceof Map ? [...v].flat() : v instanceof Set ? [...v] : ArrayBuffer.isView(v) || v instanceof Date ? [] : Object.values(v);
      children.forEach(walk);
    };
    walk(value);
    return out;
  };

  it('keeps shared references and cycles as structuredClone does (property)', () => {
    // Random graphs: nodes whose children are drawn from all the nodes, earlier or later (cycles included).
    const graph = fc.array(fc.tuple(fc.constantFrom('array', 'object', 'map', 'set'), fc.array(fc.nat(), { maxLength: 4 })), { minLength: 1, maxLength: 40 }).map((nodes) => {
      const made = nodes.map(([kind]) => (kind === 'array' ? [] : kind === 'object' ? {} : kind === 'map' ? new Map() : new Set())) as object[];
      nodes.forEach(([, children], i) => {
        children.forEach((c, j) => {
          const child = made[c % made.length]!;
          const node = made[i]!;
          if (Array.isArray(node)) node.push(child);
          else if (node instanceof Map) node.set(j, child);
          else if (node instanceof Set) node.add(child);
          else (node as Record<string, unknown>)[`k${j}`] = child;
        });
      });
      return made[0]!;
    });
    fc.assert(
      fc.property(graph, (root) => {
        const back = roundTrip(root);
        const clone = structuredClone(root);
        expect(sharing(back)).toEqual(sharing(clone));
        expect(back).toEqual(clone);
      }),
      { numRuns: 300 },
    );
  });

  it('writes an object met many times once: a DAG of 2^40 paths is 41 arrays', () => {
    let v: unknown = [1];
    for (let i = 0; i < 40; i++) v = [v, v];
    const bytes = writer.reset().write(v).encoded.length;
    expect(bytes).toBeLessThan(41 * 20);
    const back = roundTrip(v) as unknown[];
    expect(back[0]).toBe(back[1]);
    const errorCycle = new Error('me');
    errorCycle.cause = { again: errorCycle };
    expect(() => roundTrip(errorCycle)).toThrow('refers to itself');
  });

  it('keeps lone surrogates in strings and keys, short and long (property)', () => {
    const codeUnits = fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength: 300 });
    fc.assert(
      fc.property(codeUnits, codeUnits, (text, key) => {
        const back = roundTrip({ [key]: text, big: text.repeat(3) }) as Record<string, string>;
        expect(back[key]).toBe(text);
        expect(back.big).toBe(text.repeat(3));
      }),
      { numRuns: 300 },
    );
    expect(roundTrip('\uD800x')).toBe('\uD800x');
    expect(roundTrip('\uFEFFstarts with a BOM')).toBe('\uFEFFstarts with a BOM'); // not dropped as a byte order mark
    expect(roundTrip('x\uDFFF'.repeat(10000))).toBe('x\uDFFF'.repeat(10000));
  });

  it('sends a typed array subclass (a Node Buffer) as the typed array it is, as structuredClone', () => {
    class Bytes extends Uint8Array {}
    const NodeBuffer = (globalThis as { Buffer?: { from(text: string): Uint8Array } }).Buffer;
    for (const sent of [Bytes.from([97, 98, 99]), ...(NodeBuffer ? [NodeBuffer.from('abc')] : [])]) {
      const back = roundTrip(sent);
      expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
      expect([...(back as Uint8Array)]).toEqual([97, 98, 99]);
    }
  });

  it('keeps an AggregateError\'s errors and a cause that is undefined', () => {
    const aggregate = roundTrip(new AggregateError([new RangeError('one'), 2], 'both')) as AggregateError;
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect(aggregate.message).toBe('both');
    expect(aggregate.errors[0]).toBeInstanceOf(RangeError);
    expect(aggregate.errors[1]).toBe(2);
    const undefinedCause = roundTrip(new Error('x', { cause: undefined })) as Error;
    expect('cause' in undefinedCause).toBe(true);
  });

  it('lets a scratch buffer grown for one large value go at the next reset', () => {
    writer.reset().write('x'.repeat(2_000_000));
    expect(writer.scratch.length).toBeGreaterThan(1 << 20);
    writer.reset().write(1);
    expect(writer.scratch.length).toBeLessThanOrEqual(1 << 20);
  });

  describe('a corrupted payload is a SerializationError, never a read past it', () => {
    /** Reads `bytes` placed in the heap right before 64 bytes of 0x01 (that a bounds-blind reader would take as values). */
    const readCorrupt = (bytes: number[]): unknown => {
      const ptr = heap.allocate(bytes.length + 64);
      views.u8.set(bytes, ptr);
      views.u8.fill(1, ptr + bytes.length, ptr + bytes.length + 64);
      try {
        return reader.at(ptr, bytes.length).read();
      } finally {
        heap.free(ptr);
      }
    };
    const u32 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
    it.each([
      ['an empty payload', []],
      ['a truncated int32', [4, 1]],
      ['a string longer than the payload', [6, ...u32(40), 65, 66]],
      ['a string length of 2^32 - 16', [6, ...u32(0xfffffff0)]],
      ['an array of 2^32 - 1 items', [8, ...u32(0xffffffff)]],
      ['an object claiming more entries than bytes', [9, ...u32(3), 0, 0, 0, 0, 1]],
      ['an unknown typed array kind', [12, 99, ...u32(0)]],
      ['a copied Float64Array of 3 bytes', [12, 10, ...u32(3), 1, 2, 3]],
      ['a shared array past the memory', [10, 0, ...u32(0xfffffff0), ...u32(100)]],
      ['a reference to an object not read yet', [8, ...u32(1), 18, ...u32(5)]],
      ['a bigint that is not digits', [7, ...u32(2), 0x31, 0x78]],
      ['an unknown tag', [200]],
    ])('%s', (_, bytes) => {
      expect(() => readCorrupt(bytes)).toThrow(SerializationError);
      expect(() => readCorrupt(bytes)).toThrow('corrupt task payload');
    });
  });
});
