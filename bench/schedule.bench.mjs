// Pool versus MPI-style split (seed 003): P workers, 4 items per worker, item
// time uniform in [t, imbalance × t]. `dynamic`: each idle worker takes the
// next item. `static`: item blocks fixed up front, one per worker. Both run
// the same random items in each trial; the lower bound is
// max(total / P, longest item). Reports medians over trials.
//
//   node bench/schedule.bench.mjs [--workers 2] [--t 20] [--trials 9]
import { parseArgs } from 'node:util';
import { Pool, task } from '../build/dist/node.js';
import { describeMachine, median, printTable, saveResults } from './lib.mjs';

const { values: args } = parseArgs({
  options: { workers: { type: 'string', default: '2' }, t: { type: 'string', default: '20' }, trials: { type: 'string', default: '9' }, 'items-per-worker': { type: 'string', default: '4' } },
});
const P = Number(args.workers);
const T = Number(args.t);
const TRIALS = Number(args.trials);
const ITEMS = P * Number(args['items-per-worker']);

// Deterministic item times: mulberry32.
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const pool = new Pool({ workers: P });
await pool.ready;
const busy = task(new URL('../examples/node/tasks.mjs', import.meta.url), 'busy');
await pool.map(busy, Array(P * 2).fill(1), { chunksize: 1 }); // warm up: module loaded in every worker

const rows = [];
for (const imbalance of [1, 8]) {
  const dynamic = [], fixed = [], bounds = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const next = random(1000 * imbalance + trial);
    const items = Array.from({ length: ITEMS }, () => T * (1 + (imbalance - 1) * next()));
    bounds.push(Math.max(items.reduce((s, v) => s + v, 0) / P, Math.max(...items)));
    // Alternate which schedule runs first so neither benefits from order.
    const order = trial % 2 ? ['static', 'dynamic'] : ['dynamic', 'static'];
    for (const schedule of order) {
      const start = performance.now();
      await pool.map(busy, items, schedule === 'static' ? { schedule: 'static' } : { chunksize: 1 });
      (schedule === 'static' ? fixed : dynamic).push(performance.now() - start);
    }
  }
  const ratioDynamic = dynamic.map((d, i) => d / bounds[i]);
  const speedups = dynamic.map((d, i) => fixed[i] / d);
  rows.push({
    imbalance,
    items: ITEMS,
    'lower bound ms': median(bounds).toFixed(1),
    'dynamic ms': median(dynamic).toFixed(1),
    'static ms': median(fixed).toFixed(1),
    'dynamic / bound': median(ratioDynamic).toFixed(3),
    'speedup dynamic over static': median(speedups).toFixed(3) + 'x',
  });
}

console.log(`\nDynamic vs static schedule, ${P} workers, ${ITEMS} items of [t, imbalance·t], t = ${T} ms, median of ${TRIALS} trials (${describeMachine()})\n`);
printTable(rows);
console.log('\ntargets: dynamic within 5% of the lower bound (dynamic / bound <= 1.05); at imbalance 1, static no more than 2% faster (speedup >= 0.98)');
saveResults(`schedule-${P}w`, { workers: P, t: T, trials: TRIALS, rows });
await pool.terminate();
