// Node only: a browser task cannot end its own worker thread (self.close()
// takes effect only when the run loop returns to the event loop, which it
// does not). The replacement path it exercises is the one timeouts use,
// and that is tested on both platforms.
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, WorkerExitError, task } from '../../src/index.js';

const tasks = new URL('../fixtures/tasks.mjs', import.meta.url);
const exitWorker = task<(code: number) => never>(tasks, 'exitWorker');
const busy = task<(ms: number, value: number) => number>(tasks, 'busy');

describe('Pool, a worker that exits', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  it('a worker that exits fails its task with WorkerExitError, and the pool keeps serving', async () => {
    const results = await Promise.allSettled([pool.apply(exitWorker, [3]), pool.apply((x: number) => x + 1, [1])]);
    expect(results[0].status).toBe('rejected');
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(WorkerExitError);
    expect(results[1]).toEqual({ status: 'fulfilled', value: 2 });
    // The replacement worker serves; both workers are busy at once again.
    expect(await pool.starmap(busy, [[10, 1], [10, 2], [10, 3], [10, 4]])).toEqual([1, 2, 3, 4]);
  });

});
