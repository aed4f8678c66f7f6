// The browser platform: loading the kernels, pages that are not isolated, the workers' life locks,
// and what dump/load say about targets a browser cannot use.
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, closeDefaultPool, dump, load } from '../../src/index.js';

describe('browser platform', () => {
  afterAll(() => closeDefaultPool()); // dump and load below use the default pool
  // First in the file: the kernels are fetched once per page, and this must be the first fetch.
  it('a failed fetch of the kernels names the URL and status, and the next pool fetches again', async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      if (String(input).endsWith('.wasm')) return new Response('unavailable', { status: 503 });
      return realFetch(input, init);
    };
    let failing: Pool | undefined;
    try {
      failing = new Pool({ workers: 1 });
      const error = (await failing.apply(() => 1).catch((e: unknown) => e)) as Error & { code: string };
      expect(error.code).toBe('ERR_KERNEL_LOAD');
      expect(error.message).toMatch(/cannot fetch .*build\/wasm\/kernels(-relaxed)?\.wasm: HTTP 503/);
    } finally {
      globalThis.fetch = realFetch;
      await failing?.terminate();
    }
    const pool = new Pool({ workers: 1 });
    try {
      expect(await pool.apply((x: number) => x + 1, [41])).toBe(42);
    } finally {
      await pool.terminate();
    }
  });

  it('a page that is not cross-origin isolated gets a typed error from new Pool(), not a pool that never answers', async () => {
    const original = Object.getOwnPropertyDescriptor(globalThis, 'crossOriginIsolated');
    Object.defineProperty(globalThis, 'crossOriginIsolated', { value: false, configurable: true });
    try {
      expect(globalThis.crossOriginIsolated).toBe(false);
      expect(() => new Pool({ workers: 1 })).toThrow(expect.objectContaining({ code: 'ERR_NOT_ISOLATED', message: expect.stringContaining('Cross-Origin-Embedder-Policy') }));
    } finally {
      if (original) Object.defineProperty(globalThis, 'crossOriginIsolated', original);
      else delete (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    }
    expect(globalThis.crossOriginIsolated).toBe(true);
  });

  it('the page lets go of a worker’s life lock once it is gone (no lock kept per worker ever started)', async () => {
    const heldNames = async () => new Set((await navigator.locks.query()).held?.map((lock) => lock.name ?? '') ?? []);
    const mine: string[] = []; // the locks of this test's workers (other pools of the origin may hold others)
    for (let i = 0; i < 3; i++) {
      const before = await heldNames();
      const pool = new Pool({ workers: 2 });
      await pool.ready;
      for (const name of await heldNames()) if (name.startsWith('wyvern-worker-') && !before.has(name)) mine.push(name);
      await pool.terminate();
    }
    expect(mine).toHaveLength(6);
    const stillHeld = async () => {
      const held = await heldNames();
      return mine.filter((name) => held.has(name));
    };
    // Chromium stops a terminated worker (asleep in Atomics.wait) a second or two later; the page is granted
    // its lock then, and lets it go.
    for (let i = 0; i < 200 && (await stillHeld()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await stillHeld()).toEqual([]);
  });

  it('dump to a path is refused as an argument before any work; load of a missing URL names it', async () => {
    await expect(dump({ x: new Float64Array(4) }, 'model.wyvn')).rejects.toMatchObject({ name: 'ArgumentTypeError', argument: 'target' });
    const error = (await load('/no-such-dump.wyvn').catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('ERR_FETCH');
    expect(error.message).toMatch(/no-such-dump\.wyvn: HTTP 404/);
  });
});
