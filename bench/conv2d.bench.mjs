// Single-image conv2d, full mode, 1000 × 1000, 4 × 4 and 16 × 16 filters, f64
// and f32: wyvern on 1 worker and split across all workers, a plain-JS loop,
// and SciPy's convolve2d (Debian's /usr/bin/python3, run by this script when
// present). Medians over repeats; ratios from this run.
//
//   node bench/conv2d.bench.mjs [--size 1000] [--repeats 9]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool, conv2d } from '../build/dist/node.js';
import { describeMachine, median, printTable, saveResults } from './lib.mjs';

const { values: args } = parseArgs({ options: { size: { type: 'string', default: '1000' }, repeats: { type: 'string', default: '9' } } });
const N = Number(args.size);
const REPEATS = Number(args.repeats);
const FILTERS = [4, 16];
const workers = availableParallelism();

function plainConvolve(image, n, filter, k, out) {
  const m = n + k - 1;
  out.fill(0);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      const v = image[y * n + x];
      for (let p = 0; p < k; p++) {
        const row = (y + p) * m + x;
        for (let q = 0; q < k; q++) out[row + q] += v * filter[p * k + q];
      }
    }
}

const time = async (fn) => {
  const samples = [];
  // Warm-up by time, not count: for the first ~0.1 s after a pool starts, V8's
  // background work competes with the workers for the cores (see matmul.bench.mjs).
  for (const warmUntil = performance.now() + 300; performance.now() < warmUntil; ) await fn();
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
};

let scipy = {};
if (existsSync('/usr/bin/python3')) {
  try {
    scipy = JSON.parse(execFileSync('/usr/bin/python3', [new URL('./reference/conv2d_single.py', import.meta.url).pathname, String(N), FILTERS.join(','), 'float64,float32', String(REPEATS)]).toString());
  } catch (error) {
    console.warn(`SciPy reference skipped: ${error.message.split('\n')[0]}`);
  }
}

const pool = new Pool({ workers });
await pool.ready;
const rows = [];
for (const Kind of [Float64Array, Float32Array]) {
  const dtype = Kind === Float64Array ? 'float64' : 'float32';
  const image = pool.allocMatrix(Kind, N, N);
  for (let i = 0; i < image.data.length; i++) image.data[i] = Math.sin(i);
  for (const k of FILTERS) {
    const filter = Array.from({ length: k }, (_, p) => Array.from({ length: k }, (_, q) => Math.cos(p * k + q)));
    const out = pool.allocMatrix(Kind, N + k - 1, N + k - 1);
    const one = await time(() => conv2d(image, filter, { pool, out, bands: 1 }));
    const oneOut = out.data.slice();
    const all = await time(() => conv2d(image, filter, { pool, out, bands: workers }));
    const plainOut = new Kind((N + k - 1) ** 2);
    const plain = await time(() => plainConvolve(image.data, N, Float64Array.from(filter.flat()), k, plainOut));
    const maxDiff = Math.max(...[oneOut, out.data].map((result) => result.reduce((m, v, i) => Math.max(m, Math.abs(v - plainOut[i])), 0)));
    // Sums of k² products of values at most 1: a float's rounding over them, with room.
    const tolerance = k * k * (Kind === Float32Array ? 2 ** -20 : 2 ** -48);
    if (!(maxDiff <= tolerance)) throw new Error(`conv2d ${dtype} ${k}x${k}: differs from the plain loop by ${maxDiff}`);
    const reference = scipy[`${dtype}/${k}x${k}`];
    rows.push({
      case: `${dtype} ${N}x${N} * ${k}x${k} full`,
      'wyvern 1 worker ms': one.toFixed(2),
      [`wyvern ${workers} workers ms`]: all.toFixed(2),
      'plain JS ms': plain.toFixed(1),
      'SciPy ms': reference ? reference.toFixed(1) : 'n/a',
      'vs SciPy (1 w)': reference ? (reference / one).toFixed(1) + 'x' : 'n/a',
      [`vs SciPy (${workers} w)`]: reference ? (reference / all).toFixed(1) + 'x' : 'n/a',
      'max |diff| vs JS': maxDiff.toExponential(1),
    });
    pool.free(out);
  }
  pool.free(image);
}
console.log(`\nconv2d, one image, median of ${REPEATS} (${describeMachine()})\n`);
printTable(rows);
console.log('\nanchors: SciPy full 1000x1000 f64 4x4 ~33 ms, 16x16 ~376 ms; targets: >= 10x SciPy for 4x4, >= 8x for 16x16 (f64)');
saveResults('conv2d', { size: N, repeats: REPEATS, workers, rows });
await pool.terminate();
