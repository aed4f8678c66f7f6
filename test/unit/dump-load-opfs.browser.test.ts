// dump / load with the browser's origin private file system: a file handle as
// the target and as the source (Chromium).
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentTypeError, Pool, dump, load } from '../../src/index.js';

describe('dump / load with OPFS file handles (browser)', () => {
  const pool = new Pool({ workers: 2 });
  afterAll(() => pool.terminate());

  it('writes a file that load reads back through its handle, compressed and raw', async () => {
    const root = await navigator.storage.getDirectory();
    const weights = new Float64Array(50_000).map((_, i) => Math.sin(i / 100));
    for (const compress of ['lz4', 'gzip', false] as const) {
      const handle = await root.getFileHandle(`model-${compress}.wyvn`, { create: true });
      const written = await dump({ weights, name: 'model' }, handle, { pool, compress });
      const file = await handle.getFile();
      expect(file.size).toBe(written);
      const expected = await dump({ weights, name: 'model' }, undefined, { pool, compress });
      const fileBytes = new Uint8Array(await file.arrayBuffer());
      // A loop, not toEqual: deep equality element by element is slow on arrays of MBs in the browser.
      expect(fileBytes.length === expected.length && fileBytes.every((v, i) => v === expected[i])).toBe(true);
      for (const source of [handle, file]) {
        const back = (await load(source, { pool })) as { weights: Float64Array; name: string };
        expect(back.name).toBe('model');
        expect(back.weights instanceof Float64Array && back.weights.length === weights.length && back.weights.every((v, i) => v === weights[i])).toBe(true);
      }
      await root.removeEntry(handle.name);
    }
  });

  it('says what to do instead when given a path', async () => {
    await expect(dump({ a: 1 }, 'model.wyvn', { pool })).rejects.toThrow(/file handle \(the origin private file system/);
    await expect(dump({ a: 1 }, 42 as never, { pool })).rejects.toThrow(ArgumentTypeError);
  });
});
