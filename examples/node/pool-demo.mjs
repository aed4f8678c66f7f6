// A tour of the Pool with a summary (`npm run demo`; `npm start` runs main.mjs).
//
// 1. Imbalanced work items, handed to whichever worker is idle (dynamic)
//    versus split up front (static), against the ideal time.
// 2. A WebAssembly kernel over one shared array, split across workers by
//    reference (no copies), checked against a plain loop.
// 3. Dispatch: 20,000 tiny tasks through the shared-memory queues.
//
//   npm run demo               (all cores)
//   node examples/node/pool-demo.mjs --workers 2
import { availableParallelism } from 'node:os';
import { Pool, kernels, task } from '../../build/dist/node.js';
import { MAX_POOL_WORKERS, integer, parseCommandLine } from './cli.mjs';

const cores = Math.min(availableParallelism(), MAX_POOL_WORKERS);
const { values: args } = parseCommandLine({
  usage: ['npm run demo -- [options]', 'node examples/node/pool-demo.mjs [options]'],
  description:
    'A tour of the Pool: imbalanced work items handed out dynamically versus split up front, a\n' +
    'WebAssembly kernel over one shared array split across workers, and dispatch of 20,000 tiny tasks.',
  options: {
    workers: { ...integer({ min: 1, max: MAX_POOL_WORKERS }), default: String(cores), defaultText: `one per core, ${cores} here`, help: 'worker threads' },
  },
});
const workers = args.workers;
const rows = [];
const ms = (t0) => performance.now() - t0;

const pool = new Pool({ workers });
try {
await pool.ready;
console.log(`wyvern pool demo: ${workers} worker${workers === 1 ? '' : 's'}, shared memory ${pool.heapStatistics().summary}\n`);

// 1. Imbalanced items: 8 per worker, 10-80 ms each (seed 003's imbalance 8), from a fixed-seed generator.
const busy = task(new URL('./tasks.mjs', import.meta.url), 'busy');
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const items = Array.from({ length: 8 * workers }, () => 10 + 70 * random());
const ideal = Math.max(items.reduce((s, v) => s + v, 0) / workers, Math.max(...items));
await pool.map(busy, Array(workers).fill(1), { chunksize: 1 }); // load the task module everywhere
let t0 = performance.now();
await pool.map(busy, items, { chunksize: 1 });
const dynamicMs = ms(t0);
t0 = performance.now();
await pool.map(busy, items, { schedule: 'static' });
const staticMs = ms(t0);
rows.push({ step: 'imbalanced items, dynamic', time: `${dynamicMs.toFixed(0)} ms`, note: `ideal ${ideal.toFixed(0)} ms (${((dynamicMs / ideal - 1) * 100).toFixed(1)}% over)` });
rows.push({ step: 'imbalanced items, static', time: `${staticMs.toFixed(0)} ms`, note: `dynamic is ${(staticMs / dynamicMs).toFixed(2)}x faster` });

// 2. A kernel over a shared array, one band per worker.
const n = 8_000_000;
{
  const scope = pool.scope(); // released below; `using scope = ...` where the runtime has it
  const x = scope.alloc(Float64Array, n);
  for (let i = 0; i < n; i++) x[i] = (i % 1000) / 1000;
  let expected = 0;
  t0 = performance.now();
  for (let i = 0; i < n; i++) expected += x[i];
  const loopMs = ms(t0);
  const band = Math.ceil(n / workers);
  const bands = Array.from({ length: workers }, (_, w) => [x.subarray(w * band, Math.min(n, (w + 1) * band))]);
  await pool.starmap(kernels.sumF64, bands);
  t0 = performance.now();
  const partials = await pool.starmap(kernels.sumF64, bands);
  const kernelMs = ms(t0);
  const total = partials.reduce((s, v) => s + v, 0);
  const ok = Math.abs(total - expected) <= 1e-9 * Math.abs(expected);
  rows.push({ step: `sum of ${n.toLocaleString('en-US')} doubles (wasm SIMD)`, time: `${kernelMs.toFixed(2)} ms`, note: `JS loop ${loopMs.toFixed(2)} ms; result ${ok ? 'matches' : 'DIFFERS'}` });
  if (!ok) process.exitCode = 1;
  scope.release();
}

// 3. Dispatch throughput.
const identity = (v) => v;
for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: 20_000 }, (_, i) => pool.apply(identity, [i])));
t0 = performance.now();
const echoed = await Promise.all(Array.from({ length: 20_000 }, (_, i) => pool.apply(identity, [i])));
const dispatchMs = ms(t0);
rows.push({ step: '20,000 no-op tasks', time: `${dispatchMs.toFixed(1)} ms`, note: `${((dispatchMs * 1000) / 20_000).toFixed(2)} µs/task; ${echoed.every((v, i) => v === i) ? 'all results correct' : 'WRONG RESULTS'}` });

console.table(rows);
} finally {
  pool.close();
  await pool.join();
}
