import { afterAll, describe, expect, it } from 'vitest';
import { CorruptDataError, DUMP_FORMAT_VERSION, Pool, SerializationError, SharedMatrix, dump, load } from '../../src/index.js';

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
  });
});
