// The browser demo: the same Pool as in Node, from the esbuild bundle.
import { Pool, kernels } from '../../build/dist/browser.js';

const out = document.getElementById('out');
const print = (line) => (out.textContent += `\n${line}`);
out.textContent = `crossOriginIsolated: ${globalThis.crossOriginIsolated}`;

document.getElementById('run').addEventListener('click', async () => {
  const pool = new Pool(); // one worker per core
  try {
    await pool.ready;
    print(`${pool.workers} workers ready`);

    const squares = await pool.map((x) => x * x, Array.from({ length: 10 }, (_, i) => i));
    print(`map: ${squares.join(' ')}`);

    const n = 4_000_000;
    const x = pool.alloc(Float64Array, n).fill(0.25);
    const band = Math.ceil(n / pool.workers);
    const bands = Array.from({ length: pool.workers }, (_, w) => [x.subarray(w * band, (w + 1) * band)]);
    const t0 = performance.now();
    const partial = await pool.starmap(kernels.sumF64, bands);
    print(`wasm SIMD sum of ${n} doubles across workers: ${partial.reduce((s, v) => s + v, 0)} in ${(performance.now() - t0).toFixed(2)} ms`);

    const t1 = performance.now();
    await Promise.all(Array.from({ length: 20_000 }, (_, i) => pool.apply((v) => v, [i])));
    print(`20,000 tasks: ${(((performance.now() - t1) * 1000) / 20_000).toFixed(2)} µs/task`);
    document.title = 'wyvern demo: done';
  } catch (error) {
    print(`error: ${error.message}`);
  } finally {
    await pool.terminate();
  }
});
