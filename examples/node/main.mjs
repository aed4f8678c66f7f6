// The main job (`npm start`): the seed's SciPy image-convolution workload
// (33 images of 1000 × 1000, random 4 × 4 filters, convolve2d(...)[::5, ::5],
// 2 burn-in and 10 timed maps) on one worker and on every core, their maps
// interleaved, with a progress bar, then a summary: time per map, speedup,
// and a check of the results against a plain-JS reference.
//
//   npm start                 node examples/node/main.mjs --iterations 20
//   npm start -- --help       node examples/node/main.mjs --help
import { availableParallelism, cpus } from 'node:os';
import cliProgress from 'cli-progress';
import { MAX_POOL_WORKERS, integer, parseCommandLine } from './cli.mjs';
import { SEED_MEM, maximumSeedSize, runSeedWorkloads } from './seed-workload.mjs';

const { values } = parseCommandLine({
  usage: ['npm start -- [options]', 'node examples/node/main.mjs [options]'],
  description:
    "The seed's image-convolution workload (33 images of 1000 × 1000, random 4 × 4 filters,\n" +
    'convolve2d(...)[::5, ::5]) on one worker and on every core, maps interleaved, with a progress\n' +
    'bar, then a summary: time per map, speedup, and a check against a plain-JS reference.',
  options: {
    iterations: { ...integer({ min: 1 }), default: '10', help: 'timed maps' },
    burns: { ...integer({ min: 0 }), default: '2', help: 'burn-in maps before them (not timed)' },
    // The images hold the seed's mem (33,554,432 values) together: at least one must fit.
    size: { ...integer({ min: 1, max: maximumSeedSize(SEED_MEM) }), default: '1000', help: 'image side (images: 33,554,432 / size²)' },
  },
});
const { iterations, burns, size } = values;
const cores = availableParallelism();
const all = Math.min(cores, MAX_POOL_WORKERS); // a pool takes at most 64 workers
const counts = all > 1 ? [1, all] : [1];

console.log(`wyvern: the seed image-convolution workload on ${cpus()[0]?.model ?? 'this CPU'} (${cores} core${cores === 1 ? '' : 's'})\n`);
// Progress bars on a terminal; one line per run when the output is a log.
const bars = process.stdout.isTTY
  ? new cliProgress.MultiBar({ format: '{label} |{bar}| {value}/{total} maps | last {last} s', hideCursor: true }, cliProgress.Presets.shades_classic)
  : undefined;
// Both pools run their maps in turn (map i on one worker, then on all), so that a machine whose speed
// drifts weighs on both alike.
const labels = new Map(counts.map((workers) => [workers, `${String(workers).padStart(2)} worker${workers > 1 ? 's' : ' '}`]));
const progress = new Map(counts.map((workers) => [workers, bars?.create(burns + iterations, 0, { label: labels.get(workers), last: '-' })]));
const results = await runSeedWorkloads({
  workerCounts: counts,
  iterations,
  burns,
  size,
  onIteration: (workers, _, seconds) => progress.get(workers)?.increment(1, { last: seconds.toFixed(3) }),
});
if (!bars) for (const result of results) console.log(`${labels.get(result.workers)}: ${burns + iterations} maps done, mean ${result.mean.toFixed(4)} s`);
bars?.stop();

const base = results[0].mean;
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
// Medians too: on a busy or shared machine a few maps stall, which moves the mean.
const baseMedian = median(results[0].times);
console.log(`\n${results[0].nimages} images of ${size} x ${size}, 4 x 4 filters, output [::5, ::5]; ${iterations} timed maps after ${burns} burn-in\n`);
console.table(
  results.map((r) => ({
    workers: r.workers,
    'mean s/map': r.mean.toFixed(4),
    'std s': r.std.toFixed(4),
    'median s/map': median(r.times).toFixed(4),
    'speedup vs 1 worker (mean, median)': `${(base / r.mean).toFixed(2)}x, ${(baseMedian / median(r.times)).toFixed(2)}x`,
    check: r.check.ok ? `ok (${r.check.checked} outputs)` : `FAILED (max error ${r.check.maxError.toExponential(1)})`,
  })),
);
console.log('For comparison, the same workload with SciPy and a multiprocessing Pool: node bench/seed-convolution.bench.mjs');
if (results.some((r) => !r.check.ok)) process.exitCode = 1;
