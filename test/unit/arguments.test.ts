import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, InlineFunctionError, InvalidFreeError, OutOfMemoryError, Pool, SharedMatrix, compress, compressStream, decompress, kernels } from '../../src/index.js';

describe('bad arguments get typed errors that name the argument', () => {
  it.each([
    [{ workers: 0 }, ArgumentRangeError, '`options.workers` must be an integer from 1 to 64; got 0'],
    [{ workers: 1.5 }, ArgumentRangeError, 'got 1.5'],
    [{ workers: '2' }, ArgumentTypeError, '`options.workers` must be an integer from 1 to 64; got "2"'],
    [{ workers: Number.NaN }, ArgumentRangeError, 'got NaN'],
    [{ memory: { maximumBytes: 2 ** 40 } }, ArgumentRangeError, '`options.memory.maximumBytes`'],
    [{ spinMicros: -1 }, ArgumentRangeError, '`options.spinMicros`'],
    [{ initializer: 42 }, ArgumentTypeError, '`options.initializer`'],
  ])('new Pool(%j) throws', (options, Kind, message) => {
    expect(() => new Pool(options as never)).toThrow(Kind);
    expect(() => new Pool(options as never)).toThrow(message);
  });

  const pool = new Pool({ workers: 1, memory: { maximumBytes: 64 * 1024 * 1024 } });
  afterAll(() => pool.terminate());

  it('task options are checked before anything runs (async APIs reject)', async () => {
    await expect(pool.map((x: number) => x, [1], { chunksize: 0 })).rejects.toThrow('`options.chunksize` must be a positive integer; got 0');
    await expect(pool.map((x: number) => x, [1], { schedule: 'random' as never })).rejects.toThrow("`options.schedule` must be one of 'dynamic', 'static'");
    await expect(pool.apply((x: number) => x, [1], { timeout: -5 })).rejects.toThrow('`options.timeout`');
    await expect(pool.apply((x: number) => x, [1], { signal: {} as never })).rejects.toThrow('`options.signal` must be an AbortSignal');
    await expect(pool.apply((x: number) => x, 5 as never)).rejects.toThrow('`args` must be an array of arguments; got 5');
    await expect(pool.map((x: number) => x, 5 as never)).rejects.toThrow('`items` must be an iterable');
    await expect(pool.starmap((x: number) => x, [[1], 2] as never)).rejects.toThrow('`argLists[1]` must be an array of arguments; got 2');
    await expect(pool.apply('not a function' as never, [] as never)).rejects.toThrow(ArgumentTypeError);
    await expect(pool.apply(Math.sqrt as never, [4] as never)).rejects.toThrow(InlineFunctionError);
    // A closure: the variable it captures is named, with what to do instead.
    const k = 3;
    const closure = await pool.apply((x: number) => x * k, [2]).catch((e: unknown) => e as Error);
    expect(closure).toBeInstanceOf(InlineFunctionError);
    expect((closure as Error).message).toContain('uses `k`, which does not exist in the worker');
    expect((closure as Error).message).toContain('Pass `k` as an argument');
  });

  it('alloc checks its kind and length; free refuses foreign and double frees', () => {
    expect(() => pool.alloc(Array as never, 3)).toThrow('`Kind` must be a typed array constructor');
    expect(() => pool.alloc(Float64Array, -1)).toThrow(ArgumentRangeError);
    expect(() => pool.alloc(Float64Array, Number.NaN)).toThrow('`length`');
    expect(() => pool.free(new Float64Array(3))).toThrow('`value` must be an array from alloc');
    const x = pool.alloc(Float64Array, 3);
    pool.free(x);
    expect(() => pool.free(x)).toThrow(InvalidFreeError);
  });

  it('a second free of an array is refused even after its memory went to a new array, which stays allocated', () => {
    const before = pool.heapStatistics().usedBytes;
    const a = pool.alloc(Uint8Array, 4096);
    pool.free(a);
    // The freed block goes to the next allocation that fits; find it among a few, as placement may vary.
    const others = Array.from({ length: 8 }, () => pool.alloc(Uint8Array, 4096));
    const b = others.find((other) => other.byteOffset === a.byteOffset);
    expect(b).toBeDefined();
    expect(() => pool.free(a)).toThrow('this array was freed already');
    b!.fill(7); // still b's: the refused free released nothing
    const c = pool.alloc(Uint8Array, 4096);
    expect(c.byteOffset === b!.byteOffset).toBe(false);
    for (const other of [...others, c]) pool.free(other);
    expect(pool.heapStatistics().usedBytes).toBe(before);
  });

  it('an allocation past the memory maximum is an OutOfMemoryError, and the heap still works', () => {
    expect(() => pool.alloc(Float64Array, 16 * 1024 * 1024)).toThrow(OutOfMemoryError);
    const x = pool.alloc(Float64Array, 1024);
    expect(x.length).toBe(1024);
    pool.free(x);
  });

  it('a SharedMatrix checks its shape against its data, and get/set/row their indices', () => {
    expect(() => new SharedMatrix(new Float64Array(3), 2, 2)).toThrow('`data` must hold rows × cols = 2 × 2 = 4 elements; it has 3');
    expect(() => new SharedMatrix(new Float64Array(3), 1.5, 2)).toThrow(expect.objectContaining({ name: 'ArgumentRangeError', argument: 'rows' }));
    expect(() => new SharedMatrix(new Float64Array(3), -2, 'x' as never)).toThrow(ArgumentRangeError);
    expect(() => new SharedMatrix([1, 2] as never, 1, 2)).toThrow(expect.objectContaining({ name: 'ArgumentTypeError', argument: 'data' }));
    const m = new SharedMatrix(new Float64Array(6), 2, 3);
    m.set(1, 2, 42);
    expect(m.get(1, 2)).toBe(42);
    expect(() => m.set(0, 3, 1)).toThrow('`col` must be an integer from 0 to 2 (the matrix is 2 × 3); got 3'); // was m.get(1, 0)
    expect(() => m.get(2, 0)).toThrow(expect.objectContaining({ argument: 'row' }));
    expect(() => m.get(-1, 0)).toThrow(ArgumentRangeError);
    expect(() => m.row(0.5)).toThrow(expect.objectContaining({ argument: 'index' }));
    expect(Array.from(m.row(1))).toEqual([0, 0, 42]);
    expect(Array.from(m.data)).toEqual([0, 0, 0, 0, 0, 42]);
  });

  it('a scope refuses to free what it does not own with InvalidFreeError', () => {
    const scope = pool.scope();
    const mine = scope.alloc(Float64Array, 4);
    const other = pool.alloc(Float64Array, 4);
    try {
      expect(() => scope.free(other)).toThrow(InvalidFreeError);
      expect(() => scope.free('nope' as never)).toThrow(InvalidFreeError);
      scope.free(mine);
      expect(() => scope.free(mine)).toThrow(InvalidFreeError);
    } finally {
      scope.release();
      pool.free(other);
    }
  });

  it('messages say "an Int8Array" but "a Uint8Array"; a choice given a number is a type error; timeout names Infinity', async () => {
    await expect(pool.apply((x: number) => x, [1], { timeout: new Int8Array(1) as never })).rejects.toThrow('got an Int8Array');
    await expect(compress(new Uint8Array(1), { pool, codec: 5 as never })).rejects.toThrow(ArgumentTypeError);
    await expect(compress(new Uint8Array(1), { pool, codec: 'zstd' as never })).rejects.toThrow(ArgumentRangeError);
    await expect(pool.apply((x: number) => x, [1], { timeout: -1 })).rejects.toThrow('`options.timeout` must be a non-negative number of milliseconds, or Infinity; got -1');
    await expect(pool.apply((x: number) => x, [1], { timeout: Number.NaN })).rejects.toThrow(ArgumentRangeError);
    expect(await pool.apply((x: number) => x, [1], { timeout: Infinity })).toBe(1);
    expect(() => pool.free(new Uint8Array(1))).toThrow('got a Uint8Array');
  });

  it('kernels.xxhash32 checks its seed as the LZ4 kernels check their integers', async () => {
    const bytes = pool.alloc(Uint8Array, 3);
    bytes.set([0x61, 0x62, 0x63]);
    try {
      expect(await pool.apply(kernels.xxhash32, [bytes, 0])).toBe(0x32d153ff); // xxHash32("abc", 0)
      expect(await pool.apply(kernels.xxhash32, [bytes])).toBe(0x32d153ff);
      for (const seed of ['x', 1.7, -1, 2 ** 32]) {
        await expect(pool.apply(kernels.xxhash32, [bytes, seed as never])).rejects.toMatchObject({ argument: 'seed' });
      }
    } finally {
      pool.free(bytes);
    }
  });

  it('compressStream refuses what it cannot honour instead of ignoring it; decompress checks sizeHint for every codec', async () => {
    for (const [options, name] of [
      [{ blockSize: 65536 }, 'options.blockSize'],
      [{ contentChecksum: true }, 'options.contentChecksum'],
      [{ signal: new AbortController().signal }, 'options.signal'],
      [{ timeout: 100 }, 'options.timeout'],
      [{ codec: 'gzip', blockSize: 65536 }, 'options.blockSize'],
    ] as const) {
      expect(() => compressStream({ pool, ...options } as never)).toThrow(expect.objectContaining({ name: 'ArgumentRangeError', argument: name }));
    }
    expect(() => compressStream({ pool, chunkSize: '65536' as never })).toThrow(expect.objectContaining({ name: 'ArgumentTypeError', message: expect.stringContaining('got "65536"') }));
    const packed = await compress(new Uint8Array(10), { pool });
    await expect(decompress(packed, { pool, sizeHint: 'abc' as never })).rejects.toMatchObject({ name: 'ArgumentTypeError', argument: 'options.sizeHint' });
  });
});
