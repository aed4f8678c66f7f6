import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentTypeError, CorruptDataError, DUMP_FORMAT_VERSION, OutputLimitError, Pool, SerializationError, SharedMatrix, dump, kernels, load, type WritableFileHandle } from '../../src/index.js';

describe('dump / load', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  const sample = () => {
    const matrix = pool.allocMatrix(Float64Array, 3, 4);
    matrix.data.forEach((_, i) => (matrix.data[i] = i / 3));
    return {
      weights: new Float32Array(10_000).map((_, i) => Math.sin(i)),
      counts: new Int32Array([1, -2, 3]),
      big: new BigInt64Array([1n, -(2n ** 62n)]),
      empty: new Uint8Array(0),
      matrix,
      nested: { list: [1, 'two', null, true, Number.NaN, Number.POSITIVE_INFINITY, -0.5], deeper: { bytes: new Uint8Array([9, 8, 7]) } },
    };
  };

  for (const compress of ['lz4', 'zlib', 'gzip', false] as const) {
    it(`round-trips nested objects with typed arrays and matrices (compress: ${compress})`, async () => {
      const value = sample();
      const bytes = await dump(value, undefined, { pool, compress });
      const back = (await load(bytes, { pool })) as ReturnType<typeof sample>;
      expect(Array.from(back.weights)).toEqual(Array.from(value.weights));
      expect(back.weights).toBeInstanceOf(Float32Array);
      expect(Array.from(back.counts)).toEqual([1, -2, 3]);
      expect(Array.from(back.big)).toEqual([1n, -(2n ** 62n)]);
      expect(back.empty.length).toBe(0);
      expect(back.matrix).toBeInstanceOf(SharedMatrix);
      expect(back.matrix.shape).toEqual([3, 4]);
      expect(back.matrix.get(2, 3)).toBeCloseTo(11 / 3, 15);
      expect(back.nested.list).toEqual([1, 'two', null, true, Number.NaN, Number.POSITIVE_INFINITY, -0.5]);
      expect(Array.from(back.nested.deeper.bytes)).toEqual([9, 8, 7]);
      expect(pool.isShared(back.weights)).toBe(false);
    });
  }

  it('compresses a large compressible array and can load it into shared memory', async () => {
    const values = new Float64Array(2_000_000).map((_, i) => Math.round(i / 1000));
    const bytes = await dump({ values }, undefined, { pool });
    expect(bytes.length).toBeLessThan(values.byteLength / 4);
    const back = (await load(bytes, { pool, shared: true })) as { values: Float64Array };
    expect(pool.isShared(back.values)).toBe(true);
    expect(back.values.every((v, i) => v === values[i])).toBe(true);
    pool.free(back.values);
  });

  it('refuses values the format cannot hold, naming where they are', async () => {
    await expect(dump({ a: { when: new Map() } }, undefined, { pool })).rejects.toThrow(SerializationError);
    await expect(dump({ a: [1, () => 2] }, undefined, { pool })).rejects.toThrow('`value.a[1]`');
    await expect(dump({ $array: 1 }, undefined, { pool })).rejects.toThrow('reserved');
    // eslint-disable-next-line no-sparse-arrays
    await expect(dump({ list: [1, , 3] }, undefined, { pool })).rejects.toThrow('the empty slot at `value.list[1]`');
    let deep: unknown = 1;
    for (let i = 0; i < 1500; i++) deep = [deep];
    await expect(dump(deep, undefined, { pool })).rejects.toThrow(SerializationError);
  });

  it('keeps -0, an own __proto__ key, and an array referred to twice (stored once, loaded as one)', async () => {
    const shared = new Float32Array([1, 2, 3]);
    const value = { zero: -0, list: [-0, 0], twice: [shared, { again: shared }], ...JSON.parse('{"__proto__": {"x": 1}}') };
    for (const compress of ['lz4', false] as const) {
      const bytes = await dump(value, undefined, { pool, compress });
      const back = (await load(bytes, { pool })) as { zero: number; list: number[]; twice: [Float32Array, { again: Float32Array }] };
      expect(Object.is(back.zero, -0)).toBe(true);
      expect(Object.is(back.list[0], -0) && Object.is(back.list[1], 0)).toBe(true);
      expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ x: 1 });
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      expect(back.twice[1].again).toBe(back.twice[0]);
      expect(Array.from(back.twice[0])).toEqual([1, 2, 3]);
    }
    expect((await dump({ a: shared, b: shared }, undefined, { pool, compress: false })).length).toBeLessThan((await dump({ a: shared, b: shared.slice() }, undefined, { pool, compress: false })).length);
  });

  it('dumps and loads many arrays, and arrays larger than the pool\'s memory, a few at a time', async () => {
    // 12 arrays of 4 MiB with a 40 MiB pool: their sections are hashed or compressed, and decoded, a few at a time.
    const small = new Pool({ workers: 2, memory: { maximumBytes: 40 << 20 } });
    try {
      const arrays = Array.from({ length: 12 }, (_, k) => new Float64Array(1 << 19).map((_, i) => (i % 1000) * k));
      for (const compress of [false, 'lz4'] as const) {
        const back = (await load(await dump(arrays, undefined, { pool: small, compress }), { pool: small })) as Float64Array[];
        expect(back.every((array, k) => array.every((v, i) => v === arrays[k]![i])), `compress: ${compress}`).toBe(true);
      }
      // One incompressible section larger than the whole pool: read outside it, decoded a part at a time.
      const noise = new Uint8Array(48 << 20);
      for (let at = 0; at < noise.length; at += 65536) crypto.getRandomValues(noise.subarray(at, at + 65536));
      const back = (await load(await dump({ noise }, undefined, { pool }), { pool: small })) as { noise: Uint8Array };
      expect(back.noise.length === noise.length && back.noise.every((v, i) => v === noise[i])).toBe(true);
    } finally {
      await small.terminate();
    }
  });

  it('a write that fails part-way aborts the file handle\'s stream (nothing is committed)', async () => {
    const calls: string[] = [];
    const handle: WritableFileHandle = {
      createWritable: async () => ({
        write: async () => {
          calls.push('write');
          if (calls.length === 2) throw new Error('disk full');
        },
        close: async () => void calls.push('close'),
        abort: async () => void calls.push('abort'),
      }),
      getFile: async () => new Blob([]),
    };
    await expect(dump({ x: new Float64Array(1000) }, handle, { pool })).rejects.toThrow('disk full');
    expect(calls).toEqual(['write', 'write', 'abort']);
  });

  it('checks its options', async () => {
    const bytes = await dump({ x: new Float64Array(3) }, undefined, { pool });
    await expect(load(bytes, { pool, maxOutputLength: 'abc' as never })).rejects.toThrow(ArgumentTypeError);
    await expect(load(bytes, { pool, maxOutputLength: -1 })).rejects.toThrow('`options.maxOutputLength`');
    await expect(load(bytes, { pool, shared: 1 as never })).rejects.toThrow('`options.shared`');
    await expect(load(42 as never, { pool })).rejects.toMatchObject({ name: 'ArgumentTypeError', argument: 'source' });
    // The level is checked whatever the value holds, and for the codec named.
    await expect(dump({ a: 1 }, undefined, { pool, level: 99 })).rejects.toMatchObject({ name: 'ArgumentRangeError', argument: 'options.level' });
    await expect(dump({ a: 1 }, undefined, { pool, compress: 'gzip', level: 12 })).rejects.toMatchObject({ argument: 'options.level' });
    await expect(dump({ x: new Float64Array(3) }, undefined, { pool, compress: false, level: 1 })).rejects.toMatchObject({ argument: 'options.level' });
    await expect(dump({ a: 1 }, undefined, { pool, level: 'x' as never })).rejects.toThrow(ArgumentTypeError);
    expect((await load(await dump({ a: 1 }, undefined, { pool, compress: 'lz4', level: 12 }), { pool }))).toEqual({ a: 1 });
  });

  it('load refuses an array past maxOutputLength, raw or compressed', async () => {
    for (const compress of [false, 'lz4', 'gzip'] as const) {
      const bytes = await dump({ x: new Float64Array(1000) }, undefined, { pool, compress });
      await expect(load(bytes, { pool, maxOutputLength: 4000 }), String(compress)).rejects.toBeInstanceOf(OutputLimitError);
      expect(((await load(bytes, { pool, maxOutputLength: 8000 })) as { x: Float64Array }).x.length).toBe(1000);
    }
  });

  it('loads through a file handle that can only be read (getFile, no createWritable)', async () => {
    const value = { x: new Float64Array([1, 2, 3]), label: 'read-only' };
    const bytes = await dump(value, undefined, { pool });
    const back = (await load({ getFile: async () => new Blob([bytes as Uint8Array<ArrayBuffer>]) }, { pool })) as typeof value;
    expect(Array.from(back.x)).toEqual([1, 2, 3]);
    expect(back.label).toBe('read-only');
  });

  it('a corrupted, truncated, foreign or newer file is a clear error', async () => {
    const bytes = await dump({ x: new Float64Array([1, 2, 3]), label: 'abc' }, undefined, { pool, compress: false });
    const flipped = (at: number) => {
      const copy = bytes.slice();
      copy[at]! ^= 0x10;
      return copy;
    };
    await expect(load(flipped(20), { pool })).rejects.toThrow(/header checksum mismatch/);
    await expect(load(flipped(bytes.length - 2), { pool })).rejects.toThrow(/array 0 checksum mismatch/);
    await expect(load(bytes.subarray(0, bytes.length - 1), { pool })).rejects.toBeInstanceOf(CorruptDataError);
    await expect(load(new TextEncoder().encode('PK\u0003\u0004 not ours at all'), { pool })).rejects.toThrow('not a wyvern dump');
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint16(4, DUMP_FORMAT_VERSION + 1, true);
    await expect(load(newer, { pool })).rejects.toThrow(`format version ${DUMP_FORMAT_VERSION + 1}; this wyvern reads versions up to ${DUMP_FORMAT_VERSION}`);
    const lz4 = await dump({ x: new Float64Array(1000).fill(2) }, undefined, { pool });
    const damaged = lz4.slice();
    damaged[damaged.length - 3]! ^= 1;
    await expect(load(damaged, { pool })).rejects.toBeInstanceOf(CorruptDataError);
    // The prefix: version 0, a reserved byte set; bytes after the last array.
    const prefixed = (at: number, byte: number) => {
      const copy = bytes.slice();
      copy[at] = byte;
      return copy;
    };
    await expect(load(prefixed(4, 0), { pool })).rejects.toThrow('format version 0, which does not exist');
    await expect(load(prefixed(7, 1), { pool })).rejects.toThrow('reserved byte');
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    await expect(load(longer, { pool })).rejects.toThrow('3 bytes after its last array');
  });

  /** The dump with its JSON header replaced (and its checksum made right again): a file only a forger makes. */
  const reheadered = async (bytes: Uint8Array, header: (parsed: { value: unknown; arrays: unknown[] }) => unknown): Promise<Uint8Array> => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const oldLength = view.getUint32(8, true);
    const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + oldLength)));
    const json = new TextEncoder().encode(JSON.stringify(header(parsed)));
    const inPool = pool.alloc(Uint8Array, json.length);
    inPool.set(json);
    const checksum = (await pool.apply(kernels.xxhash32, [inPool, 0])) >>> 0;
    pool.free(inPool);
    const out = new Uint8Array(bytes.length - oldLength + json.length);
    out.set(bytes.subarray(0, 12));
    out.set(json, 12);
    new DataView(out.buffer).setUint32(8, json.length, true);
    new DataView(out.buffer).setUint32(12 + json.length, checksum, true);
    out.set(bytes.subarray(12 + oldLength + 4), 12 + json.length + 4);
    return out;
  };

  it('a header of the wrong shape, or a value that misdescribes its arrays, is a CorruptDataError and frees shared arrays', async () => {
    const bytes = await dump({ m: new SharedMatrix(new Float64Array(6), 2, 3) }, undefined, { pool });
    expect(await reheadered(bytes, (parsed) => parsed)).toEqual(bytes); // the forger's tool changes nothing by itself
    const forgeries: [string, (parsed: { value: unknown; arrays: unknown[] }) => unknown][] = [
      ['null header', () => null],
      ['no arrays list', (parsed) => ({ value: parsed.value })],
      ['a null array entry', (parsed) => ({ ...parsed, arrays: [null] })],
      ['a matrix larger than its array', (parsed) => ({ ...parsed, value: { m: { $matrix: 0, rows: 7, cols: 9 } } })],
      ['a matrix without a shape', (parsed) => ({ ...parsed, value: { m: { $matrix: 0 } } })],
      ['an unknown number', (parsed) => ({ ...parsed, value: { m: { $number: 'hello' } } })],
      ['an array nothing refers to', (parsed) => ({ ...parsed, value: 1 })],
      ['a reference past the arrays', (parsed) => ({ ...parsed, value: { $array: 5 } })],
    ];
    const baseline = pool.heapStatistics().usedBytes;
    for (const [what, forge] of forgeries) {
      const forged = await reheadered(bytes, forge);
      await expect(load(forged, { pool }), what).rejects.toThrow(CorruptDataError);
      await expect(load(forged, { pool, shared: true }), what).rejects.toThrow(CorruptDataError);
      expect(pool.heapStatistics().usedBytes, what).toBe(baseline);
    }
  });
});
