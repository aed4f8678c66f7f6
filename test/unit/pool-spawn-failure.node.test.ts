// A platform that cannot start a thread (a page that is not cross-origin isolated, a worker script from
// another origin, no threads left) fails the pool: every task rejects with the reason, nothing hangs.
import { describe, expect, it, vi } from 'vitest';

vi.mock('#platform', async (importOriginal) => {
  const platform = await importOriginal<typeof import('../../src/platform/node.js')>();
  return {
    ...platform,
    spawnWorker: () => {
      throw new Error('no threads left (mocked)');
    },
  };
});

const { Pool } = await import('../../src/index.js');

describe('a worker that cannot be spawned', () => {
  it('fails the pool with ERR_WORKER_START: tasks and ready reject with the reason', async () => {
    const pool = new Pool({ workers: 2 });
    const error = (await pool.apply(() => 1).catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('ERR_WORKER_START');
    expect(error.message).toMatch(/cannot start worker 0: no threads left \(mocked\)/);
    await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_WORKER_START' });
    await expect(pool.apply(() => 2)).rejects.toMatchObject({ code: 'ERR_WORKER_START' });
    await pool.terminate();
  });
});
