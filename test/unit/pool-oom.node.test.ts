import { afterAll, describe, expect, it } from 'vitest';
import { Pool, WorkerExitError, task } from '../../src/index.js';

const exhaustMemory = task<() => never>(new URL('../fixtures/tasks.mjs', import.meta.url), 'exhaustMemory');

describe('Pool, out of memory in a worker (Node resourceLimits)', () => {
  const pool = new Pool({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 } });
  afterAll(() => pool.terminate());

  it('fails the task with WorkerExitError and serves the next one', async () => {
    const error = await pool.apply(exhaustMemory, []).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error.message).toMatch(/memory/i);
    expect(await pool.apply((x: number) => x * 2, [21])).toBe(42);
  });
});
