// tinybench microbenchmarks of each kernel through the pool (one task per
// call, one worker), on small and medium inputs: what a call costs end to end.
//
//   node bench/kernels.bench.mjs
import { Bench } from 'tinybench';
import { Pool, conv2d, kernels, matmul } from '../build/dist/node.js';
import { describeMachine, printTable, saveResults } from './lib.mjs';

const pool = new Pool({ workers: 1 });
await pool.ready;
const vector = pool.alloc(Float64Array, 1 << 20).fill(0.5);
const y = pool.alloc(Float64Array, 1 << 20);
const image64 = pool.allocMatrix(Float64Array, 256, 256);
const image32 = pool.allocMatrix(Float32Array, 256, 256);
image64.data.fill(1);
image32.data.fill(1);
const filter = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]];
const conv64 = pool.allocMatrix(Float64Array, 258, 258);
const conv32 = pool.allocMatrix(Float32Array, 258, 258);
const m32 = [pool.allocMatrix(Float32Array, 128, 128), pool.allocMatrix(Float32Array, 128, 128), pool.allocMatrix(Float32Array, 128, 128)];
const m64 = [pool.allocMatrix(Float64Array, 128, 128), pool.allocMatrix(Float64Array, 128, 128), pool.allocMatrix(Float64Array, 128, 128)];
// The other matmul paths (assembly/kernels/matmul.ts): four rows stream B; times Bᵀ, dot products; a
// tall, narrow C reads A in place.
const rows4 = [pool.allocMatrix(Float32Array, 4, 512), pool.allocMatrix(Float32Array, 512, 512), pool.allocMatrix(Float32Array, 4, 512)];
const narrow = [pool.allocMatrix(Float32Array, 1024, 256), pool.allocMatrix(Float32Array, 256, 16), pool.allocMatrix(Float32Array, 1024, 16)];
for (const matrix of [...m32, ...m64, ...rows4, ...narrow]) matrix.data.fill(0.25);

const bench = new Bench({ time: 500, warmupTime: 200 });
bench
  .add('wyvern/sumF64 1Mi', () => pool.apply(kernels.sumF64, [vector]))
  .add('wyvern/axpyF64 1Mi', () => pool.apply(kernels.axpyF64, [0.5, vector, y]))
  .add('wyvern/conv2d f64 256² * 3x3 full', () => conv2d(image64, filter, { pool, out: conv64 }))
  .add('wyvern/conv2d f32 256² * 3x3 full', () => conv2d(image32, filter, { pool, out: conv32 }))
  .add('wyvern/conv2d f64 256² * 3x3 stride 5', () => conv2d(image64, filter, { pool, stride: 5 }).then((out) => pool.free(out)))
  .add('wyvern/matmul f32 128³', () => matmul(m32[0], m32[1], { pool, out: m32[2] }))
  .add('wyvern/matmul f64 128³', () => matmul(m64[0], m64[1], { pool, out: m64[2] }))
  .add('wyvern/matmul f32 4×512×512 (B streamed)', () => matmul(rows4[0], rows4[1], { pool, out: rows4[2] }))
  .add('wyvern/matmul f32 4×512×512 Bᵀ (dot products)', () => matmul(rows4[0], rows4[1], { pool, out: rows4[2], transB: true }))
  .add('wyvern/matmul f32 1024×256×16 (A in place)', () => matmul(narrow[0], narrow[1], { pool, out: narrow[2] }));
await bench.run();

const rows = bench.tasks.map((t) => ({ name: t.name, 'median µs': (t.result.latency.p50 * 1000).toFixed(1), 'calls/s (from the median)': Math.round(1000 / t.result.latency.p50).toLocaleString('en-US'), samples: t.result.latency.samplesCount ?? t.result.latency.samples?.length }));
console.log(`\nkernel calls through a 1-worker pool (${describeMachine()})\n`);
printTable(rows);
saveResults('kernels', rows);
await pool.terminate();
