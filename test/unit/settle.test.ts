import { describe, expect, it } from 'vitest';
import { allSettled } from '../../src/pool/settle.js';

describe('allSettled (groups of tasks writing into memory freed on failure)', () => {
  it('rejects with the first failure only once every task has settled', async () => {
    let slowDone = false;
    const slow = new Promise<number>((resolve) => setTimeout(() => ((slowDone = true), resolve(2)), 50));
    const failing = Promise.reject(new RangeError('first'));
    const later = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('second')), 10));
    await expect(allSettled([slow, failing, later])).rejects.toThrow(RangeError);
    expect(slowDone).toBe(true);
  });

  it('resolves to the values in order', async () => {
    expect(await allSettled([Promise.resolve(1), new Promise<number>((resolve) => setTimeout(() => resolve(2), 5)), Promise.resolve(3)])).toEqual([1, 2, 3]);
    expect(await allSettled([])).toEqual([]);
  });
});
