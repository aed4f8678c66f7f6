import { describe, expect, it } from 'vitest';
import { allSettled, takeInOrder } from '../../src/pool/settle.js';

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

describe('takeInOrder (output handed over while later tasks run)', () => {
  const after = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));
  const failAfter = (ms: number, error: Error): Promise<never> => new Promise((_, reject) => setTimeout(() => reject(error), ms));

  it('takes values in order, undefined entries as they are, and returns how many', async () => {
    const seen: unknown[] = [];
    const taken = await takeInOrder([after(20, 'a'), undefined, Promise.resolve('c')], (value, i) => (seen.push([i, value]), true));
    expect(taken).toBe(3);
    expect(seen).toEqual([[0, 'a'], [1, undefined], [2, 'c']]);
  });

  it('stops where take says, and waits for the rest', async () => {
    let lastDone = false;
    const last = after(40, 3).then((v) => ((lastDone = true), v));
    expect(await takeInOrder([Promise.resolve(1), Promise.resolve(2), last], (value) => value !== 2)).toBe(1);
    expect(lastDone).toBe(true);
  });

  it('a task that fails after the stop is reported, not swallowed, once every task has settled', async () => {
    // A caller frees the tasks' memory when this returns: a task given up on (a timeout) may still write there.
    let slowDone = false;
    const slow = after(40, 4).then((v) => ((slowDone = true), v));
    const outcome = takeInOrder([Promise.resolve(1), Promise.resolve(2), failAfter(10, new RangeError('timed out')), slow], (value) => value !== 2);
    await expect(outcome).rejects.toThrow(RangeError);
    expect(slowDone).toBe(true);
  });

  it('what take throws wins over later failures, once every task has settled', async () => {
    let slowDone = false;
    const slow = after(40, 3).then((v) => ((slowDone = true), v));
    const outcome = takeInOrder([Promise.resolve(1), failAfter(5, new Error('later')), slow], () => {
      throw new TypeError('bad block');
    });
    await expect(outcome).rejects.toThrow(TypeError);
    expect(slowDone).toBe(true);
  });
});
