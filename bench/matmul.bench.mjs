// matmul GFLOP/s, n × n × n for n = 256 … 2048, f32 and f64, on 1 and N
// workers, next to NumPy/OpenBLAS with 1 and N threads (Debian's
// /usr/bin/python3, run by this script when present) and tfjs-backend-wasm
// (f32, one thread: its threads are off in Node). Medians over repeats.
// A size is n (a square product) or m×k×n (`4x4096x4096`: a batch of four
// vectors times a matrix). `--transB` multiplies by Bᵀ instead (B stored n × k, as a
// linear layer's weights are): wyvern's transB, NumPy's a @ b.T, tfjs's transposeB.
//
//   node bench/matmul.bench.mjs [--sizes 256,512,1024,2048] [--repeats 5]
//   node bench/matmul.bench.mjs --sizes 1x4096x4096,4x4096x4096,16x2048x2048 [--transB]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool, matmul } from '../build/dist/node.js';
import { createRequire } from 'node:module';
import { describeMachine, median, printTable, saveResults } from './lib.mjs';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '256,512,1024,2048' }, repeats: { type: 'string', default: '5' }, transB: { type: 'boolean', default: false } } });
const transB = values.transB;
const SIZES = values.sizes.split(',').map((size) => {
  const dims = size.split('x').map(Number);
  if ((dims.length !== 1 && dims.length !== 3) || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    console.error(`--sizes: each size is n or mxkxn (positive integers); got ${JSON.stringify(size)}`);
    process.exit(2);
  }
  const [m, k = m, n = m] = dims;
  return { size, m, k, n, label: size.includes('x') ? `${m}×${k}×${n}` : `n=${m}` };
});
const REPEATS = Number(values.repeats);
const cores = availableParallelism();

const numpy = {};
if (existsSync('/usr/bin/python3')) {
  for (const threads of [1, cores]) {
    try {
      const out = execFileSync('/usr/bin/python3', [new URL('./reference/numpy_matmul.py', import.meta.url).pathname, values.sizes, String(REPEATS), ...(transB ? ['--transB'] : [])], {
        env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
      });
      numpy[threads] = JSON.parse(out.toString());
    } catch (error) {
      console.warn(`NumPy reference skipped: ${error.message.split('\n')[0]}`);
    }
  }
}

// @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD; one thread in Node): f32 only, readback included.
const tfjs = {};
try {
  const require = createRequire(import.meta.url);
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  for (const { size, m, k, n } of SIZES) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal(transB ? [n, k] : [k, n]);
    tf.matMul(a, b, false, transB).dataSync();
    const times = [];
    for (let r = 0; r < REPEATS; r++) {
      const start = performance.now();
      const c = tf.matMul(a, b, false, transB);
      c.dataSync();
      c.dispose();
      times.push(performance.now() - start);
    }
    tfjs[size] = (2 * m * k * n) / median(times) / 1e6;
    a.dispose();
    b.dispose();
  }
} catch (error) {
  console.warn(`tfjs-backend-wasm skipped: ${error.message.split('\n')[0]}`);
}

const largest = Math.max(...SIZES.map(({ m, k, n }) => m * k + k * n + m * n));
const pool = new Pool({ workers: cores, memory: { maximumBytes: Math.min(2 ** 31 - 2 ** 16, largest * 8 + 256 * 2 ** 20) } });
await pool.ready;
const rows = [];
for (const Kind of [Float32Array, Float64Array]) {
  const dtype = Kind === Float32Array ? 'float32' : 'float64';
  for (const { size, m, k, n, label } of SIZES) {
    const scope = pool.scope();
    const a = scope.allocMatrix(Kind, m, k);
    const b = transB ? scope.allocMatrix(Kind, n, k) : scope.allocMatrix(Kind, k, n);
    const c = scope.allocMatrix(Kind, m, n);
    for (let i = 0; i < a.data.length; i++) a.data[i] = Math.sin(i);
    for (let i = 0; i < b.data.length; i++) b.data[i] = Math.cos(i);
    const gflops = async (tiles) => {
      // Warm-up by time, not count: for the first ~0.1 s after a pool starts,
      // V8's background work (optimising the workers' JavaScript, GC) competes
      // with the workers for this machine's cores and single runs vary 2×.
      for (const warmUntil = performance.now() + 300; performance.now() < warmUntil; ) await matmul(a, b, { pool, out: c, tiles, transB });
      const times = [];
      for (let r = 0; r < REPEATS; r++) {
        const start = performance.now();
        await matmul(a, b, { pool, out: c, tiles, transB });
        times.push(performance.now() - start);
      }
      return (2 * m * k * n) / median(times) / 1e6;
    };
    const one = await gflops(1);
    checkProduct(a, b, c, transB, `${dtype} ${label}, 1 worker`);
    const all = await gflops(cores);
    checkProduct(a, b, c, transB, `${dtype} ${label}, ${cores} workers`);
    const np1 = numpy[1]?.[`${dtype}/${size}`];
    const npN = numpy[cores]?.[`${dtype}/${size}`];
    rows.push({
      case: `${dtype} ${label}${transB ? ' Bᵀ' : ''}`,
      'wyvern 1 w': one.toFixed(1),
      [`wyvern ${cores} w`]: all.toFixed(1),
      [`scaling 1→${cores}`]: `${(all / one).toFixed(2)}x`,
      'NumPy 1 thread': np1 ? np1.toFixed(1) : 'n/a',
      [`NumPy ${cores} threads`]: npN ? npN.toFixed(1) : 'n/a',
      'tfjs-wasm 1 thread': dtype === 'float32' && tfjs[size] ? tfjs[size].toFixed(1) : 'n/a',
    });
    scope.release();
  }
}
console.log(`\nmatmul GFLOP/s (m x k x n), median of ${REPEATS} (${describeMachine()})\n`);
printTable(rows);
console.log('\nanchors: OpenBLAS 1 thread ~100 f32 / ~49 f64; SIMD128 ceiling without FMA ~59 f32 / ~29 f64 per core; targets (n >= 512): >= 45 f32, >= 22 f64 on one worker, >= 1.8x that on two');
saveResults(transB ? 'matmul-transB' : 'matmul', { sizes: SIZES.map(({ size }) => size), transB, repeats: REPEATS, workers: cores, rows });
await pool.terminate();

/**
 * Checks 64 sampled elements of C against dot products in float64, within the bound of a float sum of k
 * products (k · ε · Σ|a·b|, four times over): a benchmark checks what it timed.
 */
function checkProduct(a, b, c, transposed, what) {
  const eps = c.data instanceof Float32Array ? 2 ** -24 : 2 ** -53;
  const [m, k] = a.shape;
  const n = c.cols;
  for (let s = 0; s < 64; s++) {
    const i = (s * 7919) % m;
    const j = (s * 104729) % n;
    let sum = 0;
    let magnitude = 0;
    for (let p = 0; p < k; p++) {
      const product = a.data[i * k + p] * (transposed ? b.data[j * k + p] : b.data[p * n + j]);
      sum += product;
      magnitude += Math.abs(product);
    }
    if (!(Math.abs(c.data[i * n + j] - sum) <= 4 * k * eps * magnitude + 1e-30)) throw new Error(`${what}: C[${i}][${j}] is ${c.data[i * n + j]}, expected ${sum}`);
  }
}
