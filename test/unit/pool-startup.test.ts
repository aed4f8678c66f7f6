// What a pool checks when it is made, and what keeps it (or the default pool) serving afterwards.
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, Pool, closeDefaultPool, compress, decompress, defaultPool } from '../../src/index.js';

describe('Pool construction and survival', () => {
  afterAll(() => closeDefaultPool());

  it('refuses initargs that cannot reach a worker, naming them, before any worker starts', () => {
    const make = () => new Pool({ workers: 1, initializer: () => {}, initargs: [() => 1] });
    expect(make).toThrow(ArgumentTypeError);
    expect(make).toThrow(/options\.initargs.*structured clone/);
  });

  it('checks resourceLimits: a misspelt limit or a value that is not a positive number', () => {
    expect(() => new Pool({ workers: 1, resourceLimits: 5 as never })).toThrow(ArgumentTypeError);
    expect(() => new Pool({ workers: 1, resourceLimits: { maxOldGenerationSizeMB: 64 } as never })).toThrow(
      expect.objectContaining({ name: 'ArgumentRangeError', argument: 'options.resourceLimits.maxOldGenerationSizeMB' }),
    );
    expect(() => new Pool({ workers: 1, resourceLimits: { stackSizeMb: 'x' as never } })).toThrow(ArgumentTypeError);
    expect(() => new Pool({ workers: 1, resourceLimits: { maxYoungGenerationSizeMb: 0 } })).toThrow(ArgumentRangeError);
    expect(() => new Pool({ workers: 1, resourceLimits: { maxYoungGenerationSizeMb: NaN } })).toThrow(ArgumentRangeError);
    // Every limit Node's worker_threads takes is accepted.
    void new Pool({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, codeRangeSizeMb: 64, stackSizeMb: 4 } }).terminate();
  });

  it('a promise a task leaves rejected and unhandled fails no later task (Node ended the worker at its next turn)', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      const first = await pool.apply(() => {
        void Promise.reject(new Error('left unhandled on purpose by this test'));
        return 'first';
      });
      const second = await pool.apply(() => 'second');
      // An asynchronous task lets the worker's event loop turn, where the rejection is reported.
      const third = await pool.apply(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return 'third';
      });
      expect([first, second, third]).toEqual(['first', 'second', 'third']);
    } finally {
      await pool.terminate();
    }
  });

  it('the default pool is made again after someone terminated or closed it', async () => {
    const bytes = new TextEncoder().encode('abc '.repeat(1000));
    await defaultPool().terminate();
    expect(await decompress(await compress(bytes))).toEqual(bytes);
    const closed = defaultPool();
    closed.close();
    expect(await decompress(await compress(bytes))).toEqual(bytes);
    expect(defaultPool()).not.toBe(closed);
    await closed.join(); // its workers end (closeDefaultPool, after all, ends the one made since)
  });
});
