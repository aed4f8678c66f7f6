import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from '../../src/index.js';

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
