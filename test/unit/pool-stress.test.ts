import { afterAll, describe, expect, it } from 'vitest';
import { Pool, TaskTimeoutError, task } from '../../src/index.js';

const busy = task<(ms: number, value: number) => number>(new URL('../fixtures/tasks.mjs', import.meta.url), 'busy');

describe('Pool under a flood of tiny tasks', () => {
  // spinMicros 0: workers sleep as soon as the rings look empty, which makes
  // every wake-up race and ring lap happen as often as possible. (This once
  // lost tasks when a preempted worker held a ring cell for a whole lap.)
  const pool = new Pool({ workers: 2, spinMicros: 0 });
  afterAll(() => pool.terminate());

  it('loses nothing over many rounds of 20,000 tasks', async () => {
    const identity = (x: number): number => x;
    for (let round = 0; round < 8; round++) {
      const results = await Promise.all(Array.from({ length: 20_000 }, (_, i) => pool.apply(identity, [i])));
      expect(results[19_999]).toBe(19_999);
      expect(results.every((v, i) => v === i)).toBe(true);
    }
    expect(pool.pending).toBe(0);
  });
});

describe('Pool under random aborts and timeouts', () => {
  it('every task ends with its value or its own abort or timeout; none fails for another', async () => {
    // A third of the tasks aborted at a random moment (queued, running or done by then), a sixth with a
    // timeout shorter than some of their runs: each worker given up on is terminated and replaced, and
    // only the task it was running may fail (a replaced worker that took another task failed that one).
    const pool = new Pool({ workers: 2 });
    try {
      await pool.ready;
      // A fixed sequence (a linear congruential generator), so that a failure replays.
      let seed = 7;
      const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const outcomes = await Promise.all(
        Array.from({ length: 240 }, async (_, i) => {
          const ms = Math.floor(random() * 12);
          const kind = i % 6 < 2 ? 'abort' : i % 6 === 2 ? 'timeout' : 'plain';
          const controller = new AbortController();
          if (kind === 'abort') setTimeout(() => controller.abort(new Error(`abort ${i}`)), random() * 300);
          const options = kind === 'abort' ? { signal: controller.signal } : kind === 'timeout' ? { timeout: 6 } : {};
          try {
            return { i, kind, value: await pool.apply(busy, [ms, i], options) };
          } catch (error) {
            return { i, kind, error: error as Error };
          }
        }),
      );
      for (const { i, kind, value, error } of outcomes) {
        if (!error) expect(value).toBe(i);
        else if (kind === 'abort') expect(error.message).toBe(`abort ${i}`);
        else if (kind === 'timeout') expect(error).toBeInstanceOf(TaskTimeoutError);
        else expect.fail(`task ${i} (${kind}) failed: ${error}`);
      }
      expect(pool.pending).toBe(0);
      expect(await pool.apply(busy, [1, 42])).toBe(42);
    } finally {
      await pool.terminate();
    }
  });
});
