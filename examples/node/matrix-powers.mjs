// Matrix powers by repeated squaring with wyvern's matmul: A^p for a random
// n × n float64 matrix, in ⌊log2 p⌋ squarings plus popcount(p) − 1 products
// that fold in the set bits (5 products in all for p = 13 = 0b1101), each
// split across the pool's workers. Checks one row against plain JS.
//
//   node examples/node/matrix-powers.mjs [--n 512] [--power 13]
import { Pool, matmul } from '../../build/dist/node.js';
import { integer, parseCommandLine } from './cli.mjs';

const { values } = parseCommandLine({
  usage: 'node examples/node/matrix-powers.mjs [--n 512] [--power 13]',
  description:
    "A^p for a random n × n float64 matrix by repeated squaring with wyvern's matmul on a pool,\n" +
    'timed; row 0 checked against plain JS (p vector-matrix products).',
  options: {
    // At most four n × n matrices are alive at once: 4 × 8 × 4096² bytes is half the pool's default 1 GiB.
    n: { ...integer({ min: 1, max: 4096 }), default: '512', help: 'matrix side' },
    // The exponent's bits are walked with 32-bit shifts.
    power: { ...integer({ min: 1, max: 2 ** 31 - 1 }), default: '13', help: 'the power p' },
  },
});
const { n, power } = values;

const pool = new Pool();
try {
  await pool.ready; // workers started and kernels compiled: the timing below is the products alone
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
  console.log(`A^${power} for n = ${n} on ${pool.workers} worker${pool.workers === 1 ? '' : 's'}: ${products} product${products === 1 ? '' : 's'} in ${ms.toFixed(1)} ms (${gflops.toFixed(1)} GFLOP/s)`);
  console.log(`row 0 against plain JS: max relative error ${maxError.toExponential(1)} ${maxError < 1e-9 ? '(ok)' : '(MISMATCH)'}`);
  if (maxError >= 1e-9) process.exitCode = 1;
} finally {
  await pool.terminate();
}
