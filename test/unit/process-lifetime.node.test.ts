// A Node script that uses the bundle (build/dist/node.js) neither hangs nor
// exits early: the process stays alive while work is in flight or workers
// start or stop, and ends by itself when the pool is idle, even unclosed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bundle = new URL('../../build/dist/node.js', import.meta.url).href;

function runScript(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', source], { timeout: 20_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe('process lifetime with the Node bundle', () => {
  it('awaits ready, terminate and a second pool without exiting early', async () => {
    const { code, stdout, stderr } = await runScript(`
      import { Pool } from '${bundle}';
      const a = new Pool({ workers: 1 });
      await a.ready;
      const one = await a.apply((x) => x, [1]);
      await a.terminate();
      const b = new Pool({ workers: 2 });
      await b.ready;
      const two = await b.map((x) => x * 2, [1, 2]);
      b.close();
      await b.join();
      console.log('done', one, two.join(','));
    `);
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('done 1 2,4');
    expect(code).toBe(0);
  });

  it('exits by itself when an unclosed pool is idle', async () => {
    const { code, stdout } = await runScript(`
      import { Pool } from '${bundle}';
      const pool = new Pool({ workers: 2 });
      pool.map((x) => x + 1, [1, 2, 3]).then((r) => console.log('result', r.join(',')));
    `);
    expect(stdout.trim()).toBe('result 2,3,4');
    expect(code).toBe(0);
  });

  it('WYVERN_KERNELS=baseline makes pools run the SIMD128 build, and a bad value names the variable', async () => {
    const source = `
      import { Pool, kernelVariant, matmul } from '${bundle}';
      const pool = new Pool({ workers: 1 });
      const a = pool.allocMatrix(Float32Array, 8, 8);
      a.data.fill(2);
      const c = await matmul(a, a, { pool });
      console.log(kernelVariant(), c.data[0]);
      await pool.terminate();
    `;
    const previous = process.env.WYVERN_KERNELS;
    try {
      process.env.WYVERN_KERNELS = 'baseline';
      const baseline = await runScript(source);
      expect(baseline.stderr).toBe('');
      expect(baseline.stdout.trim()).toBe('baseline 32');
      process.env.WYVERN_KERNELS = 'fast';
      const bad = await runScript(source);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('the WYVERN_KERNELS environment variable must be "relaxed" or "baseline"; got "fast"');
    } finally {
      if (previous === undefined) delete process.env.WYVERN_KERNELS;
      else process.env.WYVERN_KERNELS = previous;
    }
  });
});
