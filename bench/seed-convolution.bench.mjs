// The seed's image-convolution benchmark (seed 002) side by side: wyvern
// (conv2d over shared memory) and the Python original (multiprocessing Pool
// with spawn, scipy.signal.convolve2d; bench/reference/scipy_seed.py, run
// when Debian's /usr/bin/python3 has SciPy), with 1 and N workers, and the
// same kernel on bare threads (bench/peers/bare-seed.mjs): what the machine
// allows from 1 to N workers, measured in the same run.
// 33 images of 1000 × 1000, 2 burn-in and 10 timed maps: mean and std.
//
//   node bench/seed-convolution.bench.mjs [--iterations 10] [--burns 2] [--skip-python]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { interleaveRuns, prepareSeedRun } from '../examples/node/seed-workload.mjs';
import { prepareBareSeedRun } from './peers/bare-seed.mjs';
import { describeMachine, median, printTable, saveResults } from './lib.mjs';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '10' }, burns: { type: 'string', default: '2' }, 'skip-python': { type: 'boolean', default: false } } });
const iterations = Number(values.iterations);
const burns = Number(values.burns);
const cores = availableParallelism();
const counts = [...new Set([1, cores])];

// All wyvern runs first, then the Python ones: a Python run leaves the machine busy for a while
// (freeing hundreds of MB across processes), which would disturb a wyvern run right after it.
// Next to each pool, the same kernel on bare threads (bench/peers/bare-seed.mjs): what this machine
// allows from 1 to N workers. All maps interleaved (interleaveRuns), so that drift in the machine's
// speed weighs on all alike.
const rows = [];
const pools = [];
const bare = [];
try {
  for (const workers of counts) {
    pools.push(await prepareSeedRun({ workers }));
    bare.push(await prepareBareSeedRun({ workers }));
  }
  const results = await interleaveRuns([...pools, ...bare], { iterations, burns });
  counts.forEach((workers, i) => {
    const [wyvern, threads] = [results[i], results[counts.length + i]];
    for (const [name, result] of [['wyvern', wyvern], ['bare threads', threads]]) {
      if (!result.check.ok) throw new Error(`${name} results differ from the reference (max error ${result.check.maxError})`);
    }
    rows.push({ workers, wyvern, bare: threads });
  });
} finally {
  await Promise.all([...pools, ...bare].map((run) => run.close()));
}
for (const row of rows) {
  if (values['skip-python'] || !existsSync('/usr/bin/python3')) break;
  try {
    const out = execFileSync('/usr/bin/python3', [new URL('./reference/scipy_seed.py', import.meta.url).pathname, '--num_workers', String(row.workers), '--iterations', String(iterations), '--burns', String(burns)]);
    row.python = JSON.parse(out.toString());
  } catch (error) {
    console.warn(`Python reference skipped: ${error.message.split('\n')[0]}`);
  }
}

const base = rows[0].wyvern.mean;
// Medians too: on a shared 2-core VM a few maps stall (up to 3× the typical time), which moves the mean.
const baseMedian = median(rows[0].wyvern.times);
const bareBase = median(rows[0].bare.times);
console.log(`\nSeed image convolution: ${rows[0].wyvern.nimages} images 1000x1000 f64, 4x4 filters, [::5, ::5], ${iterations} maps after ${burns} burn-in (${describeMachine()})\n`);
printTable(
  rows.map(({ workers, wyvern, bare, python }) => ({
    workers,
    'wyvern mean s': wyvern.mean.toFixed(4),
    'wyvern std s': wyvern.std.toFixed(4),
    'wyvern median s': median(wyvern.times).toFixed(4),
    'wyvern speedup vs 1 worker (means, medians)': `${(base / wyvern.mean).toFixed(2)}x, ${(baseMedian / median(wyvern.times)).toFixed(2)}x`,
    'bare threads median s': median(bare.times).toFixed(4),
    'bare threads speedup (medians)': `${(bareBase / median(bare.times)).toFixed(2)}x`,
    'SciPy Pool mean s': python ? python.mean.toFixed(3) : 'n/a',
    'SciPy Pool std s': python ? python.std.toFixed(3) : 'n/a',
    'SciPy Pool median s': python?.times ? median(python.times).toFixed(3) : 'n/a',
    'wyvern vs SciPy Pool (means, medians)': python ? `${(python.mean / wyvern.mean).toFixed(0)}x, ${python.times ? (median(python.times) / median(wyvern.times)).toFixed(0) : 'n/a'}x` : 'n/a',
  })),
);
console.log('\nbare threads: the same kernel on the same images, no pool (an atomic counter hands out images; bench/peers/bare-seed.mjs)');
console.log('anchors: SciPy Pool ~2.1 s/map with 1 worker, 1.2-1.7 s with 2; targets: >= 50x faster at 2 workers, >= 1.8x from 1 to 2 workers');
saveResults(
  'seed-convolution',
  rows.map(({ workers, wyvern, bare, python }) => ({ workers, wyvern: { mean: wyvern.mean, std: wyvern.std, times: wyvern.times }, bareThreads: { times: bare.times }, python })),
);
