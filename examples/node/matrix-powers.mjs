// Matrix powers by repeated squaring with wyvern's matmul: A^p for a random
// n × n float64 matrix, in ⌈log2 p⌉ squarings plus one product per set bit,
// each split across the pool's workers. Checks one row against plain JS.
//
//   node examples/node/matrix-powers.mjs [--n 512] [--power 13]
import { parseArgs } from 'node:util';
import { Pool, matmul } from '../../build/dist/node.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '512' }, power: { type: 'string', default: '13' } } });
const n = Number(values.n);
const power = Number(values.power);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(power) || power < 1) {
  console.error('--n and --power must be positive integers');
  process.exit(2);
}

const pool = new Pool();
await pool.ready; // workers started and kernels compiled: the timing below is the products alone
try {
  // Scale entries so that powers neither explode nor vanish: rows sum to about 1.
  const a = pool.allocMatrix(Float64Array, n, n);
  let seed = 7;
  for (let i = 0; i < a.data.length; i++) a.data[i] = ((seed = (seed * 48271) % 2147483647) / 2147483647) * (2 / n);

  const start = performance.now();
  let result; // A^(bits seen so far)
  let square = a; // A^(2^k)
  let products = 0;
  for (let bits = power; bits > 0; bits >>= 1) {
    if (bits & 1) {
      const next = result ? await matmul(result, square, { pool }) : null;
      if (next) {
        if (result !== a) pool.free(result);
        result = next;
        products++;
      } else {
        result = square;
      }
    }
    if (bits > 1) {
      const next = await matmul(square, square, { pool });
      if (square !== a && square !== result) pool.free(square);
      square = next;
      products++;
    }
  }
  const ms = performance.now() - start;

  // Check row 0 of A^p with p vector-matrix products in plain JS.
  let row = Float64Array.from(a.data.subarray(0, n));
  for (let k = 1; k < power; k++) {
    const next = new Float64Array(n);
    for (let p = 0; p < n; p++) for (let j = 0; j < n; j++) next[j] += row[p] * a.data[p * n + j];
    row = next;
  }
  let maxError = 0;
  for (let j = 0; j < n; j++) maxError = Math.max(maxError, Math.abs(row[j] - result.get(0, j)) / (1e-300 + Math.abs(row[j])));
  const gflops = (products * 2 * n ** 3) / ms / 1e6;
  console.log(`A^${power} for n = ${n} on ${pool.workers} workers: ${products} products in ${ms.toFixed(1)} ms (${gflops.toFixed(1)} GFLOP/s)`);
  console.log(`row 0 against plain JS: max relative error ${maxError.toExponential(1)} ${maxError < 1e-9 ? '(ok)' : '(MISMATCH)'}`);
  if (maxError >= 1e-9) process.exitCode = 1;
} finally {
  await pool.terminate();
}
