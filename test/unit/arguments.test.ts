import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, InlineFunctionError, InvalidFreeError, OutOfMemoryError, Pool } from '../../src/index.js';

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
});
