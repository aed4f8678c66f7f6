// The esbuild bundle users load in pages (build/dist/browser.js) finds its
// worker script and kernels relative to itself and runs tasks.
import { describe, expect, it } from 'vitest';

describe('the browser bundle', () => {
  it('runs a map and a kernel', async () => {
    const wyvern = (await import(/* @vite-ignore */ new URL('../../build/dist/browser.js', import.meta.url).href)) as typeof import('../../src/index.js');
    const pool = new wyvern.Pool({ workers: 2 });
    try {
      expect(await pool.map((x: number) => x * x, [1, 2, 3])).toEqual([1, 4, 9]);
      const x = pool.alloc(Float64Array, 100).fill(0.5);
      expect(await pool.apply(wyvern.kernels.sumF64, [x])).toBe(50);
    } finally {
      await pool.terminate();
    }
  });
});
